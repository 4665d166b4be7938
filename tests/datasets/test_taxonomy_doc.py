"""docs/taxonomy.md is generated from the code and must stay in step with it."""

from __future__ import annotations

from ledgerlens.datasets._taxonomy_doc import DOC_PATH, render_taxonomy_markdown
from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES


def test_committed_doc_equals_the_rendered_one() -> None:
    committed = DOC_PATH.read_text(encoding="utf-8")
    assert committed == render_taxonomy_markdown(), (
        "docs/taxonomy.md is stale: run python -m ledgerlens.datasets._taxonomy_doc"
    )


def test_doc_documents_every_category_and_subcategory_with_both_names() -> None:
    text = render_taxonomy_markdown()
    for category in CATEGORIES:
        assert f"### `{category}`" in text
    for sub in SUBCATEGORIES.values():
        assert f"| `{sub.id}` | {sub.name_en} | {sub.name_fr} | {sub.plaid_primary} |" in text


def test_doc_gives_typical_code_and_blocks_of_a_subcategory() -> None:
    text = render_taxonomy_markdown()
    assert "| 4511 Airlines, Air Carriers ( not listed elsewhere) | 3000–3350, 4511–4582 |" in text
    assert "`shop=bakery`" in text
    assert "`amenity=bank`" in text
