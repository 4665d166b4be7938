"""The marking engine behind masking: both label lines in, marked copies out.

A marked text is the text with each personal datum wrapped between an opening character
naming its kind and a closing one (see ``_patterns``); spans and masked texts are read
from it. Shapes are looked for in every label; names only in transfers and direct
debits, on each distinct (label, complement) pair once.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from ledgerlens.privacy import _names as nm
from ledgerlens.privacy._patterns import (
    CLOSE,
    KEEP,
    KIND_OF_OPEN,
    OPEN,
    mark_patterns,
    mark_split_cards,
    sanitize,
)
from ledgerlens.schema import PII_KINDS, PII_SPAN_DTYPE

__all__ = [
    "ALL_KINDS",
    "CONTEXTS",
    "TOKENS",
    "check_kinds",
    "contexts",
    "label_context",
    "mark",
    "masked_of",
    "spans_of",
]

ALL_KINDS: frozenset[str] = frozenset(PII_KINDS)
#: The token that replaces each kind of personal data.
TOKENS: dict[str, str] = {
    "name": "<NAME>", "iban": "<IBAN>", "card_number": "<CARD>", "email": "<EMAIL>",
    "phone": "<PHONE>", "national_id": "<NATIONAL_ID>",
}
#: Label contexts: names are looked for in transfers (all rules) and direct debits
#: (after a title only); never in card payments or anything else.
CONTEXTS = ("transfer", "direct_debit", "card", "other")

_TRANSFER_START = (r"(?i)^\s*(?:VIR|VIREMENT|VIREMENTS|VIRT|VRT|VIRMT|TRANSFERT?|LYDIA|WERO|"
                   r"PAYLIB)\b")
_DEBIT_START = r"(?i)^\s*(?:PRLV|PRELEVEMENT|PRÉLÈVEMENT|PRELEV|SDD)\b"
_CARD_START = (r"(?i)^\s*(?:CB|CARTE|PAIEMENT|PAIE|ACHAT|FACTURE|FACTURETTE|APPLE PAY|"
               r"GOOGLE PAY|RETRAIT|RET|AVOIR|RELEVE CARTE)\b")
_OPENS = "".join(OPEN.values())
# a marked text read as pieces: plain text, then one region
_PIECE = f"[^{_OPENS}]*[{_OPENS}][^{CLOSE}]*{CLOSE}"
_PIECE_PARTS = f"^(?P<before>[^{_OPENS}]*)(?P<open>[{_OPENS}])(?P<inside>[^{CLOSE}]*){CLOSE}$"


def check_kinds(kinds: Iterable[str]) -> frozenset[str]:
    """The kinds asked for, refusing one that ``PII_KINDS`` does not know."""
    chosen = frozenset(kinds)
    unknown = chosen - ALL_KINDS
    if unknown:
        raise ValueError(f"unknown PII kinds {sorted(unknown)}; allowed: {sorted(ALL_KINDS)}")
    return chosen


def label_context(labels: pl.Series) -> pl.Series:
    """The context of each label from its shape: transfer, direct_debit, card or other."""
    return labels.to_frame("t").select(
        pl.when(pl.col("t").str.contains(_TRANSFER_START)).then(pl.lit("transfer"))
        .when(pl.col("t").str.contains(_DEBIT_START)).then(pl.lit("direct_debit"))
        .when(pl.col("t").str.contains(_CARD_START)).then(pl.lit("card"))
        .otherwise(pl.lit("other")).alias("context"))["context"]


def mark(raw: pl.Series, complement: pl.Series, context: pl.Series, kinds: frozenset[str],
         lexicon: nm.Lexicon | None) -> pl.DataFrame:
    """Marked copies of both label lines (regions wrapped, nothing else changed)."""
    frame = pl.DataFrame({"r": raw, "c": complement, "ctx": context}).with_columns(
        sanitize(pl.col("r")), sanitize(pl.col("c")))
    frame = frame.with_columns(r=mark_patterns(frame["r"], kinds),
                               c=mark_patterns(frame["c"], kinds))
    if "name" not in kinds:
        return frame.select("r", "c")
    frame = frame.with_row_index("i")
    in_scope = pl.col("ctx").is_in(["transfer", "direct_debit"]).fill_null(False)
    scoped = frame.filter(in_scope)
    # labels repeat (a monthly transfer to the same person): each distinct one once
    keys = scoped.select("r", "c", "ctx").unique()
    done = _mark_names(keys, nm.name_rules(lexicon or nm.Lexicon.bundled()))
    scoped = scoped.join(done, on=["r", "c", "ctx"], how="left", nulls_equal=True)
    # put the marked lines back at their rows ("i"), the other rows as they are
    return pl.DataFrame([frame["r"].clone().scatter(scoped["i"], scoped["rm"]),
                         frame["c"].clone().scatter(scoped["i"], scoped["cm"])])


def _mark_names(keys: pl.DataFrame, rules: nm.NameRules) -> pl.DataFrame:
    """Names in distinct (raw, complement, context) triples: columns ``rm``, ``cm`` added."""
    r, c = pl.col("rm"), pl.col("cm")
    frame = keys.with_columns(rm=pl.col("r"), cm=pl.col("c"))
    transfer = pl.col("ctx") == "transfer"
    debits = frame.filter(~transfer)
    debits = (debits.with_columns(nm.tag_words(debits["rm"], rules),
                                  nm.tag_words(debits["cm"], rules))
              .with_columns(rm=nm.tag_cut_word(r, rules), cm=nm.tag_cut_word(c, rules))
              .with_columns(rm=nm.extend_names(nm.mark_titled_names(r, rules), rules),
                            cm=nm.extend_names(nm.mark_titled_names(c, rules), rules)))
    transfers = frame.filter(transfer).with_columns(rm=nm.mark_cut_email(r),
                                                    cm=nm.mark_cut_email(c))
    transfers = (transfers.with_columns(nm.tag_words(transfers["rm"], rules),
                                        nm.tag_words(transfers["cm"], rules))
                 .with_columns(rm=nm.tag_cut_word(r, rules), cm=nm.tag_cut_word(c, rules)))
    # the first line first: its end says whether the second goes on with a cut name
    transfers = transfers.with_columns(
        rm=nm.mark_transfer_names(nm.extend_names(nm.mark_titled_names(r, rules), rules),
                                  rules))
    transfers = transfers.with_columns(cm=nm.mark_continuation(r, c, rules))
    transfers = transfers.with_columns(cm=nm.mark_transfer_names(
        nm.extend_names(nm.mark_titled_names(c, rules), rules), rules))
    transfers = mark_split_cards(transfers, "rm", "cm")
    person = (r.str.contains(OPEN["name"], literal=True).fill_null(False)
              | c.str.contains(OPEN["name"], literal=True).fill_null(False))
    people = transfers.filter(person).with_columns(rm=nm.mark_person_details(r, rules))
    people = people.with_columns(
        cm=nm.mark_person_details(nm.mark_identifier_continuation(r, c, rules), rules))
    regions = pl.concat_str([nm.name_regions(r), nm.name_regions(c)], separator=" ",
                            ignore_nulls=True)
    people = people.with_columns(rm=nm.mark_name_echo(r, regions),
                                 cm=nm.mark_name_echo(c, regions))
    unwrap = f"{KEEP}([^{CLOSE}]*){CLOSE}"
    return pl.concat([debits, transfers.filter(~person), people]).with_columns(
        rm=nm.strip_tags(r).str.replace_all(unwrap, "${1}"),
        cm=nm.strip_tags(c).str.replace_all(unwrap, "${1}"))


def spans_of(marked: pl.Series) -> pl.Series:
    """Character spans [start, end) of the regions of marked texts, in the plain text."""
    frame = marked.to_frame("t").with_row_index("i")
    pieces = (frame.filter(pl.col("t").str.contains(f"[{_OPENS}]"))
              .select("i", pl.col("t").str.extract_all(_PIECE))
              .explode("t")
              .with_columns(pl.col("t").str.extract_groups(_PIECE_PARTS))
              .unnest("t")
              .with_columns(b=pl.col("before").str.len_chars().cast(pl.Int32),
                            n=pl.col("inside").str.len_chars().cast(pl.Int32))
              .with_columns(end=(pl.col("b") + pl.col("n")).cum_sum().over("i"))
              .select("i", pl.struct((pl.col("end") - pl.col("n")).alias("start"), "end",
                                     pl.col("open").replace_strict(KIND_OF_OPEN).alias("kind"))
                      .alias("s"))
              .group_by("i", maintain_order=True).agg("s"))
    spans = frame.select("i").join(pieces, on="i", how="left")["s"]
    return spans.fill_null(pl.lit([], dtype=PII_SPAN_DTYPE)).cast(PII_SPAN_DTYPE)


def masked_of(marked: pl.Series) -> pl.Series:
    """The plain text with each marked region replaced by its kind's token."""
    out = marked
    for kind, opening in OPEN.items():
        out = out.str.replace_all(f"{opening}[^{CLOSE}]*{CLOSE}", TOKENS[kind])
    return out


def contexts(texts: pl.Series, context: pl.Series | str | None) -> pl.Series:
    """The given contexts checked, or each text's own when none is given."""
    if context is None:
        return label_context(texts)
    if isinstance(context, str):
        context = pl.repeat(context, texts.len(), eager=True)
    bad = set(context.drop_nulls().unique().to_list()) - set(CONTEXTS)
    if bad:
        raise ValueError(f"unknown label contexts {sorted(bad)}; allowed: {list(CONTEXTS)}")
    return context.fill_null("other")


