"""Read ISO 20022 bank-to-customer cash reports: camt.053 statements, camt.052 account reports
and camt.054 debit/credit notifications, versions 001.02 to 001.08 (and later ones that keep
the same element names: elements are read by local name, in the message's own namespace).

Safety and speed: see ``_camt_document`` (no DTD, no entities, no network; the entries are
read column-wise with Polars regexes over each ``Ntry``'s plain XML text). Elements are
matched in the order the schema fixes.

Mapping: one record per ``TxDtls`` of a booked ``Ntry`` that has several (its own ``Amt``,
right after ``Refs``, or ``AmtDtls/TxAmt/Amt``; its ``CdtDbtInd`` or the entry's; a batched
detail without an amount is rejected, the entry amount cannot be split), one per ``Ntry``
otherwise, with the entry's own amount, sign, label and code first. Entries whose status is
``PDNG``, ``INFO`` or ``FUTR`` are not booked movements: each is one ``pending_not_booked``
reject at its ``Ntry`` position, with the entry's text, so that every entry is counted.

- ``booking_date``/``value_date`` <- ``BookgDt``/``ValDt`` (``Dt``, or the date of ``DtTm``);
  ``amount`` <- ``Amt`` signed by ``CdtDbtInd`` (``DBIT`` negative); ``currency`` <-
  ``Amt/@Ccy``, else the account's ``Ccy``.
- ``raw_label`` <- ``Ntry/AddtlNtryInf`` (``TxDtls/AddtlTxInf`` first for a batched detail),
  else the other one, else the ``RmtInf/Ustrd`` lines; ``label_complement`` <- the non-empty
  ``Ustrd`` lines joined by a space, unless they became the label. Text is kept exactly as
  the XML gives it.
- ``counterparty_name``/``counterparty_iban`` <- ``RltdPties``: the debtor of a credit, the
  creditor of a debit (``Nm`` or ``Pty/Nm``; ``...Acct/Id/IBAN`` or ``.../Othr/Id``).
- ``bank_transaction_code`` <- ``BkTxCd/Domn`` as ``PMNT-ICDT-ESCT``, else ``BkTxCd/Prtry/Cd``
  (the entry's code first, the detail's for a batched detail); ``end_to_end_id`` <-
  ``Refs/EndToEndId`` (``NOTPROVIDED`` is no id); ``account_ref`` <- ``Acct/Id/IBAN`` or
  ``Acct/Id/Othr/Id``.
- ``source_position``: ``Stmt[1]/Ntry[3]``, or ``Stmt[1]/Ntry[3]/NtryDtls/TxDtls[2]`` for a
  batched entry (``Rpt[...]`` and ``Ntfctn[...]`` for camt.052 and camt.054).

Balances: opening (``OPBD``, else ``PRCD``) and closing (``CLBD``) go to ``balances``. When
both are given and the statement's accepted movements in that currency do not add up to the
closing balance, the records are kept and ONE ``balance_mismatch`` reject is added at the
statement's position (``Stmt[2]``) saying by how much: it is about the statement, not a
movement, so the pipeline decides what to do with it.
"""

from __future__ import annotations

import decimal
import functools
from dataclasses import dataclass
from typing import Any

import polars as pl

from ledgerlens.ingest._records import (
    BALANCE_RECORD,
    MAX_RAW_RECORD,
    QUARANTINE_RECORD,
    STATEMENT_RECORD,
    ReadResult,
)
from ledgerlens.ingest.readers._camt_document import FORMAT, read_document
from ledgerlens.schema import AMOUNT_DTYPE, ISO_4217

__all__ = ["read_camt"]

#: Entry statuses of movements that are not booked (quarantined as ``pending_not_booked``).
_NOT_BOOKED_WHY = {"PDNG": "pending, not booked yet", "FUTR": "future entry, not booked yet",
                   "INFO": "for information only, not a booked movement"}
_NOT_BOOKED = list(_NOT_BOOKED_WHY)
_BALANCE_LIMIT, _SIGNS = decimal.Decimal("9999999999999999.995"), ("CRDT", "DBIT")
_AMOUNT_OK = r"^\d{1,16}(?:\.\d{0,2}0*)?$"
_DATE_OK = r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?$"
_ENTITIES = (["&lt;", "&gt;", "&quot;", "&apos;", "&#13;", "&amp;"],
             ["<", ">", '"', "'", "\r", "&"])
_AMT = r'<Amt(?: Ccy="([^"]*)")?>([^<]*)</Amt>'


def read_camt(data: bytes, source: str) -> ReadResult:
    """Read a camt.053/052/054 file; one record per booked movement, rejects for the rest."""
    document = read_document(data, source)
    ns, kind = document.ns, document.kind
    statements = [_Statement.read(c, ns, f"{kind}[{i}]")
                  for i, c in enumerate(document.containers, 1)]
    movements, not_booked = _movements(document.texts, document.counts, kind)
    good, rejects = _validate(movements, statements)
    balances = pl.DataFrame([s.balance_row() for s in statements if s.opening or s.closing],
                            schema=BALANCE_RECORD, orient="row")
    mismatches = _mismatches(good, rejects, balances, statements)
    return ReadResult(FORMAT, good.select(STATEMENT_RECORD.names()),
                      pl.concat([rejects.drop("container"), not_booked, mismatches]), balances)


def _text(element: Any, ns: str, path: str) -> str | None:
    found = element.find("/".join(ns + p for p in path.split("/")))
    return (found.text or None) if found is not None else None


@dataclass(frozen=True)
class _Statement:
    """A statement's (report's, notification's) position, account and booked balances."""

    where: str
    account: str | None
    currency: str | None
    opening: tuple[str, str | None, str | None, str | None] | None  # amount, Ccy, sign, date
    closing: tuple[str, str | None, str | None, str | None] | None
    raw_balances: str

    @classmethod
    def read(cls, stmt: Any, ns: str, where: str) -> _Statement:
        from lxml import etree

        found: dict[str, tuple[str, str | None, str | None, str | None]] = {}
        raw: list[str] = []
        for bal in stmt.iterchildren(ns + "Bal"):
            code = _text(bal, ns, "Tp/CdOrPrtry/Cd") or ""
            amount = bal.find(ns + "Amt")
            day = _text(bal, ns, "Dt/Dt") or (_text(bal, ns, "Dt/DtTm") or "")[:10] or None
            if code not in found and amount is not None:
                found[code] = (amount.text or "", amount.get("Ccy"),
                               _text(bal, ns, "CdtDbtInd"), day)
                raw.append(etree.tostring(bal, encoding="unicode", with_tail=False))
        account = _text(stmt, ns, "Acct/Id/IBAN") or _text(stmt, ns, "Acct/Id/Othr/Id")
        return cls(where, account, _text(stmt, ns, "Acct/Ccy"),
                   found.get("OPBD") or found.get("PRCD"), found.get("CLBD"), "".join(raw))

    def balance_row(self) -> tuple[Any, ...]:
        open_value, open_date = _signed(self.opening)
        close_value, close_date = _signed(self.closing)
        currency = (self.closing or self.opening or ("", None))[1]
        return (self.account, open_date, open_value, close_date, close_value, currency,
                self.where)


def _signed(found: tuple[str, str | None, str | None, str | None] | None) -> tuple[Any, Any]:
    """(signed amount, date) of a balance, or (None, None) when it cannot be read."""
    if not found:
        return None, None
    amount, _, direction, day = found
    try:
        value = decimal.Decimal(amount.strip())
    except decimal.InvalidOperation:
        return None, None
    # a balance the amount type cannot hold (16 digits before the point) is no balance
    if not value.is_finite() or abs(value) >= _BALANCE_LIMIT or direction not in _SIGNS:
        return None, None
    value = value.quantize(decimal.Decimal("0.01"))
    date = pl.Series([day], dtype=pl.String).str.to_date("%Y-%m-%d", strict=False)[0]
    return (-value if direction == "DBIT" else value), date


_DOMAIN = (r"<BkTxCd>\s*<Domn>\s*<Cd>([^<]*)</Cd>\s*<Fmly>\s*<Cd>([^<]*)</Cd>\s*"
           r"<SubFmlyCd>([^<]*)</SubFmlyCd>")
_PROPRIETARY = (r"<BkTxCd>\s*(?:<Domn>\s*<Cd>[^<]*</Cd>\s*<Fmly>\s*<Cd>[^<]*</Cd>\s*"
                r"<SubFmlyCd>[^<]*</SubFmlyCd>\s*</Fmly>\s*</Domn>\s*)?<Prtry>\s*<Cd>([^<]*)</Cd>")
_TEXT_COLUMNS = ("booking", "value", "amount_text", "currency", "direction", "raw_label",
                 "label_complement", "counterparty_name", "counterparty_iban",
                 "bank_transaction_code", "end_to_end_id")


def _code(groups: str, proprietary: str) -> pl.Expr:
    """``DOMN-FMLY-SUBF`` from the ``_DOMAIN`` groups, else the proprietary code."""
    parts = [pl.col(groups).struct.field(str(i)).str.strip_chars() for i in (1, 2, 3)]
    iso = pl.when(pl.all_horizontal([p != "" for p in parts])).then(
        pl.concat_str(parts, separator="-"))
    return pl.coalesce(iso, proprietary)


def _not_booked(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """One ``pending_not_booked`` reject per entry whose status says it is not booked."""
    if frame.is_empty():
        return pl.DataFrame(schema=QUARANTINE_RECORD)
    return frame.select(
        source_position=pl.format("{}[{}]/Ntry[{}]", pl.lit(kind), pl.col("container") + 1,
                                  pl.col("j")),
        reason=pl.lit("pending_not_booked"),
        detail=pl.format("entry status {}: {}", "status",
                         pl.col("status").replace_strict(_NOT_BOOKED_WHY, return_dtype=pl.String)),
        raw_record=pl.col("entry").str.slice(0, MAX_RAW_RECORD),
    ).cast(QUARANTINE_RECORD)


def _movements(texts: pl.Series, counts: list[int], kind: str
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per movement (entry, or detail of a batched entry), fields as text; and
    the rejects of entries that are not booked (one per entry)."""
    import numpy as np

    sizes = np.asarray(counts, dtype=np.int64)
    container = np.repeat(np.arange(len(counts), dtype=np.int64), sizes)
    row = np.arange(int(sizes.sum()), dtype=np.int64)
    frame = pl.DataFrame([texts.alias("entry"), pl.Series("container", container),
                          pl.Series("j", row - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1),
                          pl.Series("n", row)]).lazy()
    for stage in _entry_stages():
        frame = frame.with_columns(**stage)
    # the in-memory engine: the streaming one costs more per query than a small file takes
    entries = frame.drop("head").collect(engine="in-memory")
    booked = ~pl.col("status").is_in(_NOT_BOOKED).fill_null(False)
    not_booked = _not_booked(entries.filter(~booked), kind)
    # entries -> their NtryDtls blocks -> the TxDtls of each block
    frame = entries.lazy().filter(booked).explode("blocks", empty_as_null=True)
    frame = frame.with_columns(d=_rank("n"), tx=pl.col("blocks").str.split("<TxDtls>")
                               .list.slice(1)).explode("tx", empty_as_null=True)
    for stage in _detail_stages(kind):
        frame = frame.with_columns(**stage)
    return frame.collect(engine="in-memory"), not_booked


def _rank(*keys: str) -> pl.Expr:
    """1, 2, ... along each run of rows with equal ``keys``: what ``int_range().over(keys)``
    gives where a group's rows are together (as an explode leaves them), without hashing."""
    row = pl.int_range(pl.len())
    start = pl.any_horizontal(pl.col(k) != pl.col(k).shift() for k in keys).fill_null(True)
    return row - pl.when(start).then(row).forward_fill() + 1


@functools.cache
def _entry_stages() -> tuple[dict[str, pl.Expr], ...]:
    """The entry's own fields (before ``NtryDtls``), read in successive ``with_columns``."""
    entry, head = pl.col("entry"), pl.col("head")
    return (
        {"head": entry.str.split_exact("<NtryDtls>", 1).struct.field("field_0"),
         "blocks": entry.str.split("<NtryDtls>").list.slice(1)},
        {"status": head.str.extract(r"<Sts>\s*(?:<Cd>)?([^<]*)", 1).str.strip_chars(),
         "e_amt": head.str.extract_groups(_AMT),
         "e_direction": head.str.extract(r"<CdtDbtInd>([^<]*)</CdtDbtInd>", 1),
         "booking": head.str.extract(r"<BookgDt>\s*<(?:Dt|DtTm)>([^<]*)<", 1),
         "value": head.str.extract(r"<ValDt>\s*<(?:Dt|DtTm)>([^<]*)<", 1),
         "e_domain": head.str.extract_groups(_DOMAIN),
         "e_prtry": head.str.extract(_PROPRIETARY, 1),
         "info": entry.str.extract(r"<AddtlNtryInf>([^<]*)</AddtlNtryInf>", 1).replace("", None),
         "n_blocks": pl.col("blocks").list.len()},
    )


@functools.cache
def _detail_stages(kind: str) -> tuple[dict[str, pl.Expr], ...]:
    """From one row per ``TxDtls`` (or entry without) to the movement's text fields."""
    tx = pl.col("tx")
    read = {
        "own": tx.str.extract_groups(r"^\s*(?:<Refs>(?s:.*?)</Refs>\s*)?" + _AMT
                                     + r"(?:\s*<CdtDbtInd>([^<]*)</CdtDbtInd>)?"),
        "tx_amt": tx.str.extract_groups(
            r"<AmtDtls>\s*(?:<InstdAmt>(?s:.*?)</InstdAmt>\s*)?<TxAmt>\s*" + _AMT),
        "t_domain": tx.str.extract_groups(_DOMAIN), "t_prtry": tx.str.extract(_PROPRIETARY, 1),
        "extra": tx.str.extract(r"<AddtlTxInf>([^<]*)</AddtlTxInf>", 1).replace("", None),
        "end_to_end_id": tx.str.extract(r"<EndToEndId>([^<]*)</EndToEndId>", 1),
        "lines": tx.str.extract_all(r"<Ustrd>[^<]*</Ustrd>"),
        **{f"{side}_name": tx.str.extract(rf"<{side}>\s*(?:<Pty>\s*)?<Nm>([^<]*)</Nm>", 1)
           for side in ("Dbtr", "Cdtr")},
        **{f"{side}_account": tx.str.extract_groups(
            rf"<{side}Acct>\s*<Id>\s*(?:<IBAN>([^<]*)</IBAN>|<Othr>\s*<Id>([^<]*)</Id>)")
           for side in ("Dbtr", "Cdtr")},
    }
    batched = pl.col("n_tx") >= 2
    own_amount = pl.coalesce(pl.col("own").struct.field("2"), pl.col("tx_amt").struct.field("2"))
    own_currency = pl.coalesce(pl.col("own").struct.field("1"), pl.col("tx_amt").struct.field("1"))
    lines = pl.col("lines").list.eval(pl.element().str.slice(7, pl.element().str.len_chars() - 15)
                                      .filter(pl.element() != "")).list.join(" ")
    detail_code, entry_code = _code("t_domain", "t_prtry"), _code("e_domain", "e_prtry")
    # a batched detail has its own amount (else it is rejected below); a single entry
    # is booked with the entry's amount, whatever detail it carries
    fields = {
        "amount_text": pl.when(batched).then(own_amount).otherwise(
            pl.col("e_amt").struct.field("2")),
        "currency": pl.when(batched).then(own_currency).otherwise(
            pl.col("e_amt").struct.field("1")),
        "direction": pl.when(batched).then(pl.coalesce(pl.col("own").struct.field("3"),
                                                       "e_direction"))
        .otherwise("e_direction").str.strip_chars(),
        "bank_transaction_code": pl.when(batched).then(pl.coalesce(detail_code, entry_code))
        .otherwise(pl.coalesce(entry_code, detail_code)),
        "remittance": pl.when(lines != "").then(lines),
        "issue": pl.when(batched & own_amount.is_null()).then(pl.lit(
            "batched TxDtls without an amount: the entry amount cannot be split")),
        "raw_record": pl.when(batched).then(pl.concat_str([pl.lit("<TxDtls>"), tx,
                                                           pl.lit("</TxDtls>")]))
        .otherwise(pl.col("entry")).str.slice(0, MAX_RAW_RECORD),
    }
    side = pl.when(pl.col("direction") == "CRDT").then(pl.lit("Dbtr")).when(
        pl.col("direction") == "DBIT").then(pl.lit("Cdtr"))
    account = {s: pl.coalesce(pl.col(f"{s}_account").struct.field("1"),
                              pl.col(f"{s}_account").struct.field("2")) for s in ("Dbtr", "Cdtr")}
    where = pl.format("{}[{}]/Ntry[{}]", pl.lit(kind), pl.col("container") + 1, pl.col("j"))
    detail = pl.when(pl.col("n_blocks") > 1).then(pl.format("/NtryDtls[{}]", "d")).otherwise(
        pl.lit("/NtryDtls"))
    parties = {
        "raw_label": pl.when(batched).then(pl.coalesce("extra", "info", "remittance"))
        .otherwise(pl.coalesce("info", "extra", "remittance")),
        "label_complement": pl.when(pl.col("extra").is_not_null()
                                    | pl.col("info").is_not_null()).then(pl.col("remittance")),
        "counterparty_name": pl.when(side == "Dbtr").then(pl.col("Dbtr_name")).when(
            side == "Cdtr").then(pl.col("Cdtr_name")),
        "counterparty_iban": pl.when(side == "Dbtr").then(account["Dbtr"]).when(
            side == "Cdtr").then(account["Cdtr"]),
        "source_position": pl.when(batched).then(pl.format(
            "{}{}/TxDtls[{}]", where, detail, "k")).otherwise(where),
    }
    # XML text: unescape the five predefined entities (and the &#13; lxml writes for a CR);
    # an empty element is no value; NOTPROVIDED is no end-to-end id.
    unescaped = {c: pl.col(c).str.replace_many(*_ENTITIES).replace("", None)
                 for c in _TEXT_COLUMNS}
    return (
        {"k": _rank("n", "d"), "n_tx": tx.is_not_null().sum().over("n"),
         "tx": tx.str.split_exact("</TxDtls>", 1).struct.field("field_0")},
        read, fields, parties, unescaped,
        {"end_to_end_id": pl.when(pl.col("end_to_end_id") != "NOTPROVIDED")
         .then("end_to_end_id")},
    )


def _validate(frame: pl.DataFrame, statements: list[_Statement]
              ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed, signed records and the rejects (both with their ``container``), column-wise."""
    info = pl.DataFrame({"container": list(range(len(statements))),
                         "account_ref": [s.account for s in statements],
                         "account_currency": [s.currency for s in statements]},
                        schema={"container": pl.Int64, "account_ref": pl.String,
                                "account_currency": pl.String})
    typed, verdict = _checks()
    frame = (frame.lazy().join(info.lazy(), on="container", how="left", maintain_order="left")
             .with_columns(**typed).with_columns(**verdict).collect(engine="in-memory"))
    good = frame.filter(pl.col("reason").is_null())
    rejects = frame.filter(pl.col("reason").is_not_null())
    return (good.select("container", *STATEMENT_RECORD.names()).cast(STATEMENT_RECORD),
            rejects.select("container", *QUARANTINE_RECORD.names()).cast(QUARANTINE_RECORD))


@functools.cache
def _checks() -> tuple[dict[str, pl.Expr], dict[str, pl.Expr]]:
    """The typed fields, then the reason (first failed rule) and its detail."""
    text = pl.col("amount_text").str.strip_chars()
    magnitude = text.cast(AMOUNT_DTYPE, strict=False)
    typed = {
        "amount": pl.when(pl.col("direction") == "DBIT").then(-magnitude).otherwise(magnitude),
        "currency": pl.coalesce("currency", "account_currency"),
        "booking_date": pl.col("booking").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        "value_date": pl.col("value").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
    }
    code = pl.col("currency").str.strip_chars().str.to_uppercase()
    rules: list[tuple[pl.Expr, str, pl.Expr]] = [
        (pl.col("issue").is_not_null(), "missing_field", pl.col("issue")),
        (pl.col("direction").is_null(), "missing_field", pl.lit("no CdtDbtInd")),
        (~pl.col("direction").is_in(["CRDT", "DBIT"]), "malformed_record",
         pl.format("got '{}' for CdtDbtInd, expected CRDT or DBIT",
                   pl.col("direction").str.slice(0, 10))),
        (pl.col("booking").is_null(), "missing_field", pl.lit("no BookgDt")),
        (pl.col("amount_text").is_null(), "missing_field", pl.lit("no Amt")),
        (pl.col("raw_label").is_null(), "missing_field",
         pl.lit("no label (AddtlTxInf, AddtlNtryInf or RmtInf/Ustrd)")),
        (~text.str.contains(_AMOUNT_OK) | pl.col("amount").is_null(), "unparseable_amount",
         pl.format("got '{}' for Amt, expected a non-negative number with at most 2 decimals",
                   text.str.slice(0, 20))),
        (~pl.col("booking").str.contains(_DATE_OK) | pl.col("booking_date").is_null()
         | (pl.col("value").is_not_null() & (~pl.col("value").str.contains(_DATE_OK)
                                              | pl.col("value_date").is_null())),
         "unparseable_date",
         pl.format("got '{}' for BookgDt and '{}' for ValDt, expected YYYY-MM-DD",
                   pl.col("booking").str.slice(0, 30),
                   pl.col("value").fill_null("").str.slice(0, 30))),
        (pl.col("currency").is_null() | (code == ""), "missing_currency",
         pl.lit("no Ccy on the amount or the account")),
        (~code.is_in(sorted(ISO_4217)), "unknown_currency",
         pl.format("got '{}' for Ccy, expected an ISO 4217 code",
                   pl.col("currency").str.slice(0, 10))),
    ]
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    detail: pl.Expr = pl.lit(None, dtype=pl.String)
    for bad, why_code, why in reversed(rules):
        reason = pl.when(bad.fill_null(True)).then(pl.lit(why_code)).otherwise(reason)
        detail = pl.when(bad.fill_null(True)).then(why).otherwise(detail)
    return typed, {"reason": reason, "detail": detail, "mcc": pl.lit(None, dtype=pl.String)}


def _mismatches(good: pl.DataFrame, rejects: pl.DataFrame, balances: pl.DataFrame,
                statements: list[_Statement]) -> pl.DataFrame:
    """One ``balance_mismatch`` reject per statement whose movements miss its closing balance."""
    moved = {(c, cur): total for c, cur, total in good.group_by("container", "currency").agg(
        pl.col("amount").sum()).iter_rows()}
    rejected = dict(rejects.group_by("container").len().iter_rows())
    index = {s.where: i for i, s in enumerate(statements)}
    rows = []
    for where, opening, closing, currency in balances.select(
            "source_position", "opening_balance", "closing_balance", "currency").iter_rows():
        if opening is None or closing is None:
            continue
        i = index[where]
        expected = opening + (moved.get((i, currency)) or decimal.Decimal(0))
        if expected == closing:
            continue
        detail = (f"opening balance {opening} + movements {expected - opening} = {expected}, "
                  f"but the closing balance is {closing} (difference {closing - expected}); "
                  f"{rejected.get(i, 0)} movement(s) of this statement were rejected")
        rows.append((where, "balance_mismatch", detail, statements[i].raw_balances))
    return pl.DataFrame(rows, schema=QUARANTINE_RECORD, orient="row")
