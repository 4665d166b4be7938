"""Column layouts of bank CSV exports: which column holds what, and how values are written.

A :class:`CsvLayout` says how one bank writes its CSV export: delimiter, quoting, encoding,
decimal and thousands separators, date formats, and which header names hold the booking
date, label, amount (or debit and credit), currency and account. ``BUILTIN_LAYOUTS`` ships
layouts modelled on the exports of the main French banks and neobanks (made-up but typical
column names, never a real bank's file); :func:`load_layout` reads a user's layout from a
small TOML file. Header names match without regard to case, accents or punctuation.

>>> BUILTIN_LAYOUTS["ca_like"].debit
('Débit euros',)
>>> BUILTIN_LAYOUTS["ca_like"].required_fields()
('booking_date', 'label', 'debit', 'credit')
"""

from __future__ import annotations

import codecs
import re
import string
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ledgerlens.exceptions import ConfigurationError

__all__ = [
    "BUILTIN_LAYOUTS",
    "COLUMN_FIELDS",
    "LAYOUT_FOR_DIALECT",
    "CsvLayout",
    "load_layout",
]

#: What a column can hold, as a layout maps it (``CsvLayout`` fields of the same name).
COLUMN_FIELDS: tuple[str, ...] = (
    "booking_date", "value_date", "label", "label_complement", "amount", "debit", "credit",
    "currency", "counterparty", "account", "bank_transaction_code",
)

#: Preamble labels after which banks write the account number (matched normalised).
DEFAULT_ACCOUNT_LABELS: tuple[str, ...] = (
    "numero de compte", "numero compte", "n de compte", "no de compte", "compte n",
    "compte", "iban", "rib", "account", "account number",
)

_DATE_DIRECTIVES = {"d": r"[0-9]{1,2}", "m": r"[0-9]{1,2}", "Y": r"(?:19|20|21)[0-9]{2}",
                    "y": r"[0-9]{2}"}
_FRIENDLY_DATE = (("yyyy", "%Y"), ("yy", "%y"), ("dd", "%d"), ("mm", "%m"))
_PREAMBLE_FIELDS = frozenset({"account", "currency", "start", "end", "opening_balance",
                              "closing_balance"})


def date_format_regex(fmt: str) -> str:
    """A Rust-regex (Polars) pattern the text of a date must fully match for ``fmt``.

    Polars' ``to_date`` alone would read ``01/02/24`` as the year 24 with ``%Y``.
    """
    out, i = ["^"], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            out.append(_DATE_DIRECTIVES[fmt[i + 1]])
            i += 2
            continue
        out.append(fmt[i] if fmt[i].isalnum() else f"\\x{{{ord(fmt[i]):X}}}")
        i += 1
    return "".join(out) + "$"


def _as_strftime(fmt: str) -> str:
    if "%" in fmt:
        return fmt
    for token, directive in _FRIENDLY_DATE:
        fmt = fmt.replace(token, directive)
    return fmt


@dataclass(frozen=True)
class CsvLayout:
    """How one bank writes its CSV export; column fields hold accepted header names.

    Each column field is a tuple of header names (aliases; the first is what the exporter
    writes), empty when the bank has no such column. A layout has either ``amount`` (signed)
    or both ``debit`` and ``credit``; debits may be written positive or negative (the reader
    accepts both, ``debits_negative`` says how the exporter writes them). Fields named in
    ``optional`` may be missing from a file's header. ``account_labels`` are the preamble
    labels (``Numéro de compte;...``) that carry the account; ``account_in_name`` is a regex
    whose first group takes it from the file name. ``header``, ``preamble``, ``bom``,
    ``line_terminator``, ``quote_all``, ``balance_column`` and ``constants`` only shape
    exports. Invalid values raise ``ConfigurationError`` naming the field.
    """

    name: str
    booking_date: tuple[str, ...]
    label: tuple[str, ...]
    amount: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    value_date: tuple[str, ...] = ()
    label_complement: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()
    counterparty: tuple[str, ...] = ()
    account: tuple[str, ...] = ()
    bank_transaction_code: tuple[str, ...] = ()
    optional: frozenset[str] = frozenset()
    delimiter: str = ";"
    quote_char: str | None = '"'
    encoding: str = "cp1252"
    decimal_separator: str = ","
    thousands_separators: str = ""
    date_formats: tuple[str, ...] = ("%d/%m/%Y",)
    default_currency: str = "EUR"
    debits_negative: bool = False
    skip_rows: int = 0
    header_search_lines: int = 50
    account_labels: tuple[str, ...] = DEFAULT_ACCOUNT_LABELS
    account_in_name: str | None = None
    header: tuple[str, ...] = ()
    preamble: tuple[str, ...] = ()
    bom: bool = False
    line_terminator: str = "\r\n"
    quote_all: bool = False
    balance_column: str | None = None
    constants: tuple[tuple[str, str], ...] = ()
    _patterns: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        def bad(key: str, why: str) -> ConfigurationError:
            return ConfigurationError(f"CSV layout {self.name!r}: {key} {why}")

        if not self.name:
            raise bad("name", "must not be empty")
        for key in COLUMN_FIELDS:
            names = getattr(self, key)
            if not isinstance(names, tuple) or not all(isinstance(n, str) and n for n in names):
                raise bad(key, f"must be a tuple of non-empty header names, got {names!r}")
        for key in ("booking_date", "label"):
            if not getattr(self, key):
                raise bad(key, "is required")
        if bool(self.amount) == bool(self.debit or self.credit):
            raise bad("amount", "or both debit and credit must be given, not both or neither")
        if bool(self.debit) != bool(self.credit):
            raise bad("debit" if not self.debit else "credit", "must come with its pair")
        unknown = set(self.optional) - set(COLUMN_FIELDS)
        if unknown:
            raise bad("optional", f"names unknown fields {sorted(unknown)}; "
                                  f"allowed: {', '.join(COLUMN_FIELDS)}")
        if len(self.delimiter) != 1 or self.delimiter in "\r\n":
            raise bad("delimiter", f"must be one character, got {self.delimiter!r}")
        if self.quote_char is not None and (len(self.quote_char) != 1
                                            or self.quote_char == self.delimiter
                                            or not self.quote_char.isascii()):
            raise bad("quote_char", f"must be one ASCII character other than the delimiter, "
                                    f"got {self.quote_char!r}")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise bad("encoding", f"is not a known codec, got {self.encoding!r}") from None
        if self.decimal_separator not in (",", "."):
            raise bad("decimal_separator", f"must be ',' or '.', got {self.decimal_separator!r}")
        if (self.decimal_separator in self.thousands_separators
                or any(c.isalnum() or c in "+-" for c in self.thousands_separators)):
            raise bad("thousands_separators", f"must be spaces or punctuation other than the "
                                              f"decimal separator, got "
                                              f"{self.thousands_separators!r}")
        if not self.date_formats:
            raise bad("date_formats", "must list at least one format")
        formats = tuple(_as_strftime(f) for f in self.date_formats)
        for fmt in formats:
            directives = re.findall(r"%(.?)", fmt)
            if not {"d", "m"} <= set(directives) or not set(directives) <= set(_DATE_DIRECTIVES) \
                    or not ({"Y", "y"} & set(directives)):
                raise bad("date_formats", f"entry {fmt!r} must use %d, %m and %Y or %y "
                                          f"(or dd, mm, yyyy, yy) and nothing else")
        object.__setattr__(self, "date_formats", formats)
        object.__setattr__(self, "_patterns", tuple(date_format_regex(f) for f in formats))
        if not re.fullmatch(r"[A-Z]{3}", self.default_currency):
            raise bad("default_currency", f"must be an ISO 4217 code, got "
                                          f"{self.default_currency!r}")
        if self.skip_rows < 0 or not 1 <= self.header_search_lines <= 1000:
            raise bad("skip_rows", "must be >= 0 and header_search_lines within 1..1000")
        if self.account_in_name is not None:
            try:
                if re.compile(self.account_in_name).groups < 1:
                    raise bad("account_in_name", "must have one capturing group")
            except re.error as exc:
                raise bad("account_in_name", f"is not a valid regex ({exc})") from None
        for line in self.preamble:
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(line) if f is not None}
            except ValueError as exc:
                raise bad("preamble", f"line {line!r} is not a valid template ({exc})") from None
            if not names <= _PREAMBLE_FIELDS:
                raise bad("preamble", f"uses unknown placeholders "
                                      f"{sorted(names - _PREAMBLE_FIELDS)}; allowed: "
                                      f"{', '.join(sorted(_PREAMBLE_FIELDS))}")
        if self.line_terminator not in ("\n", "\r\n"):
            raise bad("line_terminator", "must be '\\n' or '\\r\\n'")
        written = [getattr(self, k)[0] for k in COLUMN_FIELDS if getattr(self, k)]
        if not self.header:
            object.__setattr__(self, "header", tuple(written))
        extra = [self.balance_column] if self.balance_column else []
        missing = [n for n in (*written, *extra, *(c for c, _ in self.constants))
                   if n not in self.header]
        if missing:
            raise bad("header", f"lacks the columns {missing} the layout writes")

    @property
    def date_patterns(self) -> tuple[str, ...]:
        """Full-match regexes for ``date_formats``, in the same order."""
        return self._patterns

    def required_fields(self) -> tuple[str, ...]:
        """Column fields the header must have for a file to be read with this layout."""
        return tuple(k for k in COLUMN_FIELDS if getattr(self, k) and k not in self.optional)


_SPACES = " \u00a0\u202f"

#: Layouts modelled on French bank and neobank exports (fictional column names).
BUILTIN_LAYOUTS: dict[str, CsvLayout] = {lay.name: lay for lay in (
    CsvLayout(
        "bnp_like", booking_date=("Date opération",), value_date=("Date valeur",),
        label=("Libellé opération",), amount=("Montant opération",), currency=("Devise",),
        thousands_separators=_SPACES, preamble=("Numéro de compte;{account}", "")),
    CsvLayout(
        "sg_like", booking_date=("Date de l'opération",), label=("Libellé",),
        label_complement=("Détail de l'écriture",), amount=("Montant de l'opération",),
        currency=("Devise",),
        preamble=("Numéro de compte;{account}", "Solde au {start};{opening_balance}", "")),
    CsvLayout(
        "ca_like", booking_date=("Date",), label=("Libellé",),
        label_complement=("Libellé complémentaire",), debit=("Débit euros",),
        credit=("Crédit euros",), thousands_separators=_SPACES,
        optional=frozenset({"label_complement"}),
        preamble=("Téléchargement des opérations du {start} au {end};", "N° de compte;{account}",
                  "")),
    CsvLayout(
        "lcl_like", booking_date=("Date",), amount=("Montant",),
        bank_transaction_code=("Type d'opération",), account=("Numéro de compte",),
        label=("Libellé",), label_complement=("Complément",), date_formats=("%d/%m/%y",),
        optional=frozenset({"label_complement"}),
        header=("Date", "Montant", "Type d'opération", "Numéro de compte", "Libellé",
                "Complément")),
    CsvLayout(
        "cm_cic_like", booking_date=("Date",), value_date=("Date de valeur",), debit=("Débit",),
        credit=("Crédit",), label=("Libellé",), thousands_separators=".",
        debits_negative=True, balance_column="Solde", preamble=("Compte n°;{account}", ""),
        header=("Date", "Date de valeur", "Débit", "Crédit", "Libellé", "Solde")),
    CsvLayout(
        "bpce_like", booking_date=("Date",), label=("Libellé",), debit=("Débit",),
        credit=("Crédit",), label_complement=("Détail",), debits_negative=True,
        preamble=("Code de la banque : 10000;Code de l'agence : 00001;Date de début de "
                  "téléchargement : {start};Date de fin de téléchargement : {end};",
                  "Numéro de compte : {account};Devise : {currency};", ""),
        header=("Date", "Numéro d'opération", "Libellé", "Débit", "Crédit", "Détail", "")),
    CsvLayout(
        "lbp_like", booking_date=("Date",), label=("Libellé",), amount=("Montant(EUROS)",),
        preamble=("Numéro Compte;{account}", "Type;CCP", "Compte tenu en;euros",
                  "Date;{end}", "Solde (EUROS);{closing_balance}", "")),
    CsvLayout(
        "boursorama_like", booking_date=("dateOp",), value_date=("dateVal",), label=("label",),
        amount=("amount",), counterparty=("supplierFound",), account=("accountNum",),
        encoding="utf-8", bom=True, quote_all=True, line_terminator="\n",
        thousands_separators=_SPACES, balance_column="accountbalance",
        header=("dateOp", "dateVal", "label", "category", "categoryParent", "supplierFound",
                "amount", "comment", "accountNum", "accountLabel", "accountbalance"),
        constants=(("accountLabel", "COMPTE COURANT"),)),
    CsvLayout(
        "neobank_like", booking_date=("Booking Date",), value_date=("Value Date",),
        counterparty=("Partner Name",), bank_transaction_code=("Type",),
        label=("Payment Reference",), account=("Account",), amount=("Amount",),
        currency=("Currency",), delimiter=",", encoding="utf-8", decimal_separator=".",
        date_formats=("%Y-%m-%d",), quote_all=True, line_terminator="\n",
        header=("Booking Date", "Value Date", "Partner Name", "Type", "Payment Reference",
                "Account", "Amount", "Currency")),
    CsvLayout(
        "revolut_like", booking_date=("Completed Date",), value_date=("Started Date",),
        bank_transaction_code=("Type",), label=("Description",), amount=("Amount",),
        currency=("Currency",), account=("Account",), delimiter=",", encoding="utf-8",
        decimal_separator=".", date_formats=("%Y-%m-%d",), line_terminator="\n",
        balance_column="Balance",
        header=("Type", "Product", "Started Date", "Completed Date", "Description", "Amount",
                "Fee", "Currency", "State", "Balance", "Account"),
        constants=(("Product", "Current"), ("Fee", "0.00"), ("State", "COMPLETED"))),
    CsvLayout(
        "generic", booking_date=("Date", "Date opération", "Date comptable"),
        value_date=("Date de valeur", "Date valeur"), label=("Libellé", "Label"),
        label_complement=("Complément", "Libellé complémentaire"), amount=("Montant",),
        currency=("Devise",), account=("Compte", "IBAN"), counterparty=("Tiers",),
        optional=frozenset({"value_date", "label_complement", "currency", "account",
                            "counterparty"}),
        encoding="utf-8", thousands_separators=_SPACES, date_formats=("%d/%m/%Y", "%Y-%m-%d")),
)}

#: The builtin layout each synthetic bank (``ledgerlens.datasets.DIALECT_IDS``) exports in.
LAYOUT_FOR_DIALECT: dict[str, str] = {
    "national_facture": "bnp_like",
    "national_two_line": "sg_like",
    "mutualist_two_line": "ca_like",
    "mutualist_50": "cm_cic_like",
    "cooperative_32": "bpce_like",
    "network_32": "lcl_like",
    "postal_50": "lbp_like",
    "online_bank": "boursorama_like",
    "neobank": "neobank_like",
    "mobile_40": "revolut_like",
    "aggregator": "generic",
}

_TOP_KEYS = {f.name for f in fields(CsvLayout) if f.init} - set(COLUMN_FIELDS) - {"optional"}
_TUPLE_KEYS = {"date_formats", "account_labels", "header", "preamble"}


def load_layout(path: Path) -> CsvLayout:
    """Read a user's CSV layout from a TOML file.

    Top-level keys are the ``CsvLayout`` options (``name``, ``delimiter``, ``encoding``,
    ``decimal_separator``, ``thousands_separators``, ``date_formats`` as strftime or
    ``dd/mm/yyyy``, ...); a ``[columns]`` table maps fields to a header name or a list of
    aliases, plus ``optional = [...]``; ``quote_char = ""`` means no quoting and
    ``constants`` is a table of column -> value. Raises ``ConfigurationError`` naming the
    file and the offending key.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read CSV layout: {exc}") from None
    kwargs: dict[str, Any] = {}
    columns = raw.pop("columns", None)
    if not isinstance(columns, dict):
        raise ConfigurationError(f"{path}: key 'columns' must be a table mapping fields "
                                 f"({', '.join(COLUMN_FIELDS)}) to header names")
    for key, value in columns.items():
        if key == "optional":
            kwargs["optional"] = frozenset(_str_list(path, "columns.optional", value))
        elif key in COLUMN_FIELDS:
            kwargs[key] = tuple(_str_list(path, f"columns.{key}", value))
        else:
            raise ConfigurationError(f"{path}: unknown key 'columns.{key}'; allowed: "
                                     f"{', '.join((*COLUMN_FIELDS, 'optional'))}")
    for key, value in raw.items():
        if key not in _TOP_KEYS:
            raise ConfigurationError(f"{path}: unknown key {key!r}; allowed: "
                                     f"{', '.join(sorted((*_TOP_KEYS, 'columns')))}")
        if key in _TUPLE_KEYS:
            value = tuple(_str_list(path, key, value))
        elif key == "constants":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigurationError(f"{path}: key 'constants' must be a table of strings")
            value = tuple(value.items())
        elif key == "quote_char" and value == "":
            value = None
        elif key == "thousands_separators" and isinstance(value, list):
            value = "".join(_str_list(path, key, value))
        kwargs[key] = _typed(path, key, value)
    if "name" not in kwargs:
        raise ConfigurationError(f"{path}: key 'name' is required")
    for key in ("booking_date", "label"):
        if key not in kwargs:
            raise ConfigurationError(f"{path}: key 'columns.{key}' is required")
    try:
        return CsvLayout(**kwargs)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{path}: {exc}") from None


def _str_list(path: Path, key: str, value: object) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise ConfigurationError(f"{path}: key {key!r} must be a string or a list of non-empty "
                                 f"strings, got {value!r}")
    return items


def _typed(path: Path, key: str, value: object) -> object:
    expected: dict[str, type | tuple[type, ...]] = {
        "skip_rows": int, "header_search_lines": int, "debits_negative": bool, "bom": bool,
        "quote_all": bool, "quote_char": (str, type(None))}
    want = expected.get(key, (str, tuple))
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        raise ConfigurationError(f"{path}: key {key!r} has the wrong type: got {value!r}")
    return value


def with_detected(layout: CsvLayout, delimiter: str, encoding: str) -> CsvLayout:
    """``layout`` with the delimiter and encoding a file actually uses."""
    if (delimiter, encoding) == (layout.delimiter, layout.encoding):
        return layout
    quote = None if layout.quote_char == delimiter else layout.quote_char
    return replace(layout, delimiter=delimiter, encoding=encoding, quote_char=quote)
