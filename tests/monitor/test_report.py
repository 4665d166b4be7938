"""Behaviour of ``render_html`` and ``write_report``: one safe, self-contained page."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.monitor import BankProfile, profile_bank, render_html, write_report
from ledgerlens.schema import GROUND_TRUTH, MERCHANTS, TRANSACTIONS, ValidationReport, validate
from tests.monitor.conftest import EVIL_NAME, Bank


@pytest.fixture(scope="module")
def failing(bank: Bank) -> ValidationReport:
    broken = bank.ground_truth.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("snacks")).otherwise("category")
        .alias("category")
    )
    return validate(broken, GROUND_TRUTH)


@pytest.fixture(scope="module")
def page(bank: Bank, profile: BankProfile, failing: ValidationReport) -> str:
    reports = [validate(bank.transactions, TRANSACTIONS), failing,
               validate(bank.merchants, MERCHANTS)]
    return render_html(profile, reports)


def test_page_is_one_html_document_with_inline_charts(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert page.count("<svg") >= 5
    assert "<?xml" not in page
    assert "<title>ledgerlens — synthetic bank profile</title>" in page


def test_page_fetches_nothing_from_outside(page: str) -> None:
    external = re.findall(r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//""", page, re.I)
    assert external == []
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", page)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()


def test_page_escapes_merchant_names(page: str) -> None:
    assert EVIL_NAME not in page
    assert html.escape(EVIL_NAME) in page


def test_page_shows_figures_and_validation_violations(page: str,
                                                      failing: ValidationReport) -> None:
    for needle in ("7,523.45", "3,505.49", "Carrefour", "SNCF", "groceries", "bnp",
                   "card_contactless", "2024-02", "1 violation(s)"):
        assert needle in page, needle
    (violation,) = failing.violations
    assert html.escape(violation.message) in page
    assert "&#x27;snacks&#x27;" in page
    assert page.count('class="ok">ok<') == 2


def test_svg_ids_are_unique_on_the_page(page: str) -> None:
    ids = Counter(re.findall(r'\bid="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    for ref in re.findall(r'(?:url\(#|href="#)([^)"]+)', page):
        assert ref in ids, ref


def test_page_is_small_and_deterministic(bank: Bank, profile: BankProfile, page: str) -> None:
    assert len(page.encode()) < 300_000
    again = render_html(profile, [validate(bank.transactions, TRANSACTIONS)])
    assert again == render_html(profile, [validate(bank.transactions, TRANSACTIONS)])


def test_extra_sections_are_appended_with_escaped_headings(profile: BankProfile) -> None:
    out = render_html(profile, title="Bank <A>",
                      extra_sections=[("Drift <vs> last month", "<p>no drift</p>")])
    assert "<h1>Bank &lt;A&gt;</h1>" in out
    assert "<h2>Drift &lt;vs&gt; last month</h2><p>no drift</p>" in out
    assert out.index("Label length per dialect") < out.index("Drift &lt;vs&gt;")
    assert "No validation was run." in out


def test_empty_profile_renders() -> None:
    empty = profile_bank(TRANSACTIONS.empty(), GROUND_TRUTH.empty(), MERCHANTS.empty())
    out = render_html(empty)
    assert out.count("<svg") >= 5
    assert "no data" in out


def test_write_report_creates_folders_and_writes_utf8(tmp_path: Path, page: str) -> None:
    target = tmp_path / "reports" / "bank.html"
    written = write_report(target, page)
    assert written == target
    assert target.read_text(encoding="utf-8") == page
