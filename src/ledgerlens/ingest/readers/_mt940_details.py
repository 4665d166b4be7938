"""The ``:86:`` information-to-account-owner field of MT940, in the three forms banks write.

- **structured** (German DFÜ / Dutch "gestructureerd" banks): ``GVC?00booking text?20..?29
  purpose?30 bank?31 account?32..?33 name?60..?63 more purpose``. The character after the
  three-digit business code is the subfield separator (``?`` almost always); a file may
  also start straight with ``?00``. Lines are joined as they are, subfields concatenated:
  ``raw_label`` is ``?20..?29`` (or the booking text ``?00`` when there is none),
  ``label_complement`` is ``?60..?63`` (null when absent), the counterparty is ``?32?33``
  (name) and ``?31`` (when it is an IBAN), the end-to-end id the ``EREF+`` key.
- **slash** (ING, ABN AMRO, Rabobank SEPA layouts): ``/EREF/../NAME/../REMI/..``; a value
  runs to the next known ``/CODE/`` and loses one trailing ``/``. ``raw_label`` is ``REMI``
  (without its ``USTD//`` qualifier) or the whole field when there is no ``REMI``;
  ``label_complement`` is ``ADDI``; counterparty from ``NAME``/``IBAN`` or ``CNTP``.
- **free text**: anything else. Lines are rejoined by the shared width rule (directly
  after a full 65-character line, with one space after a shorter one); no complement.
"""

from __future__ import annotations

import re

import polars as pl

from ledgerlens.ingest.readers._statement_text import join_runs

__all__ = [
    "DETAILS_WIDTH",
    "SEPARATORS",
    "SLASH_CODES",
    "SLASH_TOKEN",
    "STRUCTURED_START",
    "parse_details",
]

#: Characters of one ``:86:`` line (SWIFT 6*65x).
DETAILS_WIDTH = 65

#: Subfield separators of the structured form, ``?`` first (the one banks use).
SEPARATORS = "?@#$%&*+=^|~!;"
_SEP_CLASS = "[" + "".join("\\" + c for c in SEPARATORS) + "]"

#: A structured field: business code and separator then a subfield number, or ``?NN``.
STRUCTURED_START = rf"^(?:[0-9]{{3}}({_SEP_CLASS})|\?)[0-9]{{2}}"

#: Codes of the slash form (ING, ABN AMRO, Rabobank); ``ADDI`` carries the complement.
SLASH_CODES = ("EREF", "PREF", "MARF", "CSID", "CNTP", "REMI", "PURP", "ULTC", "ULTD", "ULTB",
               "EXCH", "CHGS", "RTRN", "TRCD", "TRTP", "BENM", "ORDP", "NAME", "ADDR", "ISDT",
               "SVCL", "IBAN", "BIC", "ID", "ADDI", "OCMT")
SLASH_TOKEN = "/(" + "|".join(SLASH_CODES) + ")/"

_LABEL_CODES = [f"{n}" for n in range(20, 30)]
_COMPLEMENT_CODES = ["60", "61", "62", "63"]
_SEPA_KEYS = "EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC"
_IBAN_SHAPE = r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"
# Marks for splitting in Polars; a file's own control characters of these kinds are replaced.
_PART, _CODE_END = "\x1f", "\x1e"


def parse_details(details: pl.DataFrame) -> pl.DataFrame:
    """Label, complement, counterparty and end-to-end id of each ``:86:``.

    ``details`` has ``key``, ``joined`` (lines concatenated) and ``free`` (lines rejoined by
    the width rule); the result has ``key, raw_label, label_complement, counterparty_name,
    counterparty_iban, end_to_end_id`` (``raw_label`` null when the field says nothing).
    """
    joined = pl.col("joined")
    styled = details.with_columns(
        pl.when(joined.str.contains(STRUCTURED_START)).then(pl.lit("structured"))
        .when(joined.str.contains("^" + SLASH_TOKEN)).then(pl.lit("slash"))
        .otherwise(pl.lit("free")).alias("style"),
        joined.str.replace_all(r"[\x1e\x1f]", "\ufffd").alias("joined"),
    )
    free = styled.filter(pl.col("style") == "free").select(
        "key",
        pl.when(pl.col("free") != "").then(pl.col("free")).alias("raw_label"),
        pl.lit(None, pl.String).alias("label_complement"),
        pl.lit(None, pl.String).alias("counterparty_name"),
        pl.lit(None, pl.String).alias("counterparty_iban"),
        pl.lit(None, pl.String).alias("end_to_end_id"),
    )
    parts = [free,
             _structured(styled.filter(pl.col("style") == "structured")),
             _slash(styled.filter(pl.col("style") == "slash"))]
    return pl.concat(parts, how="vertical")


def _exploded(frame: pl.DataFrame, marked: pl.Expr) -> pl.DataFrame:
    """One row per subfield: ``key, code, value`` (text before the first subfield dropped)."""
    return (frame.select("key", marked.str.split(_PART).alias("part"))
            .with_columns(pl.int_ranges(pl.col("part").list.len()).alias("pos"))
            .explode("part", "pos")
            .filter(pl.col("pos") > 0))


def _structured(frame: pl.DataFrame) -> pl.DataFrame:
    joined = pl.col("joined")
    body = frame.select(
        "key",
        pl.when(joined.str.starts_with("?")).then(joined).otherwise(joined.str.slice(3)),
        joined.str.extract(STRUCTURED_START, 1).fill_null("?").alias("sep"),
    )
    marked = pl.lit(None, pl.String)
    for sep in body.get_column("sep").unique().to_list():
        marked = (pl.when(pl.col("sep") == sep)
                  .then(pl.col("joined").str.replace_all(re.escape(sep) + "([0-9]{2})",
                                                         _PART + "${1}"))
                  .otherwise(marked))
    sub = _exploded(body, marked).select(
        "key", pl.col("part").str.slice(0, 2).alias("code"),
        pl.col("part").str.slice(2).alias("value"))
    code = pl.col("code")
    out = (frame.select("key")
           .join(_concat(sub, code.is_in(_LABEL_CODES), "label"), on="key", how="left")
           .join(_concat(sub, code.is_in(_COMPLEMENT_CODES), "complement"), on="key", how="left")
           .join(_concat(sub, code.is_in(["32", "33"]), "name"), on="key", how="left")
           .join(_first(sub, "00", "booking_text"), on="key", how="left")
           .join(_first(sub, "31", "account"), on="key", how="left"))
    name, account = pl.col("name").str.strip_chars(), pl.col("account").str.strip_chars()
    return out.select(
        "key",
        pl.coalesce("label", "booking_text").alias("raw_label"),
        pl.col("complement").alias("label_complement"),
        pl.when(name != "").then(name).alias("counterparty_name"),
        pl.when(account.str.contains(_IBAN_SHAPE)).then(account).alias("counterparty_iban"),
        pl.col("label").str.extract(rf"EREF\+(.*?)(?:(?:{_SEPA_KEYS})\+|$)", 1)
        .str.strip_chars().alias("end_to_end_id"),
    ).with_columns(_null_reference("end_to_end_id"))


def _concat(sub: pl.DataFrame, which: pl.Expr, name: str) -> pl.DataFrame:
    """``key, name``: the chosen subfields of each key, concatenated (absent when it has none)."""
    return join_runs(sub.filter(which), "key", "value").rename({"text": name})


def _first(sub: pl.DataFrame, code: str, name: str) -> pl.DataFrame:
    """``key, name``: the first subfield ``code`` of each key."""
    return (sub.filter(pl.col("code") == code).unique("key", keep="first", maintain_order=True)
            .select("key", pl.col("value").alias(name)))


def _slash(frame: pl.DataFrame) -> pl.DataFrame:
    marked = pl.col("joined").str.replace_all(SLASH_TOKEN, _PART + "${1}" + _CODE_END)
    sub = _exploded(frame, marked).select(
        "key", pl.col("part").str.split_exact(_CODE_END, 1).alias("split"))
    value = pl.col("split").struct.field("field_1")
    sub = sub.select(
        "key",
        pl.col("split").struct.field("field_0").alias("code"),
        pl.when(value.str.ends_with("/")).then(value.str.slice(0, value.str.len_chars() - 1))
        .otherwise(value).alias("value"),
    )
    out = frame.select("key", "joined")
    for slash_code in ("REMI", "ADDI", "NAME", "IBAN", "CNTP", "EREF"):
        out = out.join(_first(sub, slash_code, slash_code), on="key", how="left")
    cntp = pl.col("CNTP").str.split("/")
    remi = pl.col("REMI")
    name = pl.coalesce(pl.col("NAME"), cntp.list.get(2, null_on_oob=True)).str.strip_chars()
    iban = pl.coalesce(pl.col("IBAN"), cntp.list.first()).str.strip_chars()
    return out.select(
        "key",
        pl.when(remi.is_null()).then(pl.col("joined"))
        .when(remi.str.starts_with("USTD//")).then(remi.str.slice(6))
        .otherwise(remi).alias("raw_label"),
        pl.col("ADDI").alias("label_complement"),
        pl.when(name != "").then(name).alias("counterparty_name"),
        pl.when(iban.str.contains(_IBAN_SHAPE)).then(iban).alias("counterparty_iban"),
        pl.col("EREF").str.strip_chars().alias("end_to_end_id"),
    ).with_columns(_null_reference("end_to_end_id"))


def _null_reference(name: str) -> pl.Expr:
    ref = pl.col(name)
    return pl.when((ref != "") & (ref.str.to_uppercase() != "NOTPROVIDED")).then(ref).alias(name)
