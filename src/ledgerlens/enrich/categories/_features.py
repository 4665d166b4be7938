"""Features of the category model: label text, context tokens and the shop's profile in the
batch (``_profiles.py``), hashed, one row per unique key.

A million transactions hold far fewer distinct (label, type, MCC, amount bin, ...) keys, so
the model works on unique keys and the caller joins the result back. The text keeps trade
words and drops what changes from bank to bank (dates, card references, payment prefixes),
so that a model trained on some banks' dialects reads another bank's labels the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.enrich._distinct import row_hash
from ledgerlens.enrich.categories._hashing import hash_block
from ledgerlens.enrich.categories._names import name_words_re
from ledgerlens.taxonomy import SUBCATEGORIES

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "FeatureSpec",
    "hash_features",
    "hashed_parts",
    "model_text_expr",
    "profile_part",
    "unique_keys",
]

#: Columns the features read; every one is optional except a label.
TEXT_COLUMNS: tuple[str, ...] = ("merchant_text", "clean_label", "raw_label")
#: Intermediaries the synthetic banks never print, read by the model as the one they print
#: that does the same job (its context token was never trained: Mollie's had read a
#: checkout's purchase as a fine at 0.66). A small shop's terminal reads as SumUp's, an
#: online checkout as Stripe's, a pay-later or wallet checkout as PayPal's, a phone wallet
#: as Google Pay's; a direct-debit collector and the public bodies' checkout as none (their
#: own rules decide).
INTERMEDIARY_READ_AS: dict[str, str | None] = {
    **dict.fromkeys(("mypos", "yavin", "viva_wallet", "worldline", "paybox", "lydia_pro"),
                    "sumup"),
    **dict.fromkeys(("adyen", "mollie", "hipay", "lemonway", "monext", "payzen", "payplug",
                     "shopify"), "stripe"),
    **dict.fromkeys(("klarna", "alma", "scalapay", "amazon_pay"), "paypal"),
    **dict.fromkeys(("samsung_pay", "curve"), "google_pay"),
    **dict.fromkeys(("gocardless", "payfip"), None),
}
#: A merchant hint whose candidate is less sure than this also gives a weak-hint token
#: (``MHW_``): the model learns how far to trust a weak candidate's line apart from a
#: sure one's.
SURE_HINT = 0.5

# Words that say how a bank moved the money, not what it bought: read through
# transaction_type, they only hide the trade words and differ from bank to bank.
_PAYMENT_WORDS = (
    "PAIEMENT|PAIEM|PAIE|PAIMT|PMT|PAYMENT|ACHAT|ACHATS|FACTURE|FACT|FACTURETTE|CARTE|CARTES|"
    "CB|CBX|CARD|PAR|SANS|CONTACT|SC|PSC|NUMERO|NUM|NO|MOBILE|PAY|PRLV|PRELEVEMENT|"
    "PRELEVMT|PREL|SEPA|EUROPEEN|VIR|VIREMENT|VIRT|INST|EMIS|RECU|RECUS|DE|DU|DES|VERS|POUR|"
    "MOTIF|REF|ECH|MDT|ID|EMETTEUR|LE|LA|LES|L|D|A|AU|AUX|ET|EN|X+|XX+|POS|TPE|EUR|EURO|EUROS"
)
_PAYMENT_RE = rf"\b(?:{_PAYMENT_WORDS})\b"


def model_text_expr(column: str | pl.Expr) -> pl.Expr:
    """Normalise a label for the model: upper case ASCII words, no digits, no payment words,
    no person names (``categories/_names.py``).

    Idempotent and safe on any text, so it runs on top of ``clean_label`` as well as on a
    raw label when the cleaner has not run. Long labels are cut at 200 characters first.

    >>> pl.select(model_text_expr(pl.lit("CB Boulangerie du Marché 28/11 X1234"))).item()
    'BOULANGERIE MARCHE'
    """
    expr = pl.col(column) if isinstance(column, str) else column
    return (
        expr.fill_null("")
        .str.slice(0, 200)
        .str.normalize("NFKD")
        .str.to_uppercase()
        .str.replace_all(r"[^\x00-\x7F]", "")
        .str.replace_all(r"\S*[0-9]\S*", " ")
        .str.replace_all(r"[^A-Z]+", " ")
        .str.replace_all(_PAYMENT_RE, " ")
        .str.replace_all(name_words_re(), " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _amount_code(amount: pl.Expr) -> pl.Expr:
    """Sign, log2 magnitude bin and roundness packed in one small integer (cheap to group on)."""
    magnitude = amount.abs()
    log_bin = (magnitude + 1.0).log(2.0).floor().clip(0, 14).cast(pl.Int32)
    roundness = (
        pl.when(magnitude == 0)
        .then(3)
        .when((magnitude >= 10) & ((magnitude % 10) == 0))
        .then(2)
        .when((magnitude % 1) == 0)
        .then(1)
        .otherwise(0)
    )
    sign = pl.when(amount < 0).then(1).otherwise(0)
    return (sign * 1000 + roundness * 100 + log_bin).cast(pl.Int32)


def _amount_tokens(code: pl.Expr) -> pl.Expr:
    sign = pl.when(code >= 1000).then(pl.lit("d")).otherwise(pl.lit("c"))
    roundness = (code % 1000) // 100
    round_tok = (
        pl.when(roundness == 3)
        .then(pl.lit(" A_zero"))
        .when(roundness == 2)
        .then(pl.lit(" A_round10"))
        .when(roundness == 1)
        .then(pl.lit(" A_int"))
        .otherwise(pl.lit(""))
    )
    return pl.concat_str([pl.lit("A_"), sign, (code % 100).cast(pl.String), round_tok])


def _raw_inputs(frame: pl.DataFrame) -> pl.DataFrame:
    """The columns the features read, normalised to fixed names; missing ones are null."""
    cols = set(frame.columns)

    def col(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.String) if name in cols else pl.lit(None, pl.String)

    source = next((name for name in TEXT_COLUMNS if name in cols), None)
    # Dropping digit tokens first (as model_text_expr does) makes dated labels alike, so
    # the rest of the string work runs on far fewer distinct labels.
    text = (
        pl.col(source)
        .cast(pl.String)
        .fill_null("")
        .str.slice(0, 200)
        .str.replace_all(r"\S*[0-9]\S*", " ")
        if source
        else pl.lit("")
    )
    if "amount" in cols:
        amount = _amount_code(pl.col("amount").cast(pl.Float64).fill_null(0.0).fill_nan(0.0))
    else:
        amount = pl.lit(None, pl.Int32)
    if "merchant_subcategory" in cols:
        conf = (
            pl.col("merchant_confidence").cast(pl.Float64).fill_null(0.0)
            if "merchant_confidence" in cols
            else pl.lit(1.0)
        )
        merchant: pl.Expr = pl.when(conf >= 0.5).then(col("merchant_subcategory"))
    else:
        merchant = pl.lit(None, pl.String)
    weak_hint = ((pl.col("merchant_confidence").cast(pl.Float64) < SURE_HINT).fill_null(False)
                 if "merchant_confidence" in cols else pl.lit(False))
    return frame.select(
        src=text,
        type=col("transaction_type"),
        mcc=col("mcc"),
        inter=col("intermediary"),
        amount=amount,
        merchant=merchant,
        cp=col("counterparty_name"),
        lines=col("merchant_lines"),
        hint=col("merchant_hint"),
        weak_hint=weak_hint,
        # Kept Categorical (when it is) until the rows are grouped: far cheaper to hash.
        profile=pl.col("shop_profile") if "shop_profile" in cols else pl.lit(""),
    )


def _lines_tokens() -> pl.Expr:
    """A known brand's lines of business the label does not tell apart (``fuel|supermarket``)
    and the same crossed with the amount bin: what an amount says among those lines (a bare
    ``AUCHAN`` for 60 EUR) is learnt there, not from every class's amounts."""
    lines = pl.col("lines").str.replace_all(r"\|", "+")
    amount = (pl.when(pl.col("amount").is_null()).then(pl.lit("none"))
              .otherwise(pl.col("amount").pipe(_amount_tokens).str.extract(r"^A_(\S+)", 1)))
    return pl.concat_str([pl.lit("ML_"), lines, pl.lit(" MA_"), lines, pl.lit("_"), amount]
                         ).fill_null("")


def _hint_tokens() -> pl.Expr:
    """``MH_<line>`` of a merchant hint (``MH_none`` without one), and ``MHW_<line>`` too
    when its candidate is weak (``SURE_HINT``)."""
    known = pl.col("hint").is_in(list(SUBCATEGORIES))
    return (pl.when(known & pl.col("weak_hint"))
            .then(pl.concat_str([pl.lit("MH_"), pl.col("hint"), pl.lit(" MHW_"), pl.col("hint")]))
            .when(known).then(pl.concat_str([pl.lit("MH_"), pl.col("hint")]))
            .otherwise(pl.lit("MH_none")))


def _context(mcc_subcategory: dict[str, str],
             mcc_read_as: Mapping[str, str] | None = None) -> pl.Expr:
    def tok(name: str, prefix: str, read_as: Mapping[str, str] | None = None) -> pl.Expr:
        column = pl.col(name) if not read_as else pl.col(name).replace(dict(read_as))
        value = column.str.replace_all(r"\s+", "_").fill_null("none")
        return pl.concat_str([pl.lit(prefix), value])

    mcc_sub = pl.col("mcc").replace_strict(mcc_subcategory, default="none", return_dtype=pl.String)
    # A known brand whose line of business the label does not tell: "MER_multi".
    merchant = (pl.when(pl.col("merchant").is_in(list(SUBCATEGORIES))).then(pl.col("merchant"))
                .when(pl.col("lines").is_not_null()).then(pl.lit("multi")))
    parts = [
        tok("type", "T_"),
        tok("mcc", "M_", mcc_read_as),
        pl.concat_str([pl.lit("MS_"), mcc_sub]),
        pl.concat_str([pl.lit("I_"), pl.col("inter").replace(INTERMEDIARY_READ_AS)
                       .str.replace_all(r"\s+", "_").fill_null("none")]),
        pl.when(pl.col("amount").is_null())
        .then(pl.lit("A_none"))
        .otherwise(_amount_tokens(pl.col("amount"))),
        pl.concat_str([pl.lit("MER_"), merchant.fill_null("none")]),
        # The line of a merchant the matcher was not sure enough to return: a clue whose
        # weight the model learns ("MH_furniture_home_equipment" for a bare MAISONS DU MONDE).
        _hint_tokens(),
        model_text_expr(pl.col("cp")).str.replace_all(r"(\w+)", "C_$1"),
        _lines_tokens(),
    ]
    return pl.concat_str(parts, separator=" ").str.strip_chars()


def unique_keys(
    frame: pl.DataFrame, mcc_subcategory: dict[str, str],
    mcc_read_as: Mapping[str, str] | None = None,
) -> tuple[pl.DataFrame, npt.NDArray[np.int64]]:
    """Unique (text, context, profile) keys (+ their type, brand lines and row count), and each
    row's key index. ``mcc_read_as``: the code the model reads in place of an MCC it never
    saw (``CategoryModel.mcc_read_as``).

    Rows are first grouped on a 64-bit hash of their raw inputs (two different inputs
    sharing a hash is about 1e-7 likely for a million distinct keys), so the string work
    runs once per distinct input, then grouped again on the normalised text and context.
    """
    raw = _raw_inputs(frame)
    if raw.height == 0:
        empty = pl.DataFrame(
            schema={"text": pl.String, "context": pl.String, "profile": pl.String,
                    "type": pl.String, "lines": pl.String, "count": pl.UInt32}
        )
        return empty, np.zeros(0, dtype=np.int64)
    first = (row_hash(raw.columns, seed=7).rank("dense").cast(pl.Int64) - 1).alias("k1")
    raw = raw.with_columns(first)
    distinct = (
        raw.group_by("k1")
        .agg(pl.all().exclude("k1").first(), count=pl.len())
        .sort("k1")
        .select(
            text=model_text_expr(pl.col("src")),
            context=_context(mcc_subcategory, mcc_read_as),
            profile=pl.col("profile").cast(pl.String).fill_null(""),
            type=pl.col("type"),
            lines=pl.col("lines"),
            count=pl.col("count"),
        )
    )
    second = (pl.concat_str(["text", "context", "profile"], separator="\x1f")
              .rank("dense").cast(pl.Int64) - 1)
    distinct = distinct.with_columns(k2=second)
    keys = (
        distinct.group_by("k2")
        .agg(pl.col("text", "context", "profile", "type", "lines").first(),
             pl.col("count").sum())
        .sort("k2")
        .drop("k2")
    )
    row_key = distinct["k2"].to_numpy()[raw["k1"].to_numpy()]
    return keys, row_key


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """How text and context become one hashed sparse row: n-gram ranges and block weights."""

    n_bits: int = 21
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    char_weight: float = 1.0
    word_weight: float = 1.0
    context_weight: float = 1.0
    profile_weight: float = 1.0

    def to_metadata(self) -> dict[str, object]:
        """JSON-able form, stored with the model."""
        return {
            "n_bits": self.n_bits,
            "char_ngrams": list(self.char_ngrams),
            "word_ngrams": list(self.word_ngrams),
            "char_weight": self.char_weight,
            "word_weight": self.word_weight,
            "context_weight": self.context_weight,
            "profile_weight": self.profile_weight,
        }


def _codes(values: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Dense codes of a string column and its sorted distinct values (same order)."""
    codes = (values.rank("dense").cast(pl.Int64) - 1).to_numpy()
    return codes, values.unique().sort()


def hashed_parts(
    text: pl.Series, context: pl.Series, spec: FeatureSpec
) -> tuple[sp.csr_matrix, npt.NDArray[np.int64], sp.csr_matrix, npt.NDArray[np.int64]]:
    """Hashed rows of each distinct text and each distinct context, and every key's codes.

    A key's row is ``text_rows[text_code] + context_rows[context_code]``; a linear model can
    score the two parts separately and add, which is far cheaper than scoring every key.
    """
    t_codes, t_uniq = _codes(text)
    c_codes, c_uniq = _codes(context)
    text_m = hash_block(
        t_uniq.to_list(),
        spec.n_bits,
        spec.char_ngrams,
        spec.word_ngrams,
        spec.char_weight,
        spec.word_weight,
    )
    ctx_m = hash_block(c_uniq.to_list(), spec.n_bits, None, (1, 1), 1.0, spec.context_weight)
    return text_m, t_codes, ctx_m, c_codes


def profile_part(profile: pl.Series, spec: FeatureSpec
                 ) -> tuple[sp.csr_matrix, npt.NDArray[np.int64]]:
    """Hashed rows of each distinct shop profile (a block of its own, normalised apart from
    the context: an empty profile is an empty row and leaves a key's features as they were
    without profiles) and every key's code."""
    p_codes, p_uniq = _codes(profile)
    return hash_block(p_uniq.to_list(), spec.n_bits, None, (1, 1), 1.0,
                      spec.profile_weight), p_codes


def hash_features(text: pl.Series, context: pl.Series, spec: FeatureSpec,
                  profile: pl.Series | None = None) -> sp.csr_matrix:
    """One sparse row per key: char and word n-grams of the text plus the context tokens
    (plus the shop profile's tokens)."""
    text_m, t_codes, ctx_m, c_codes = hashed_parts(text, context, spec)
    out = text_m[t_codes] + ctx_m[c_codes]
    if profile is not None:
        prof_m, p_codes = profile_part(profile, spec)
        out = out + prof_m[p_codes]
    out = out.tocsr()
    out.data = out.data.astype(np.float32, copy=False)
    return out
