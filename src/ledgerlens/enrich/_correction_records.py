"""A correction and a set of them: what it targets, for whom, which fields it sets.

A :class:`Correction` targets one transaction, a label pattern or a merchant, for one
customer, one tenant or everyone, and sets some of the enriched fields. It is checked when
made (known ids, a valid regex, a subcategory under its category) and named by a hash of
what it does, so the same correction added twice is one correction.

>>> c = Correction(scope="pattern", target="boulangerie du marche", subcategory="bakery")
>>> (c.category, c.target, len(c.correction_id))
('groceries', 'BOULANGERIE DU MARCHE', 16)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from ledgerlens.exceptions import ConfigurationError, DataError
from ledgerlens.schema import TRANSACTION_TYPES
from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES

__all__ = ["CORRECTABLE_COLUMNS", "SCOPES", "Correction", "CorrectionSet"]

Scope = Literal["transaction", "pattern", "merchant"]

#: What a correction can target, most specific first (the precedence order).
SCOPES: tuple[str, ...] = ("transaction", "pattern", "merchant")

#: The enriched columns a correction can set, with their dtypes.
CORRECTABLE_COLUMNS: dict[str, pl.DataType] = {
    "category": pl.String(), "subcategory": pl.String(), "merchant_id": pl.String(),
    "merchant_name": pl.String(), "transaction_type": pl.String(),
    "is_recurring": pl.Boolean(), "is_income": pl.Boolean(),
}

_CONTENT_FIELDS = ("scope", "target", "regex", "customer_id", "tenant_id",
                   *CORRECTABLE_COLUMNS)
_FRAME_SCHEMA: dict[str, pl.DataType] = {
    "correction_id": pl.String(), "scope": pl.String(), "target": pl.String(),
    "regex": pl.Boolean(), "customer_id": pl.String(), "tenant_id": pl.String(),
    **CORRECTABLE_COLUMNS,
    "author": pl.String(), "created_at": pl.Datetime("us", "UTC"), "note": pl.String(),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check_regex(pattern: str) -> None:
    """Compile ``pattern`` with the engine that applies it (Polars' Rust regex)."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(f"(?i){pattern}")
    except pl.exceptions.PolarsError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines()]
        reason = next((ln.removeprefix("error:").strip() for ln in lines
                       if ln.startswith("error:")), type(exc).__name__)
        raise ConfigurationError(
            f"invalid regex {pattern!r} for a pattern correction: {reason}") from None


@dataclass(frozen=True, slots=True)
class Correction:
    """One correction: what it targets, for whom, and which enriched fields it sets.

    ``scope`` is ``transaction`` (``target`` is a transaction_id), ``pattern`` (``target``
    is a case-insensitive substring of ``clean_label``, or a regex when ``regex`` is true)
    or ``merchant`` (``target`` is a merchant_id: every transaction of that merchant).
    ``customer_id`` limits it to one customer, ``tenant_id`` to one tenant (both: that
    customer in that tenant); neither makes it global. ``correction_id`` is a hash of
    what the correction does (not of author, note or time), so adding the same correction
    twice gives one id.
    """

    scope: Scope
    target: str
    regex: bool = False
    customer_id: str | None = None
    tenant_id: str | None = None
    category: str | None = None
    subcategory: str | None = None
    merchant_id: str | None = None
    merchant_name: str | None = None
    transaction_type: str | None = None
    is_recurring: bool | None = None
    is_income: bool | None = None
    author: str = ""
    created_at: dt.datetime = field(default_factory=_now)
    note: str = ""
    correction_id: str = ""

    def __post_init__(self) -> None:
        self._check_types()
        if self.scope not in SCOPES:
            raise ConfigurationError(
                f"unknown correction scope {self.scope!r}; expected one of {', '.join(SCOPES)}")
        target = (self.target or "").strip()
        if not target:
            raise ConfigurationError(f"a {self.scope} correction needs a non-empty target")
        if self.regex and self.scope != "pattern":
            raise ConfigurationError("regex=True only applies to pattern corrections")
        if self.scope == "pattern":
            if self.regex:
                _check_regex(target)
            else:
                target = target.upper()
        object.__setattr__(self, "target", target)
        for name in ("customer_id", "tenant_id", "merchant_id"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise ConfigurationError(f"{name} must be non-empty when given")
            if value is not None:  # `` C1 `` would never match the table's ``C1``
                object.__setattr__(self, name, value.strip())
        self._check_values()
        created = self.created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        object.__setattr__(self, "created_at", created.astimezone(dt.UTC))
        computed = self._content_hash()
        if self.correction_id and self.correction_id != computed:
            raise DataError(f"correction id {self.correction_id!r} does not match its content "
                            f"(expected {computed!r}); the record was altered")
        object.__setattr__(self, "correction_id", computed)

    def _check_types(self) -> None:
        """Each field's type (a hand-edited store or a caller's value may hold another):
        text fields text, flags booleans, ``created_at`` a date-time."""
        texts = ("scope", "target", "author", "note", "correction_id")
        optional_texts = ("customer_id", "tenant_id", "category", "subcategory",
                          "merchant_id", "merchant_name", "transaction_type")
        wrong = [(name, "text") for name in texts
                 if not isinstance(getattr(self, name), str)]
        wrong += [(name, "text or null") for name in optional_texts
                  if getattr(self, name) is not None and not isinstance(getattr(self, name), str)]
        wrong += [(name, "true, false or null") for name in ("is_recurring", "is_income")
                  if getattr(self, name) is not None and not isinstance(getattr(self, name), bool)]
        if not isinstance(self.regex, bool):
            wrong.append(("regex", "true or false"))
        if not isinstance(self.created_at, dt.datetime):
            wrong.append(("created_at", "a date-time"))
        if wrong:
            raise ConfigurationError("correction field(s) of the wrong type: " + ", ".join(
                f"{name} must be {kind}, not {getattr(self, name)!r}" for name, kind in wrong))

    def _check_values(self) -> None:
        if self.subcategory is not None:
            sub = SUBCATEGORIES.get(self.subcategory)
            if sub is None:
                raise ConfigurationError(
                    f"unknown subcategory {self.subcategory!r}; expected one of "
                    f"{', '.join(SUBCATEGORIES)}")
            if self.category is None:
                object.__setattr__(self, "category", sub.category)
            elif self.category != sub.category:
                raise ConfigurationError(
                    f"subcategory {self.subcategory!r} belongs to {sub.category!r}, "
                    f"not to category {self.category!r}")
        if self.category is not None and self.category not in CATEGORIES:
            raise ConfigurationError(f"unknown category {self.category!r}; expected one of "
                                     f"{', '.join(CATEGORIES)}")
        if self.transaction_type is not None and self.transaction_type not in TRANSACTION_TYPES:
            raise ConfigurationError(
                f"unknown transaction type {self.transaction_type!r}; expected one of "
                f"{', '.join(TRANSACTION_TYPES)}")
        if self.merchant_name is not None and self.merchant_id is None:
            raise ConfigurationError("merchant_name needs a merchant_id to go with it")
        if all(getattr(self, name) is None for name in CORRECTABLE_COLUMNS):
            raise ConfigurationError(
                f"a correction must set at least one of {', '.join(CORRECTABLE_COLUMNS)}")

    def _content_hash(self) -> str:
        content = {name: getattr(self, name) for name in _CONTENT_FIELDS}
        blob = json.dumps(content, sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def applies_to(self) -> str:
        """``customer``, ``tenant`` or ``global``: who the correction is for."""
        if self.customer_id is not None:
            return "customer"
        return "tenant" if self.tenant_id is not None else "global"

    def to_record(self) -> dict[str, Any]:
        """A JSON-able dict of every field (``created_at`` as an ISO string)."""
        record = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        record["created_at"] = self.created_at.isoformat()
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Correction:
        """The correction of a :meth:`to_record` dict; checks the stored id against the content."""
        if not isinstance(record, Mapping):
            raise DataError(f"a correction is a JSON object, not {type(record).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(record) - known)
        if unknown:
            raise DataError(f"unknown correction field(s) {', '.join(unknown)}")
        values = dict(record)
        created = values.get("created_at")
        if isinstance(created, str):
            try:
                values["created_at"] = dt.datetime.fromisoformat(created)
            except ValueError:
                raise DataError(f"created_at is not an ISO date-time: {created!r}") from None
        return cls(**values)


@dataclass(frozen=True, slots=True)
class CorrectionSet:
    """An immutable, picklable set of corrections, held in ``correction_id`` order."""

    corrections: tuple[Correction, ...] = ()

    def __post_init__(self) -> None:
        stray = [c for c in self.corrections if not isinstance(c, Correction)]
        if stray:
            raise ConfigurationError(f"a CorrectionSet holds Correction objects, not "
                                     f"{type(stray[0]).__name__} ({stray[0]!r})")
        by_id = {c.correction_id: c for c in self.corrections}
        ordered = tuple(by_id[k] for k in sorted(by_id))
        object.__setattr__(self, "corrections", ordered)

    def __len__(self) -> int:
        return len(self.corrections)

    def __iter__(self) -> Iterator[Correction]:
        return iter(self.corrections)

    def to_frame(self) -> pl.DataFrame:
        """One row per correction, every field a column (an empty, typed frame when empty)."""
        rows = [{name: getattr(c, name) for name in _FRAME_SCHEMA} for c in self.corrections]
        return pl.DataFrame(rows, schema=_FRAME_SCHEMA, orient="row")
