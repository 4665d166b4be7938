"""The taxonomy: fixed level-1 ids from DESIGN.md, a documented level 2."""

from __future__ import annotations

import pytest

from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES, category_of, subcategories_of


def test_level_one_ids_are_the_design_ids() -> None:
    assert len(CATEGORIES) == 21
    assert CATEGORIES[0] == "income"
    assert CATEGORIES[-1] == "other"


def test_level_two_size_is_in_the_design_range() -> None:
    assert 60 <= len(SUBCATEGORIES) <= 120


def test_every_level_one_has_subcategories_with_both_names() -> None:
    for category in CATEGORIES:
        subs = subcategories_of(category)
        assert subs, category
        for sub in subs:
            assert SUBCATEGORIES[sub].name_en
            assert SUBCATEGORIES[sub].name_fr


def test_unknown_ids_raise_with_the_id() -> None:
    with pytest.raises(KeyError, match="unknown subcategory 'nope'"):
        category_of("nope")
    with pytest.raises(KeyError, match="unknown category 'food'"):
        subcategories_of("food")
