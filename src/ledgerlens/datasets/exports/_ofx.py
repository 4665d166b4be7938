"""Write one account's transactions as an OFX bank statement: 1.0.2 (SGML) or 2.2 (XML).

The file is what ``ledgerlens.ingest.readers._ofx.read_ofx`` reads back exactly:

- ``NAME`` holds the whole ``raw_label`` (even past OFX's 32 characters, as several French
  banks do) and ``MEMO`` the ``label_complement``; the reader maps them back one to one.
- ``DTPOSTED`` is the booking date, ``DTAVAIL`` the value date, ``TRNAMT`` the signed amount,
  ``FITID`` the transaction id, ``SIC`` the MCC, ``TRNTYPE`` derived from the ISO bank
  transaction code (``PMNT-CCRD-POSD`` -> ``POS``, ...; the code itself has no OFX field).
- The account is written the French way, ``BANKID`` (bank code), ``BRANCHID`` (branch code),
  ``ACCTID`` (account number + RIB key), from which the reader rebuilds the IBAN.
- One ``STMTRS`` for the whole period; ``LEDGERBAL`` is the closing balance
  (``account.opening_balance`` plus every movement). OFX has no opening balance.

Counterparties are not written: OFX's ``PAYEE`` excludes ``NAME`` and its ``BANKACCTTO``
needs a bank id the synthetic counterparties do not have.

>>> import datetime as dt, decimal
>>> acc = StatementAccount("FR7630006000011234567890189", "CLI1", "EUR", "b", "BANKFRPPXXX",
...                        "M X", decimal.Decimal("10.00"), dt.date(2025, 1, 1))
>>> export_ofx(acc, pl.DataFrame()).startswith(b'<?xml version="1.0"')
True
"""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl

from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.exceptions import ConfigurationError

__all__ = ["export_ofx"]

#: OFX transaction type for each ISO bank transaction code the synthetic bank uses.
TRNTYPE_OF_CODE: dict[str, str] = {
    "PMNT-CCRD-POSD": "POS",
    "PMNT-CCRD-OTHR": "POS",
    "PMNT-CCRD-CWDL": "ATM",
    "PMNT-CCRD-RRTN": "CREDIT",
    "PMNT-CCRD-RIMB": "CREDIT",
    "PMNT-RDDT-ESDD": "DIRECTDEBIT",
    "PMNT-ICHQ-CCHQ": "CHECK",
    "PMNT-RCHQ-BCHQ": "DEP",
    "PMNT-CNTR-CDPT": "DEP",
    "PMNT-ICDT-STDO": "REPEATPMT",
    "PMNT-ICDT-ESCT": "XFER",
    "PMNT-ICDT-BOOK": "XFER",
    "PMNT-RCDT-ESCT": "XFER",
    "ACMT-MDOP-CHRG": "FEE",
    "ACMT-MDOP-INTR": "INT",
    "LDAS-CSLN-RPMT": "PAYMENT",
}

_V1_HEADER = ("OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\n"
              "ENCODING:{encoding}\r\nCHARSET:{charset}\r\nCOMPRESSION:NONE\r\n"
              "OLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n")
_V2_HEADER = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\r\n'
              '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" '
              'NEWFILEUID="NONE"?>\r\n')


def export_ofx(account: StatementAccount, transactions: pl.DataFrame, version: int = 2) -> bytes:
    """The OFX statement file of ``account``: ``version=1`` writes SGML 1.0.2, ``2`` XML 2.2.

    ``transactions`` has the canonical columns of that one account, sorted by booking date.
    """
    if version not in (1, 2):
        raise ConfigurationError(f"OFX version must be 1 or 2, got {version!r}")
    xml = version == 2
    n = transactions.height
    dates = transactions["booking_date"] if n else pl.Series([], dtype=pl.Date)
    start = account.opening_date + dt.timedelta(days=1)
    end_date = dates.max() if n else None
    end = end_date if isinstance(end_date, dt.date) else start
    total = transactions["amount"].sum() if n else decimal.Decimal(0)
    closing = account.opening_balance + decimal.Decimal(str(total or 0))
    body = [_transaction_lines(transactions, account.currency, xml)] if n else []

    def leaf(tag: str, value: str) -> str:
        return f"<{tag}>{_escape(value)}</{tag}>" if xml else f"<{tag}>{_escape(value)}"

    bank, branch, number = _account_parts(account.iban)
    head = "\r\n".join([
        "<OFX>", "<SIGNONMSGSRSV1>", "<SONRS>", "<STATUS>", leaf("CODE", "0"),
        leaf("SEVERITY", "INFO"), "</STATUS>", leaf("DTSERVER", _ofx_date(end)),
        leaf("LANGUAGE", "FRA"), "</SONRS>", "</SIGNONMSGSRSV1>", "<BANKMSGSRSV1>",
        "<STMTTRNRS>", leaf("TRNUID", "1"), "<STATUS>", leaf("CODE", "0"),
        leaf("SEVERITY", "INFO"), "</STATUS>", "<STMTRS>", leaf("CURDEF", account.currency),
        "<BANKACCTFROM>", *([leaf("BANKID", bank)] if bank else []),
        *([leaf("BRANCHID", branch)] if branch else []), leaf("ACCTID", number),
        leaf("ACCTTYPE", "CHECKING"), "</BANKACCTFROM>", "<BANKTRANLIST>",
        leaf("DTSTART", _ofx_date(start)), leaf("DTEND", _ofx_date(end)),
    ])
    tail = "\r\n".join([
        "</BANKTRANLIST>", "<LEDGERBAL>", leaf("BALAMT", f"{closing:.2f}"),
        leaf("DTASOF", _ofx_date(end)), "</LEDGERBAL>", "</STMTRS>", "</STMTTRNRS>",
        "</BANKMSGSRSV1>", "</OFX>", "",
    ])
    text = "\r\n".join([head, *body, tail])
    if xml:
        return (_V2_HEADER + text).encode("utf-8")
    try:
        return (_V1_HEADER.format(encoding="USASCII", charset="1252") + text).encode("cp1252")
    except UnicodeEncodeError:
        return (_V1_HEADER.format(encoding="UTF-8", charset="NONE") + text).encode("utf-8")


def _account_parts(iban: str) -> tuple[str, str, str]:
    """(BANKID, BRANCHID, ACCTID): the French RIB parts of a French IBAN, else the IBAN."""
    compact = iban.replace(" ", "").upper()
    if compact.startswith("FR") and len(compact) == 27:
        return compact[4:9], compact[9:14], compact[14:]
    return "", "", compact


def _ofx_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped(expr: pl.Expr) -> pl.Expr:
    return (expr.str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True))


def _transaction_lines(tx: pl.DataFrame, currency: str, xml: bool) -> str:
    """Every ``STMTTRN`` aggregate, built column-wise, joined by line breaks."""

    def leaf(tag: str, value: pl.Expr) -> pl.Expr:
        close = f"</{tag}>" if xml else ""
        return pl.concat_str([pl.lit(f"\r\n<{tag}>"), value, pl.lit(close)])

    def optional(tag: str, value: pl.Expr) -> pl.Expr:
        return pl.when(value.is_not_null()).then(leaf(tag, value)).otherwise(pl.lit(""))

    amount = pl.col("amount")
    trntype = (pl.col("bank_transaction_code").cast(pl.String)
               .replace_strict(TRNTYPE_OF_CODE, default=None, return_dtype=pl.String)
               .fill_null(pl.when(amount < 0).then(pl.lit("DEBIT")).otherwise(pl.lit("CREDIT"))))
    other_currency = pl.col("currency") != pl.lit(currency)
    currency_block = pl.when(other_currency).then(pl.concat_str([
        pl.lit("\r\n<CURRENCY>"), leaf("CURRATE", pl.lit("1")), leaf("CURSYM", pl.col("currency")),
        pl.lit("\r\n</CURRENCY>")])).otherwise(pl.lit(""))
    stmttrn = pl.concat_str([
        pl.lit("<STMTTRN>"),
        leaf("TRNTYPE", trntype),
        leaf("DTPOSTED", pl.col("booking_date").dt.strftime("%Y%m%d")),
        optional("DTAVAIL", pl.col("value_date").dt.strftime("%Y%m%d")),
        leaf("TRNAMT", amount.cast(pl.String)),
        leaf("FITID", pl.col("transaction_id")),
        optional("SIC", pl.col("mcc")),
        leaf("NAME", _escaped(pl.col("raw_label"))),
        optional("MEMO", _escaped(pl.col("label_complement"))),
        currency_block,
        pl.lit("\r\n</STMTTRN>"),
    ])
    return "\r\n".join(tx.select(stmttrn.alias("x"))["x"].to_list())
