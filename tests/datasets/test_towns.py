"""Towns the places list does not hold, shown by some shops of the synthetic banks."""

from __future__ import annotations

import numpy as np
import polars as pl

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.datasets._towns import UNLISTED_SHARE, shown_towns, unlisted_towns
from ledgerlens.datasets._vocab import load_places
from ledgerlens.enrich._clean import _city_forms, french_city_forms


def test_unlisted_towns_are_no_spelling_the_cleaner_knows() -> None:
    towns = unlisted_towns()
    assert len(towns) == len(set(towns)) >= 500
    assert not set(towns) & set(french_city_forms())
    places = set(load_places()["city"].to_list())
    assert not set(towns) & places
    # nor one of the communes the cleaner strips (the places list's and the communes')
    known = set(_city_forms(ambiguous=True))
    for salt in (0, 1, 1001):
        assert not set(unlisted_towns(salt)) & known


def test_unlisted_towns_look_like_french_communes_and_never_change() -> None:
    towns = unlisted_towns()
    saints = [t for t in towns if t.split()[0] in {"ST", "STE", "SAINT", "SAINTE"}]
    assert len(saints) > len(towns) // 10
    assert any(" SUR " in t for t in towns)
    assert all(t == t.upper() and t.isascii() for t in towns)
    unlisted_towns.cache_clear()
    assert unlisted_towns() == towns


def test_each_bank_draws_its_own_towns() -> None:
    # A chain's shop must not show one made-up town in every training bank and in the test
    # bank: the model would learn the town by heart.
    one, other = set(unlisted_towns(1)), set(unlisted_towns(2))
    assert len(one & other) < len(one) // 3
    keys = np.arange(2_000, dtype=np.int64)
    towns = pl.Series(["LYON 3"] * keys.size)
    assert (shown_towns(towns, keys, 1) != shown_towns(towns, keys, 2)).mean() > 0.3


def test_a_share_of_shops_shows_an_unlisted_town_the_same_at_every_payment() -> None:
    n = 10_000
    towns = pl.Series(["LYON 3"] * n)
    keys = np.arange(n, dtype=np.int64)
    shown = shown_towns(towns, keys).to_numpy()
    moved = shown != "LYON 3"
    assert abs(moved.mean() * 100 - UNLISTED_SHARE) < 3
    assert set(shown[moved].tolist()) <= set(unlisted_towns())
    again = shown_towns(towns.reverse(), keys[::-1].copy()).to_numpy()[::-1]
    assert (again == shown).all()


def test_a_payment_without_a_town_shows_none() -> None:
    shown = shown_towns(pl.Series([None, None], dtype=pl.String), np.asarray([3, 4])).to_numpy()
    assert shown.tolist() == [None, None]


def test_card_labels_of_the_bank_show_unlisted_towns() -> None:
    bank = generate_bank(SynthConfig(customers=40, months=2, seed=11))
    labels = bank.transactions.filter(
        pl.col("bank_transaction_code") == "PMNT-CCRD-POSD")["raw_label"]
    words = r"\b(?:" + "|".join(sorted(unlisted_towns(11), key=len, reverse=True)) + r")\b"
    assert labels.str.contains(words).sum() > 0
