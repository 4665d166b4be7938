"""``MerchantMatcher``: label text -> known merchant, with calibrated confidence.

Works on the unique (text, MCC, counterparty) keys of a frame, then joins the answer back,
so a million transactions cost what their few thousand distinct labels cost. A few rows (one
transaction) take a plain-Python path end to end (``_inputs.quick_inputs``, ``_quick``,
``_quick_match``) with the same tables, rules and bits: a label's answer never depends on
the other rows of the call. Below the confidence threshold chosen for the requested
precision, the merchant is "unknown" (null).

>>> import polars as pl
>>> m = MerchantMatcher.default()
>>> out = m.match(pl.DataFrame({"raw_label": ["CB E.LECLERC 12/03"], "mcc": ["5411"]}))
>>> out["merchant_name"].to_list()
['E.Leclerc']
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.enrich._distinct import row_hash
from ledgerlens.enrich._few_rows import with_values
from ledgerlens.enrich._frame import ENGINE
from ledgerlens.enrich._intermediary import TERMINALS
from ledgerlens.enrich._parallel import in_parts, stacked
from ledgerlens.enrich.merchants._candidates import (
    KIND_FUZZY,
    KIND_PREFIX,
    candidates,
    match_key_expr,
)
from ledgerlens.enrich.merchants._directory import (
    MerchantDirectory,
    business_key,
    display_name,
    display_name_expr,
)
from ledgerlens.enrich.merchants._inputs import (
    input_text_expr,
    key_exprs,
    optional_expr,
    quick_inputs,
)
from ledgerlens.enrich.merchants._quick import (
    QUICK_MAX_TEXTS,
    hits_frame,
    quick_features,
    quick_hit_records,
)
from ledgerlens.enrich.merchants._quick_match import HINT_MIN_CONFIDENCE, quick_answers
from ledgerlens.enrich.merchants._scorer import MerchantScorer, hit_features
from ledgerlens.exceptions import ConfigurationError, DataError
from ledgerlens.schema import CARD_TYPES

__all__ = ["MERCHANT_COLUMNS", "MerchantMatcher", "input_text_expr"]

#: Columns ``MerchantMatcher.match`` adds, with their dtypes.
MERCHANT_COLUMNS: dict[str, pl.DataType] = {
    "merchant_id": pl.String(), "merchant_name": pl.String(), "merchant_website": pl.String(),
    "merchant_confidence": pl.Float64(), "merchant_category": pl.String(),
    "merchant_subcategory": pl.String(), "merchant_evidence": pl.String(),
    # the brand's lines of business when the label cannot tell which one
    "merchant_lines": pl.String(),
    # the line of business of the best candidate below the threshold (not returned): a
    # clue for the category model, never a merchant answer
    "merchant_hint": pl.String(),
}

#: Transaction types that buy nothing from anyone: a cash machine in a shop (``RETRAIT DAB
#: CARREFOUR``) or a town that is also a brand (``RETRAIT DAB GAP``) names no merchant, and
#: neither does a deferred card's monthly total (``TOTAL DES FACTURES CARTE`` is no
#: TotalEnergies).
NO_MERCHANT_TYPES: tuple[str, ...] = ("cash_withdrawal", "cash_deposit", "deferred_card_total")


def _texts(frame: pl.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * frame.height
    column = frame.get_column(name)
    return (column if column.dtype == pl.String else column.cast(pl.String)).to_list()


def _no_merchant_rows(frame: pl.DataFrame, ids: Sequence[str | None],
                      intermediary_ids: frozenset[str],
                      bank_ids: frozenset[str]) -> list[bool] | None:
    """Which rows name no merchant, read on plain values (``ids``: each row's answer); None
    when none does. See ``_without_merchants_where_none``."""
    types, inters = _texts(frame, "transaction_type"), _texts(frame, "intermediary")
    flags = [t in NO_MERCHANT_TYPES
             or (t == "fee" and m is not None and m not in bank_ids)
             or (t in CARD_TYPES and i in TERMINALS and m in intermediary_ids)
             for t, i, m in zip(types, inters, ids, strict=True)]
    return flags if any(flags) else None


def _without_merchants_where_none(frame: pl.DataFrame, intermediary_ids: frozenset[str],
                                  bank_ids: frozenset[str]) -> pl.DataFrame:
    """Merchant columns of rows that name no merchant emptied: a type that buys nothing from
    anyone (``NO_MERCHANT_TYPES``), a bank's fee that names a shop (``COMMISSION CARTE X1234
    AMAZON US``: the fee on a payment abroad; the bank charges it, the shop sold nothing on
    that line), or a card payment through a shop's terminal answered by the terminal's own
    entry (``CB SUMUP 12/03``: the shop's name was cut off; SumUp sold nothing). Other rows
    as they are."""
    if "transaction_type" not in frame.columns:
        return frame
    typed = pl.col("transaction_type").cast(pl.String)
    none = typed.is_in(NO_MERCHANT_TYPES) | (
        (typed == "fee") & ~pl.col("merchant_id").is_in(sorted(bank_ids))).fill_null(False)
    if "intermediary" in frame.columns and intermediary_ids:
        none = none | (typed.is_in(CARD_TYPES) & pl.col("intermediary").is_in(TERMINALS)
                       & pl.col("merchant_id").is_in(sorted(intermediary_ids))).fill_null(False)
    flags = frame.select(none.alias("_none")).to_series()
    if not flags.any():
        return frame
    return frame.with_columns(pl.when(flags).then(None).otherwise(pl.col(c)).cast(t).alias(c)
                              for c, t in MERCHANT_COLUMNS.items())


_SEED = 20_241_128
_KEY = ("_t", "mcc", "_c", "transaction_type")
_optional = optional_expr
_key_exprs = key_exprs


def _keys(rows: pl.DataFrame, column: str, id_name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(text -> id) for the distinct texts of ``column`` and (id, key) of distinct keys."""
    texts = rows.select(column).unique(maintain_order=True).drop_nulls().with_columns(
        key=match_key_expr(pl.col(column)))
    keys = texts.select("key").unique(maintain_order=True).with_row_index("text_id")
    mapping = texts.join(keys, on="key").select(column, pl.col("text_id").alias(id_name))
    return mapping, keys


def _hits(rows: pl.DataFrame, directory: MerchantDirectory, fuzzy: bool,
          quick: bool | None = None) -> pl.DataFrame:
    """Every candidate hit of every row (``row_id``, ``mcc``, ``_t``, ``_c``).

    ``quick`` (default: for a few rows) takes the plain-Python path, same rows."""
    if quick if quick is not None else rows.height <= QUICK_MAX_TEXTS:
        return hits_frame(quick_hit_records(rows, directory, fuzzy, *_key_exprs()))
    t_map, t_keys = _keys(rows, "_t", "_tid")
    c_map, c_keys = _keys(rows, "_c", "_cid")
    rows = (rows.join(t_map, on="_t", how="left")
            .join(c_map, on="_c", how="left")
            .select("row_id", "mcc", "transaction_type", "_tid", "_cid"))
    label = candidates(t_keys, directory, fuzzy=fuzzy)
    party = candidates(c_keys, directory, fuzzy=False)
    return pl.concat([
        rows.join(label.rename({"text_id": "_tid"}), on="_tid").with_columns(
            field=pl.lit(0, pl.Int8)),
        rows.join(party.rename({"text_id": "_cid"}), on="_cid").with_columns(
            field=pl.lit(1, pl.Int8)),
    ]).drop("_tid", "_cid")


def _stacked(tops: list[pl.DataFrame | None]) -> pl.DataFrame | None:
    """The best candidates of slices of the distinct keys as one frame (None: none at all)."""
    found = [top for top in tops if top is not None]
    return stacked(found) if found else None


@functools.cache
def _evidence() -> pl.Expr:
    kind = (pl.when(pl.col("kind") == KIND_PREFIX).then(pl.lit("truncated alias "))
            .when(pl.col("kind") == KIND_FUZZY).then(pl.lit("similar to alias "))
            .otherwise(pl.lit("alias ")))
    where = pl.when(pl.col("field") == 1).then(pl.lit(" in counterparty")).otherwise(pl.lit(""))
    # The feature columns are floats (0/1) by now.
    mcc = (pl.when(pl.col("mcc_exact") + pl.col("mcc_sub") > 0).then(pl.lit("; MCC agrees"))
           .when(pl.col("mcc_conflict") > 0).then(pl.lit("; MCC differs"))
           .otherwise(pl.lit("")))
    return pl.concat_str([kind, pl.lit('"'), pl.col("alias"), pl.lit('"'), where, mcc])


def _line_merchants(directory: MerchantDirectory,
                    ) -> tuple[dict[str, tuple[str, str]],
                               dict[tuple[str, ...], tuple[str, str, str | None]]]:
    """(merchant_id -> (business_key, display name), line -> the line's first merchant
    (merchant_id, name, website)), for ``MerchantMatcher.settle_lines``. A line is keyed
    by (business, subcategory), and also by (business, display name, subcategory), so that
    a Super U fuel station settled as a supermarket stays Super U, not the brand's first
    supermarket (Hyper U); a business's brands share their lines (Suravenir's life
    contract is the brand ``Suravenir (assurance vie)``)."""
    rows = directory.merchants.sort("merchant_idx").select(
        "merchant_id", business_key(), "subcategory", "name", "website").iter_rows()
    business_of: dict[str, tuple[str, str]] = {}
    line_merchant: dict[tuple[str, ...], tuple[str, str, str | None]] = {}
    for merchant_id, business, sub, name, website in rows:
        business_of[merchant_id] = (business, name)
        shown = (merchant_id, display_name(name), website)
        line_merchant.setdefault((business, sub), shown)
        line_merchant.setdefault((business, name, sub), shown)
    return business_of, line_merchant


def _line_words(directory: MerchantDirectory,
                ) -> tuple[dict[str, str], dict[tuple[str, str], frozenset[str]]]:
    """(merchant_id -> business_key, (business_key, line) -> the words of the line's
    aliases), for the merchants of businesses with several lines (the open lines of
    ``MerchantScorer.top`` are a business's)."""
    lines = directory.merchants.select("merchant_idx", "merchant_id", business_key(),
                                       "subcategory").filter(
        pl.col("subcategory").n_unique().over("business_key") > 1)
    words = (lines.join(directory.aliases.select("merchant_idx", "alias"), on="merchant_idx")
             .with_columns(word=pl.col("alias").str.split(" ")).explode("word")
             .group_by("business_key", "subcategory").agg(pl.col("word").unique()))
    return (dict(lines.select("merchant_id", "business_key").iter_rows()),
            {(business, sub): frozenset(ws) for business, sub, ws in words.iter_rows()})


def _name_words(directory: MerchantDirectory) -> dict[str, frozenset[str]]:
    """merchant_id -> the words of its aliases, for ``MerchantMatcher.name_words``."""
    words = (directory.merchants.select("merchant_idx", "merchant_id")
             .join(directory.aliases.select("merchant_idx", "alias"), on="merchant_idx")
             .select("merchant_id", word=pl.col("alias").str.split(" ")).explode("word")
             .group_by("merchant_id").agg(pl.col("word").unique()))
    return {mid: frozenset(ws) for mid, ws in words.iter_rows()}


class MerchantMatcher:
    """Recognise known merchants in labels and counterparty names.

    ``directory`` defaults to ``MerchantDirectory.default()``; ``precision`` is the share
    of returned merchants that must be right on held-out labels (the confidence threshold
    follows from the scorer's precision curve); ``fuzzy`` enables the character n-gram
    search for labels without an alias hit. ``fit`` learns the scorer (``scorer_``);
    ``default()`` gives a matcher with the scorer of the shipped enrichment model
    (``ledgerlens train enrichment --default``; no training at run time).
    """

    def __init__(self, directory: MerchantDirectory | None = None, *, precision: float = 0.99,
                 fuzzy: bool = True) -> None:
        self.directory = directory
        self.precision = precision
        self.fuzzy = fuzzy
        self.scorer_: MerchantScorer | None = None

    # -- construction -----------------------------------------------------------------
    @classmethod
    def default(cls, *, precision: float = 0.99,
                directory: MerchantDirectory | None = None) -> MerchantMatcher:
        """The matcher with the shipped enrichment model's scorer over ``directory`` (the
        bundled directory by default): one scorer, whichever way it is reached."""
        from ledgerlens.enrich._model import EnrichmentModel

        return cls.from_arrays(EnrichmentModel.default().merchants.to_arrays(),
                               directory=directory, precision=precision)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.ArrayLike], *,
                    directory: MerchantDirectory | None = None,
                    precision: float = 0.99) -> MerchantMatcher:
        """A matcher from ``to_arrays`` output (the directory is not part of the arrays)."""
        matcher = cls(directory, precision=precision)
        matcher.scorer_ = MerchantScorer.from_arrays(arrays)
        return matcher

    def to_arrays(self) -> dict[str, npt.NDArray[np.float64]]:
        """The learned scorer as numpy arrays (save with ``ledgerlens.models``)."""
        return self._scorer().to_arrays()

    # -- properties ---------------------------------------------------------------------
    def _directory(self) -> MerchantDirectory:
        return self.directory if self.directory is not None else MerchantDirectory.default()

    def _scorer(self) -> MerchantScorer:
        if self.scorer_ is None:
            raise ConfigurationError("this MerchantMatcher is not fitted; call fit() or use "
                                     "MerchantMatcher.default()")
        return self.scorer_

    @property
    def town_names(self) -> frozenset[str]:
        """The directory's names that end in a town (``TAN NANTES``): label cleaning keeps
        them whole."""
        return self._directory().town_names

    @property
    def online_ids(self) -> frozenset[str]:
        """The directory's merchants that only sell at a distance."""
        return self._directory().online_ids

    @property
    def station_ids(self) -> frozenset[str]:
        """The directory's merchants of an oil company's stations (pumps and shop)."""
        return self._directory().station_ids

    @property
    def threshold(self) -> float:
        """The confidence at or above which a merchant is returned (labels with an MCC;
        see ``MerchantScorer.bare_threshold_for`` for those without)."""
        return self._scorer().threshold_for(self.precision)

    # -- work ---------------------------------------------------------------------------
    def _rows(self, frame: pl.DataFrame, extra: list[pl.Expr]) -> pl.DataFrame:
        cols = frame.columns
        return frame.select(
            input_text_expr(cols).alias("_t"), _optional(cols, "mcc").alias("mcc"),
            _optional(cols, "counterparty_name").alias("_c"),
            _optional(cols, "transaction_type").alias("transaction_type"), *extra)

    def score(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The best candidate of each distinct key: ``_h`` (row hash), merchant_idx,
        confidence and the hit's features; rows without any candidate are absent."""
        return self._score(frame)[1]

    def _score(self, frame: pl.DataFrame,
               quick: bool | None = None) -> tuple[pl.Series, pl.DataFrame]:
        """(row hash of every row of ``frame``, best candidate per distinct hash);
        ``quick`` (default: for a few distinct keys) computes hits and features in Python."""
        directory, scorer = self._directory(), self._scorer()
        cols, one = frame.columns, frame.height == 1 and quick is not False
        # One row is its own distinct key: its match keys come with the same query.
        keys = [e.alias(n) for e, n in zip(_key_exprs(), ("_kt", "_kc"), strict=True)]
        work = frame.lazy().select(
            input_text_expr(cols).alias("_t"), _optional(cols, "mcc").alias("mcc"),
            _optional(cols, "counterparty_name").alias("_c"),
            _optional(cols, "transaction_type").alias("transaction_type"),
        ).with_columns(_h=row_hash(_KEY, _SEED)).with_columns(
            *(keys if one else [])).collect(engine=ENGINE)
        # In first-seen order: the same frame gives the same bits on every run.
        rows = work.with_row_index("row_id") if one else work.lazy().unique(
            "_h", maintain_order=True).with_row_index("row_id").collect(engine=ENGINE)
        if quick if quick is not None else rows.height <= QUICK_MAX_TEXTS:
            # A few keys: the same candidates and features, computed in Python.
            records = quick_hit_records(rows, directory, self.fuzzy, *_key_exprs())
            feats = quick_features(records, directory) if records else None
            top = None if feats is None else scorer.top(feats)
        else:
            def best(part: pl.DataFrame) -> pl.DataFrame | None:
                hits = _hits(part, directory, self.fuzzy, quick=False)
                return (scorer.top(hit_features(hits, directory.merchants, directory.aliases))
                        if hits.height else None)

            top = in_parts(rows, best, _stacked)
        if top is None:
            return work["_h"], pl.DataFrame(schema={
                "_h": pl.UInt64, "merchant_idx": pl.UInt32, "confidence": pl.Float64})
        # row_id is the row's index in ``rows``: gather its hash (no join).
        return work["_h"], top.hstack([rows["_h"].gather(top["row_id"])])

    def match(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with ``MERCHANT_COLUMNS`` added (all its columns kept, same order).

        Reads ``merchant_text`` / ``clean_label`` / ``raw_label`` (+ ``label_complement``),
        ``mcc`` and ``counterparty_name`` when present. ``merchant_confidence`` is the
        best candidate's calibrated confidence (null when there is none); below
        ``threshold`` the merchant columns are null.
        """
        if not isinstance(frame, pl.DataFrame):
            raise DataError(f"match expects a polars DataFrame; got {type(frame).__name__}")
        present = set(frame.columns)
        clash = [c for c in MERCHANT_COLUMNS if c in present]
        base = frame.drop(clash) if clash else frame
        if base.height == 0:
            return base.with_columns(pl.lit(None, dtype=t).alias(c)
                                     for c, t in MERCHANT_COLUMNS.items())
        if base.height <= QUICK_MAX_TEXTS:
            # A few rows: the same answers in plain Python and numpy (no Polars query).
            few = quick_answers(quick_inputs(base), self._directory(), self._scorer(),
                                fuzzy=self.fuzzy, precision=self.precision)
            values = {c: few[c] for c in MERCHANT_COLUMNS}
            none = _no_merchant_rows(base, values["merchant_id"],
                                     self._directory().intermediary_ids,
                                     self._directory().bank_ids)
            if none is not None:  # as _without_merchants_where_none
                values = {c: [None if k else v for v, k in zip(vs, none, strict=True)]
                          for c, vs in values.items()}
            return with_values(base, values, MERCHANT_COLUMNS)
        row_hash, top = self._score(base)
        if top.height == 0:
            return base.with_columns(pl.lit(None, dtype=t).alias(c)
                                     for c, t in MERCHANT_COLUMNS.items())
        directory = self._directory()
        scorer = self._scorer()
        keep = pl.col("confidence") >= pl.when(pl.col("bare_card")).then(
            scorer.bare_threshold_for(self.precision)).when(pl.col("transfer")).then(
            scorer.transfer_threshold_for(self.precision)).otherwise(self.threshold)
        # A brand with several lines of business that the label cannot tell apart
        # (Intermarché's shops and its fuel stations without MCC, an insurer's car and home
        # contracts): the brand is known, its line is not; the category model chooses among
        # the lines (amount, words such as AUTO or MOBILE).
        sure_line = ~pl.col("brand_lines").fill_null("").str.contains("|", literal=True)
        hint = ~keep & sure_line & (pl.col("confidence") >= HINT_MIN_CONFIDENCE)
        answers = top.lazy().join(directory.merchants.lazy().select(
            "merchant_idx", "merchant_id", "name", "website", "category", "subcategory"),
            on="merchant_idx", how="left").select(
            "_h",
            merchant_id=pl.when(keep).then(pl.col("merchant_id")),
            merchant_name=pl.when(keep).then(display_name_expr(pl.col("name"))),
            merchant_website=pl.when(keep).then(pl.col("website")),
            merchant_confidence=pl.col("confidence"),
            merchant_category=pl.when(keep & sure_line).then(pl.col("category")),
            merchant_subcategory=pl.when(keep & sure_line).then(pl.col("subcategory")),
            merchant_lines=pl.when(keep & ~sure_line).then(pl.col("brand_lines")),
            merchant_evidence=pl.when(keep).then(_evidence()),
            merchant_hint=pl.when(hint).then(pl.col("subcategory")),
        )
        joined = row_hash.to_frame().lazy().join(
            answers, on="_h", how="left", maintain_order="left").select(
            pl.col(c).cast(t) for c, t in MERCHANT_COLUMNS.items()).collect(engine=ENGINE)
        return _without_merchants_where_none(base.hstack(joined.get_columns()),
                                             directory.intermediary_ids, directory.bank_ids)

    def brand_words(self, merchant_id: str, lines: Iterable[str]) -> frozenset[str]:
        """The words that every one of ``lines`` of ``merchant_id``'s business spells in
        its aliases (``CITYA`` for the rent and building-charges lines; ``DGFIP``, ``IMPOT``
        for the tax office's income and property tax lines): the business's name, which
        cannot tell those lines apart; empty for a business of one line."""
        business_of, words = self._directory().cached("matcher.line_words", _line_words)
        business = business_of.get(merchant_id)
        sets = [words.get((business, line), frozenset()) for line in lines] if business else []
        return frozenset.intersection(*sets) if sets else frozenset()

    def name_words(self, merchant_id: str) -> frozenset[str]:
        """The words of ``merchant_id``'s aliases (``CAISSE``, ``D``, ``EPARGNE``, ``CE``):
        its name, which names none of its products; empty for an unknown id."""
        words = self._directory().cached("matcher.name_words", _name_words)
        return words.get(merchant_id, frozenset())

    def settle_lines(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Rows whose business has several lines the label could not tell apart
        (``merchant_lines``, e.g. ``car_insurance|home_insurance``) get the business's
        merchant of the line the category model chose (``subcategory``): Direct Assurance's
        car contract for ``DIRECT ASSURANCE AUTO``. Other rows are left as they are."""
        cols = frame.columns
        if ("merchant_lines" not in cols or "subcategory" not in cols
                or frame["merchant_lines"].null_count() == frame.height):
            return frame
        business_of, line_merchant = self._directory().cached("matcher.lines",
                                                              _line_merchants)
        names = ("merchant_id", "merchant_name", "merchant_website")

        def entry(mid: str | None, sub: str | None,
                  lines: str) -> tuple[str, str, str | None] | None:
            named = business_of.get(mid) if mid is not None else None
            if named is None or sub is None or sub not in lines.split("|"):
                return None
            business, name = named
            return (line_merchant.get((business, name, sub))
                    or line_merchant.get((business, sub)))

        if frame.height <= QUICK_MAX_TEXTS:
            # A few rows (one transaction): plain values, no query.
            values = {n: frame[n].to_list() for n in names}
            changed = False
            for i, (lines, sub) in enumerate(zip(frame["merchant_lines"].to_list(),
                                                 frame["subcategory"].to_list(), strict=True)):
                found = None if lines is None else entry(values["merchant_id"][i], sub, lines)
                for n, v in zip(names, found or (), strict=False):
                    values[n][i], changed = v, True
            if not changed:
                return frame
            out = frame.clone()
            for n in names:
                out.replace_column(out.get_column_index(n), pl.Series(n, values[n], pl.String))
            return out
        # The distinct (merchant, chosen line, open lines) of the rows with open lines: a
        # few hundred in a million rows; each looked up once, the answers scattered back.
        open_rows = frame.select(*names, "subcategory", "merchant_lines").with_row_index(
            "_i").filter(pl.col("merchant_lines").is_not_null())
        answers = [(*key, *found) for key in open_rows.select(
            "merchant_id", "subcategory", "merchant_lines").unique().iter_rows()
            if (found := entry(*key)) is not None]
        if not answers:
            return frame
        hits = open_rows.join(pl.DataFrame(answers, orient="row", schema={
            "merchant_id": pl.String, "subcategory": pl.String, "merchant_lines": pl.String,
            "_id": pl.String, "_name": pl.String, "_site": pl.String}),
            on=["merchant_id", "subcategory", "merchant_lines"])
        return frame.with_columns(
            frame[n].clone().scatter(hits["_i"], hits[c]) for n, c in zip(
                names, ("_id", "_name", "_site"), strict=True))

    # -- learning -----------------------------------------------------------------------
    def training_hits(self, frame: pl.DataFrame, truth: pl.Series | str,
                      fit_rows: pl.Series | None = None) -> pl.DataFrame:
        """Feature rows of every hit with ``y`` (hit is the true merchant) and ``weight``
        (transactions sharing text, MCC, counterparty and truth); ``_split`` in [0, 100)
        from the text, so one text never lands on both sides of a split; ``_fit`` whether
        the transactions are among ``fit_rows`` (all when None)."""
        directory = self._directory()
        truth_col = frame[truth] if isinstance(truth, str) else truth
        for name, column in (("truth", truth_col), ("fit_rows", fit_rows)):
            if column is not None and column.len() != frame.height:
                raise DataError(f"{name} has {column.len()} values for {frame.height} rows")
        fit = (pl.lit(True) if fit_rows is None
               else pl.lit(fit_rows.cast(pl.Boolean).fill_null(False)))
        work = self._rows(frame, [pl.lit(truth_col.cast(pl.String)).alias("_y"),
                                  fit.alias("_fit")])
        rows = (work.group_by(*_KEY, "_y", "_fit").agg(weight=pl.len().cast(pl.Float64))
                .sort(*_KEY, "_y", "_fit", nulls_last=True).with_row_index("row_id"))
        hits = _hits(rows, directory, self.fuzzy)
        if hits.height == 0:
            raise DataError("no label of the training frame has any merchant candidate")
        feats = hit_features(hits, directory.merchants, directory.aliases)
        ids = directory.merchants.select("merchant_idx", _hit_id="merchant_id")
        brands = directory.merchants.select(_y="merchant_id", _y_brand="brand_key")
        info = rows.select("row_id", "_y", "weight", "_fit",
                           _split=(pl.col("_t").hash(_SEED) % 100).cast(pl.Int32)).join(
            brands, on="_y", how="left")
        return (feats.join(ids, on="merchant_idx").join(info, on="row_id")
                .with_columns(
                    y=(pl.col("_hit_id") == pl.col("_y")).fill_null(False).cast(pl.Int8),
                    y_brand=(pl.col("brand_key") == pl.col("_y_brand")).fill_null(False)
                    .cast(pl.Int8))
                .sort("row_id", "merchant_idx"))

    def fit(self, frame: pl.DataFrame, truth: pl.Series | str, *,
            calibration_share: float = 0.3, fit_rows: pl.Series | None = None
            ) -> MerchantMatcher:
        """Learn the scorer from labelled transactions (``truth``: true merchant ids, null
        or unknown ids for transactions at no directory merchant). A ``calibration_share``
        of the distinct texts is held out to fit the calibration and precision curve.
        ``fit_rows`` (Boolean per row) limits the rows the scorer's weights learn from; the
        calibration reads the held-out texts of every row: more labels for the map of rare
        answers (a bare brand name without MCC), whose few rows otherwise set it."""
        if not 0.05 <= calibration_share <= 0.8:
            raise ConfigurationError(
                f"calibration_share must be in [0.05, 0.8]; got {calibration_share!r}")
        hits = self.training_hits(frame, truth, fit_rows)
        cut = round(100 * (1 - calibration_share))
        self.scorer_ = MerchantScorer.fit(hits.filter((pl.col("_split") < cut) & pl.col("_fit")),
                                          hits.filter(pl.col("_split") >= cut))
        return self
