"""SWIFT MT940 customer statements -> statement records, rejects and declared balances.

A file holds one or more statements (``:20:`` blocks, with or without the SWIFT ``{1:..}{4:``
envelope and ``-`` / ``-}`` terminators), for one or more accounts. Per statement: ``:25:``
account (``BIC/IBAN`` gives the IBAN), ``:60F:``/``:60M:`` opening and ``:62F:``/``:62M:``
closing balance (their currency is the statement's), and per movement a ``:61:`` line
``YYMMDD[MMDD](R)D|C[funds]amount,cc type reference[//bank reference]`` followed by its
``:86:`` details (see ``_mt940_details``). ``value_date`` is the ``YYMMDD`` date and
``booking_date`` the ``MMDD`` entry date (its year is the one closest to the value date),
or the value date when there is none; ``RC``/``RD`` reverse the sign. The transaction type
becomes ``bank_transaction_code`` as ``SWIFT-NTRF``. Trailing spaces of a line are padding.

The whole file is parsed with Polars expressions; only ``:61:`` lines that the strict
pattern refuses are retried, one by one, against the ``mt-940`` library's more lenient
pattern. A ``:61:`` that still cannot be trusted becomes a reject positioned
``statement 2 / :61: #5 (line 40)``; a statement whose movements do not add up from the
opening to the closing balance keeps its records and gets one ``balance_mismatch`` reject
(checked only when every movement of the statement was read).
"""

from __future__ import annotations

import polars as pl

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._records import ReadResult, empty_balances, empty_rejects
from ledgerlens.ingest.readers._mt940_details import DETAILS_WIDTH, parse_details
from ledgerlens.ingest.readers._mt940_lines import parse_balances, parse_lines61, statement_lines
from ledgerlens.ingest.readers._statement_text import (
    decode_statement,
    join_runs,
    records_frame,
    rejects_frame,
    width_join,
)
from ledgerlens.schema import AMOUNT_DTYPE, ISO_4217

__all__ = ["read_mt940"]

FORMAT = "mt940"


def read_mt940(data: bytes, source: str) -> ReadResult:
    """Read an MT940 file; raises ``IngestError`` only when it has no MT940 field at all.

    >>> from ledgerlens.ingest.readers._mt940 import read_mt940
    >>> text = (":20:S1\\n:25:FR7630006000011234567890189\\n:60F:C250101EUR100,00\\n"
    ...         ":61:2501030103D12,50NMSCNONREF\\n:86:CB BOULANGERIE 03/01\\n"
    ...         ":62F:C250103EUR87,50\\n")
    >>> read_mt940(text.encode(), "s.sta").records["raw_label"].to_list()
    ['CB BOULANGERIE 03/01']
    """
    lines, tags = statement_lines(decode_statement(data, source, FORMAT))
    if tags.height == 0:
        raise IngestError(source, FORMAT, "line 1",
                          "no MT940 field tag (':20:', ':25:', ':61:', ...) was found")
    statements, balance_rejects = parse_balances(tags)
    movements = _movements(lines, tags, statements)
    ok = pl.col("reason").is_null()
    records = records_frame(movements.filter(ok))
    movement_rejects = movements.filter(~ok).select(
        "source_position", "reason", "detail", "raw_record")
    mismatches = _balance_mismatches(movements, statements)
    rejects = rejects_frame(pl.concat([movement_rejects, balance_rejects, mismatches]))
    balances = statements.filter(pl.col("opening_balance").is_not_null()
                                 & pl.col("closing_balance").is_not_null())
    balances = balances.select(empty_balances().columns) if balances.height else empty_balances()
    return ReadResult(FORMAT, records, rejects if rejects.height else empty_rejects(), balances)


def _movements(lines: pl.DataFrame, tags: pl.DataFrame, statements: pl.DataFrame
               ) -> pl.DataFrame:
    """One row per ``:61:``: the record's columns, plus ``reason``/``detail`` when rejected."""
    owned = lines.join(tags.select("tag_seq", "tag", "txn"), left_on="owner",
                       right_on="tag_seq", how="inner").filter(pl.col("txn").is_not_null())
    raw = join_runs(owned, "txn", "text", sep="\n").rename({"text": "raw_record"})
    is61 = pl.col("tag") == "61"
    extra = join_runs(owned.filter(is61 & ~pl.col("is_tag_line") & (pl.col("value") != "")),
                      "txn", "value").rename({"text": "extra"})
    info = owned.filter(pl.col("tag") == "86").select(
        pl.col("txn").alias("key"), pl.col("value").alias("piece"),
        pl.lit(DETAILS_WIDTH).alias("width"))
    joined = join_runs(info, "key", "piece").rename({"text": "joined"})
    details = parse_details(joined.join(width_join(info, "key").rename({"text": "free"}),
                                        on="key"))
    heads = tags.filter(is61).select(
        "txn", "stmt", "line_no", pl.col("value").alias("line"),
        pl.col("tag_seq").cum_count().over("stmt").alias("nth"))
    frame = (heads.join(extra, on="txn", how="left")
             .join(raw, on="txn", how="left")
             .join(details, left_on="txn", right_on="key", how="left")
             .join(statements.select("stmt", "account_ref", "currency"), on="stmt", how="left"))
    parsed = parse_lines61(frame)
    return parsed.with_columns(
        pl.format("statement {} / :61: #{} (line {})",
                  pl.col("stmt"), pl.col("nth"), pl.col("line_no")).alias("source_position"),
        pl.coalesce(pl.col("raw_label"),
                    pl.when(pl.col("extra") != "").then(pl.col("extra"))).alias("raw_label"),
    ).with_columns(*_rejection())


def _rejection() -> list[pl.Expr]:
    """``reason`` and ``detail`` of the first check a movement fails (null when it passes)."""
    checks: list[tuple[pl.Expr, str, pl.Expr | str]] = [
        (pl.col("matched").not_(), "malformed_record",
         "statement line does not match 6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]"),
        (pl.col("value_date").is_null(), "unparseable_date",
         pl.format("value date '{}' is not a real YYMMDD date", pl.col("value_text"))),
        (pl.col("booking_date").is_null(), "unparseable_date",
         pl.format("entry date '{}' is not a real MMDD date", pl.col("entry_text"))),
        (pl.col("amount").is_null(), "unparseable_amount",
         pl.format("amount '{}' is not digits with an optional decimal comma and at most "
                   "2 decimals", pl.col("amount_text"))),
        (pl.col("account_ref").is_null(), "missing_field",
         "the statement has no :25: account identification"),
        (pl.col("currency").is_null(), "missing_currency",
         "the statement has no readable :60F:/:62F: balance to give the currency"),
        (~pl.col("currency").is_in(sorted(ISO_4217)), "unknown_currency",
         pl.format("currency '{}' is not an ISO 4217 code", pl.col("currency"))),
        (pl.col("raw_label").is_null(), "missing_field",
         "the movement has no :86: details and no supplementary details"),
    ]
    reason: pl.Expr = pl.lit(None, pl.String)
    detail: pl.Expr = pl.lit(None, pl.String)
    for failed, code, why in reversed(checks):
        why_expr = pl.lit(why) if isinstance(why, str) else why
        reason = pl.when(failed.fill_null(True)).then(pl.lit(code)).otherwise(reason)
        detail = pl.when(failed.fill_null(True)).then(why_expr).otherwise(detail)
    return [reason.alias("reason"), detail.alias("detail")]


def _balance_mismatches(movements: pl.DataFrame, statements: pl.DataFrame) -> pl.DataFrame:
    """One ``balance_mismatch`` reject per statement whose movements do not add up."""
    sums = movements.group_by("stmt").agg(
        pl.col("amount").sum().cast(AMOUNT_DTYPE).alias("moved"),
        pl.col("reason").is_not_null().any().alias("has_rejects"))
    checked = (statements.filter(pl.col("opening_balance").is_not_null()
                                 & pl.col("closing_balance").is_not_null())
               .join(sums, on="stmt", how="left")
               .filter(~pl.col("has_rejects").fill_null(False))
               .with_columns(pl.col("moved").fill_null(0).cast(AMOUNT_DTYPE)))
    expected = (pl.col("opening_balance") + pl.col("moved")).cast(AMOUNT_DTYPE)
    bad = checked.filter(expected != pl.col("closing_balance"))
    return bad.select(
        pl.col("stmt_position").alias("source_position"),
        pl.lit("balance_mismatch").alias("reason"),
        pl.format("opening balance {} plus movements {} gives {}, the closing balance says {}",
                  pl.col("opening_balance"), pl.col("moved"), expected,
                  pl.col("closing_balance")).alias("detail"),
        pl.col("balance_raw").alias("raw_record"),
    )
