"""Corrections that stay fixed: record a person's fix once, apply it on every enrichment.

A :class:`Correction` targets one transaction, a label pattern or a merchant, for one
customer, one tenant or everyone, and sets some of the enriched fields. A
:class:`CorrectionStore` keeps them in a folder (one JSON Lines file, rewritten
atomically); :func:`apply_corrections` applies a :class:`CorrectionSet` to an enriched
table with a fixed precedence, so the same corrections always give the same result:

1. target: transaction > pattern > merchant;
2. applicability: customer > tenant > global;
3. the newest ``created_at``, then the smallest ``correction_id``.

Each field group (category + subcategory, merchant id + name, transaction type,
is_recurring, is_income) is taken from the first correction in that order that sets it,
so a merchant-wide category fix and a one-transaction "is recurring" fix both hold.

>>> c = Correction(scope="pattern", target="boulangerie du marche", subcategory="bakery")
>>> (c.category, c.target, len(c.correction_id))
('groceries', 'BOULANGERIE DU MARCHE', 16)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any, Literal

import polars as pl

from ledgerlens.exceptions import ConfigurationError, DataError
from ledgerlens.schema import TRANSACTION_TYPES
from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES

__all__ = [
    "CORRECTABLE_COLUMNS",
    "SCOPES",
    "Correction",
    "CorrectionSet",
    "CorrectionStore",
    "apply_corrections",
    "export_training_data",
]

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
_FILE_NAME = "corrections.jsonl"
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
        for name in ("customer_id", "tenant_id"):
            value = getattr(self, name)
            if value is not None and not str(value).strip():
                raise ConfigurationError(f"{name} must be non-empty when given")
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


class CorrectionStore:
    """Corrections kept in ``path/corrections.jsonl``; every write replaces the file atomically.

    >>> import tempfile
    >>> store = CorrectionStore(tempfile.mkdtemp())
    >>> c = store.add(Correction(scope="merchant", target="loc:1", category="groceries"))
    >>> len(store.load())
    1
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def file(self) -> Path:
        """The JSON Lines file that holds the corrections."""
        return self.path / _FILE_NAME

    def _read(self) -> list[Correction]:
        if self.path.exists() and not self.path.is_dir():
            raise ConfigurationError(f"correction store {self.path} is a file, not a folder")
        if not self.file.exists():
            return []
        out: list[Correction] = []
        with self.file.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    out.append(Correction.from_record(json.loads(line)))
                except (json.JSONDecodeError, TypeError, LookupError, ValueError) as exc:
                    raise DataError(f"{self.file}: line {number}: {exc}") from None
        return out

    def _write(self, corrections: Sequence[Correction]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        ordered = sorted(corrections, key=lambda c: (c.created_at, c.correction_id))
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".corrections-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for c in ordered:
                    handle.write(json.dumps(c.to_record(), sort_keys=True, ensure_ascii=False))
                    handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, correction: Correction) -> Correction:
        """Store ``correction``; the same correction added again replaces the older record."""
        kept = [c for c in self._read() if c.correction_id != correction.correction_id]
        self._write([*kept, correction])
        return correction

    def remove(self, correction_id: str) -> Correction:
        """Remove one correction by id (or a unique prefix of at least 6 characters)."""
        current = self._read()
        key = correction_id.strip()
        hits = [c for c in current if c.correction_id == key]
        if not hits and len(key) >= 6:
            hits = [c for c in current if c.correction_id.startswith(key)]
        if not hits:
            raise ConfigurationError(f"unknown correction id {correction_id!r}; the store "
                                     f"{self.path} holds {len(current)} correction(s)")
        if len(hits) > 1:
            raise ConfigurationError(f"correction id prefix {correction_id!r} is ambiguous: "
                                     f"{', '.join(c.correction_id for c in hits)}")
        self._write([c for c in current if c.correction_id != hits[0].correction_id])
        return hits[0]

    def list(self, *, scope: str | None = None, customer_id: str | None = None,
             tenant_id: str | None = None) -> pl.DataFrame:
        """The stored corrections, oldest first, optionally only one scope, customer or tenant."""
        frame = CorrectionSet(tuple(self._read())).to_frame()
        if scope is not None:
            frame = frame.filter(pl.col("scope") == scope)
        if customer_id is not None:
            frame = frame.filter(pl.col("customer_id") == customer_id)
        if tenant_id is not None:
            frame = frame.filter(pl.col("tenant_id") == tenant_id)
        return frame.sort("created_at", "correction_id")

    def load(self) -> CorrectionSet:
        """Every stored correction, ready for :func:`apply_corrections`."""
        return CorrectionSet(tuple(self._read()))


# ---------------------------------------------------------------------------------------
# applying

_ROW = "_cx_row"
_GROUPS: dict[str, tuple[str, ...]] = {
    "category": ("category", "subcategory"),
    "merchant": ("merchant_id", "merchant_name"),
    "transaction_type": ("transaction_type",),
    "is_recurring": ("is_recurring",),
    "is_income": ("is_income",),
}


def _ranked(corrections: CorrectionSet) -> pl.DataFrame:
    frame = corrections.to_frame()
    return frame.with_columns(
        _scope_rank=pl.col("scope").replace_strict(
            {s: i for i, s in enumerate(SCOPES)}, return_dtype=pl.Int8),
        _applies_rank=pl.when(pl.col("customer_id").is_not_null()).then(pl.lit(0, pl.Int8))
        .when(pl.col("tenant_id").is_not_null()).then(pl.lit(1, pl.Int8))
        .otherwise(pl.lit(2, pl.Int8)),
        _label=pl.format(
            "correction {} ({}{})", pl.col("correction_id").str.slice(0, 8), pl.col("scope"),
            pl.when(pl.col("customer_id").is_not_null()).then(pl.lit(", customer"))
            .when(pl.col("tenant_id").is_not_null()).then(pl.lit(", tenant"))
            .otherwise(pl.lit(""))),
    )


def _pattern_matches(labels: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """(clean_label, correction_id) pairs, evaluated once per distinct label."""
    unique = labels.select(pl.col("clean_label").unique())
    parts: list[pl.DataFrame] = []
    literal = rules.filter(~pl.col("regex"))
    if literal.height:
        patterns = literal["target"].unique().sort().to_list()
        hits = (unique.with_columns(
            _hit=pl.col("clean_label").str.to_uppercase().str.extract_many(
                patterns, overlapping=True, ascii_case_insensitive=True))
            .explode("_hit").drop_nulls("_hit").unique())
        parts.append(hits.join(literal.select("target", "correction_id"),
                               left_on="_hit", right_on="target")
                     .select("clean_label", "correction_id"))
    for target, ids in (rules.filter(pl.col("regex")).group_by("target")
                        .agg("correction_id").sort("target").iter_rows()):
        matched = unique.filter(pl.col("clean_label").str.contains(f"(?i){target}"))
        if matched.height:
            parts.append(matched.join(pl.DataFrame({"correction_id": ids},
                                                   schema={"correction_id": pl.String}),
                                      how="cross"))
    if not parts:
        return pl.DataFrame(schema={"clean_label": pl.String, "correction_id": pl.String})
    return pl.concat(parts).unique()


def _matches(rows: pl.DataFrame, ranked: pl.DataFrame) -> pl.DataFrame:
    """Every (row, correction) pair whose target and applicability match."""
    schema = {_ROW: pl.UInt32, "correction_id": pl.String}
    parts: list[pl.DataFrame] = []
    for scope, column in (("transaction", "transaction_id"), ("merchant", "merchant_id")):
        rules = ranked.filter(pl.col("scope") == scope)
        if rules.height and column in rows.columns:
            parts.append(rows.select(_ROW, pl.col(column).cast(pl.String)).join(
                rules.select("target", "correction_id"), left_on=column, right_on="target")
                .select(_ROW, "correction_id"))
    rules = ranked.filter(pl.col("scope") == "pattern")
    if rules.height and "clean_label" in rows.columns:
        labels = rows.select(_ROW, pl.col("clean_label").cast(pl.String).fill_null(""))
        pairs = _pattern_matches(labels, rules)
        if pairs.height:
            parts.append(labels.join(pairs, on="clean_label").select(_ROW, "correction_id"))
    if not parts:
        return pl.DataFrame(schema=schema)
    pairs = pl.concat(parts)
    index = pairs[_ROW]
    who = {c: rows[c].cast(pl.String).gather(index).alias(f"_row_{c}")
           for c in ("customer_id", "tenant_id") if c in rows.columns}
    pairs = pairs.with_columns(list(who.values())).join(ranked, on="correction_id")
    for c in ("customer_id", "tenant_id"):
        ok = pl.col(c).is_null()
        if c in who:
            ok = ok | (pl.col(c) == pl.col(f"_row_{c}")).fill_null(False)
        pairs = pairs.filter(ok)
    return pairs


def _resolve(pairs: pl.DataFrame) -> pl.DataFrame:
    """Per row, each field group from the first correction in precedence order that sets it."""
    keys = [_ROW, "_scope_rank", "_applies_rank", "created_at", "correction_id"]
    descending = [False, False, False, True, False]
    ordered = pairs.sort(keys, descending=descending)
    winners: list[pl.DataFrame] = []
    for group, cols in _GROUPS.items():
        sets = reduce(lambda a, b: a | b, [pl.col(c).is_not_null() for c in cols])
        winners.append(
            ordered.filter(sets).unique(_ROW, keep="first", maintain_order=True)
            .select(*keys, "_label", *[pl.col(c).alias(f"_new_{c}") for c in cols],
                    pl.lit(True).alias(f"_set_{group}")))
    contributors = (pl.concat([w.select(*keys, "_label") for w in winners])
                    .unique([_ROW, "correction_id"]).sort(keys, descending=descending))
    resolved = contributors.group_by(_ROW, maintain_order=True).agg(
        pl.col("correction_id").first().alias("_cid"), pl.col("_label").alias("_labels"))
    for win in winners:
        resolved = resolved.join(win.drop(*keys[1:], "_label"), on=_ROW, how="left")
    return resolved


def apply_corrections(enriched: pl.DataFrame, corrections: CorrectionSet) -> pl.DataFrame:
    """Apply ``corrections`` to an enriched table; pure, vectorized and deterministic.

    Corrected columns take the winning correction's value (see the module docstring for
    precedence); ``category_confidence`` (and ``merchant_confidence``) become 1.0 where a
    correction set them, ``category_evidence`` and ``explanation`` (when present) name the
    correction (``correction <id8> (<scope>)``), and a ``correction_id`` column names the
    leading correction (null when none applied). The correctable columns are added (null)
    when the input lacks them. A category set without a subcategory keeps the row's
    subcategory only when it belongs to that category.
    """
    out = enriched.drop("correction_id", strict=False)
    wanted = {**CORRECTABLE_COLUMNS, "category_confidence": pl.Float64(),
              "merchant_confidence": pl.Float64(), "category_evidence": pl.String(),
              "explanation": pl.String()}
    out = out.with_columns(
        [pl.lit(None, dtype).alias(name) for name, dtype in CORRECTABLE_COLUMNS.items()
         if name not in out.columns]
        + [pl.col(name).cast(dtype) for name, dtype in wanted.items()
           if name in out.columns and out.schema[name] == pl.Null])
    no_id = pl.repeat(None, out.height, dtype=pl.String, eager=True).alias("correction_id")
    if not len(corrections) or not out.height:
        return out.with_columns(no_id)
    pairs = _matches(out.with_row_index(_ROW), _ranked(corrections))
    if not pairs.height:
        return out.with_columns(no_id)
    resolved = _resolve(pairs)
    index = resolved[_ROW]
    touched = [c for c in (*CORRECTABLE_COLUMNS, "category_confidence", "merchant_confidence",
                           "category_evidence", "explanation") if c in out.columns]
    small = pl.concat([resolved, out.select(touched).gather(index)], how="horizontal")
    new = small.select(_corrected_values(out.schema))
    columns = [out[name].clone().scatter(index, new[name]) for name in new.columns]
    columns.append(no_id.scatter(index, small["_cid"]))
    return out.with_columns(columns)


def _corrected_values(schema: pl.Schema) -> list[pl.Expr]:
    """Expressions over the corrected rows (resolved values next to current ones)."""
    set_cat = pl.col("_set_category").fill_null(False)
    set_merchant = pl.col("_set_merchant").fill_null(False)
    subcat_parent = pl.col("subcategory").cast(pl.String).replace_strict(
        {k: v.category for k, v in SUBCATEGORIES.items()}, default=None, return_dtype=pl.String)
    kept_subcategory = pl.when(subcat_parent == pl.col("_new_category")).then(
        pl.col("subcategory").cast(pl.String))
    updates: dict[str, tuple[pl.Expr, pl.Expr]] = {
        "category": (set_cat, pl.col("_new_category")),
        "subcategory": (set_cat, pl.coalesce(pl.col("_new_subcategory"), kept_subcategory)),
        "merchant_id": (set_merchant, pl.col("_new_merchant_id")),
        "merchant_name": (set_merchant, pl.coalesce(
            pl.col("_new_merchant_name"),
            pl.when(pl.col("merchant_id").cast(pl.String) == pl.col("_new_merchant_id"))
            .then(pl.col("merchant_name").cast(pl.String)))),
    }
    for name in ("transaction_type", "is_recurring", "is_income"):
        updates[name] = (pl.col(f"_set_{name}").fill_null(False), pl.col(f"_new_{name}"))
    if "category_confidence" in schema:
        updates["category_confidence"] = (set_cat, pl.lit(1.0))
    if "merchant_confidence" in schema:
        updates["merchant_confidence"] = (set_merchant, pl.lit(1.0))
    if schema.get("category_evidence") == pl.String:
        updates["category_evidence"] = (
            set_cat, pl.format("correction {}", pl.col("_cid").str.slice(0, 8)))
    exprs = [pl.when(flag).then(value.cast(schema[name])).otherwise(pl.col(name)).alias(name)
             for name, (flag, value) in updates.items()]
    if schema.get("explanation") == pl.String:
        prefix = pl.col("_labels").list.join("; ")
        old = pl.col("explanation")
        exprs.append(pl.when(old.is_null() | (old == "")).then(prefix)
                     .otherwise(pl.concat_str([prefix, old], separator="; "))
                     .alias("explanation"))
    return exprs


def export_training_data(enriched: pl.DataFrame, corrections: CorrectionSet) -> pl.DataFrame:
    """Corrected transactions as labelled rows for the next training run.

    Columns: clean_label, amount, mcc, transaction_type, merchant_id, category,
    subcategory, source (``"correction"``) and correction_id; one row per transaction that
    at least one correction changed. Missing inputs (say, no mcc) come out null.
    """
    corrected = apply_corrections(enriched, corrections).filter(
        pl.col("correction_id").is_not_null())
    wanted: dict[str, pl.DataType] = {
        "clean_label": pl.String(), "amount": pl.Float64(), "mcc": pl.String(),
        "transaction_type": pl.String(), "merchant_id": pl.String(), "category": pl.String(),
        "subcategory": pl.String(),
    }
    cols = [(pl.col(n) if n in corrected.columns else pl.lit(None)).cast(t).alias(n)
            for n, t in wanted.items()]
    return corrected.select(*cols, pl.lit("correction").alias("source"),
                            pl.col("correction_id"))

