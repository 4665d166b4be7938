"""The few-rows merchant path (plain Python) gives what the batch path (Polars) gives, and a
label's answer does not depend on the other labels of the batch."""

from __future__ import annotations

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich._clean import clean_labels
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.enrich._types import classify_types
from ledgerlens.enrich.merchants import MERCHANT_COLUMNS, MerchantMatcher
from ledgerlens.enrich.merchants._candidates import candidates
from ledgerlens.enrich.merchants._matcher import _KEY, _SEED, _hits, _key_exprs
from ledgerlens.enrich.merchants._quick import quick_features, quick_hit_records
from ledgerlens.enrich.merchants._scorer import hit_features


@pytest.fixture(scope="module")
def matcher() -> MerchantMatcher:
    return MerchantMatcher.default()


@pytest.fixture(scope="module")
def pipeline_rows() -> pl.DataFrame:
    """Synthetic transactions as the matcher sees them in the pipeline."""
    tx = generate_bank(SynthConfig(customers=40, months=3, seed=5)).transactions
    return classify_types(detect_intermediaries(clean_labels(prepare(tx).working)))


def _unique_rows(matcher: MerchantMatcher, frame: pl.DataFrame, n: int) -> pl.DataFrame:
    work = matcher._rows(frame, []).with_columns(_h=pl.struct(*_KEY).hash(_SEED))
    return work.unique("_h", maintain_order=True).head(n).with_row_index("row_id")


def _check_paths_agree(matcher: MerchantMatcher, rows: pl.DataFrame) -> None:
    directory = matcher._directory()
    batch = _hits(rows, directory, True, quick=False)
    quick = _hits(rows, directory, True, quick=True)
    assert quick.schema == batch.schema
    assert quick.sort(quick.columns, nulls_last=True).equals(
        batch.sort(batch.columns, nulls_last=True))
    features = hit_features(batch, directory.merchants, directory.aliases)
    few = quick_features(quick_hit_records(rows, directory, True, *_key_exprs()), directory)
    assert few.equals(features.select(few.columns))
    scorer = matcher._scorer()
    cols = ["row_id", "merchant_idx", "_p", "confidence"]
    assert scorer.top(few).select(cols).equals(scorer.top(features).select(cols))


def test_quick_path_gives_the_batch_hits_and_features(
        matcher: MerchantMatcher, pipeline_rows: pl.DataFrame) -> None:
    _check_paths_agree(matcher, _unique_rows(matcher, pipeline_rows, 400))


@pytest.mark.slow
def test_quick_path_agrees_on_thousands_of_labels(
        matcher: MerchantMatcher, pipeline_rows: pl.DataFrame) -> None:
    _check_paths_agree(matcher, _unique_rows(matcher, pipeline_rows, 4000))


def test_one_row_at_a_time_matches_like_the_batch(
        matcher: MerchantMatcher, pipeline_rows: pl.DataFrame) -> None:
    sample = pipeline_rows.sample(300, seed=1)
    cols = list(MERCHANT_COLUMNS)
    whole = matcher.match(sample).select(cols)
    singles = pl.concat([matcher.match(sample.slice(i, 1)) for i in range(sample.height)])
    assert singles.select(cols).equals(whole)  # bit for bit, confidences included
    halves = pl.concat([matcher.match(sample.head(150)), matcher.match(sample.tail(150))])
    assert halves.select(cols).equals(whole)


def test_fuzzy_windows_never_join_words_of_two_labels(matcher: MerchantMatcher) -> None:
    directory = matcher._directory()
    texts = ["HONG KONG DU BOURG", "RESTAURANTE BAY", "URBAN OUTFITERS", "LE PETIT ZINC"]
    keys = pl.DataFrame({"text_id": list(range(len(texts))), "key": texts},
                        schema={"text_id": pl.UInt32, "key": pl.String})
    together = candidates(keys, directory)
    for i in range(len(texts)):
        alone = candidates(keys.slice(i, 1), directory)
        mine = together.filter(pl.col("text_id") == i)
        assert alone.sort(alone.columns).equals(mine.sort(mine.columns)), texts[i]
