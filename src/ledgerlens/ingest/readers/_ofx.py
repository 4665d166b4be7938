"""Read OFX bank and card statements: 1.x (SGML, unclosed leaf tags), 2.x (XML) and QFX.

How it reads. An OFX 1 header is parsed by ``ofxtools`` (``OFXHeaderV1`` gives the
character set; ``ENCODING:UTF-8`` wins over ``CHARSET``), tolerantly when it rejects the
header; OFX 2 is UTF-8 unless its XML declaration says otherwise. The body is read by a
tolerant tag reader, column-wise with Polars regexes, instead of ``ofxtools``' element tree:
that tree is built by a Python regex loop (about 58,000 minimal transactions/s, 19,000/s with
its validating ``convert``) and rejects the whole file on the first spec violation, where one
bad ``STMTTRN`` must only become a reject. Aggregates (``STMTRS``, ``STMTTRN``, ...) must be
closed, as both OFX versions require; leaf values end at the next tag.

Mapping of each ``STMTTRN``:

- ``booking_date`` <- ``DTPOSTED``; ``value_date`` <- ``DTAVAIL`` (OFX's "date funds are
  available", i.e. the value date; ``DTUSER``, the date the customer acted, is not kept).
  Only the calendar date as written is kept (time and time zone are dropped).
- ``amount`` <- ``TRNAMT`` (signed; ``,`` accepted as decimal mark, at most 2 decimals).
- ``currency`` <- ``CURRENCY/CURSYM`` when present (the amount is in that currency), else
  the statement's ``CURDEF``. ``ORIGCURRENCY`` only says what the amount was converted
  from, so it does not change the currency.
- ``raw_label`` <- ``EXTDNAME``, else ``NAME``, else ``PAYEE/NAME``, else ``MEMO``;
  ``label_complement`` <- ``MEMO`` unless it became the label. Values are stripped of
  surrounding white space and unescaped (``&amp;`` ``&lt;`` ``&gt;`` ``&quot;`` ``&apos;``
  ``&nbsp;``, CDATA sections kept verbatim).
- ``counterparty_name`` <- ``PAYEE/NAME``; ``counterparty_iban`` <- ``BANKACCTTO/ACCTID``
  when it is an IBAN (possibly masked), or the IBAN rebuilt from a French RIB in
  ``BANKID``/``BRANCHID``/``ACCTID``.
- ``mcc`` <- ``SIC`` when it has 4 digits (card issuers put the MCC there);
  ``bank_transaction_code`` <- ``TRNTYPE`` (``POS``, ``XFER``, ...); ``end_to_end_id`` <-
  ``FITID``.
- ``account_ref`` <- the statement's ``BANKACCTFROM``: the IBAN rebuilt from a French RIB
  (5-digit ``BANKID``, 5-digit ``BRANCHID``, ``ACCTID`` = 11-character account number +
  valid 2-digit RIB key), else ``ACCTID`` when it is itself an IBAN, else
  ``BANKID``+``BRANCHID``+``ACCTID`` concatenated; ``CCACCTFROM/ACCTID`` for card statements.
- ``source_position``: ``STMTRS[1]/BANKTRANLIST/STMTTRN[4]`` (``CCSTMTRS[...]`` for cards).

Balances: ``LEDGERBAL`` is the statement's closing balance; OFX carries no opening balance,
so no balance check is possible. Rejects: an unclosed or duplicated field ->
``malformed_record``; no ``DTPOSTED``/``TRNAMT``/label -> ``missing_field``; bad amount,
date or currency; undecodable bytes -> ``encoding_error``. A file with no ``<OFX>`` or that
ends before ``</OFX>`` (truncated) raises ``IngestError``.
"""

from __future__ import annotations

import codecs
import decimal
import re
from dataclasses import dataclass

import polars as pl

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._records import (
    BALANCE_RECORD,
    MAX_RAW_RECORD,
    QUARANTINE_RECORD,
    STATEMENT_RECORD,
    ReadResult,
)
from ledgerlens.schema import AMOUNT_DTYPE, ISO_4217

__all__ = ["read_ofx"]

FORMAT = "ofx"
_OPEN, _CLOSE = "<STMTTRN>", "</STMTTRN>"
_STATEMENT = re.compile(r"<(STMTRS|CCSTMTRS)>")
_SUBAGGREGATES = ("PAYEE", "BANKACCTTO", "CCACCTTO", "CURRENCY", "ORIGCURRENCY", "IMAGEDATA")
_REMOVE_SUB = "(?s)" + "|".join(f"<{t}>.*?</{t}>" for t in _SUBAGGREGATES)
_LEFT_SUB = "<(?:" + "|".join(_SUBAGGREGATES) + ")>"
_UNIQUE = ("DTPOSTED", "TRNAMT", "NAME", "MEMO", "EXTDNAME", "DTAVAIL")
_ENTITIES = (["&lt;", "&gt;", "&quot;", "&apos;", "&nbsp;", "&amp;"],
             ["<", ">", '"', "'", " ", "&"])


def read_ofx(data: bytes, source: str) -> ReadResult:
    """Read an OFX or QFX file; one record per ``STMTTRN``, rejects for those not trusted.

    >>> data = (b"<OFX><STMTRS><CURDEF>EUR<BANKTRANLIST><STMTTRN><TRNTYPE>POS"
    ...         b"<DTPOSTED>20250103<TRNAMT>-12,30<FITID>1<NAME>CB CASINO</STMTTRN>"
    ...         b"</BANKTRANLIST></STMTRS></OFX>")
    >>> read_ofx(data, "x.ofx").records.select("amount", "raw_label").row(0)
    (Decimal('-12.30'), 'CB CASINO')
    """
    text, lossy = decode_body(data, source, FORMAT)
    statements = _statements(text)
    frame = _transactions(text, statements)
    syntax = _Syntax(cdata="<![CDATA[" in text, entities="&" in text)
    records, rejects = _parse(frame, lossy, syntax)
    return ReadResult(FORMAT, records, rejects, _balances(statements))


@dataclass(frozen=True)
class _Statement:
    kind: str  # STMTRS or CCSTMTRS
    index: int  # 1-based among statements of that kind
    start: int
    end: int
    account_ref: str | None
    curdef: str | None
    ledger: tuple[str | None, str | None]  # (BALAMT, DTASOF) of LEDGERBAL


def _leaf(text: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>([^<]*)", text)
    value = match.group(1).strip() if match else ""
    return value or None


def _statements(text: str) -> list[_Statement]:
    """Every bank or card statement, its span in ``text`` and its header fields."""
    opens = list(_STATEMENT.finditer(text))
    counters = {"STMTRS": 0, "CCSTMTRS": 0}
    out: list[_Statement] = []
    for i, match in enumerate(opens):
        kind, start = match.group(1), match.end()
        limit = opens[i + 1].start() if i + 1 < len(opens) else len(text)
        end = text.find(f"</{kind}>", start, limit)
        end = limit if end < 0 else end
        list_at = text.find("<BANKTRANLIST>", start, end)
        head = text[start:end if list_at < 0 else list_at]
        account = re.search(r"(?s)<(BANKACCTFROM|CCACCTFROM)>(.*?)</\1>", head)
        ref = None
        if account:
            parts = [_leaf(account.group(2), t) for t in ("BANKID", "BRANCHID", "ACCTID")]
            ref = iban_or_rib(*parts, fallback=True)
        ledger_at = text.rfind("<LEDGERBAL>", start, end)
        ledger_text = "" if ledger_at < 0 else text[ledger_at:text.find("</LEDGERBAL>",
                                                                         ledger_at, end)]
        counters[kind] += 1
        out.append(_Statement(kind, counters[kind], start, end, ref, _leaf(head, "CURDEF"),
                              (_leaf(ledger_text, "BALAMT"), _leaf(ledger_text, "DTASOF"))))
    return out


def _transactions(text: str, statements: list[_Statement]) -> pl.DataFrame:
    """One row per ``<STMTTRN>`` found: its text, statement and position."""
    pieces = text.split(_OPEN)[1:]
    offsets: list[int] = []
    at = text.find(_OPEN)
    for piece in pieces:
        offsets.append(at)
        at += len(_OPEN) + len(piece)
    stmt_ids: list[int] = []
    s = 0
    for off in offsets:  # offsets and statements are both in document order
        while s < len(statements) and off >= statements[s].end:
            s += 1
        inside = s < len(statements) and statements[s].start <= off
        stmt_ids.append(s if inside else -1)
    info = pl.DataFrame({
        "stmt": list(range(len(statements))),
        "where": [f"{st.kind}[{st.index}]/BANKTRANLIST" for st in statements],
        "account_ref": [st.account_ref for st in statements],
        "curdef": [st.curdef for st in statements],
    }, schema={"stmt": pl.Int64, "where": pl.String, "account_ref": pl.String,
               "curdef": pl.String})
    frame = pl.DataFrame({"piece": pieces, "stmt": stmt_ids},
                         schema={"piece": pl.String, "stmt": pl.Int64})
    # split_exact leaves the second field null when the separator is absent
    split = pl.col("piece").str.split_exact(_CLOSE, 1)
    closed = split.struct.field("field_1").is_not_null()
    unclosed = pl.col("piece").str.split_exact("</BANKTRANLIST>", 1).struct.field("field_0")
    frame = frame.with_columns(
        body=pl.when(closed).then(split.struct.field("field_0")).otherwise(unclosed),
        closed=closed,
        k=pl.int_range(1, pl.len() + 1).over("stmt"),
        n=pl.int_range(1, pl.len() + 1),
    ).drop("piece")
    frame = frame.join(info, on="stmt", how="left", maintain_order="left")
    where = pl.when(pl.col("stmt") >= 0).then(
        pl.format("{}/STMTTRN[{}]", pl.col("where"), pl.col("k"))
    ).otherwise(pl.format("STMTTRN[{}] (outside any statement)", pl.col("n")))
    raw = pl.concat_str([pl.lit(_OPEN), pl.col("body"),
                         pl.when(pl.col("closed")).then(pl.lit(_CLOSE)).otherwise(pl.lit(""))])
    return frame.with_columns(source_position=where,
                              raw_record=raw.str.slice(0, MAX_RAW_RECORD))


@dataclass(frozen=True)
class _Syntax:
    """What the file uses, so that the common case pays for no CDATA or entity handling."""

    cdata: bool
    entities: bool

    def value(self, expr: pl.Expr, tag: str) -> pl.Expr:
        """The text of leaf ``tag`` in ``expr``: stripped, unescaped, CDATA kept as is."""
        value = expr.str.extract(f"<{tag}>([^<]*)", 1).str.strip_chars()
        if self.entities:
            value = value.str.replace_many(*_ENTITIES)
        if self.cdata:
            cdata = expr.str.extract(rf"<{tag}>\s*<!\[CDATA\[((?s:.*?))\]\]>", 1)
            value = pl.coalesce(cdata, value)
        return pl.when(value != "").then(value)


def _parse(frame: pl.DataFrame, lossy: bool, syntax: _Syntax
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split the found transactions into records and rejects, column-wise."""
    body = pl.col("body")
    main = body.str.replace_all(_REMOVE_SUB, "")
    sub = {t: body.str.extract(f"(?s)<{t}>(.*?)</{t}>", 1) for t in _SUBAGGREGATES}
    frame = frame.with_columns(
        main=main,
        **{t.lower(): sub[t] for t in ("PAYEE", "BANKACCTTO", "CCACCTTO", "CURRENCY")},
    ).with_columns(
        trntype=syntax.value(pl.col("main"), "TRNTYPE"),
        dtposted=syntax.value(pl.col("main"), "DTPOSTED"),
        dtavail=syntax.value(pl.col("main"), "DTAVAIL"),
        trnamt=syntax.value(pl.col("main"), "TRNAMT"),
        fitid=syntax.value(pl.col("main"), "FITID"),
        sic=syntax.value(pl.col("main"), "SIC"),
        name=syntax.value(pl.col("main"), "NAME"),
        extdname=syntax.value(pl.col("main"), "EXTDNAME"),
        memo=syntax.value(pl.col("main"), "MEMO"),
        payee_name=syntax.value(pl.col("payee"), "NAME"),
        cursym=syntax.value(pl.col("currency"), "CURSYM"),
        to_bankid=syntax.value(pl.col("bankacctto"), "BANKID"),
        to_branchid=syntax.value(pl.col("bankacctto"), "BRANCHID"),
        to_acctid=syntax.value(pl.coalesce(pl.col("bankacctto"), pl.col("ccacctto")), "ACCTID"),
        duplicated=pl.any_horizontal(
            [pl.col("main").str.count_matches(f"<{t}>", literal=True) > 1 for t in _UNIQUE]),
        open_sub=pl.col("main").str.contains(_LEFT_SUB),
    )
    label = pl.coalesce("extdname", "name", "payee_name", "memo")
    from_memo = pl.col("extdname").is_null() & pl.col("name").is_null() & pl.col(
        "payee_name").is_null()
    amount_text = pl.col("trnamt").str.replace(",", ".", literal=True)
    currency = pl.when(pl.col("currency").is_not_null()).then(pl.col("cursym")).otherwise(
        pl.col("curdef"))
    frame = frame.with_columns(
        raw_label=label,
        label_complement=pl.when(from_memo).then(None).otherwise(pl.col("memo")),
        amount=amount_text.cast(AMOUNT_DTYPE, strict=False),
        amount_ok=amount_text.str.contains(AMOUNT_OK).fill_null(False),
        booking_date=ofx_date(pl.col("dtposted")),
        value_date=ofx_date(pl.col("dtavail")),
        dates_ok=ofx_date_ok(pl.col("dtposted"))
        & (pl.col("dtavail").is_null() | ofx_date_ok(pl.col("dtavail"))),
        currency=currency,
    )
    reason, detail = _reasons(lossy)
    frame = frame.with_columns(reason=reason, detail=detail)
    rejects = frame.filter(pl.col("reason").is_not_null()).select(QUARANTINE_RECORD.names())
    good = frame.filter(pl.col("reason").is_null())
    cp_iban = _counterparty_ibans(good)
    records = good.select(
        "account_ref", "booking_date", "value_date", "amount", "currency", "raw_label",
        "label_complement",
        counterparty_name=pl.col("payee_name"),
        counterparty_iban=cp_iban,
        mcc=pl.when(pl.col("sic").str.contains(r"^\d{4}$")).then(pl.col("sic")),
        bank_transaction_code=pl.col("trntype"),
        end_to_end_id=pl.col("fitid"),
        source_position=pl.col("source_position"),
        raw_record=pl.col("raw_record"),
    )
    return records.cast(STATEMENT_RECORD), rejects.cast(QUARANTINE_RECORD)


def _reasons(lossy: bool) -> tuple[pl.Expr, pl.Expr]:
    """The first reason each transaction cannot be trusted (null when it can), and why."""
    short = pl.col("trnamt").str.slice(0, 20)
    rules: list[tuple[pl.Expr, str, pl.Expr]] = [
        (pl.lit(lossy) & pl.col("raw_record").str.contains("\ufffd", literal=True),
         "encoding_error", pl.lit("bytes that are not valid in the declared character set")),
        (pl.col("stmt") < 0, "malformed_record",
         pl.lit("STMTTRN outside any STMTRS or CCSTMTRS statement")),
        (~pl.col("closed"), "malformed_record", pl.lit("STMTTRN is not closed by </STMTTRN>")),
        (pl.col("open_sub"), "malformed_record",
         pl.lit("an aggregate inside STMTTRN (PAYEE, BANKACCTTO, CURRENCY, ...) is not closed")),
        (pl.col("duplicated"), "malformed_record",
         pl.lit("a field (DTPOSTED, TRNAMT, NAME, MEMO, EXTDNAME, DTAVAIL) appears twice")),
        (pl.col("dtposted").is_null(), "missing_field", pl.lit("no DTPOSTED")),
        (pl.col("trnamt").is_null(), "missing_field", pl.lit("no TRNAMT")),
        (pl.col("raw_label").is_null(), "missing_field",
         pl.lit("no label (NAME, EXTDNAME, PAYEE/NAME or MEMO)")),
        (~pl.col("amount_ok") | pl.col("amount").is_null(), "unparseable_amount",
         pl.format("got '{}' for TRNAMT, expected a number with at most 2 decimals", short)),
        (~pl.col("dates_ok") | pl.col("booking_date").is_null()
         | (pl.col("dtavail").is_not_null() & pl.col("value_date").is_null()),
         "unparseable_date",
         pl.format("got '{}' for DTPOSTED{}, expected YYYYMMDD[HHMMSS]",
                   pl.col("dtposted").str.slice(0, 30),
                   pl.format(" and '{}' for DTAVAIL", pl.col("dtavail").str.slice(0, 30))
                   .fill_null(""))),
        *check_currency(pl.col("currency")),
    ]
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    detail: pl.Expr = pl.lit(None, dtype=pl.String)
    for bad, code, why in reversed(rules):
        reason = pl.when(bad.fill_null(True)).then(pl.lit(code)).otherwise(reason)
        detail = pl.when(bad.fill_null(True)).then(why).otherwise(detail)
    return reason, detail


def _counterparty_ibans(frame: pl.DataFrame) -> pl.Series:
    """``counterparty_iban`` of each record: few rows have one, so this loop stays small."""
    out: list[str | None] = [None] * frame.height
    cols = frame.select("to_bankid", "to_branchid", "to_acctid", idx=pl.int_range(pl.len()))
    for bank, branch, acct, i in cols.filter(pl.col("to_acctid").is_not_null()).iter_rows():
        out[i] = iban_or_rib(bank, branch, acct, fallback=False)
    return pl.Series("counterparty_iban", out, dtype=pl.String)


_BALANCE_LIMIT = decimal.Decimal("9999999999999999.995")


def _balances(statements: list[_Statement]) -> pl.DataFrame:
    """Closing balances (``LEDGERBAL``); OFX has no opening balance."""
    rows = []
    for st in statements:
        amount, asof = st.ledger
        try:
            value = decimal.Decimal((amount or "").replace(",", "."))
        except decimal.InvalidOperation:
            continue
        day = ofx_date_of(asof)
        # a balance the amount type cannot hold (16 digits before the point) is no balance
        if day is None or not value.is_finite() or abs(value) >= _BALANCE_LIMIT:
            continue
        rows.append({"account_ref": st.account_ref, "opening_date": None,
                     "opening_balance": None, "closing_date": day,
                     "closing_balance": value.quantize(decimal.Decimal("0.01")),
                     "currency": st.curdef, "source_position": f"{st.kind}[{st.index}]/LEDGERBAL"})
    return pl.DataFrame(rows, schema=BALANCE_RECORD)

# --------------------------------------------------------------------------- fields

#: A signed amount with ``.`` or ``,`` as decimal mark and no significant third decimal.
AMOUNT_OK = r"^[+-]?(?:\d{1,16}(?:\.\d{0,2}0*)?|\.\d{1,2}0*)$"
_DATE_OK = (r"^\d{8}(?:(?:[01]\d|2[0-3])[0-5]\d(?:(?:[0-5]\d|60)(?:\.\d{1,3})?)?)?"
            r"\s*(?:\[[^\]]{1,16}\])?$")
_ASCII_COMPATIBLE = frozenset({"utf-8", "cp1252", "iso8859-1", "iso8859-15", "ascii"})
_CHARSETS = {"1252": "cp1252", "WINDOWS-1252": "cp1252", "ISO-8859-1": "latin_1",
             "8859-1": "latin_1", "LATIN-1": "latin_1", "NONE": "utf_8", "UTF-8": "utf_8"}


def ofx_date(expr: pl.Expr) -> pl.Expr:
    """The calendar date of an OFX datetime (``YYYYMMDD[HHMMSS[.XXX]][[TZ]]``), or null."""
    return expr.str.slice(0, 8).str.to_date("%Y%m%d", strict=False)


def ofx_date_of(text: str | None) -> object:
    """The calendar date of one OFX datetime, or None."""
    series = pl.Series([text], dtype=pl.String)
    return series.str.slice(0, 8).str.to_date("%Y%m%d", strict=False)[0]


def ofx_date_ok(expr: pl.Expr) -> pl.Expr:
    return expr.str.contains(_DATE_OK)


def check_currency(expr: pl.Expr) -> list[tuple[pl.Expr, str, pl.Expr]]:
    """Reject rules for a currency column: missing, or not an ISO 4217 code."""
    code = expr.str.strip_chars().str.to_uppercase()
    return [
        (expr.is_null() | (code == ""), "missing_currency",
         pl.lit("no currency for the transaction or its statement")),
        (~code.is_in(sorted(ISO_4217)), "unknown_currency",
         pl.format("got '{}' for the currency, expected an ISO 4217 code", expr.str.slice(0, 10))),
    ]


def decode_body(data: bytes, source: str, fmt: str) -> tuple[str, bool]:
    """The text from ``<OFX>`` to ``</OFX>``, decoded with the header's character set.

    Returns the text and whether bytes had to be replaced (then the records holding
    U+FFFD become ``encoding_error`` rejects instead of the whole file failing).
    """
    start = data.find(b"<OFX>")
    if start < 0:
        raise IngestError(source, fmt, "line 1", "no <OFX> element, this is not an OFX file")
    codec = _codec(data[:start].decode("ascii", "replace"))
    body = data[start:]
    try:
        text, lossy = body.decode(codec), False
    except UnicodeDecodeError:
        text, lossy = body.decode(codec, "replace"), True
    end = text.rfind("</OFX>")
    if end < 0:
        line = data.count(b"\n") + 1
        raise IngestError(source, fmt, f"line {line} (end of file)",
                          "the file ends before </OFX>: it is truncated")
    return text[:end], lossy


def _codec(header: str) -> str:
    """Python codec of the body, from the OFX header (OFX 1 headers are read by ``ofxtools``,
    or tolerantly when it rejects them)."""
    from ofxtools.header import OFXHeaderError, OFXHeaderV1

    if "<?xml" in header or "<?OFX" in header:  # OFX 2: UTF-8 unless the XML says otherwise
        xml = re.search(r"<\?xml[^>]*?encoding=[\"']([\w.-]+)[\"']", header)
        name = xml.group(1) if xml else "utf-8"
    else:
        fields = dict(re.findall(r"([A-Z]+):\s*([\w-]+)", header.upper()))
        try:
            parsed, _ = OFXHeaderV1.parse(header)
            name = str(parsed.codec)
        except (OFXHeaderError, ValueError, KeyError):
            name = _CHARSETS.get(fields.get("CHARSET", "NONE"), "cp1252")
        if fields.get("ENCODING") in ("UTF-8", "UNICODE"):
            name = "utf_8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return "utf-8"
    # tags must stay ASCII for the tag reader: utf-16, EBCDIC and the like are not OFX
    return codec if codec in _ASCII_COMPATIBLE else "utf-8"


def iban_or_rib(bank: str | None, branch: str | None, account: str | None, *,
                fallback: bool) -> str | None:
    """An account as an IBAN: ``account`` itself when it is one (masked or not), the FR IBAN
    of a French RIB (bank 5 digits, branch 5 digits, account 11 + valid 2-digit key), else
    (``fallback``) the parts concatenated, or None."""
    if account is None:
        return None
    acct = account.replace(" ", "").upper()
    if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9*]{8,30}", acct):
        return acct
    if (bank and branch and re.fullmatch(r"\d{5}", bank) and re.fullmatch(r"\d{5}", branch)
            and re.fullmatch(r"[A-Z0-9]{11}\d{2}", acct) and _rib_key_ok(bank, branch, acct)):
        bban = bank + branch + acct
        check = 98 - int(_digits(bban + "FR00")) % 97
        return f"FR{check:02d}{bban}"
    if not fallback:
        return None
    return "".join(p for p in (bank, branch, account) if p)


def _digits(text: str) -> str:
    return "".join(str(int(c, 36)) for c in text)


_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def _rib_key_ok(bank: str, branch: str, acct: str) -> bool:
    number = acct[:11].translate(_RIB_LETTERS)
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(number)) % 97
    return key == int(acct[11:])
