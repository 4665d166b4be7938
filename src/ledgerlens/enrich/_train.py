"""Train the enrichment models from the synthetic bank, and measure how they generalize.

``train_enrichment`` runs the label steps (clean, intermediary, type) on a synthetic bank,
fits the merchant scorer and the category model on them, and returns an ``EnrichmentModel``
whose metadata records the data window, parameters and library versions.

``holdout_evaluation`` is the generalization protocol: whole bank dialects and a share of
the merchants (by id, local shops included) are removed from training; a fresh bank with
another seed is enriched and scored separately on rows seen-like (in distribution), on the
held-out dialects and on the held-out merchants. Real banks will differ from the generator;
these two held-out figures are the honest estimate of how much.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ledgerlens.datasets._european_lines import european_line_labels
from ledgerlens.datasets._vocab import (
    TRADE_WORD_FREE_STYLES,
    generate_local_merchants,
    load_local_trades,
)
from ledgerlens.enrich._clean import clean_labels
from ledgerlens.enrich._evaluate import EnrichmentEvaluation, evaluate_enrichment
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.enrich._model import EnrichmentModel
from ledgerlens.enrich._pipeline import enrich_with_streams
from ledgerlens.enrich._types import classify_types
from ledgerlens.enrich.categories import CategoryModel
from ledgerlens.enrich.merchants import MerchantDirectory, MerchantMatcher

__all__ = ["HoldoutResult", "TrainingConfig", "european_line_rows", "holdout_evaluation",
           "label_steps", "trade_lexicon_rows", "train_enrichment"]

_KEY = ["tenant_id", "transaction_id"]
_BARE_SEED = 7
_LEXICON_SEED = 7_919  # added to the training seed: the lexicon shops are not a bank's
_TRUTH = ("merchant_id", "category", "subcategory", "transaction_type", "intermediary",
          "recurring_stream_id", "is_income", "dialect")


@dataclass(frozen=True)
class TrainingConfig:
    """Which synthetic banks to train and test on, and what to hold out."""

    customers: int = 8_000
    months: int = 12
    seed: int = 0
    test_customers: int = 400
    test_seed: int = 1_001
    holdout_dialects: tuple[str, ...] = ("cooperative_32", "online_bank", "postal_50")
    holdout_merchant_share: float = 0.3
    fit_merchant_scorer: bool = True
    #: Share of the training transactions seen a second time without MCC and bank
    #: transaction code, as bank CSV, camt.053, MT940 and CFONB exports deliver them: the
    #: scorer and the category model then learn what a bare label is worth.
    bare_share: float = 0.35
    #: The training customers are split over this many synthetic banks (seeds ``seed``,
    #: ``seed + 1``, ...), each with its own local shops, brand popularity and ticket sizes:
    #: the models learn what a label says rather than one bank's habits.
    banks: int = 8
    #: The merchant scorer's weights learn from the first this many banks (None: all); its
    #: calibration maps read the held-out texts of every bank. Learnt from one bank of 1,000
    #: customers, its weights moved with that bank's draw and the coverage of labels without
    #: MCC went from 0.97 to 0.998 with the bank (docs/experiments/0012-scorer-stability.md);
    #: all banks, with ``SCORER_L2``, average the draws out.
    scorer_banks: int | None = None
    #: Share of the category model's training keys with a known merchant seen again without
    #: it (``CategoryModel.merchant_dropout``).
    merchant_dropout: float = 0.0
    #: Local shops generated apart from the banks, one card payment each, whose names carry
    #: their trade word (``trade_lexicon_rows``): a bank of a few thousand customers visits
    #: only a handful of cheese shops or notaries, and what the category model learns of
    #: FROMAGERIE or NOTAIRE otherwise depends on that draw. 0 turns them off.
    lexicon_shops: int = 20_000
    #: More drawn evenly over the trades' spellings (``trade_lexicon_rows(even_words=True)``,
    #: about 20 shops per spelling): by share, a rare trade (ice rink, riding club, bailiff)
    #: gets a handful of lexicon shops, the sixth spelling of a trade (PAINTBALL) fewer, and
    #: their words stay unknown to the model. 0 turns them off.
    even_lexicon_shops: int = 36_000
    #: More named on the trades' evocative heads (``LE FOURNIL DE MARIE``, ``LA CIVETTE DU
    #: PORT``; ``trade_lexicon_rows(heads=True)``, about 25 shops per head): a bank names a
    #: few of its shops so, and a head seen at one or two shops stays unknown. 0 turns
    #: them off.
    head_lexicon_shops: int = 8_000
    #: Bills, rent, taxes and loans as German, Spanish, Italian, Dutch, Portuguese and
    #: British banks print them (``european_line_rows``, about 35 per spelling): the
    #: synthetic customers are French and never pay a KRANKENKASSE or a MIETE, so without
    #: them the model knows none of these words. 0 turns them off.
    european_lines: int = 8_000

    def __post_init__(self) -> None:
        if self.banks < 1 or self.banks > self.customers:
            raise ValueError(f"banks must be in [1, customers], got {self.banks}")
        if self.scorer_banks is not None and not 1 <= self.scorer_banks <= self.banks:
            raise ValueError(f"scorer_banks must be in [1, banks], got {self.scorer_banks}")
        if self.test_seed in range(self.seed, self.seed + self.banks):
            raise ValueError(f"test_seed {self.test_seed} is one of the training banks' seeds")
        if not 0.0 <= self.holdout_merchant_share < 1.0:
            raise ValueError(f"holdout_merchant_share must be in [0, 1), got "
                             f"{self.holdout_merchant_share}")
        if not 0.0 <= self.bare_share <= 1.0:
            raise ValueError(f"bare_share must be in [0, 1], got {self.bare_share}")
        shops = (self.lexicon_shops, self.even_lexicon_shops, self.head_lexicon_shops,
                 self.european_lines)
        if min(shops) < 0:
            raise ValueError(f"lexicon_shops, even_lexicon_shops, head_lexicon_shops and "
                             f"european_lines must be >= 0, got {', '.join(map(str, shops))}")


def label_steps(transactions: pl.DataFrame) -> pl.DataFrame:
    """The working frame after the model-free steps (clean label, intermediary, type), as
    ``enrich`` runs them with the bundled directory's names that end in a town."""
    names = MerchantDirectory.default().town_names
    cleaned = clean_labels(prepare(transactions).working, town_names=names)
    return classify_types(detect_intermediaries(cleaned), town_names=names)


def _bank(customers: int, months: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame,
                                                          pl.DataFrame]:
    from ledgerlens.datasets import SynthConfig, generate_bank

    bank = generate_bank(SynthConfig(customers=customers, months=months, seed=seed))
    return bank.transactions, bank.ground_truth, bank.recurring_streams


def without_codes(transactions: pl.DataFrame) -> pl.DataFrame:
    """``transactions`` as an export without MCC and bank transaction code delivers them."""
    return transactions.with_columns(mcc=pl.lit(None, dtype=pl.String),
                                     bank_transaction_code=pl.lit(None, dtype=pl.String))


def _training_frame(config: TrainingConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The training banks' working rows with their truth (``_with_truth``), and their
    transactions (``booking_date`` and ``merchant_id`` of the truth only, for metadata and
    held-out merchants)."""
    frames, seen = [], []
    for k in range(config.banks):
        customers = config.customers // config.banks + (k < config.customers % config.banks)
        tx, truth, _ = _bank(customers, config.months, config.seed + k)
        # Each bank is a tenant of its own, as banks are in production: what is summed up
        # per tenant (a shop's profile: how many of the bank's accounts pay there, how
        # often) is one bank's, not all the training banks' pooled.
        tenant = pl.col("tenant_id") + f"-{k}"
        tx, truth = tx.with_columns(tenant_id=tenant), truth.with_columns(tenant_id=tenant)
        frame = _with_truth(tx, truth, config.bare_share)
        frames.append(frame.with_columns(_bank=pl.lit(k, dtype=pl.Int16)))
        # The first rows are the transactions themselves (the bare copies follow them).
        seen.append(frame.head(tx.height).select(
            "booking_date", merchant_id="true_merchant_id"))
    return pl.concat(frames, how="vertical_relaxed"), pl.concat(seen)


def _with_truth(transactions: pl.DataFrame, truth: pl.DataFrame,
                bare_share: float = 0.0) -> pl.DataFrame:
    """Working frame rows of ``transactions`` with the truth as ``true_*`` columns, plus a
    ``bare_share`` of them again without MCC and bank codes (chosen by transaction id)."""
    aligned = transactions.select(_KEY).join(truth, on=_KEY, how="left", maintain_order="left")
    labelled = aligned.select(pl.col(c).alias(f"true_{c}") for c in _TRUTH)
    frame = label_steps(transactions).with_columns(labelled)
    if bare_share <= 0.0:
        return frame
    pick = (transactions["transaction_id"].hash(_BARE_SEED) % 1000) < round(bare_share * 1000)
    bare = label_steps(without_codes(transactions.filter(pick)))
    return pl.concat([frame, bare.with_columns(labelled.filter(pick))], how="vertical_relaxed")


def held_out_merchants(merchant_ids: pl.Series, share: float, seed: int,
                       groups: pl.DataFrame | None = None) -> set[str]:
    """A deterministic ``share`` of merchants (by hash), whatever their source; with
    ``groups`` (``merchant_id`` -> ``group``, see ``brand_groups``) whole groups are held out
    together: a brand's supermarket is not held out while its fuel station teaches the
    model what its name means."""
    unique = merchant_ids.drop_nulls().unique().sort().to_frame("merchant_id")
    keyed = unique.with_columns(group=pl.col("merchant_id"))
    if groups is not None:
        keyed = unique.join(groups, on="merchant_id", how="left").with_columns(
            group=pl.coalesce("group", "merchant_id"))
    picked = keyed.filter((pl.col("group").hash(seed) % 1000) < round(share * 1000))
    return set(picked["merchant_id"].to_list())


def brand_groups(directory: MerchantDirectory) -> pl.DataFrame:
    """``merchant_id`` -> ``group``: directory entries of one brand (wikidata id) or one
    display name (``Netto`` the supermarket and ``Netto`` the fuel station, which NSI lists
    under two brands) fall in one group, keyed by a member's id."""
    frame = directory.merchants.select(
        "merchant_id", "brand",
        name=pl.col("name").str.replace(r"\s*\([^()]*\)$", "").str.to_uppercase())
    # Two rounds of smallest-id propagation join brand and name: enough for a directory
    # whose names and brands chain at most twice.
    group = pl.col("merchant_id").min()
    for _ in range(2):
        frame = frame.with_columns(merchant_group=group.over("brand")).with_columns(
            merchant_group=pl.col("merchant_group").min().over("name"))
        group = pl.col("merchant_group").min()
    return frame.select("merchant_id", group="merchant_group")


def trade_lexicon_rows(shops: int, seed: int, *, even_words: bool = False,
                       heads: bool = False) -> pl.DataFrame:
    """One card payment at each of ``shops`` generated local shops whose name carries its
    trade word (``BOULANGERIE MARTIN``, ``OFF NOTARIAL RENAUD``) or opens on one of its
    trade's evocative heads (``LE FOURNIL DE MARIE``, ``LA CIVETTE DU PORT``), through the
    label steps, with ``true_subcategory``; half of them without MCC. Teaches the category
    model every trade word, abbreviation and head of ``local_trades.csv``, not only those a
    bank's few shops happened to draw."""
    if shops <= 0:
        return pl.DataFrame()
    # Another seed than the banks': other owners, places and towns, the same trade words.
    seed += _LEXICON_SEED + (2 if heads else 1 if even_words else 0)
    local = generate_local_merchants(shops, seed=seed, even_words=even_words,
                                     heads=heads).filter(
        ~pl.col("name_style").is_in(sorted(TRADE_WORD_FREE_STYLES))
        | pl.col("name").str.contains(_heads_pattern()))
    rng = np.random.default_rng(seed)
    n = local.height
    amount = -np.round(local["ticket_median"].to_numpy()
                       * rng.lognormal(0.0, local["ticket_sigma"].to_numpy()), 2)
    rows = local.select(
        booking_date=pl.lit(dt.date(2025, 1, 15)),
        amount=pl.Series(amount, dtype=pl.Float64).clip(upper_bound=-0.01),
        raw_label=pl.lit("CB ") + pl.col("descriptor"),
        mcc=pl.when(pl.Series(rng.random(n) < 0.5)).then(pl.col("mcc")),
    )
    return label_steps(rows).with_columns(true_subcategory=local["subcategory"])


def european_line_rows(n: int, seed: int) -> pl.DataFrame:
    """``n`` bills, rent, taxes and loans as other European banks write them
    (``datasets._european_lines``), through the label steps, with ``true_subcategory``."""
    if n <= 0:
        return pl.DataFrame()
    lines = european_line_labels(n, seed + _LEXICON_SEED)
    rows = lines.select(booking_date=pl.lit(dt.date(2025, 1, 5)), amount="amount",
                        raw_label="raw_label")
    return label_steps(rows).with_columns(true_subcategory=lines["subcategory"])


def _heads_pattern() -> str:
    """A regex of a name that opens on a trade's evocative head (``name_heads``)."""
    heads = (load_local_trades()["name_heads"].drop_nulls().str.split("|").explode()
             .unique().to_list())
    return f"^(?:{'|'.join(sorted(heads, key=len, reverse=True))})(?: |$)"


def _fit(frame: pl.DataFrame, config: TrainingConfig,
         directory: MerchantDirectory) -> EnrichmentModel:
    if config.fit_merchant_scorer:
        # The scorer's weights learn from the first ``scorer_banks`` banks (all by default),
        # its calibration from every one.
        matcher = MerchantMatcher(directory).fit(
            frame, frame["true_merchant_id"],
            fit_rows=frame["_bank"] < (config.scorer_banks or config.banks))
    else:
        matcher = MerchantMatcher.default(directory=directory)
    matched = matcher.match(frame)
    for shops, even, heads in ((config.lexicon_shops, False, False),
                               (config.even_lexicon_shops, True, False),
                               (config.head_lexicon_shops, False, True)):
        if shops:
            lexicon = matcher.match(trade_lexicon_rows(shops, config.seed, even_words=even,
                                                       heads=heads))
            matched = pl.concat([matched, lexicon], how="diagonal_relaxed")
    if config.european_lines:
        lines = matcher.match(european_line_rows(config.european_lines, config.seed))
        matched = pl.concat([matched, lines], how="diagonal_relaxed")
    # The bare copies already show the model labels without MCC: no synthetic dropout on top.
    dropout = 0.0 if config.bare_share > 0 else CategoryModel().mcc_dropout
    # Independent shops, at home and abroad (the generator's ``loc:`` and ``abr:`` ids).
    local = (matched["true_merchant_id"].str.contains(r"^(?:loc|abr):")
             if "true_merchant_id" in matched.columns else None)
    categories = CategoryModel(seed=config.seed, mcc_dropout=dropout,
                               merchant_dropout=config.merchant_dropout).fit(
        matched, matched["true_subcategory"], local_shop=local)
    return EnrichmentModel(matcher, categories)


def train_enrichment(config: TrainingConfig = TrainingConfig(),
                     progress: Callable[[str], None] | None = None) -> EnrichmentModel:
    """Fit the production model on a whole synthetic bank (every dialect and merchant)."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    say(f"generating {config.banks} training bank(s) ({config.customers} customers x "
        f"{config.months} months) and their label steps")
    frame, tx = _training_frame(config)
    say("fitting the merchant scorer and the category model")
    model = _fit(frame, config, MerchantDirectory.default())
    metadata: dict[str, Any] = {
        "trained_on": "synthetic bank",
        "config": {k: (list(v) if isinstance(v, tuple) else v)
                   for k, v in config.__dict__.items()},
        "data_window": {"start": str(tx["booking_date"].min()),
                        "end": str(tx["booking_date"].max())},
        "n_transactions": tx.height,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return EnrichmentModel(model.merchants, model.categories, metadata)


@dataclass(frozen=True)
class HoldoutResult:
    """Evaluations of a model trained without some dialects and merchants."""

    evaluations: Mapping[str, EnrichmentEvaluation]
    held_out_dialects: tuple[str, ...]
    n_held_out_merchants: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def headline(self) -> dict[str, dict[str, float]]:
        return {name: ev.headline() for name, ev in self.evaluations.items()}


def holdout_evaluation(config: TrainingConfig = TrainingConfig(),
                       progress: Callable[[str], None] | None = None) -> HoldoutResult:
    """Train without ``holdout_dialects`` and a share of merchants; score a fresh bank."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    say("generating the training bank(s) for the held-out protocol")
    frame, tx = _training_frame(config)
    held = held_out_merchants(tx["merchant_id"], config.holdout_merchant_share, config.seed,
                              brand_groups(MerchantDirectory.default()))
    seen = (~pl.col("true_dialect").is_in(config.holdout_dialects)
            & ~pl.col("true_merchant_id").is_in(sorted(held)).fill_null(False))
    train = frame.filter(seen)
    say(f"fitting on {train.height:,} of {frame.height:,} transactions "
        f"({len(config.holdout_dialects)} dialects and {len(held):,} merchants held out)")
    model = _fit(train, config, MerchantDirectory.default())
    say(f"enriching a fresh bank (seed {config.test_seed})")
    test_tx, test_truth, test_streams = _bank(config.test_customers, config.months,
                                              config.test_seed)
    result = enrich_with_streams(test_tx, model)
    enriched = result.working.with_columns(test_tx.select(_KEY))
    truth_dialect = test_tx.select(_KEY).join(test_truth.select(*_KEY, "dialect", "merchant_id"),
                                              on=_KEY, how="left", maintain_order="left")
    in_dialects = truth_dialect["dialect"].is_in(config.holdout_dialects)
    in_merchants = truth_dialect["merchant_id"].is_in(sorted(held)).fill_null(False)
    slices = {
        "whole test bank": pl.repeat(True, test_tx.height, eager=True),
        "in distribution": ~in_dialects & ~in_merchants,
        "held-out dialects": in_dialects,
        "held-out merchants": in_merchants & ~in_dialects,
    }
    evaluations: dict[str, EnrichmentEvaluation] = {}
    brands = MerchantDirectory.default().brand_keys()
    # Bank CSV, camt.053, MT940 and CFONB exports carry no MCC and often no bank code: the
    # same test bank without them shows what a model leaning on the MCC loses there.
    say("enriching the same bank without MCC and bank transaction codes")
    bare = enrich_with_streams(without_codes(test_tx), model)
    evaluations["without MCC or bank codes"] = evaluate_enrichment(
        bare.working.with_columns(test_tx.select(_KEY)), test_truth, merchant_brands=brands)
    for name, mask in slices.items():
        say(f"scoring {name}")
        # Streams are an account's whole history: scored on the whole bank only.
        streams = result.streams if name == "whole test bank" else None
        evaluations[name] = evaluate_enrichment(
            enriched.filter(mask), test_truth,
            streams=streams, true_streams=test_streams if streams is not None else None,
            merchant_brands=brands)
    return HoldoutResult(evaluations, config.holdout_dialects, len(held),
                         time.perf_counter() - started)
