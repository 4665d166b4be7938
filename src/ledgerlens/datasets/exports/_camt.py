"""Write one account's transactions as an ISO 20022 camt.053 statement file (001.02 to 001.08).

One ``Stmt`` per calendar month that has movements, with booked opening (``OPBD``, first day
of the month) and closing (``CLBD``, last day) balances computed from
``account.opening_balance``. One ``Ntry`` per transaction, with one ``TxDtls``:

- ``Amt``/``CdtDbtInd`` the amount and its sign, ``BookgDt``/``ValDt`` the dates;
- ``AddtlNtryInf`` the ``raw_label``, ``RmtInf/Ustrd`` the ``label_complement`` (one
  element, even past the 140 characters the schema allows, so that it reads back exactly);
- the counterparty under ``Dbtr`` for a credit and ``Cdtr`` for a debit (with the account
  holder on the other side), its IBAN under ``DbtrAcct``/``CdtrAcct`` (``Id/IBAN``, or
  ``Id/Othr/Id`` for a masked one, which is not a valid IBAN);
- ``BkTxCd/Domn`` from a ``DOMN-FMLY-SUBF`` code, ``BkTxCd/Prtry/Cd`` for any other code;
- ``Refs/EndToEndId`` and ``AcctSvcrRef`` the ``transaction_id``.

Version differences: from 001.08 the status is ``Sts/Cd`` and parties sit under ``Pty``;
from 001.04 the agent's BIC is ``BICFI``.

>>> import datetime as dt, decimal
>>> acc = StatementAccount("FR7630006000011234567890189", "CLI1", "EUR", "b", "BANKFRPPXXX",
...                        "M X", decimal.Decimal("10.00"), dt.date(2025, 1, 1))
>>> b"camt.053.001.02" in export_camt053(acc, pl.DataFrame(), version="001.02")
True
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
from xml.sax.saxutils import escape, quoteattr

import polars as pl

from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.exceptions import ConfigurationError

__all__ = ["CAMT_VERSIONS", "export_camt053"]

CAMT_VERSIONS: tuple[str, ...] = tuple(f"001.{v:02d}" for v in range(2, 9))
_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.{}"
_ISO_CODE = r"^[A-Z]{4}-[A-Z]{4}-[A-Z]{4}$"
_IBAN = r"^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$"


def export_camt053(account: StatementAccount, transactions: pl.DataFrame,
                   version: str = "001.08") -> bytes:
    """The camt.053 file of ``account``: one statement per calendar month."""
    if version not in CAMT_VERSIONS:
        raise ConfigurationError(
            f"camt.053 version must be one of {', '.join(CAMT_VERSIONS)}, got {version!r}")
    minor = int(version[4:])
    if transactions.height:
        entries = transactions.select(
            month=pl.col("booking_date").dt.truncate("1mo"),
            amount=pl.col("amount"),
            same_currency=pl.col("currency") == account.currency,
            ntry=_entries(account.holder, minor),
        )
        months = entries.partition_by("month", maintain_order=True)
    else:
        months = []
    balance = account.opening_balance
    statements: list[str] = []
    for seq, month in enumerate(months, start=1):
        first: dt.date = month["month"][0]
        moved = month.filter(pl.col("same_currency"))["amount"].sum()
        closing = balance + decimal.Decimal(str(moved or 0))
        body = "\n".join(month["ntry"].to_list())
        statements.append(_statement(account, first, seq, balance, closing, body, minor))
        balance = closing
    if not statements:
        first = (account.opening_date + dt.timedelta(days=1)).replace(day=1)
        statements.append(_statement(account, first, 1, balance, balance, "", minor))
    created = f"{_month_end(first) + dt.timedelta(days=1)}T06:00:00"
    text = "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<Document xmlns="{_NS.format(version)}">',
        "<BkToCstmrStmt>",
        f"<GrpHdr><MsgId>{escape(account.customer_ref)}-{first:%Y%m}</MsgId>"
        f"<CreDtTm>{created}</CreDtTm></GrpHdr>",
        *statements,
        "</BkToCstmrStmt>",
        "</Document>",
        "",
    ])
    return text.encode("utf-8")


def _month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _balance(code: str, amount: decimal.Decimal, currency: str, day: dt.date) -> str:
    sign = "DBIT" if amount < 0 else "CRDT"
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f"<Amt Ccy={quoteattr(currency)}>{abs(amount):.2f}</Amt>"
            f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>")


def _statement(account: StatementAccount, first: dt.date, seq: int, opening: decimal.Decimal,
               closing: decimal.Decimal, entries: str, minor: int) -> str:
    last = _month_end(first)
    bic = "BIC" if minor <= 3 else "BICFI"
    lines = [
        "<Stmt>",
        f"<Id>{escape(account.customer_ref)}-{first:%Y-%m}</Id>",
        f"<ElctrncSeqNb>{seq}</ElctrncSeqNb>",
        f"<CreDtTm>{last + dt.timedelta(days=1)}T06:00:00</CreDtTm>",
        f"<FrToDt><FrDtTm>{first}T00:00:00</FrDtTm><ToDtTm>{last}T23:59:59</ToDtTm></FrToDt>",
        f"<Acct><Id><IBAN>{escape(account.iban)}</IBAN></Id><Ccy>{escape(account.currency)}</Ccy>"
        f"<Ownr><Nm>{escape(account.holder)}</Nm></Ownr>"
        f"<Svcr><FinInstnId><{bic}>{escape(account.bic)}</{bic}></FinInstnId></Svcr></Acct>",
        _balance("OPBD", opening, account.currency, first),
        _balance("CLBD", closing, account.currency, last),
    ]
    if entries:
        lines.append(entries)
    lines.append("</Stmt>")
    return "\n".join(lines)


def _escaped(expr: pl.Expr) -> pl.Expr:
    return (expr.str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True))


def _wrap(tag: str, inner: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit(f"<{tag}>"), inner, pl.lit(f"</{tag}>")])


def _optional(inner: pl.Expr) -> pl.Expr:
    return pl.when(inner.is_not_null()).then(inner).otherwise(pl.lit(""))


def _entries(holder: str, minor: int) -> pl.Expr:
    """One ``<Ntry>`` line per transaction, built column-wise."""
    amount = pl.col("amount")
    credit = amount >= 0
    status = "<Sts><Cd>BOOK</Cd></Sts>" if minor >= 8 else "<Sts>BOOK</Sts>"

    def party(name: pl.Expr) -> pl.Expr:
        return _wrap("Pty", _wrap("Nm", name)) if minor >= 8 else _wrap("Nm", name)

    name = _escaped(pl.col("counterparty_name"))
    own = pl.lit(escape(holder))
    iban = pl.col("counterparty_iban")
    account_id = pl.when(iban.str.contains(_IBAN)).then(_wrap("IBAN", _escaped(iban))).otherwise(
        _wrap("Othr", _wrap("Id", _escaped(iban))))
    account = _wrap("Id", account_id)
    has_party = name.is_not_null() | iban.is_not_null()
    debtor = pl.concat_str([
        _optional(pl.when(credit).then(_wrap("Dbtr", party(name))).otherwise(
            _wrap("Dbtr", party(own)))),
        _optional(pl.when(credit & iban.is_not_null()).then(_wrap("DbtrAcct", account))),
    ])
    creditor = pl.concat_str([
        _optional(pl.when(~credit).then(_wrap("Cdtr", party(name))).otherwise(
            _wrap("Cdtr", party(own)))),
        _optional(pl.when(~credit & iban.is_not_null()).then(_wrap("CdtrAcct", account))),
    ])
    parties = _optional(pl.when(has_party).then(
        _wrap("RltdPties", pl.concat_str([debtor, creditor]))))
    code = pl.col("bank_transaction_code")
    parts = code.str.split_exact("-", 2)
    domain = pl.concat_str([
        pl.lit("<Domn><Cd>"), parts.struct.field("field_0"), pl.lit("</Cd><Fmly><Cd>"),
        parts.struct.field("field_1"), pl.lit("</Cd><SubFmlyCd>"), parts.struct.field("field_2"),
        pl.lit("</SubFmlyCd></Fmly></Domn>")])
    proprietary = _wrap("Prtry", _wrap("Cd", _escaped(code)))
    bank_code = _optional(_wrap("BkTxCd", pl.when(code.str.contains(_ISO_CODE)).then(domain)
                                .otherwise(proprietary)))
    value_date = _optional(_wrap("ValDt", _wrap("Dt", pl.col("value_date").dt.to_string())))
    ref = _escaped(pl.col("transaction_id").str.slice(0, 35))
    return pl.concat_str([
        pl.lit("<Ntry><Amt Ccy=\""),
        _escaped(pl.col("currency")).str.replace_all('"', "&quot;", literal=True), pl.lit("\">"),
        amount.abs().cast(pl.String),
        pl.lit("</Amt><CdtDbtInd>"),
        pl.when(credit).then(pl.lit("CRDT")).otherwise(pl.lit("DBIT")),
        pl.lit(f"</CdtDbtInd>{status}"),
        _wrap("BookgDt", _wrap("Dt", pl.col("booking_date").dt.to_string())),
        value_date,
        _wrap("AcctSvcrRef", ref),
        bank_code,
        pl.lit("<NtryDtls><TxDtls>"),
        _wrap("Refs", pl.concat_str([_wrap("AcctSvcrRef", ref), _wrap("EndToEndId", ref)])),
        parties,
        _optional(_wrap("RmtInf", _wrap("Ustrd", _escaped(pl.col("label_complement"))))),
        pl.lit("</TxDtls></NtryDtls>"),
        _wrap("AddtlNtryInf", _escaped(pl.col("raw_label"))),
        pl.lit("</Ntry>"),
    ])
