"""CFONB 120 records and fields: record splitting, signed amounts, dates, French IBANs.

Every record is 120 characters: ``01`` old balance, ``04`` movement, ``05`` movement
complement, ``07`` new balance. Shared zones: code (1-2), bank (3-7), branch (12-16),
currency (17-19), number of decimals (20), account (22-32), date ``DDMMYY`` (35-40) and,
in 01/04/07, the amount (91-104): 13 digits then one character carrying the last digit and
the sign (``{``, ``A``-``I`` positive 0-9; ``}``, ``J``-``R`` negative 0-9).
"""

from __future__ import annotations

import polars as pl

from ledgerlens.ingest.readers._statement_text import PADDING, decimal_amount, ymd_date

__all__ = [
    "RECORD_WIDTH",
    "amount_field",
    "ddmmyy",
    "encode_amount",
    "french_iban",
    "split_records",
]

RECORD_WIDTH = 120
_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"
_RIB_LETTERS = {c: str(v) for v, letters in enumerate(
    ["", "AJ", "BKS", "CLT", "DMU", "ENV", "FOW", "GPX", "HQY", "IRZ"]) for c in letters}


def split_records(text: str) -> pl.DataFrame:
    """One row per 120-character record: ``line_no, position, length, raw, rec``.

    A line of at most 120 characters is one record (right-padded: trailing spaces are often
    trimmed); a longer one is cut every 120 characters after trailing spaces are removed
    (files written without line breaks, or two records per 240-character line). Blank lines
    are skipped. ``raw`` is the record as found, ``rec`` padded to 120, ``length`` its size.
    """
    lines = (pl.DataFrame({"text": text.split("\n")}).with_row_index("line_no", offset=1)
             .filter(pl.col("text").str.contains("[^ \t]")))
    text_col = pl.col("text")
    long = text_col.str.len_chars() > RECORD_WIDTH
    short = lines.filter(~long).select(
        "line_no", pl.lit(0, pl.Int64).alias("part"), pl.lit(1, pl.Int64).alias("parts"),
        text_col.alias("raw"))
    cut = lines.filter(long)
    if cut.height:
        # rare and possibly huge lines: plain slicing, linear in their length
        rows = [(line_no, part, -(-len(body) // RECORD_WIDTH), body[k:k + RECORD_WIDTH])
                for line_no, raw in cut.select("line_no", "text").iter_rows()
                for body in [raw.rstrip(PADDING)]
                for part, k in enumerate(range(0, len(body), RECORD_WIDTH))]
        pieces = pl.DataFrame(rows, schema={"line_no": pl.UInt32, "part": pl.Int64,
                                            "parts": pl.Int64, "raw": pl.String}, orient="row")
        short = pl.concat([short, pieces]).sort("line_no", "part")
    position = pl.format("line {}", pl.col("line_no"))
    position = (pl.when(pl.col("parts") == 1).then(position)
                .otherwise(pl.format("line {}, record {}", pl.col("line_no"), pl.col("part") + 1)))
    return short.select(
        "line_no", position.alias("position"),
        pl.col("raw").str.len_chars().alias("length"), "raw",
        pl.col("raw").str.pad_end(RECORD_WIDTH, " ").alias("rec"),
    ).with_row_index("rec_no")


def ddmmyy(text: pl.Expr) -> pl.Expr:
    """A ``DDMMYY`` zone as a date (years 2000-2099); null when it is not a real day."""
    return ymd_date(pl.concat_str(pl.lit("20"), text.str.slice(4, 2), text.str.slice(2, 2),
                                  text.str.slice(0, 2)))


def amount_field(zone: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """The signed amount of a 14-character zone with ``decimals`` (a digit) decimals.

    Null when the zone is not 13 digits and a sign character, or when it has more decimals
    than an exact 2-decimal amount can hold (non-zero beyond the cents).
    """
    last = zone.str.slice(13, 1)
    digit = last.replace_strict({c: str(i % 10) for i, c in enumerate(_POSITIVE + _NEGATIVE)},
                                default=None, return_dtype=pl.String)
    digits = pl.concat_str(zone.str.slice(0, 13), digit)
    valid = zone.str.contains(r"^[0-9]{13}[\{\}A-R]$")
    cents: pl.Expr = pl.lit(None, pl.String)
    for scale in range(10):
        if scale <= 2:
            value = pl.concat_str(digits, pl.lit("0" * (2 - scale)))
        else:
            extra = scale - 2
            value = (pl.when(digits.str.ends_with("0" * extra))
                     .then(digits.str.slice(0, 14 - extra)))
        cents = pl.when(decimals == str(scale)).then(value).otherwise(cents)
    units = cents.str.slice(0, cents.str.len_chars() - 2)
    return pl.when(valid).then(
        decimal_amount(last.is_in(list(_NEGATIVE)), units, cents.str.slice(-2)))


def encode_amount(cents: int) -> str:
    """The 14-character zone of an amount in cents (2 decimals)."""
    text = f"{abs(cents):014d}"
    if len(text) > 14:
        raise ValueError(f"amount of {abs(cents)} cents does not fit 14 digits")
    signs = _NEGATIVE if cents < 0 else _POSITIVE
    return text[:13] + signs[int(text[13])]


def french_iban(bank: str, branch: str, account: str) -> str | None:
    """``FRkk`` + bank + branch + account + RIB key, or None if the zones are not a RIB."""
    # ``isdigit`` alone takes superscripts and other scripts' digits, which ``int`` refuses.
    if not (len(bank) == 5 and bank.isascii() and bank.isdigit() and len(branch) == 5
            and branch.isascii() and branch.isdigit()
            and len(account) == 11 and account.isascii() and account.isalnum()):
        return None
    numeric = "".join(_RIB_LETTERS.get(c, c) for c in account.upper())
    key = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(numeric)) % 97)
    bban = f"{bank}{branch}{account.upper()}{key:02d}"
    as_digits = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(as_digits) % 97:02d}{bban}"
