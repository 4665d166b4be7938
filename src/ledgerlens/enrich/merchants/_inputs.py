"""What merchant matching reads of each row: the text to match, the MCC, the counterparty
name and the transaction type, with the match keys of the text and the counterparty.

As Polars expressions for a frame (``input_text_expr``, ``optional_expr``, ``key_exprs``),
and in plain Python for a few rows (``quick_inputs``): a Polars query costs a few hundred
microseconds whatever its size, most of a one-transaction call. The Python path gives the
same strings: ASCII texts (bank labels, nearly always) go through the same regexes with
ASCII semantics, which is what Unicode semantics reduce to on ASCII text; any other text
is left to the Polars expressions (one query for the frame).
"""

from __future__ import annotations

import functools
import re

import polars as pl

from ledgerlens.enrich.merchants._candidates import (
    _CARD,
    _DATE,
    _MAX_CHARS,
    _TIME,
    DOTTED_INITIALS,
    NUMBER_OR_NAME,
    match_key_expr,
)
from ledgerlens.exceptions import DataError

__all__ = ["RowInputs", "input_text_expr", "key_exprs", "optional_expr", "quick_inputs"]

_LEADING_PAYMENT_WORDS = (
    r"^(?:(?:CB|CARTE|PAIEMENT|PAIEMT|PAR|ACHAT|FACTURE|FACT|PRLV|PRELEVEMENT|SEPA|VIR|"
    r"VIREMENT|EUROPEEN|EMIS|RECU|INST|INSTANTANE)\b[\s*:/.\-]*)+")

#: One row as the matcher reads it: (text, MCC, counterparty, transaction type, match key
#: of the text, match key of the counterparty ("" when there is none)).
RowInputs = tuple[str, str | None, str | None, str | None, str, str]


def input_text_expr(columns: list[str]) -> pl.Expr:
    """The text to match: ``merchant_text``, else ``clean_label``, else the upper-cased
    ``raw_label`` with its ``label_complement`` (the second line of two-line banks)."""
    if "merchant_text" in columns:
        return pl.col("merchant_text").cast(pl.String).fill_null("")
    if "clean_label" in columns:
        return pl.col("clean_label").cast(pl.String).fill_null("")
    if "raw_label" not in columns:
        raise DataError(f"merchant matching needs merchant_text, clean_label or raw_label; "
                        f"got columns {columns}")
    parts = [pl.col("raw_label").cast(pl.String).fill_null("")]
    if "label_complement" in columns:
        parts.append(pl.col("label_complement").cast(pl.String).fill_null(""))
    # Without the cleaning step, at least drop the leading payment words ("CB", "PRLV
    # SEPA", "PAIEMENT PAR CARTE"): the scorer learned on names that start the text.
    return (pl.concat_str(parts, separator=" ").str.to_uppercase().str.strip_chars()
            .str.replace(_LEADING_PAYMENT_WORDS, ""))


def optional_expr(columns: list[str], name: str) -> pl.Expr:
    """Column ``name`` as strings, or nulls when the frame has none."""
    if name in columns:
        return pl.col(name).cast(pl.String)
    return pl.lit(None, dtype=pl.String)


@functools.cache
def key_exprs() -> tuple[pl.Expr, pl.Expr]:
    """The match keys of ``_t`` and ``_c`` (built once per process)."""
    return match_key_expr(pl.col("_t")), match_key_expr(pl.col("_c"))


# -- the same in Python, for ASCII texts ---------------------------------------------------
# On ASCII text, the Unicode classes of the Rust regexes (\b, \d, \s) are the ASCII ones,
# and to_uppercase, NFKD and the mark removal change nothing but the case.
_LEADING = re.compile(_LEADING_PAYMENT_WORDS, re.ASCII)
_NOISE = tuple(re.compile(p, re.ASCII) for p in (_DATE, _TIME, _CARD))
_INITIALS = tuple(re.compile(p, re.ASCII) for p in DOTTED_INITIALS)
_NON_WORD = re.compile(r"[^A-Z0-9&]+", re.ASCII)
_NUMBER = re.compile(NUMBER_OR_NAME, re.ASCII)
_SPACES = re.compile(r" {2,}", re.ASCII)
#: ``str.strip_chars()`` strips Unicode White_Space: in ASCII, these (not Python's
#: ``str.strip()`` set, which adds the separators \x1c-\x1f).
_WHITE_SPACE = " \t\n\x0b\x0c\r"


def ascii_match_key(text: str) -> str:
    """``match_key_expr`` of an ASCII text (same string)."""
    key = text[:_MAX_CHARS].upper()
    for pattern in _NOISE:
        key = pattern.sub(" ", key)
    for pattern in _INITIALS:
        key = pattern.sub(lambda m: "".join(m.groups()), key)
    key = _NON_WORD.sub(" ", key.replace("&", " & "))
    return _SPACES.sub(" ", _NUMBER.sub(r"\1 \2", key)).strip(" ")


def _ascii_raw_text(parts: list[str]) -> str:
    """``input_text_expr`` of ASCII ``raw_label`` (+ ``label_complement``) parts."""
    return _LEADING.sub("", " ".join(parts).upper().strip(_WHITE_SPACE), count=1)


def _strings(frame: pl.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * frame.height
    return frame.get_column(name).cast(pl.String).to_list()


def _filled(values: list[str | None]) -> list[str]:
    return ["" if v is None else v for v in values]


def quick_inputs(frame: pl.DataFrame) -> list[RowInputs]:
    """``RowInputs`` of each row of a small frame: what ``input_text_expr``, ``optional_expr``
    and ``key_exprs`` give, computed in Python when the texts are ASCII."""
    cols = frame.columns
    party = _strings(frame, "counterparty_name")
    texts: list[str] | None
    if "merchant_text" in cols or "clean_label" in cols:
        texts = _filled(_strings(frame, "merchant_text" if "merchant_text" in cols
                                 else "clean_label"))
    else:
        if "raw_label" not in cols:
            input_text_expr(cols)  # raises the frame path's error
        lines = [_filled(_strings(frame, c)) for c in ("raw_label", "label_complement")
                 if c in cols]
        rows = list(zip(*lines, strict=True))
        texts = ([_ascii_raw_text(list(r)) for r in rows]
                 if all(p.isascii() for r in rows for p in r) else None)
    if texts is not None and all(t.isascii() for t in texts) and all(
            c is None or c.isascii() for c in party):
        keys = [ascii_match_key(t) for t in texts]
        party_keys = ["" if c is None else ascii_match_key(c) for c in party]
    else:  # a text beyond ASCII: the Polars expressions, one query for the frame
        t_key, c_key = key_exprs()
        done = frame.select(input_text_expr(cols).alias("_t"),
                            optional_expr(cols, "counterparty_name").alias("_c")).select(
            "_t", _kt=t_key, _kc=c_key)
        texts, keys, party_keys = (done[c].to_list() for c in ("_t", "_kt", "_kc"))
    mcc, types = _strings(frame, "mcc"), _strings(frame, "transaction_type")
    return list(zip(texts, mcc, party, types, keys, party_keys, strict=True))
