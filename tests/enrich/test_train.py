"""Training from the synthetic bank and the held-out protocol (small banks: slow but real)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich import EnrichmentModel, TrainingConfig, enrich, holdout_evaluation
from ledgerlens.enrich._train import brand_groups, held_out_merchants, train_enrichment
from ledgerlens.enrich.merchants import MerchantDirectory
from ledgerlens.exceptions import ArtifactError

# Fewer lexicon shops than the shipped model learns from: the same steps in half the time
# (the L-BFGS fit of the category model grows with the words it sees: 326 -> 170 s here).
SMALL = TrainingConfig(customers=80, months=3, test_customers=40, seed=2, lexicon_shops=2_000,
                       even_lexicon_shops=3_000, head_lexicon_shops=1_000, european_lines=1_000)


def test_held_out_merchants_are_a_stable_share() -> None:
    ids = pl.Series([f"loc:{i:05d}" for i in range(2000)] + [None])
    first = held_out_merchants(ids, 0.3, seed=0)
    assert first == held_out_merchants(ids.reverse(), 0.3, seed=0)
    assert 0.25 < len(first) / 2000 < 0.35


def test_a_brand_s_entries_are_held_out_together() -> None:
    directory = MerchantDirectory.default()
    groups = brand_groups(directory)
    ids = directory.merchants["merchant_id"]
    held = held_out_merchants(ids, 0.3, seed=0, groups=groups)
    assert 0.2 < len(held) / ids.len() < 0.4
    netto = directory.merchants.filter(pl.col("name") == "Netto")["merchant_id"].to_list()
    assert len(netto) == 2  # the supermarket and the fuel station: one name, two NSI brands
    for seed in range(20):
        chosen = held_out_merchants(ids, 0.3, seed=seed, groups=groups)
        assert set(netto) <= chosen or not set(netto) & chosen
    # Ids outside the directory (the generator's local shops) are their own group.
    local = held_out_merchants(pl.Series(["loc:000001", "loc:000002"]), 0.99, 0, groups)
    assert local == {"loc:000001", "loc:000002"}


@pytest.mark.slow
def test_trained_model_round_trips_and_records_its_training(tmp_path: Path) -> None:
    model = train_enrichment(SMALL)
    assert model.metadata["n_transactions"] > 0
    assert model.metadata["data_window"]["start"] < model.metadata["data_window"]["end"]
    model.save(tmp_path)
    loaded = EnrichmentModel.load(tmp_path)
    tx = generate_bank(SynthConfig(customers=10, months=2, seed=8)).transactions
    assert enrich(tx, loaded).equals(enrich(tx, model))
    (tmp_path / "category_model.npz").write_bytes(b"tampered")
    with pytest.raises(ArtifactError, match="corrupted"):
        EnrichmentModel.load(tmp_path)


@pytest.mark.slow
def test_holdout_protocol_scores_three_slices() -> None:
    result = holdout_evaluation(SMALL)
    assert set(result.evaluations) == {"whole test bank", "in distribution",
                                       "held-out dialects", "held-out merchants",
                                       "without MCC or bank codes"}
    assert result.n_held_out_merchants > 0
    for figures in result.headline().values():
        assert 0.0 <= figures["category_l1_accuracy"] <= 1.0
    assert result.evaluations["whole test bank"].recurring is not None


def test_training_customers_are_split_over_banks_of_their_own() -> None:
    from ledgerlens.enrich._train import _training_frame

    frame, tx = _training_frame(TrainingConfig(customers=21, months=2, banks=3, seed=4,
                                               bare_share=0.0))
    assert frame.height == tx.height
    assert sorted(frame["_bank"].unique().to_list()) == [0, 1, 2]
    customers = frame.group_by("_bank").agg(pl.col("customer_id").n_unique()).sort("_bank")
    assert customers["customer_id"].to_list() == [7, 7, 7]
    # Each bank draws its own local shops: the same id names a different shop.
    shops = frame.filter(pl.col("true_merchant_id").str.starts_with("loc:")).group_by(
        "_bank").agg(pl.col("clean_label").unique())
    first, second = (set(v) for v in shops.sort("_bank")["clean_label"].head(2).to_list())
    assert first != second
    # Each bank is a tenant: a shop's profile sums up one bank's accounts, not three pooled.
    tenants = frame.group_by("_bank").agg(pl.col("tenant_id").unique()).sort("_bank")
    assert tenants["tenant_id"].to_list() == [["synthetic-0"], ["synthetic-1"], ["synthetic-2"]]


@pytest.mark.parametrize("kwargs", [{"banks": 0}, {"customers": 3, "banks": 4},
                                    {"banks": 2, "scorer_banks": 3},
                                    {"seed": 1_000, "banks": 2, "test_seed": 1_001}])
def test_training_config_refuses_impossible_bank_splits(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"bank|seed"):
        TrainingConfig(**kwargs)


def test_trade_lexicon_rows_teach_every_trade_word_style() -> None:
    from ledgerlens.datasets._vocab import load_local_trades
    from ledgerlens.enrich._train import trade_lexicon_rows

    rows = trade_lexicon_rows(20_000, seed=0)
    assert 10_000 < rows.height < 20_000  # the names without a trade word are left out
    assert rows["true_subcategory"].null_count() == 0
    assert (rows["amount"] < 0).all()
    assert rows["transaction_type"].str.starts_with("card").all()
    # Half of them come without MCC, as bank CSV exports deliver them.
    assert 0.4 < rows["mcc"].is_null().mean() < 0.6  # type: ignore[operator]
    covered = set(rows["true_subcategory"])
    assert covered == set(load_local_trades()["subcategory"])
    assert trade_lexicon_rows(0, seed=0).height == 0
    with pytest.raises(ValueError, match="lexicon_shops"):
        TrainingConfig(lexicon_shops=-1)
    with pytest.raises(ValueError, match="even_lexicon_shops"):
        TrainingConfig(even_lexicon_shops=-1)
    with pytest.raises(ValueError, match="head_lexicon_shops"):
        TrainingConfig(head_lexicon_shops=-1)
    with pytest.raises(ValueError, match="european_lines"):
        TrainingConfig(european_lines=-1)


def test_european_line_rows_are_bills_paid_out_under_every_lines_words() -> None:
    from ledgerlens.datasets._european_lines import LINE_WORDS
    from ledgerlens.enrich._train import european_line_rows

    rows = european_line_rows(4_000, seed=0)
    assert rows.height == 4_000
    assert set(rows["true_subcategory"]) == set(LINE_WORDS)
    assert (rows["amount"] < 0).all()
    # The other banks' operation words give the type and are cleaned away.
    types = set(rows["transaction_type"])
    assert types <= {"direct_debit", "transfer_out", "instant_transfer_out"}, types
    assert not rows["clean_label"].str.contains(
        r"^(?:SEPA-|LASTSCHRIFT|RECIBO|ADDEBITO|INCASSO|DIRECT DEBIT|DAUERAUFTRAG)").any()
    words = {w for langs in LINE_WORDS.values() for ws in langs.values() for w in ws}
    seen = {w for w in words if rows["clean_label"].str.contains(rf"\b{w}\b").any()}
    assert len(seen) > 0.95 * len(words)
    assert european_line_rows(0, seed=0).height == 0


def test_head_lexicon_rows_name_every_shop_on_a_head_each_head_about_as_often() -> None:
    from ledgerlens.datasets._vocab import generate_local_merchants, load_local_trades
    from ledgerlens.enrich._train import trade_lexicon_rows

    trades = load_local_trades().filter(pl.col("name_heads").is_not_null())
    heads = trades.select("trade", pl.col("name_heads").str.split("|")).explode("name_heads")
    shops = generate_local_merchants(8_000, seed=2, heads=True)
    assert set(shops["trade"]) == set(trades["trade"])
    opening = "^(" + "|".join(sorted(heads["name_heads"], key=len, reverse=True)) + ")( |$)"
    assert shops["name"].str.contains(opening).all()
    per_head = [count / (heads["trade"] == trade).sum()
                for trade, count in shops["trade"].value_counts().iter_rows()]
    expected = 8_000 / heads.height
    assert 0.6 * expected < min(per_head) <= max(per_head) < 1.5 * expected
    rows = trade_lexicon_rows(2_000, seed=0, heads=True)
    assert rows.height == 2_000  # none left out: a head is the trade's sign
    assert set(rows["true_subcategory"]) <= set(trades["subcategory"])


def test_even_lexicon_rows_teach_every_spelling_of_every_trade_as_often() -> None:
    # By share, an ice rink gets a handful of 12,000 shops and a bakery hundreds, and the
    # sixth spelling of a trade (PAINTBALL) fewer still; drawn evenly over the spellings,
    # every trade gets shops in proportion to its spellings, each spelling about as many.
    from ledgerlens.datasets._vocab import generate_local_merchants, load_local_trades

    spellings = dict(load_local_trades().select(
        "trade", pl.col("words").str.count_matches(r"\|") + 1).iter_rows())
    by_share = generate_local_merchants(12_000, seed=1)
    even = generate_local_merchants(12_000, seed=1, even_words=True)
    per_spelling = [count / spellings[trade] for trade, count in
                    even["trade"].value_counts().iter_rows()]
    expected = 12_000 / sum(spellings.values())
    assert 0.6 * expected < min(per_spelling) <= max(per_spelling) < 1.5 * expected
    climbing = {name: (frame["trade"] == "climbing_ice").sum() for name, frame in
                (("share", by_share), ("even", even))}
    assert climbing["share"] < 15 < climbing["even"]

    def shown(frame: pl.DataFrame, word: str) -> int:
        return frame["descriptor"].str.contains(rf"\b{word}\b").sum()

    # The game venues' later spellings (one of them alone is a few shops either way).
    later = "(?:PAINTBALL|KARTING|MINI GOLF|TRAMPOLINE PARK)"
    assert shown(by_share, later) < shown(even, later)
