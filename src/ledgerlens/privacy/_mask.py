"""Mask personal data in labels and counterparty fields before they are stored for analytics.

Identifiers with a shape (e-mails, checksum-valid IBANs and card numbers, phones, social
security numbers) are masked wherever they appear; person names only where a bank
writes them, in transfers and direct debits (see ``_names``), never in card payments,
where a shop named after its owner is a merchant. Each personal datum becomes one token
(``<NAME>``, ``<IBAN>``, ``<CARD>``, ``<EMAIL>``, ``<PHONE>``, ``<NATIONAL_ID>``).

>>> import polars as pl
>>> mask_text(pl.Series(["VIR M JEAN DUPONT LOYER", "PAYPAL *SPOTIFY"])).to_list()
['VIR M <NAME> LOYER', 'PAYPAL *SPOTIFY']
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from ledgerlens.privacy import _names as nm
from ledgerlens.privacy._marking import (
    ALL_KINDS,
    TOKENS,
    check_kinds,
    contexts,
    label_context,
    mark,
    masked_of,
    spans_of,
)
from ledgerlens.privacy._patterns import OPEN

__all__ = [
    "find_label_pii",
    "find_pii",
    "mark_labels",
    "mask_counterparty_iban",
    "mask_labels",
    "mask_text",
    "mask_transactions",
]


def find_pii(texts: pl.Series, *, kinds: Iterable[str] = ALL_KINDS,
             context: pl.Series | str | None = None,
             lexicon: nm.Lexicon | None = None) -> pl.Series:
    """The spans ``mask_text`` would mask: List(Struct{start, end, kind}) per text.

    ``context`` (one of ``CONTEXTS`` per text, or one for all) says where names may be;
    by default it is read from each label's shape.
    """
    chosen = check_kinds(kinds)
    ctx = contexts(texts, context)
    marked = mark(texts.cast(pl.String), pl.repeat(None, texts.len(), dtype=pl.String,
                                                    eager=True), ctx, chosen, lexicon)
    return spans_of(marked["r"]).alias(texts.name)


def mask_text(texts: pl.Series, *, kinds: Iterable[str] = ALL_KINDS,
              context: pl.Series | str | None = None,
              lexicon: nm.Lexicon | None = None) -> pl.Series:
    """Each text with its personal data replaced by tokens (see ``find_pii``)."""
    chosen = check_kinds(kinds)
    ctx = contexts(texts, context)
    marked = mark(texts.cast(pl.String), pl.repeat(None, texts.len(), dtype=pl.String,
                                                    eager=True), ctx, chosen, lexicon)
    return masked_of(marked["r"]).alias(texts.name)


def _label_columns(frame: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    if "raw_label" not in frame.columns:
        raise ValueError(f"expected a raw_label column, got columns {frame.columns}")
    raw = frame["raw_label"].cast(pl.String)
    complement = (frame["label_complement"].cast(pl.String) if "label_complement" in frame.columns
                  else pl.repeat(None, frame.height, dtype=pl.String, eager=True))
    return raw, complement


def mark_labels(frame: pl.DataFrame, *, kinds: Iterable[str] = ALL_KINDS,
                lexicon: nm.Lexicon | None = None) -> pl.DataFrame:
    """Both label lines with their personal data wrapped in markers (columns ``r``, ``c``),
    read together: a name cut at the end of the first line goes on in the second."""
    raw, complement = _label_columns(frame)
    return mark(raw, complement, label_context(raw), check_kinds(kinds), lexicon)


def find_label_pii(frame: pl.DataFrame, *, kinds: Iterable[str] = ALL_KINDS,
                   lexicon: nm.Lexicon | None = None) -> pl.DataFrame:
    """Spans of personal data in ``raw_label`` and ``label_complement`` (columns
    ``pii_spans`` and ``complement_pii_spans``), the two lines read together."""
    marked = mark_labels(frame, kinds=kinds, lexicon=lexicon)
    return pl.DataFrame({"pii_spans": spans_of(marked["r"]),
                         "complement_pii_spans": spans_of(marked["c"])})


def mask_labels(frame: pl.DataFrame, *, kinds: Iterable[str] = ALL_KINDS,
                lexicon: nm.Lexicon | None = None) -> pl.DataFrame:
    """``frame`` with ``raw_label`` and ``label_complement`` masked (other columns as they
    were)."""
    marked = mark_labels(frame, kinds=kinds, lexicon=lexicon)
    out = frame.with_columns(masked_of(marked["r"]).alias("raw_label"))
    if "label_complement" in frame.columns:
        out = out.with_columns(masked_of(marked["c"]).alias("label_complement"))
    return out


def mask_counterparty_iban(ibans: pl.Series) -> pl.Series:
    """IBANs to the canonical masked form ``FR76****1234``; masked ones stay; a value that
    is no IBAN at all becomes null rather than be stored as it is."""
    compact = ibans.cast(pl.String).str.replace_all(r"[\s\-]", "").str.to_uppercase()
    masked_already = compact.str.contains(r"^[A-Z]{2}[0-9]{2}\*+[0-9A-Z]{0,4}$")
    full = compact.str.contains(r"^[A-Z]{2}[0-9]{2}[0-9A-Z]{8,30}$")
    return (compact.to_frame("v")
            .select(pl.when(masked_already).then(pl.col("v"))
                    .when(full).then(pl.col("v").str.head(4) + "****" + pl.col("v").str.tail(4))
                    .otherwise(None).alias(ibans.name)))[ibans.name]


#: A label can only hold something to mask if it has an e-mail sign, an international
#: phone prefix, seven digits in a row, digits grouped the way people type phones, IBANs,
#: card and social security numbers (`06 12 34`, `06.12.34.56`, `3000 6000`), or if it is
#: a transfer or a direct debit (names). Dates such as `281124` or `28.11.24` are not.
_MAYBE_PII = (r"@|\+\d|\d{7}|\d\d \d\d \d\d|\d\d\.\d\d\.\d\d\.\d\d|\d\d-\d\d-\d\d"
              r"|\d{4} \d{4}")


#: The columns ``mask_transactions`` changes.
_MASKED = ("raw_label", "label_complement", "counterparty_name", "counterparty_iban")


def mask_transactions(frame: pl.DataFrame, *, lexicon: nm.Lexicon | None = None) -> pl.DataFrame:
    """What ingestion stores for analytics: labels masked, a person's counterparty name
    replaced by ``<NAME>`` (a company's kept), counterparty IBANs in masked form.

    Rows that cannot hold personal data (most card payments) skip the costly passes; the
    result is the same as masking every row.
    """
    labels = frame["raw_label"].cast(pl.String)
    text = frame.select(pl.concat_str(
        [pl.col("raw_label"), pl.col("label_complement") if "label_complement" in frame.columns
         else pl.lit(None, dtype=pl.String)], separator=" ", ignore_nulls=True)).to_series()
    context = label_context(labels)
    maybe = context.is_in(["transfer", "direct_debit"]) | text.str.contains(
        _MAYBE_PII).fill_null(False)
    for column in ("counterparty_name", "counterparty_iban"):
        if column in frame.columns:
            maybe = maybe | frame[column].is_not_null()
    if maybe.all():
        return _mask_every_row(frame, lexicon, context)
    # Only the masked columns are read and change, and a row's masking depends on its own
    # values alone: each distinct row that may hold personal data is masked once (labels
    # repeat: the monthly rent, the same direct debit), then put back in place.
    columns = [c for c in _MASKED if c in frame.columns]
    rows = frame.select(columns).filter(maybe)
    distinct = rows.unique(maintain_order=True)
    masked = _mask_every_row(distinct, lexicon).select(
        pl.col(c).alias(f"_masked_{c}") for c in columns)
    found = rows.join(pl.concat([distinct, masked], how="horizontal"), on=columns, how="left",
                      nulls_equal=True, maintain_order="left")
    where = maybe.arg_true()
    return frame.with_columns(frame[c].clone().scatter(where, found[f"_masked_{c}"])
                              for c in columns)


def _mask_every_row(frame: pl.DataFrame, lexicon: nm.Lexicon | None,
                    context: pl.Series | None = None) -> pl.DataFrame:
    """``frame`` masked; ``context`` is each row's ``label_context`` when already known."""
    raw, complement = _label_columns(frame)
    context = label_context(raw) if context is None else context
    marked = mark(raw, complement, context, ALL_KINDS, lexicon)
    out = frame.with_columns(masked_of(marked["r"]).alias("raw_label"))
    if "label_complement" in frame.columns:
        out = out.with_columns(masked_of(marked["c"]).alias("label_complement"))
    if "counterparty_name" in frame.columns:
        named = marked.select(
            pl.col("r").str.contains(OPEN["name"], literal=True).fill_null(False)
            | pl.col("c").str.contains(OPEN["name"], literal=True).fill_null(False))
        out = out.with_columns(_mask_counterparty_name(
            frame["counterparty_name"], named.to_series(), context == "transfer", lexicon))
    if "counterparty_iban" in frame.columns:
        out = out.with_columns(mask_counterparty_iban(frame["counterparty_iban"]))
    return out


def _mask_counterparty_name(names: pl.Series, label_has_name: pl.Series,
                            transfer: pl.Series, lexicon: nm.Lexicon | None) -> pl.Series:
    """A counterparty is a person when its name reads as a name and the label itself
    names a person, or, in a transfer, when it is a titled or lexicon-vouched person's
    name (a direct debit's creditor is a company unless its label says otherwise). Each
    distinct name is looked at once."""
    names = names.cast(pl.String)
    distinct = names.drop_nulls().unique()
    sure, maybe = nm.person_names(distinct, nm.name_rules(lexicon or nm.Lexicon.bundled()))
    verdicts = pl.DataFrame({"n": distinct, "sure": sure, "maybe": maybe})
    frame = (pl.DataFrame({"n": names, "has": label_has_name, "transfer": transfer})
             .join(verdicts, on="n", how="left", maintain_order="left"))
    person = ((frame["sure"] & frame["transfer"]) | (frame["maybe"] & frame["has"])
              ).fill_null(False)
    return (frame.with_columns(p=person)
            .select(pl.when(pl.col("p")).then(pl.lit(TOKENS["name"]))
                    .otherwise(pl.col("n")).alias(names.name)))[names.name]
