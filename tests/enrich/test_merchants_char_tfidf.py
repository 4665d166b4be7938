"""The fuzzy search's character TF-IDF is scikit-learn's, bit for bit, without importing
scikit-learn at enrichment time."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from ledgerlens.enrich.merchants import MerchantDirectory
from ledgerlens.enrich.merchants._char_tfidf import CharTfidf, char_wb_trigrams

_ODD = ["", "A", "AB", "ZZZZQQQQ", "CAFÉ DE LA GARE", "VÉLO² 中文", "AAA AAA AAA",
        "LE  PETIT\tZINC", "  LEADING AND TRAILING  ", "X Y Z", "CARREFUR MARKT"]


@pytest.fixture(scope="module")
def aliases() -> list[str]:
    table = MerchantDirectory.default().aliases.select("alias").unique(maintain_order=True)
    return table.filter(pl.col("alias").str.len_chars() >= 4)["alias"].to_list()


def _vectorizer():  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), lowercase=False,
                           sublinear_tf=True, dtype=np.float32)


def _same(ours, theirs) -> None:  # type: ignore[no-untyped-def]
    theirs = theirs.tocsr().copy()
    theirs.sort_indices()
    assert ours.shape == theirs.shape
    for part in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(ours, part), getattr(theirs, part)), part
    assert ours.data.dtype == theirs.data.dtype == np.float32


def test_trigrams_are_the_char_wb_analyzer_s() -> None:
    analyze = _vectorizer().build_analyzer()
    for text in _ODD:
        assert char_wb_trigrams(text) == analyze(text), text


def test_the_directory_s_model_and_rows_are_scikit_learn_s(aliases: list[str]) -> None:
    model, rows = CharTfidf.fit(aliases)
    vectorizer = _vectorizer()
    theirs = vectorizer.fit_transform(aliases)
    assert model.vocabulary == vectorizer.vocabulary_
    assert np.array_equal(model.idf, vectorizer.idf_)
    assert model.idf.dtype == np.float32
    _same(rows, theirs)
    texts = [*aliases[:300], *_ODD]
    _same(model.transform(texts), vectorizer.transform(texts))


def test_no_texts_and_texts_without_known_grams_give_empty_rows(aliases: list[str]) -> None:
    model, _ = CharTfidf.fit(aliases[:50])
    assert model.transform([]).shape == (0, len(model.vocabulary))
    rows = model.transform(["", "QQQQ"])
    assert rows.shape == (2, len(model.vocabulary))
    assert rows.nnz == 0


def test_enriching_a_label_that_needs_the_fuzzy_search_does_not_import_scikit_learn() -> None:
    script = (
        "import sys, polars as pl\n"
        "from ledgerlens.enrich import EnrichmentModel, enrich\n"
        "from ledgerlens.enrich.merchants._directory import MerchantDirectory\n"
        "table = pl.DataFrame({'date': ['2025-03-12'] * 2, 'amount': [-9.99, -23.5],\n"
        "                      'label': ['CB CARREFUR MARKT 12/03', 'CB DECATLHON 12/03']})\n"
        "enrich(table, EnrichmentModel.default())\n"
        "assert 'candidates.tfidf' in MerchantDirectory.default()._cache\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
