"""CFONB 120 (French bank statement) files -> statement records, rejects and balances.

Records (see ``_cfonb_fields``): ``01`` old balance and ``07`` new balance frame a statement
of one account; each ``04`` movement gives one statement record with its ``05``
complements (those that follow it). Mapping:

- ``account_ref``: the IBAN built from bank, branch and account number (RIB key and IBAN
  check digits computed), or the three zones as they are when they are not a RIB;
- ``booking_date``: operation date (35-40); ``value_date``: value date (43-48), null if blank;
- ``amount`` from the signed zone and the number of decimals; ``currency`` (17-19);
- ``raw_label``: the 31-character label (49-79) continued by ``05 LIB`` (or unqualified)
  complements, pieces rejoined directly after a full field and with one space after a
  shorter one (trailing spaces are padding); ``label_complement``: ``05 LCC``/``LC2``
  texts rejoined the same way (null when there is none);
- ``counterparty_name``: ``05 NPY`` (payer) for credits, ``NBE`` (beneficiary) for debits;
  ``end_to_end_id``: ``05 RCN`` (its first 35 characters);
- ``bank_transaction_code``: ``CFONB-`` and the interbank operation code (33-34).

A ``04`` that cannot be trusted is a reject; so are complements without a movement,
unknown record codes (``malformed_record``), unreadable balances and, when every movement of
a statement was read, a statement whose movements do not add up (``balance_mismatch``).
"""

from __future__ import annotations

import polars as pl

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._records import ReadResult, empty_balances, empty_rejects
from ledgerlens.ingest.readers._cfonb_fields import (
    amount_field,
    ddmmyy,
    french_iban,
    split_records,
)
from ledgerlens.ingest.readers._statement_text import (
    decode_statement,
    join_runs,
    records_frame,
    rejects_frame,
    width_join,
)
from ledgerlens.schema import AMOUNT_DTYPE, ISO_4217

__all__ = ["read_cfonb"]

FORMAT = "cfonb"
_LABEL_WIDTH, _INFO_WIDTH = 31, 70
_LABEL_QUALIFIERS = ["LIB", "   "]
_COMPLEMENT_QUALIFIERS = ["LCC", "LC2"]
_ISO = sorted(ISO_4217)


def read_cfonb(data: bytes, source: str) -> ReadResult:
    """Read a CFONB 120 file; raises ``IngestError`` when it holds no CFONB record at all."""
    recs = split_records(decode_statement(data, source, FORMAT))
    code, rec = pl.col("code"), pl.col("rec")
    recs = recs.with_columns(rec.str.slice(0, 2).alias("code"))
    if recs.filter(code.is_in(["01", "04", "05", "07"])).height == 0:
        raise IngestError(source, FORMAT, "line 1",
                          "no CFONB 120 record (code 01, 04, 05 or 07) was found")
    recs = _link(recs)
    movements = _movements(recs)
    balances, balance_rejects = _balances(recs)
    ok = pl.col("reason").is_null()
    others = recs.filter(~code.is_in(["01", "04", "05", "07"]) | (
        (code == "05") & (pl.col("anchor_code") != "04").fill_null(True))).select(
        pl.col("position").alias("source_position"),
        pl.lit("malformed_record").alias("reason"),
        pl.when(code == "05").then(pl.lit("complement record (05) without a movement (04) "
                                          "before it"))
        .otherwise(pl.format("record code '{}' is not 01, 04, 05 or 07", code)).alias("detail"),
        pl.col("raw").alias("raw_record"))
    mismatches = _mismatches(movements, balances)
    rejects = rejects_frame(pl.concat([
        movements.filter(~ok).select("source_position", "reason", "detail", "raw_record"),
        others, balance_rejects, mismatches]))
    complete = balances.filter(pl.col("opening_balance").is_not_null()
                               & pl.col("closing_balance").is_not_null())
    return ReadResult(
        FORMAT, records_frame(movements.filter(ok)),
        rejects if rejects.height else empty_rejects(),
        complete.select(empty_balances().columns) if complete.height else empty_balances())


def _link(recs: pl.DataFrame) -> pl.DataFrame:
    """Attach each 05 to the movement before it and each record to its open statement."""
    code = pl.col("code")
    main = code.is_in(["01", "04", "07"])
    open_id = (pl.when(code == "01").then(pl.col("rec_no").cast(pl.Int64))
               .when(code == "07").then(-1).forward_fill())
    return recs.with_columns(
        pl.when(main).then(code).forward_fill().alias("anchor_code"),
        pl.when(main).then(pl.col("rec_no")).forward_fill().alias("anchor"),
        pl.when(code == "07").then(open_id.shift(1)).otherwise(open_id).alias("block"),
    ).with_columns(pl.when(pl.col("block") >= 0).then(pl.col("block")).alias("block"))


def _zones(rec: pl.Expr) -> list[pl.Expr]:
    return [rec.str.slice(start, size).alias(name) for name, start, size in (
        ("bank", 2, 5), ("branch", 11, 5), ("currency_zone", 16, 3), ("decimals", 19, 1),
        ("account", 21, 11), ("date_text", 34, 6), ("amount_text", 90, 14))]


def _account_refs(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``account_ref`` (IBAN of its bank, branch and account zones)."""
    keys = frame.select("bank", "branch", "account").unique()
    refs = [french_iban(b, g, a) or (f"{b}{g}{a}".strip() or None)
            for b, g, a in keys.iter_rows()]
    keys = keys.with_columns(pl.Series("account_ref", refs, dtype=pl.String))
    return frame.join(keys, on=["bank", "branch", "account"], how="left", nulls_equal=True)


def _movements(recs: pl.DataFrame) -> pl.DataFrame:
    code, rec = pl.col("code"), pl.col("rec")
    moves = recs.filter(code == "04").with_columns(
        *_zones(rec), rec.str.slice(32, 2).str.strip_chars().alias("opcode"),
        rec.str.slice(42, 6).alias("value_text"), rec.str.slice(48, _LABEL_WIDTH).alias("label"))
    moves = _account_refs(moves).with_columns(
        ddmmyy(pl.col("date_text")).alias("booking_date"),
        ddmmyy(pl.col("value_text")).alias("value_date"),
        amount_field(pl.col("amount_text"), pl.col("decimals")).alias("amount"),
        pl.col("currency_zone").str.strip_chars().alias("currency"),
        pl.when(pl.col("opcode") != "").then(pl.format("CFONB-{}", pl.col("opcode")))
        .alias("bank_transaction_code"),
    )
    comps = recs.filter((code == "05") & (pl.col("anchor_code") == "04")).select(
        pl.col("anchor").alias("key"), rec.str.slice(45, 3).alias("qualifier"),
        rec.str.slice(48, _INFO_WIDTH).alias("piece"), pl.col("raw"))
    qualifier = pl.col("qualifier")
    label_pieces = pl.concat([
        moves.select(pl.col("rec_no").alias("key"), pl.col("label").alias("piece"),
                     pl.lit(_LABEL_WIDTH).alias("width")),
        comps.filter(qualifier.is_in(_LABEL_QUALIFIERS)).select(
            "key", "piece", pl.lit(_INFO_WIDTH).alias("width")),
    ]).sort("key", maintain_order=True)
    complement = comps.filter(qualifier.is_in(_COMPLEMENT_QUALIFIERS))
    raw = join_runs(pl.concat([moves.select(pl.col("rec_no").alias("key"), "raw"),
                               comps.select("key", "raw")]).sort("key", maintain_order=True),
                    "key", "raw", sep="\n").rename({"text": "raw_record"})
    moves = (moves.drop("raw")
             .join(width_join(label_pieces, "key").rename({"text": "raw_label"}),
                   left_on="rec_no", right_on="key", how="left")
             .join(width_join(complement.with_columns(pl.lit(_INFO_WIDTH).alias("width")),
                              "key").rename({"text": "label_complement"}),
                   left_on="rec_no", right_on="key", how="left")
             .join(raw, left_on="rec_no", right_on="key", how="left"))
    for q in ("NPY", "NBE", "RCN"):
        first = (comps.filter(qualifier == q).unique("key", keep="first", maintain_order=True)
                 .select("key", pl.col("piece").str.strip_chars().alias(q)))
        moves = moves.join(first, left_on="rec_no", right_on="key", how="left")
    credit = pl.col("amount") > 0
    name = pl.when(credit).then(pl.coalesce("NPY", "NBE")).otherwise(pl.coalesce("NBE", "NPY"))
    rcn = pl.col("RCN").str.slice(0, 35).str.strip_chars()
    moves = moves.with_columns(
        pl.when(name != "").then(name).alias("counterparty_name"),
        pl.when((rcn != "") & (rcn.str.to_uppercase() != "NOTPROVIDED")).then(rcn)
        .alias("end_to_end_id"),
        pl.col("position").alias("source_position"),
    )
    return moves.with_columns(*_rejection())


def _rejection() -> list[pl.Expr]:
    """``reason`` and ``detail`` of the first check a movement fails (null when it passes)."""
    size = (pl.when(pl.col("length") != 120)
            .then(pl.format(" (the record has {} characters, expected 120)", pl.col("length")))
            .otherwise(pl.lit("")))
    checks: list[tuple[pl.Expr, str, pl.Expr]] = [
        (pl.col("length") < 104, "malformed_record",
         pl.lit("the record stops before the end of its amount zone")),
        (pl.col("booking_date").is_null(), "unparseable_date",
         pl.format("operation date '{}' is not a real DDMMYY date", pl.col("date_text"))),
        (pl.col("value_date").is_null() & (pl.col("value_text").str.strip_chars() != ""),
         "unparseable_date",
         pl.format("value date '{}' is not a real DDMMYY date", pl.col("value_text"))),
        (pl.col("amount").is_null(), "unparseable_amount",
         pl.concat_str(pl.lit("amount '"), pl.col("amount_text"), pl.lit("' with '"),
                       pl.col("decimals"), pl.lit("' decimals is not 13 digits and a sign "
                                                  "character ({, A-I, }, J-R) giving an exact "
                                                  "amount"))),
        (pl.col("currency") == "", "missing_currency", pl.lit("the currency zone is blank")),
        (~pl.col("currency").is_in(_ISO), "unknown_currency",
         pl.format("currency '{}' is not an ISO 4217 code", pl.col("currency"))),
        (pl.col("account_ref").is_null(), "missing_field", pl.lit("the account zones are blank")),
        (pl.col("raw_label").fill_null("") == "", "missing_field", pl.lit("the label is blank")),
    ]
    reason: pl.Expr = pl.lit(None, pl.String)
    detail: pl.Expr = pl.lit(None, pl.String)
    for failed, code, why in reversed(checks):
        reason = pl.when(failed.fill_null(True)).then(pl.lit(code)).otherwise(reason)
        detail = pl.when(failed.fill_null(True)).then(pl.concat_str(why, size)).otherwise(detail)
    return [reason.alias("reason"), detail.alias("detail")]


def _balances(recs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per statement (01 ... 07) its balances, and one reject per unreadable balance record."""
    code, rec = pl.col("code"), pl.col("rec")
    bal = _account_refs(recs.filter(code.is_in(["01", "07"])).with_columns(*_zones(rec)))
    bal = bal.with_columns(
        ddmmyy(pl.col("date_text")).alias("date"),
        amount_field(pl.col("amount_text"), pl.col("decimals")).alias("amount"),
        pl.col("currency_zone").str.strip_chars().alias("currency"),
    )
    reason = (pl.when(pl.col("length") < 104).then(pl.lit("malformed_record"))
              .when(pl.col("date").is_null()).then(pl.lit("unparseable_date"))
              .when(pl.col("amount").is_null()).then(pl.lit("unparseable_amount"))
              .when(~pl.col("currency").is_in(_ISO)).then(pl.lit("unknown_currency")))
    bal = bal.with_columns(reason.alias("reason"))
    rejects = bal.filter(pl.col("reason").is_not_null()).select(
        pl.col("position").alias("source_position"), "reason",
        pl.format("balance record {}: date '{}', amount '{}', currency '{}' cannot be read",
                  code, pl.col("date_text"), pl.col("amount_text"), pl.col("currency"))
        .alias("detail"),
        pl.col("raw").alias("raw_record"))
    good = bal.filter(pl.col("reason").is_null() & pl.col("block").is_not_null())
    opening = good.filter(code == "01").select(
        "block", "account_ref", "currency", pl.col("date").alias("opening_date"),
        pl.col("amount").alias("opening_balance"), pl.col("raw").alias("open_raw"))
    closing = good.filter(code == "07").group_by("block").agg(
        pl.col("date").first().alias("closing_date"),
        pl.col("amount").first().alias("closing_balance"),
        pl.col("raw").first().alias("close_raw"))
    starts = recs.filter(code == "01").select(
        pl.col("rec_no").cast(pl.Int64).alias("block"), "line_no",
        pl.int_range(1, pl.len() + 1).alias("stmt"))
    statements = (starts.join(opening, on="block", how="left")
                  .join(closing, on="block", how="left")
                  .with_columns(pl.format("statement {} (line {})", pl.col("stmt"),
                                          pl.col("line_no")).alias("source_position")))
    return statements, rejects


def _mismatches(movements: pl.DataFrame, statements: pl.DataFrame) -> pl.DataFrame:
    """One ``balance_mismatch`` per statement whose movements (all read) do not add up."""
    sums = movements.filter(pl.col("block").is_not_null()).group_by("block").agg(
        pl.col("amount").sum().cast(AMOUNT_DTYPE).alias("moved"),
        pl.col("reason").is_not_null().any().alias("has_rejects"))
    checked = (statements.filter(pl.col("opening_balance").is_not_null()
                                 & pl.col("closing_balance").is_not_null())
               .join(sums, on="block", how="left")
               .filter(~pl.col("has_rejects").fill_null(False))
               .with_columns(pl.col("moved").fill_null(0).cast(AMOUNT_DTYPE)))
    expected = (pl.col("opening_balance") + pl.col("moved")).cast(AMOUNT_DTYPE)
    return checked.filter(expected != pl.col("closing_balance")).select(
        "source_position", pl.lit("balance_mismatch").alias("reason"),
        pl.format("opening balance {} plus movements {} gives {}, the closing balance says {}",
                  pl.col("opening_balance"), pl.col("moved"), expected,
                  pl.col("closing_balance")).alias("detail"),
        pl.concat_str(pl.col("open_raw"), pl.col("close_raw"), separator="\n")
        .alias("raw_record"))
