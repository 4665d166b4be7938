"""MT940 lines, field tags, statements and ``:61:`` statement lines, as Polars frames.

``statement_lines`` splits a decoded file into lines and field tags (a line starting with
``:NN:``, ``:NNa:`` or ``:NS:`` opens a field, other lines continue it; SWIFT envelope lines
``{1:..}{2:..}{4:`` and the ``-``/``-}`` terminators close it). ``parse_balances`` reads
each statement's account, currency and balances; ``parse_lines61`` the movement lines.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ledgerlens.ingest.readers._statement_text import PADDING, decimal_amount, ymd_date
from ledgerlens.schema import ISO_4217

__all__ = ["parse_balances", "parse_lines61", "statement_lines"]

_TAG = r"^:([0-9]{2}[A-Z]?|NS):"
_LINE61 = (r"^(?<vdate>[0-9]{6})(?<entry>[0-9]{4})?(?<mark>R?[DC])(?<funds>[A-Z])?"
           r"(?<amount>[0-9][0-9,.]*)(?<type>[A-Z][A-Z0-9]{3})?(?<ref>.*)$")
_BALANCE = (r"^(?<mark>[CD])(?<date>[0-9]{6})(?<currency>[A-Z]{3})"
            r"(?<amount>[0-9][0-9,.]*)$")
_AMOUNT = r"^([0-9]{1,15})(?:,([0-9]{0,2}))?$"
_ACCOUNT_IBAN = r"^(?:[^/]*/)?([A-Z]{2}[0-9]{2}[A-Z0-9]{10,30})(?: +[A-Z]{3})?$"
_OPENING = ["60F", "60M", "60"]
_CLOSING = ["62F", "62M", "62"]
#: The mt-940 fallback sees at most this much of a line: its pattern backtracks.
_FALLBACK_CHARS = 200


def statement_lines(text: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(lines, tags)``: every line with the field that owns it, and every field tag.

    ``lines``: ``line_no, text, value, owner, is_tag_line`` (``owner`` null outside a field).
    ``tags``: ``tag_seq, tag, line_no, value, stmt, txn`` where ``txn`` is the ``tag_seq`` of
    the ``:61:`` a ``:61:`` or ``:86:`` belongs to.
    """
    lines = pl.DataFrame({"text": text.split("\n")}).with_row_index("line_no", offset=1)
    stripped = pl.col("text").str.strip_chars_end(PADDING)
    content = (pl.when(stripped.str.starts_with("{"))
               .then(stripped.str.extract(r"\{4:(.*)$", 1).fill_null(""))
               .otherwise(stripped))
    lines = lines.with_columns(content.alias("content")).with_columns(
        pl.col("content").str.extract(_TAG, 1).alias("tag"),
        ((pl.col("content") == "-") | pl.col("content").str.starts_with("-}")).alias("is_end"))
    is_tag = pl.col("tag").is_not_null()
    lines = lines.with_columns(is_tag.cum_sum().alias("tag_seq")).with_columns(
        pl.when(is_tag).then(pl.col("tag_seq")).when(pl.col("is_end")).then(0)
        .forward_fill().alias("owner"),
        pl.when(is_tag).then(pl.col("content").str.slice(pl.col("tag").str.len_chars() + 2))
        .otherwise(pl.col("content")).alias("value"),
        is_tag.alias("is_tag_line"),
    ).with_columns(pl.when(pl.col("owner") > 0).then(pl.col("owner")).alias("owner"))
    tags = lines.filter(is_tag).select("tag_seq", "tag", "line_no", "value")
    tag = pl.col("tag")
    first_is_20 = tags.height > 0 and tags.item(0, "tag") == "20"
    anchor_tag = pl.when(tag != "86").then(tag).forward_fill()
    anchor = pl.when(tag != "86").then(pl.col("tag_seq")).forward_fill()
    tags = tags.with_columns(
        ((tag == "20").cum_sum() + (0 if first_is_20 else 1)).alias("stmt"),
        pl.when(tag == "61").then(pl.col("tag_seq"))
        .when((tag == "86") & (anchor_tag == "61")).then(anchor).alias("txn"),
    )
    return lines.select("line_no", "text", "value", "owner", "is_tag_line"), tags


def _amount(text: pl.Expr, negative: pl.Expr) -> pl.Expr:
    """A SWIFT ``15d`` amount (digits, optional decimal comma, at most 2 decimals)."""
    parts = text.str.extract_groups(_AMOUNT)
    units, cents = parts.struct.field("1"), parts.struct.field("2").fill_null("")
    return pl.when(units.is_not_null()).then(
        decimal_amount(negative, units, cents.str.pad_end(2, "0")))


def parse_balances(tags: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(statements, rejects)``: per statement its account, currency and balances.

    ``statements``: ``stmt, stmt_position, account_ref, currency, opening_date,
    opening_balance, closing_date, closing_balance, balance_raw, source_position``;
    ``rejects``: one per opening/closing balance that cannot be read.
    """
    tag = pl.col("tag")
    firsts = tags.group_by("stmt", maintain_order=True).agg(
        pl.col("line_no").filter(tag == "20").first().fill_null(pl.col("line_no").first())
        .alias("stmt_line"),
        pl.col("value").filter(tag == "25").first().str.strip_chars().alias("account"))
    kind = pl.when(tag.is_in(_OPENING)).then(pl.lit("opening")).otherwise(pl.lit("closing"))
    seq = pl.col("tag_seq")
    bal = (tags.filter(tag.is_in(_OPENING + _CLOSING)).with_columns(kind.alias("kind"))
           .filter(pl.when(pl.col("kind") == "opening").then(seq == seq.min().over("stmt", "kind"))
                   .otherwise(seq == seq.max().over("stmt", "kind"))))
    groups = pl.col("value").str.extract_groups(_BALANCE)
    bal = bal.with_columns(
        groups.struct.field("mark").alias("mark"),
        groups.struct.field("date").alias("date_text"),
        groups.struct.field("currency").alias("bal_currency"),
        groups.struct.field("amount").alias("amount_text"),
        pl.col("value").str.extract(r"^[CD]?[0-9]{6}([A-Z]{3})", 1).alias("loose_currency"),
    ).with_columns(
        ymd_date(pl.concat_str(pl.lit("20"), pl.col("date_text"))).alias("date"),
        _amount(pl.col("amount_text"), pl.col("mark") == "D").alias("amount"),
    )
    reason = (pl.when(pl.col("mark").is_null()).then(pl.lit("malformed_record"))
              .when(pl.col("date").is_null()).then(pl.lit("unparseable_date"))
              .when(pl.col("amount").is_null()).then(pl.lit("unparseable_amount"))
              .when(~pl.col("bal_currency").is_in(sorted(ISO_4217)))
              .then(pl.lit("unknown_currency")))
    bal = bal.with_columns(reason.alias("reason"))
    rejects = bal.filter(pl.col("reason").is_not_null()).select(
        pl.format("statement {} / :{}: (line {})", pl.col("stmt"), tag, pl.col("line_no"))
        .alias("source_position"),
        "reason",
        pl.format("balance '{}' is not 1!a6!n3!a15d (mark, YYMMDD date, currency, amount)",
                  pl.col("value")).alias("detail"),
        pl.format(":{}:{}", tag, pl.col("value")).alias("raw_record"),
    )
    good = pl.col("reason").is_null()
    wide = bal.group_by("stmt").agg(
        *[pl.col(c).filter(good & (pl.col("kind") == k)).first().alias(f"{k}_{n}")
          for k in ("opening", "closing") for c, n in (("date", "date"), ("amount", "balance"))],
        pl.col("loose_currency").filter(pl.col("kind") == "opening").first().alias("cur_open"),
        pl.col("loose_currency").filter(pl.col("kind") == "closing").first().alias("cur_close"),
        pl.format(":{}:{}", tag, pl.col("value")).str.join("\n").alias("balance_raw"),
    )
    account = pl.col("account")
    statements = firsts.join(wide, on="stmt", how="left").with_columns(
        pl.format("statement {} (line {})", pl.col("stmt"), pl.col("stmt_line"))
        .alias("stmt_position"),
        pl.when(account != "").then(
            pl.coalesce(account.str.extract(_ACCOUNT_IBAN, 1), account)).alias("account_ref"),
        pl.coalesce("cur_open", "cur_close").alias("currency"),
    ).with_columns(pl.col("stmt_position").alias("source_position"))
    return statements, rejects


def parse_lines61(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the fields of each ``:61:`` (``line``, continuation in ``extra``) to ``frame``.

    Adds ``matched, value_text, entry_text, amount_text, value_date, booking_date, amount,
    bank_transaction_code``.
    """
    groups = pl.col("line").str.extract_groups(_LINE61)
    names = ("vdate", "entry", "mark", "amount_raw", "type")
    fields = ("vdate", "entry", "mark", "amount", "type")
    frame = frame.with_columns(
        *[groups.struct.field(f).alias(n) for n, f in zip(names, fields, strict=True)])
    frame = _fallback(frame)
    value_date = ymd_date(pl.concat_str(pl.lit("20"), pl.col("vdate")))
    frame = frame.with_columns(
        pl.col("vdate").is_not_null().alias("matched"),
        pl.col("vdate").alias("value_text"),
        pl.col("entry").alias("entry_text"),
        pl.col("amount_raw").alias("amount_text"),
        value_date.alias("value_date"),
        _amount(pl.col("amount_raw"), pl.col("mark").is_in(["D", "RC"])).alias("amount"),
        pl.when(pl.col("type").is_not_null())
        .then(pl.concat_str(pl.lit("SWIFT-"), pl.col("type"))).alias("bank_transaction_code"),
    )
    same_day = pl.col("entry").is_null() | (pl.col("entry") == pl.col("vdate").str.slice(2, 4))
    frame = frame.with_row_index("_row").with_columns(
        pl.when(same_day).then(pl.col("value_date")).alias("booking_date"))
    # only entries on another day than the value date need their year worked out
    moved = frame.filter(~same_day).select("_row", _booking_date().alias("booking_date"))
    return frame.update(moved, on="_row", how="left").drop("_row")


def _booking_date() -> pl.Expr:
    """The ``MMDD`` entry date in the year that puts it closest to the value date."""
    value_date, entry = pl.col("value_date"), pl.col("entry")
    year = value_date.dt.year()
    candidates = [ymd_date(pl.format("{}{}", year + step, entry)) for step in (0, -1, 1)]
    gaps = [(c - value_date).dt.total_days().abs() for c in candidates]
    best = pl.min_horizontal(gaps)
    chosen = (pl.when(gaps[0] == best).then(candidates[0])
              .when(gaps[1] == best).then(candidates[1])
              .when(gaps[2] == best).then(candidates[2]))
    return pl.when(entry.is_null()).then(value_date).otherwise(chosen)


def _fallback(frame: pl.DataFrame) -> pl.DataFrame:
    """Retry lines the strict pattern refused with the mt-940 library's lenient one."""
    todo = frame.with_row_index("_row").filter(
        pl.col("vdate").is_null() & pl.col("line").is_not_null())
    if todo.height == 0:
        return frame
    from mt940.tags import Tags  # lenient pattern of a maintained parser, needed only here

    pattern = Tags.STATEMENT.value.re
    rows: list[dict[str, Any]] = []
    for row, line, extra in todo.select("_row", "line", "extra").iter_rows():
        value = line[:_FALLBACK_CHARS] + ("\n" + extra[:_FALLBACK_CHARS] if extra else "")
        match = pattern.match(value)
        if match is None:
            continue
        g = match.groupdict()
        entry = f"{g['entry_month'] or ''}{g['entry_day'] or ''}"
        rows.append({
            "_row": row,
            "vdate": f"{g['year']}{g['month']}{g['day']}",
            "entry": entry if entry.isdigit() and len(entry) == 4 else None,
            "mark": g["status"].upper(),
            "amount_raw": g["amount"],
            "type": (g["id"] or "").strip().upper() or None,
        })
    if not rows:
        return frame
    fixes = pl.DataFrame(rows, schema={"_row": pl.UInt32, "vdate": pl.String,
                                       "entry": pl.String, "mark": pl.String,
                                       "amount_raw": pl.String, "type": pl.String})
    return (frame.with_row_index("_row").update(fixes, on="_row", how="left")
            .drop("_row"))
