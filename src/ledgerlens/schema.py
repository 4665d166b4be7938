"""The canonical tables of ledgerlens: column names, dtypes, nullability and meaning.

One versioned definition serves Polars (``TableSchema.polars_schema``), Arrow
(``TableSchema.arrow_schema``) and the documentation (``docs/schema.md``).
``validate`` checks a table against it and says, per column and row, what is wrong.

>>> TRANSACTIONS.column("amount").nullable
False
>>> SCHEMA_VERSION
'1.0.0'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ledgerlens.exceptions import SchemaValidationError
from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "ACCOUNTS",
    "AMOUNT_DTYPE",
    "CARD_TYPES",
    "CUSTOMERS",
    "GROUND_TRUTH",
    "ISO_4217",
    "MERCHANTS",
    "PII_KINDS",
    "SCHEMA_VERSION",
    "TABLES",
    "TRANSACTIONS",
    "TRANSACTION_TYPES",
    "Column",
    "TableSchema",
    "ValidationReport",
    "Violation",
    "render_markdown",
    "validate",
]

SCHEMA_VERSION = "1.0.0"

#: Money is exact: 18 digits, 2 after the point (amounts in minor units never lose a cent).
AMOUNT_DTYPE = pl.Decimal(precision=18, scale=2)

#: Active ISO 4217 alphabetic codes (metals and fund codes are not account currencies).
ISO_4217: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a block of codes reads better than a list
)

#: Transaction types, shared by the synthetic ground truth and the enrichment output.
TRANSACTION_TYPES: tuple[str, ...] = (
    "card_in_store",
    "card_online",
    "card_contactless",
    "card_abroad",
    "cash_withdrawal",
    "cash_deposit",
    "direct_debit",
    "transfer_in",
    "transfer_out",
    "instant_transfer_in",
    "instant_transfer_out",
    "own_account_transfer",
    "cheque",
    "cheque_deposit",
    "fee",
    "interest",
    "loan_repayment",
    "loan_disbursement",
    "deferred_card_total",
    "refund",
    "reversal",
)
#: The card payments among them.
CARD_TYPES: tuple[str, ...] = TRANSACTION_TYPES[:4]

#: Kinds of personal data whose character spans the ground truth records.
PII_KINDS: tuple[str, ...] = ("name", "iban", "card_number", "email", "phone", "national_id")

PII_SPAN_DTYPE = pl.List(pl.Struct({"start": pl.Int32, "end": pl.Int32, "kind": pl.String}))


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its dtype, whether it may be null, what it means, and what values it allows.

    ``allowed`` restricts values to a set; ``pattern`` is a regex a non-null string
    value must fully match; ``pii`` columns never have their values quoted in messages.
    """

    name: str
    dtype: pl.DataType
    nullable: bool
    description: str
    allowed: frozenset[str] | None = None
    pattern: str | None = None
    pii: bool = False


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: named, versioned, with ordered columns and a key."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    version: str = SCHEMA_VERSION
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"table {self.name!r} has no column {name!r}") from None

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema, with nullability and descriptions as field metadata."""
        import pyarrow as pa

        empty = self.empty().to_arrow()
        fields = [
            pa.field(c.name, empty.schema.field(c.name).type, nullable=c.nullable,
                     metadata={"description": c.description})
            for c in self.columns
        ]
        return pa.schema(fields, metadata={"table": self.name, "schema_version": self.version})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Select the canonical columns in canonical order (extra columns dropped)."""
        return frame.select(self.names)


def _c(name: str, dtype: Any, nullable: bool, description: str, **kw: Any) -> Column:
    return Column(name, dtype, nullable, description, **kw)


_ID = r"[A-Za-z0-9_.:\-]{1,128}"
_ISO_COUNTRY = r"[A-Z]{2}"

TRANSACTIONS = TableSchema(
    name="transactions",
    description="One row per booked bank movement, as the bank sent it, normalised.",
    key=("tenant_id", "transaction_id"),
    columns=(
        _c("tenant_id", pl.String, False, "The bank or programme the data belongs to.",
           pattern=_ID),
        _c("transaction_id", pl.String, False,
           "Stable fingerprint of the movement: the same movement always gets the same id.",
           pattern=r"[0-9a-f]{32}"),
        _c("account_id", pl.String, False, "Pseudonymous account id (keyed HMAC).", pattern=_ID),
        _c("customer_id", pl.String, False, "Pseudonymous customer id (keyed HMAC).", pattern=_ID),
        _c("booking_date", pl.Date, False, "Date the bank booked the movement."),
        _c("value_date", pl.Date, True, "Value date, when the bank gives one."),
        _c("amount", AMOUNT_DTYPE, False, "Exact signed amount; negative = money out."),
        _c("currency", pl.String, False, "ISO 4217 currency of the account.", allowed=ISO_4217),
        _c("raw_label", pl.String, False, "The bank's label text, untouched.", pii=True),
        _c("label_complement", pl.String, True,
           "Second label line or remittance complement.", pii=True),
        _c("counterparty_name", pl.String, True, "Creditor or debtor name.", pii=True),
        _c("counterparty_iban", pl.String, True, "Counterparty IBAN, masked (FR76****1234).",
           pattern=r"[A-Z]{2}[0-9]{2}\*+[0-9A-Z]{0,4}"),
        _c("mcc", pl.String, True, "ISO 18245 merchant category code.", pattern=r"[0-9]{4}"),
        _c("bank_transaction_code", pl.String, True,
           "Bank transaction code (ISO 20022 domain/family/sub-family or proprietary)."),
        _c("source_format", pl.String, False,
           "Format the record arrived in (synthetic, csv, ofx, ...)."),
        _c("source_file", pl.String, True, "File or request the record came from."),
        _c("ingested_at", pl.Datetime("us", "UTC"), False, "When ledgerlens ingested the record."),
    ),
)

MERCHANTS = TableSchema(
    name="merchants",
    description="The merchant directory: brands, curated merchants and local businesses.",
    key=("merchant_id",),
    columns=(
        _c("merchant_id", pl.String, False, "Stable merchant id.", pattern=_ID),
        _c("name", pl.String, False, "Display name."),
        _c("brand_wikidata", pl.String, True, "Wikidata id of the brand, when known.",
           pattern=r"Q[0-9]+"),
        _c("website", pl.String, True, "Web site domain."),
        _c("category", pl.String, False, "Level-1 category id.", allowed=frozenset(CATEGORIES)),
        _c("subcategory", pl.String, False, "Level-2 category id.",
           allowed=frozenset(SUBCATEGORIES)),
        _c("mcc", pl.String, True, "Typical ISO 18245 merchant category code.",
           pattern=r"[0-9]{4}"),
        _c("country", pl.String, True, "ISO 3166-1 alpha-2 country.", pattern=_ISO_COUNTRY),
        _c("source", pl.String, False, "Where the entry comes from.",
           allowed=frozenset({"nsi", "curated", "local", "discovered", "manual"})),
    ),
)

CUSTOMERS = TableSchema(
    name="customers",
    description="Pseudonymous customers of a tenant.",
    key=("tenant_id", "customer_id"),
    columns=(
        _c("tenant_id", pl.String, False, "Tenant.", pattern=_ID),
        _c("customer_id", pl.String, False, "Pseudonymous customer id.", pattern=_ID),
        _c("bank_id", pl.String, False, "The customer's main bank.", pattern=_ID),
        _c("age_band", pl.String, True, "Age band (18-24, 25-34, ...).",
           allowed=frozenset({"18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"})),
        _c("region", pl.String, True, "French region (or country) of residence."),
        _c("customer_since", pl.Date, False, "Date the customer relationship began."),
    ),
)

ACCOUNTS = TableSchema(
    name="accounts",
    description="Pseudonymous accounts; each belongs to one customer.",
    key=("tenant_id", "account_id"),
    columns=(
        _c("tenant_id", pl.String, False, "Tenant.", pattern=_ID),
        _c("account_id", pl.String, False, "Pseudonymous account id.", pattern=_ID),
        _c("customer_id", pl.String, False, "Owner.", pattern=_ID),
        _c("bank_id", pl.String, False, "Bank holding the account.", pattern=_ID),
        _c("account_type", pl.String, False, "Kind of account.",
           allowed=frozenset({"current", "savings", "joint", "card"})),
        _c("currency", pl.String, False, "ISO 4217 currency.", allowed=ISO_4217),
        _c("opening_date", pl.Date, False, "Opening date."),
    ),
)

GROUND_TRUTH = TableSchema(
    name="ground_truth",
    description="What the synthetic bank knows about each transaction; used to train and score.",
    key=("tenant_id", "transaction_id"),
    columns=(
        _c("tenant_id", pl.String, False, "Tenant.", pattern=_ID),
        _c("transaction_id", pl.String, False, "Transaction.", pattern=r"[0-9a-f]{32}"),
        _c("merchant_id", pl.String, True, "True merchant (null when there is none).", pattern=_ID),
        _c("category", pl.String, False, "True level-1 category.", allowed=frozenset(CATEGORIES)),
        _c("subcategory", pl.String, False, "True level-2 category.",
           allowed=frozenset(SUBCATEGORIES)),
        _c("transaction_type", pl.String, False, "True transaction type.",
           allowed=frozenset(TRANSACTION_TYPES)),
        _c("intermediary", pl.String, True, "Payment intermediary wrapping the merchant."),
        _c("recurring_stream_id", pl.String, True, "Recurring stream the movement belongs to."),
        _c("is_income", pl.Boolean, False, "Whether the movement is income."),
        _c("dialect", pl.String, False, "Label dialect the bank wrote it in."),
        _c("pii_spans", PII_SPAN_DTYPE, False,
           "Character spans [start, end) of personal data in raw_label, with their kind."),
        _c("complement_pii_spans", PII_SPAN_DTYPE, False,
           "Character spans of personal data in label_complement (empty without one)."),
    ),
)

TABLES: dict[str, TableSchema] = {
    t.name: t for t in (TRANSACTIONS, MERCHANTS, CUSTOMERS, ACCOUNTS, GROUND_TRUTH)
}


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule broken by one column; ``rows`` holds the first offending row numbers (0-based)."""

    table: str
    column: str
    rule: str
    message: str
    count: int = 1
    rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class ValidationReport:
    """Every violation found; ``ok`` when there is none."""

    table: str
    n_rows: int
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        if self.ok:
            return f"{self.table}: {self.n_rows} rows, valid"
        lines = [f"{self.table}: {self.n_rows} rows, {len(self.violations)} violation(s)"]
        lines += [f"  - {v.message}" for v in self.violations]
        return "\n".join(lines)

    def raise_for_errors(self) -> None:
        if not self.ok:
            raise SchemaValidationError(self.summary(), report=self)


_MAX_ROWS_QUOTED = 5


def _dtype_matches(expected: pl.DataType, actual: pl.DataType) -> bool:
    if isinstance(expected, pl.Decimal):
        return isinstance(actual, pl.Decimal) and actual.scale == expected.scale
    if isinstance(expected, pl.Datetime):
        return isinstance(actual, pl.Datetime) and actual.time_zone == expected.time_zone
    return bool(actual == expected)


def _rows_message(rows: list[int], count: int) -> str:
    shown = ", ".join(str(r) for r in rows)
    more = f" and {count - len(rows)} more" if count > len(rows) else ""
    return f"row{'s' if count > 1 else ''} {shown}{more}"


def validate(
    table: pl.DataFrame | pl.LazyFrame | pa.Table, schema: TableSchema
) -> ValidationReport:
    """Check ``table`` against ``schema``; never raises on bad data, returns every violation.

    Rules: required columns present, dtypes, nulls where not allowed, allowed values
    (ISO currency, category ids, ...), string patterns, and uniqueness of the key.
    Row numbers are 0-based positions in ``table``.

    >>> validate(TRANSACTIONS.empty(), TRANSACTIONS).ok
    True
    """
    if isinstance(table, pl.LazyFrame):
        frame = table.collect()
    elif isinstance(table, pl.DataFrame):
        frame = table
    else:
        converted = pl.from_arrow(table)
        if not isinstance(converted, pl.DataFrame):
            raise TypeError(f"expected a table, got {type(table).__name__}")
        frame = converted
    violations: list[Violation] = []
    for col in schema.columns:
        if col.name not in frame.columns:
            violations.append(Violation(schema.name, col.name, "missing_column",
                                        f"missing column {col.name!r} ({col.dtype})"))
            continue
        actual = frame.schema[col.name]
        if not _dtype_matches(col.dtype, actual):
            message = f"column {col.name!r} has dtype {actual}, expected {col.dtype}"
            violations.append(Violation(schema.name, col.name, "wrong_dtype", message))
            continue
        violations.extend(_check_values(frame, schema, col))
    if schema.key and all(k in frame.columns for k in schema.key):
        dup = frame.select(pl.struct(list(schema.key)).is_duplicated().arg_true()).to_series()
        if dup.len():
            rows = dup.head(_MAX_ROWS_QUOTED).to_list()
            key = ", ".join(schema.key)
            violations.append(Violation(
                schema.name, key, "duplicate_key",
                f"key ({key}) is duplicated in {_rows_message(rows, dup.len())}",
                count=dup.len(), rows=tuple(rows)))
    return ValidationReport(schema.name, frame.height, tuple(violations))


def _check_values(frame: pl.DataFrame, schema: TableSchema, col: Column) -> list[Violation]:
    out: list[Violation] = []
    series = pl.col(col.name)
    checks: list[tuple[str, pl.Expr, str]] = []
    if not col.nullable:
        checks.append(("null", series.is_null(), "is null"))
    if col.allowed is not None:
        checks.append(("not_allowed", series.is_not_null() & ~series.is_in(sorted(col.allowed)),
                       "is not an allowed value"))
    if col.pattern is not None:
        checks.append(("bad_format",
                       series.is_not_null() & ~series.str.contains(f"^(?:{col.pattern})$"),
                       f"does not match {col.pattern}"))
    for rule, expr, what in checks:
        idx = frame.select(expr.arg_true()).to_series()
        if not idx.len():
            continue
        rows = idx.head(_MAX_ROWS_QUOTED).to_list()
        got = ""
        if rule != "null" and not col.pii:
            values = frame[col.name].gather(rows[:3]).to_list()
            got = f" (got {', '.join(repr(v) for v in values)})"
        out.append(Violation(
            schema.name, col.name, rule,
            f"column {col.name!r} {what} in {_rows_message(rows, idx.len())}{got}",
            count=idx.len(), rows=tuple(rows)))
    return out


# --------------------------------------------------------------------------- documentation


def render_markdown() -> str:
    """``docs/schema.md``: every canonical table, generated from this module."""
    lines = [
        "# Canonical tables",
        "",
        f"Schema version **{SCHEMA_VERSION}**. Generated from `ledgerlens.schema` by "
        "`ledgerlens schema --markdown`; do not edit by hand.",
        "",
        "Amounts are exact decimals (`Decimal(18, 2)`), negative for money out. Dates are "
        "calendar dates; `ingested_at` is UTC. Ids are pseudonymous. Validation "
        "(`ledgerlens.schema.validate`) checks presence, dtype, nulls, allowed values, "
        "string formats and key uniqueness, and names the column and rows of each violation.",
        "",
    ]
    for table in TABLES.values():
        key = ", ".join(f"`{k}`" for k in table.key) or "none"
        lines += [f"## `{table.name}`", "", table.description, "", f"Key: {key}.", "",
                  "| column | dtype | nullable | meaning | rule |",
                  "| --- | --- | --- | --- | --- |"]
        for c in table.columns:
            if c.allowed is not None and len(c.allowed) <= 8:
                rule = "one of " + ", ".join(f"`{v}`" for v in sorted(c.allowed))
            elif c.allowed is not None:
                rule = f"one of {len(c.allowed)} allowed values"
            elif c.pattern is not None:
                rule = f"matches `{c.pattern}`"
            else:
                rule = ""
            pii = " (personal data: never quoted in messages)" if c.pii else ""
            lines.append(f"| `{c.name}` | `{c.dtype}` | {'yes' if c.nullable else 'no'} | "
                         f"{c.description}{pii} | {rule.replace('|', '&#124;')} |")
        lines.append("")
    lines += ["## Transaction types", "", ", ".join(f"`{t}`" for t in TRANSACTION_TYPES), "",
              "## Personal-data kinds in `pii_spans`", "", ", ".join(f"`{k}`" for k in PII_KINDS),
              ""]
    return "\n".join(lines)
