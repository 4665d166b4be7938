"""``CategoryModel``: linear text model + merchant directory category + type rules, calibrated.

Decision order for one transaction, each with its evidence:

1. a type rule (``cash_withdrawal`` -> cash, ``deferred_card_total`` -> transfers, cheques);
2. the merchant directory's subcategory when the matcher is confident enough;
3. the linear model over label n-grams, context (type, MCC, amount, intermediary) and the
   shop's profile in the batch (``_profiles.py``: ticket size, spread and visits of all the
   card payments at that label),
   restricted by the type where the type fixes the level 1 (a fee is a bank fee, a refund
   keeps a purchase category) and to a known brand's lines of business when the matcher
   could not tell which one (``merchant_lines``), with temperature-scaled probabilities;
4. below ``abstain_below`` the model abstains: ``other`` / ``uncategorised`` with its low
   confidence.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.enrich._parallel import in_parts, stacked
from ledgerlens.enrich.categories._features import (
    FeatureSpec,
    hash_features,
    hashed_parts,
    profile_part,
    unique_keys,
)
from ledgerlens.enrich.categories._hashing import word_buckets
from ledgerlens.enrich.categories._linear import (
    LinearScorer,
    fit_linear,
    fit_temperature,
    softmax,
)
from ledgerlens.enrich.categories._profiles import (
    describe_profile,
    profile_decides,
    shop_profiles,
)
from ledgerlens.enrich.categories._row import ROW_PATH_MAX_ROWS, predict_rows
from ledgerlens.enrich.categories._rules import (
    MERCHANT_LINE_SCOPES,
    TRANSFER_LINES,
    TYPE_RULES,
    TYPE_SCOPES,
    scope_mask,
)
from ledgerlens.exceptions import ConfigurationError, DataError
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = ["OUTPUT_COLUMNS", "CategoryModel", "NotFittedError"]

OUTPUT_COLUMNS: tuple[str, ...] = (
    "category",
    "subcategory",
    "category_confidence",
    "category_evidence",
)
_FORMAT = "ledgerlens.category_model"
_FORMAT_VERSION = 1
_TYPE_RULE_CONFIDENCE = 0.99


class NotFittedError(ConfigurationError, AttributeError):
    """The model was used before ``fit`` or ``from_arrays``."""


@functools.cache
def _mcc_map() -> dict[str, str]:
    from ledgerlens.datasets import load_mcc_codes

    return dict(load_mcc_codes().select("mcc", "subcategory").iter_rows())


def _unseen_mcc_read_as(scorer: LinearScorer, n_bits: int) -> dict[str, str]:
    """``CategoryModel.mcc_read_as`` of a fitted scorer: each code of the MCC table whose
    context token (``M_<code>``, a hashed word) has no weight row -> a code of its
    subcategory that has one (the subcategory's typical code when it does, else the
    lowest); codes of a subcategory with no known code are left out."""
    from ledgerlens.datasets._mcc import TYPICAL_MCC

    table = _mcc_map()
    codes = sorted(table)
    known = scorer.rows_of(word_buckets([f"M_{c}" for c in codes], n_bits)) >= 0
    by_line: dict[str, list[str]] = {}
    for code, seen in zip(codes, known.tolist(), strict=True):
        if seen:
            by_line.setdefault(table[code], []).append(code)
    read_as: dict[str, str] = {}
    for code, seen in zip(codes, known.tolist(), strict=True):
        line = by_line.get(table[code])
        if not seen and line:
            typical = TYPICAL_MCC.get(table[code])
            read_as[code] = typical if typical in line else line[0]
    return read_as


def _capped_shop_texts(texts: pl.Series, weight: npt.NDArray[np.float64],
                       shop: npt.NDArray[np.bool_], cap: float) -> npt.NDArray[np.float64]:
    """``weight`` with the keys of local shops (``shop``) scaled down so that those sharing
    a label text weigh ``cap`` at most together; other keys (chains, public bodies, bank
    wording: texts that are the signal themselves) and keys without text are left alone."""
    total = pl.DataFrame({"t": texts, "w": np.where(shop, weight, 0.0)}).select(
        pl.col("w").sum().over("t")).to_series().to_numpy()
    capped = shop & (texts != "").to_numpy() & (total > cap)
    out: npt.NDArray[np.float64] = np.where(capped, weight * cap / np.maximum(total, 1e-12),
                                            weight)
    return out


def _copies(keys: pl.DataFrame, y: npt.NDArray[Any], weight: npt.NDArray[np.float64],
            has: str, token: str, blank: str, chosen: npt.NDArray[np.bool_]
            ) -> tuple[pl.DataFrame, npt.NDArray[Any], npt.NDArray[np.float64]]:
    """``keys`` plus copies of the ``chosen`` ones whose context matches ``has`` (and not
    ``blank`` already), with ``token`` replaced by ``blank``; ``weight`` (one row, of one
    or more columns, per key) is copied along."""
    context = keys["context"]
    pick = (context.str.contains(has) & ~context.str.contains(blank, literal=True)).to_numpy()
    pick &= chosen
    if not pick.any():
        return keys, y, weight
    copies = keys.filter(pl.Series(pick)).with_columns(
        context=pl.col("context").str.replace(token, blank))
    return (pl.concat([keys, copies]), np.concatenate([y, y[pick]]),
            np.concatenate([weight, weight[pick]]))


_CALIBRATION_SEED = 11
_MIN_PROFILED_ROWS = 100  # fewer training rows with a shop profile: no profile scorer
_RARE_ROWS = 30


class CategoryModel:
    """Two-level categorizer with calibrated confidence, evidence and abstention.

    Parameters are stored as given (scikit-learn contract); learned state ends in ``_``.

    >>> from ledgerlens.datasets import SynthConfig, generate_bank
    >>> bank = generate_bank(SynthConfig(customers=20, months=2, seed=1))
    >>> frame = bank.transactions.join(bank.ground_truth, on=["tenant_id", "transaction_id"])
    >>> model = CategoryModel(max_iter=30).fit(frame, frame["subcategory"])
    >>> "subcategory" in model.predict(frame.head(3)).columns
    True
    """

    def __init__(
        self,
        *,
        abstain_below: float = 0.3,
        merchant_threshold: float = 0.9,
        calibration_share: float = 0.1,
        c: float = 20.0,
        max_iter: int = 100,
        prune: float = 0.005,
        n_bits: int = 21,
        mcc_dropout: float = 0.3,
        merchant_dropout: float = 0.0,
        shop_text_cap: float = 8.0,
        profile_min_rows: int = 6,
        seed: int = 0,
    ) -> None:
        self.abstain_below = abstain_below
        self.merchant_threshold = merchant_threshold
        self.calibration_share = calibration_share
        self.c = c
        self.max_iter = max_iter
        self.prune = prune
        self.n_bits = n_bits
        self.mcc_dropout = mcc_dropout
        self.merchant_dropout = merchant_dropout
        self.shop_text_cap = shop_text_cap
        self.profile_min_rows = profile_min_rows
        self.seed = seed

    # -- fitting ----------------------------------------------------------------------------

    def _check_params(self) -> None:
        checks = {
            "abstain_below": 0.0 <= self.abstain_below <= 1.0,
            "merchant_threshold": 0.0 <= self.merchant_threshold <= 1.0,
            "calibration_share": 0.0 <= self.calibration_share < 0.5,
            "c": self.c > 0,
            "max_iter": self.max_iter >= 1,
            "prune": 0.0 <= self.prune < 1.0,
            "n_bits": 12 <= self.n_bits <= 26,
            "mcc_dropout": 0.0 <= self.mcc_dropout <= 1.0,
            "merchant_dropout": 0.0 <= self.merchant_dropout <= 1.0,
            "shop_text_cap": self.shop_text_cap > 0,
            "profile_min_rows": self.profile_min_rows >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            values = ", ".join(f"{name}={getattr(self, name)!r}" for name in bad)
            raise ConfigurationError(f"CategoryModel: invalid parameter(s): {values}")

    def fit(self, frame: pl.DataFrame, subcategory_labels: pl.Series | list[str], *,
            local_shop: pl.Series | None = None) -> CategoryModel:
        """Learn from a working frame and its true level-2 ids; returns ``self``.

        ``local_shop`` (Boolean, one per row) marks payments at independent local shops:
        the label texts of those weigh ``shop_text_cap`` at most together, so that one busy
        shop's name words (a bakery named ``AU ZINC DORE``) are not learnt as trade words.

        Two scorers are learnt: one without shop profiles, for the transactions that have
        none (one alone, a small batch), and one with them (``profile_min_rows``, read from
        ``frame`` itself as ``predict`` reads them from its batch) for the card payments whose
        shop has one. One scorer for both shifts its weights towards the profiles and costs
        the transactions without (docs/experiments/0009).
        """
        self._check_params()
        labels = pl.Series("y", subcategory_labels, dtype=pl.String)
        if labels.len() != frame.height:
            raise DataError(f"subcategory_labels has {labels.len()} values for {frame.height} rows")
        unknown = labels.filter(~labels.is_in(list(SUBCATEGORIES)) | labels.is_null()).unique()
        if unknown.len():
            raise DataError(
                f"unknown subcategory id(s) {unknown.head(5).to_list()} in subcategory_labels; "
                "expected ids of ledgerlens.taxonomy.SUBCATEGORIES"
            )
        if frame.height == 0:
            raise DataError("cannot fit a CategoryModel on an empty frame")
        if local_shop is not None and local_shop.len() != frame.height:
            raise DataError(f"local_shop has {local_shop.len()} values for {frame.height} rows")
        self.scorer_, self.temperature_ = self._fit_keys(frame, labels, local_shop)
        self.classes_ = self.scorer_.classes
        self.profile_scorer_: LinearScorer | None = None
        self.profile_temperature_ = 1.0
        profiles = shop_profiles(frame, self.profile_min_rows)
        has = profiles != ""
        if has.sum() >= _MIN_PROFILED_ROWS:
            # Learnt on every row, those without a profile too: the label words it knows are
            # those the first scorer knows (a trade word seen once in a lexicon shop).
            self.profile_scorer_, self.profile_temperature_ = self._fit_keys(
                frame.with_columns(profiles), labels, local_shop)
        self.n_train_rows_ = frame.height
        return self

    def _fit_keys(self, frame: pl.DataFrame, labels: pl.Series,
                  local_shop: pl.Series | None) -> tuple[LinearScorer, float]:
        """A linear scorer and its temperature, learnt from ``frame``'s unique keys."""
        spec = FeatureSpec(n_bits=self.n_bits)
        keys, row_key = unique_keys(frame, _mcc_map())
        # One training row per (key, subcategory): a key seen 70 times at a supermarket and
        # 30 at its fuel station teaches both, in that proportion (a key weighs the square
        # root of its rows in all), so that the model's confidence on such a key is 0.7,
        # not the certainty that learning only its majority would give.
        pairs = (
            pl.DataFrame({"k": row_key, "y": labels})
            .group_by("k", "y")
            .agg(n=pl.len())
            .with_columns(n_key=pl.col("n").sum().over("k"))
            .sort("k", "y")
        )
        key_of = pairs["k"].to_numpy()
        y = pairs["y"].to_numpy()
        rows = pairs["n"].to_numpy().astype(np.float64)
        weight = np.sqrt(pairs["n_key"].to_numpy()) * rows / pairs["n_key"].to_numpy()
        if local_shop is not None:
            shop_key = (pl.DataFrame({"k": row_key, "s": local_shop.cast(pl.Boolean)
                                      .fill_null(False)})
                        .group_by("k").agg(pl.col("s").all()).sort("k")["s"].to_numpy())
            weight = _capped_shop_texts(keys["text"].gather(key_of), weight, shop_key[key_of],
                                        self.shop_text_cap)
        keys = keys[key_of]
        rng = np.random.default_rng(self.seed)
        # The dropout copies carry their rows' count along with their weight.
        keys, y, both = self._dropout_copies(keys, y, np.column_stack([weight, rows]), rng)
        weight, rows = both[:, 0], both[:, 1]
        profiled = (keys["profile"] != "").any()
        matrix = hash_features(keys["text"], keys["context"], spec,
                               keys["profile"] if profiled else None)
        calib = self._calibration_keys(keys["text"], rows)
        if calib.sum() < 50 or (~calib).sum() < 50:
            calib = np.zeros(keys.height, dtype=bool)
        if np.unique(y[~calib]).size < 2:
            raise DataError("subcategory_labels must hold at least two distinct subcategories")
        scorer = fit_linear(
            matrix[~calib],
            y[~calib],
            weight[~calib],
            c=self.c,
            max_iter=self.max_iter,
            prune=self.prune,
        )
        temperature = 1.0
        if calib.any():
            logits = scorer.logits(matrix[calib])
            index = {name: i for i, name in enumerate(scorer.classes)}
            known = np.array([v in index for v in y[calib]])
            truth = np.array([index.get(v, 0) for v in y[calib]], dtype=np.int64)
            temperature = fit_temperature(logits[known], truth[known])
        return scorer, temperature

    def _calibration_keys(self, texts: pl.Series, rows: npt.NDArray[np.float64]
                          ) -> npt.NDArray[np.bool_]:
        """Keys left out of the fit to calibrate the temperature on: every key of a share of
        the rare label texts (a shop seen in at most ``_RARE_ROWS`` rows). The temperature
        then reflects shops the model has not seen, as most of a real bank's local shops
        are, while the frequent texts (chains, common payees) all stay in the fit."""
        rows_of = pl.DataFrame({"t": texts, "n": rows}).with_columns(
            total=pl.col("n").sum().over("t"))
        share = round(self.calibration_share * 1000)
        picked = ((rows_of["t"].hash(_CALIBRATION_SEED) % 1000 < share)
                  & (rows_of["total"] <= _RARE_ROWS))
        return picked.to_numpy()

    def _dropout_copies(
        self,
        keys: pl.DataFrame,
        y: npt.NDArray[Any],
        weight: npt.NDArray[np.float64],
        rng: np.random.Generator,
    ) -> tuple[pl.DataFrame, npt.NDArray[Any], npt.NDArray[np.float64]]:
        """Add copies of some keys with the MCC removed (many bank exports carry none), of
        some keys with a known merchant without it (``merchant_dropout``): the label's words
        then learn what the merchant's category would otherwise explain away, for the
        spellings the matcher does not know (``CPAM DU RHONE``)."""
        keys, y, weight = _copies(keys, y, weight, r"\bM_[0-9]", r"\bM_\S+ MS_\S+",
                                  "M_none MS_none", rng.random(keys.height) < self.mcc_dropout)
        keys, y, weight = _copies(keys, y, weight, r"\bMER_", r"\bMER_\S+", "MER_none",
                                  rng.random(keys.height) < self.merchant_dropout)
        return keys, y, weight

    def _profiles_on(self) -> bool:
        return self.profile_min_rows > 0 and getattr(self, "profile_scorer_", None) is not None

    # -- prediction -------------------------------------------------------------------------

    def _check_fitted(self) -> LinearScorer:
        scorer = getattr(self, "scorer_", None)
        if scorer is None:
            raise NotFittedError("this CategoryModel is not fitted; call fit() or from_arrays()")
        assert isinstance(scorer, LinearScorer)
        return scorer

    def mcc_read_as(self) -> dict[str, str]:
        """MCC -> the code the model reads in its place: a code whose token it never saw in
        training reads as a known code of the same subcategory, the typical one when known
        (the synthetic banks print about 170 codes: 5542, automated fuel dispensers, had read
        as no MCC at all where 5541 reads as fuel at 1.0). Built once per model."""
        cached: dict[str, str] | None = getattr(self, "_mcc_read_as", None)
        if cached is None:
            cached = _unseen_mcc_read_as(self._check_fitted(), self.n_bits)
            self._mcc_read_as = cached
        return cached

    def _scope_mask(self, types: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
        """Allowed classes per key, from its transaction type."""
        return scope_mask(self.classes_, types)

    def _lines_mask(self, lines: pl.Series) -> npt.NDArray[np.bool_]:
        """Allowed classes per key: a known brand's lines of business (``fuel|supermarket``)
        when the matcher could not tell which one; every class otherwise."""
        index = {name: i for i, name in enumerate(self.classes_)}
        mask = np.ones((lines.len(), len(index)), dtype=bool)
        pairs = (
            pl.DataFrame({"line": lines})
            .with_row_index("k")
            .drop_nulls("line")
            .with_columns(pl.col("line").str.split("|"))
            .explode("line")
            .with_columns(c=pl.col("line").replace_strict(index, default=None,
                                                          return_dtype=pl.Int64))
            .drop_nulls("c")
        )
        if pairs.height:
            keys, cls = pairs["k"].to_numpy(), pairs["c"].to_numpy()
            mask[np.unique(keys)] = False
            mask[keys, cls] = True
        return mask

    def shop_profiles(self, frame: pl.DataFrame) -> pl.Series | None:
        """The shop profile of each row of ``frame`` as ``predict`` reads it (None: the model
        reads none). It needs no merchant: a caller may make it beside the merchant step and
        pass it to ``predict``."""
        return shop_profiles(frame, self.profile_min_rows) if self._profiles_on() else None

    def predict_keys(self, frame: pl.DataFrame, profiles: pl.Series | None = None,
                     ) -> tuple[pl.DataFrame, npt.NDArray[np.int64]]:
        """Model decision per unique feature key, and each row's key index (no row rules);
        ``profiles``: ``shop_profiles(frame)`` when already made."""
        self._check_fitted()
        if self._profiles_on():
            frame = frame.with_columns(profiles if profiles is not None
                                       else shop_profiles(frame, self.profile_min_rows))
        keys, row_key = unique_keys(frame, _mcc_map(), self.mcc_read_as())
        return in_parts(keys, self._decide_keys, stacked), row_key

    def _decide_keys(self, keys: pl.DataFrame) -> pl.DataFrame:
        """Subcategory, confidence and evidence of each feature key (row of ``keys``)."""
        scorer = self._check_fitted()
        spec = FeatureSpec(n_bits=self.n_bits)
        parts = hashed_parts(keys["text"], keys["context"], spec)
        proba = softmax(scorer.logits_parts(*parts), self.temperature_)
        profiled = (keys["profile"] != "").to_numpy()
        if profiled.any():  # the lines are read only where some key has a profile
            profiled &= profile_decides(keys["lines"])
        if profiled.any():
            proba[profiled] = self._profile_proba(keys, parts, profiled, spec)
        mask = self._scope_mask(keys["type"].fill_null("").to_numpy())
        mask &= self._lines_mask(keys["lines"])
        scoped = np.where(mask, proba, 0.0)
        total = scoped.sum(axis=1, keepdims=True)
        proba = np.where(total > 0, scoped / np.maximum(total, 1e-12), proba)
        best = proba.argmax(axis=1)
        conf = proba[np.arange(best.size), best]
        classes = np.array(self.classes_)
        # The words that decided, read in the scorer that decided.
        words = np.full(keys.height, "", dtype=object)
        for subset, by in ((~profiled, scorer), (profiled, self.profile_scorer_)):
            if subset.any() and by is not None:
                words[subset] = self._top_words(keys["text"].filter(pl.Series(subset)),
                                                best[subset], by)
        # nothing to read: no label text, no MCC, no type -> abstain outright
        empty = (
            (keys["text"] == "")
            & keys["type"].is_null()
            & keys["context"].str.contains(r"\bM_none\b")
        ).to_numpy()
        conf = np.where(empty, 0.0, conf)
        abstain = conf < self.abstain_below
        sub = np.where(abstain, "uncategorised", classes[best])
        conf_txt = pl.Series(conf).round(2).cast(pl.String)
        described = {p: describe_profile(p) for p in keys["profile"].unique().to_list()}
        profile_txt = keys["profile"].replace_strict(described, return_dtype=pl.String)
        evidence = (
            pl.DataFrame(
                {"w": words.tolist(), "c": conf_txt, "best": classes[best], "a": abstain,
                 "e": empty, "p": profiled, "pd": profile_txt}
            )
            .select(
                pl.when(pl.col("e"))
                .then(pl.lit("rule: empty label"))
                .when(pl.col("a"))
                .then(pl.format("model: unsure, best {} ({})", "best", "c"))
                .when((pl.col("w") != "") & pl.col("p"))
                .then(pl.format("model: words {} and shop profile {} ({})", "w", "pd", "c"))
                .when(pl.col("w") != "")
                .then(pl.format("model: words {} ({})", "w", "c"))
                .when(pl.col("p"))
                .then(pl.format("model: shop profile {} ({})", "pd", "c"))
                .otherwise(pl.format("model: context ({})", "c"))
            )
            .to_series()
        )
        return pl.DataFrame(
            {
                "subcategory": sub,
                "category_confidence": conf.astype(np.float64),
                "category_evidence": evidence,
            }
        )

    def _profile_proba(self, keys: pl.DataFrame, parts: tuple[Any, ...],
                       profiled: npt.NDArray[np.bool_], spec: FeatureSpec) -> npt.NDArray[Any]:
        """Probabilities of the keys with a shop profile, from the profile scorer, over the
        model's classes (a class the profile scorer never saw gets 0)."""
        scorer = self.profile_scorer_
        assert scorer is not None
        text_m, t_codes, ctx_m, c_codes = parts
        rows = np.flatnonzero(profiled)
        used_t, t_inv = np.unique(t_codes[rows], return_inverse=True)
        used_c, c_inv = np.unique(c_codes[rows], return_inverse=True)
        prof_m, p_codes = profile_part(keys["profile"].gather(rows), spec)
        logits = scorer.logits_parts(text_m[used_t], t_inv, ctx_m[used_c], c_inv,
                                     (prof_m, p_codes))
        sub = softmax(logits, self.profile_temperature_)
        index = {name: i for i, name in enumerate(self.classes_)}
        known = [j for j, name in enumerate(scorer.classes) if name in index]
        out = np.zeros((rows.size, len(self.classes_)), dtype=sub.dtype)
        out[:, [index[scorer.classes[j]] for j in known]] = sub[:, known]
        normalised: npt.NDArray[Any] = out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        return normalised

    def _top_words(self, texts: pl.Series, best: npt.NDArray[np.int64],
                   scorer: LinearScorer) -> list[str]:
        """Up to two label words that pushed most towards each key's chosen class (an index
        into ``classes_``) in ``scorer``."""
        exploded = (
            pl.DataFrame({"text": texts, "best": best})
            .with_row_index("k")
            .with_columns(word=pl.col("text").str.split(" "))
            .explode("word")
            .filter(pl.col("word").str.len_chars() >= 2)
        )
        result = [""] * texts.len()
        if exploded.height == 0 or scorer.feature_ids.size == 0:
            return result
        vocab = exploded["word"].unique()
        code = exploded["word"].replace_strict(vocab, pl.int_range(vocab.len(), eager=True))
        pos = scorer.rows_of(word_buckets(vocab.to_list(), self.n_bits))[code.to_numpy()]
        known = pos >= 0
        column = {name: j for j, name in enumerate(scorer.classes)}
        cls = np.array([column.get(name, -1) for name in self.classes_])[
            exploded["best"].to_numpy()]
        known &= cls >= 0
        weight = np.zeros(pos.size, dtype=np.float64)
        if known.any():
            weight[known] = np.asarray(scorer.weights[pos[known], cls[known]]).ravel()
        top = (
            exploded.with_columns(weight=pl.Series(weight))
            .filter(pl.col("weight") > 0)
            .sort("weight", descending=True)
            .group_by("k", maintain_order=True)
            .agg(pl.col("word").unique(maintain_order=True).head(2).str.join(" "))
        )
        for k, word in top.iter_rows():
            result[k] = word
        return result

    def predict(self, frame: pl.DataFrame, profiles: pl.Series | None = None) -> pl.DataFrame:
        """Add ``category``, ``subcategory``, ``category_confidence``, ``category_evidence``.

        A frame of a few rows of plain text takes the same decisions on Python values
        (``_row.py``: no per-query cost of Polars on one transaction). ``profiles``: the
        frame's ``shop_profiles`` when the caller made them already."""
        # Fewer rows than a profile needs: no profile can change the features.
        if 0 < frame.height <= ROW_PATH_MAX_ROWS and (
                not self._profiles_on() or frame.height < self.profile_min_rows):
            self._check_fitted()
            out = predict_rows(self, frame, _mcc_map())
            if out is not None:
                return out
        key_out, row_key = self.predict_keys(frame, profiles)
        rows = key_out[row_key] if frame.height else key_out.clear()
        cols = set(frame.columns)
        type_col = (
            frame["transaction_type"].cast(pl.String)
            if "transaction_type" in cols
            else pl.Series([None] * frame.height, dtype=pl.String)
        )
        work = rows.with_columns(type=type_col)
        if "merchant_subcategory" in cols:
            conf = (
                frame["merchant_confidence"].cast(pl.Float64)
                if "merchant_confidence" in cols
                else pl.Series([1.0] * frame.height)
            )
            name_col = next((c for c in ("merchant_name", "merchant_id") if c in cols), None)
            names = (
                frame[name_col].cast(pl.String)
                if name_col
                else pl.Series([None] * frame.height, dtype=pl.String)
            )
            work = work.with_columns(
                m_sub=frame["merchant_subcategory"].cast(pl.String),
                m_conf=conf,
                m_name=names,
            )
        else:
            work = work.with_columns(
                m_sub=pl.lit(None, pl.String),
                m_conf=pl.lit(None, pl.Float64),
                m_name=pl.lit(None, pl.String),
            )
        type_sub = {k: v[0] for k, v in TYPE_RULES.items()}
        type_ev = {k: v[1] for k, v in TYPE_RULES.items()}
        rule_sub = pl.col("type").replace_strict(type_sub, default=None, return_dtype=pl.String)

        # A transfer from or to a merchant reads its line as what moved (TRANSFER_LINES).
        m_sub = pl.col("m_sub")
        for type_, lines in TRANSFER_LINES.items():
            m_sub = pl.when((pl.col("type") == type_).fill_null(False)
                            & pl.col("m_sub").is_in(list(lines)).fill_null(False)).then(
                pl.col("m_sub").replace_strict(lines, default=None, return_dtype=pl.String)
            ).otherwise(m_sub)
        work = work.with_columns(m_sub=m_sub)
        # The merchant's line decides when the merchant is sure (``merchant_threshold``) or
        # surer than the model's own answer (both confidences are calibrated).
        category = {k: v.category for k, v in SUBCATEGORIES.items()}
        m_cat = pl.col("m_sub").replace_strict(category, default=None, return_dtype=pl.String)
        in_line_scope = pl.lit(False)
        for type_, cats in MERCHANT_LINE_SCOPES.items():
            in_line_scope = in_line_scope | ((pl.col("type") == type_) & m_cat.is_in(cats))
        use_merchant = (
            pl.col("m_sub").is_in(list(SUBCATEGORIES))
            & ((pl.col("m_conf") >= self.merchant_threshold)
               | (pl.col("m_conf") > pl.col("category_confidence"))
               | in_line_scope.fill_null(False))
            & (~pl.col("type").is_in([*TYPE_SCOPES, "refund", "reversal"]).fill_null(False)
               | in_line_scope.fill_null(False))
        ).fill_null(False)
        merchant_ev = pl.format(
            "merchant {} -> {}", pl.col("m_name").fill_null("?"), pl.col("m_sub")
        )
        decided = work.select(
            subcategory=pl.when(rule_sub.is_not_null())
            .then(rule_sub)
            .when(use_merchant)
            .then(pl.col("m_sub"))
            .otherwise(pl.col("subcategory")),
            category_confidence=pl.when(rule_sub.is_not_null())
            .then(pl.lit(_TYPE_RULE_CONFIDENCE))
            .when(use_merchant)
            .then(pl.col("m_conf"))
            .otherwise(pl.col("category_confidence")),
            category_evidence=pl.when(rule_sub.is_not_null())
            .then(pl.col("type").replace_strict(type_ev, default=None, return_dtype=pl.String))
            .when(use_merchant)
            .then(merchant_ev)
            .otherwise(pl.col("category_evidence")),
        )
        decided = decided.with_columns(
            category=pl.col("subcategory").replace_strict(category, return_dtype=pl.String)
        )
        return frame.with_columns(decided.select(OUTPUT_COLUMNS))

    # -- persistence ------------------------------------------------------------------------

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Learned state as numpy arrays (no objects, loadable with ``allow_pickle=False``)."""
        scorer = self._check_fitted()
        metadata: dict[str, Any] = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "params": {
                "abstain_below": self.abstain_below,
                "merchant_threshold": self.merchant_threshold,
                "calibration_share": self.calibration_share,
                "c": self.c,
                "max_iter": self.max_iter,
                "prune": self.prune,
                "n_bits": self.n_bits,
                "mcc_dropout": self.mcc_dropout,
                "merchant_dropout": self.merchant_dropout,
                "shop_text_cap": self.shop_text_cap,
                "profile_min_rows": self.profile_min_rows,
                "seed": self.seed,
            },
            "features": FeatureSpec(n_bits=self.n_bits).to_metadata(),
            "temperature": self.temperature_,
            "n_train_rows": self.n_train_rows_,
            "n_classes": len(self.classes_),
            "n_weights": int(scorer.weights.nnz),
        }
        arrays = scorer.to_arrays("linear_")
        profile = getattr(self, "profile_scorer_", None)
        if profile is not None:
            arrays.update(profile.to_arrays("profile_"))
            metadata["profile_temperature"] = self.profile_temperature_
            metadata["n_profile_weights"] = int(profile.weights.nnz)
        return arrays, metadata

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], metadata: dict[str, Any]) -> CategoryModel:
        """Rebuild a fitted model from :meth:`to_arrays` output."""
        if metadata.get("format") != _FORMAT or metadata.get("format_version") != _FORMAT_VERSION:
            raise DataError(
                f"not a category model artifact (format {metadata.get('format')!r}, "
                f"version {metadata.get('format_version')!r}); expected {_FORMAT!r} "
                f"version {_FORMAT_VERSION}"
            )
        model = cls(**metadata["params"])
        # A model saved before shop profiles has no profile scorer and reads none.
        has_profile = "profile_temperature" in metadata
        try:
            scorer = LinearScorer.from_arrays(arrays, "linear_")
            profile = LinearScorer.from_arrays(arrays, "profile_") if has_profile else None
        except KeyError as exc:
            raise DataError(f"category model arrays lack {exc.args[0]!r}") from None
        unknown = [c for c in (*scorer.classes, *(profile.classes if profile else ()))
                   if c not in SUBCATEGORIES]
        if unknown:
            raise DataError(f"category model names unknown subcategories {unknown[:5]}")
        model.scorer_ = scorer
        model.profile_scorer_ = profile
        model.profile_temperature_ = float(metadata.get("profile_temperature", 1.0))
        model.temperature_ = float(metadata["temperature"])
        model.classes_ = scorer.classes
        model.n_train_rows_ = int(metadata.get("n_train_rows", 0))
        return model
