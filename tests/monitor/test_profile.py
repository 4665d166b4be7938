"""Behaviour of ``profile_bank`` and ``summary_text`` on the hand-made bank of conftest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from ledgerlens.monitor import BankProfile, profile_bank, summary_text
from ledgerlens.monitor._profile import NO_TRUTH, QUANTILE_LEVELS
from ledgerlens.schema import GROUND_TRUTH, MERCHANTS, TRANSACTIONS, validate
from tests.monitor.conftest import EVIL_NAME, PII_LABEL, Bank

N = 26
MONEY_IN = Decimal("7523.45")  # 3 salaries of 2500.00 + one Carrefour refund of 23.45
MONEY_OUT = Decimal("3505.49")


def test_counts_the_population(profile: BankProfile) -> None:
    assert profile.n_transactions == N
    assert profile.n_customers == 3
    assert profile.n_accounts == 4  # the dormant savings account a4 counts too
    assert profile.n_active_accounts == 3
    assert profile.n_merchants == 4
    assert profile.n_directory_merchants == 5
    assert profile.n_without_ground_truth == 1
    assert profile.n_zero_amount == 0
    assert (profile.first_date, profile.last_date) == (date(2024, 1, 2), date(2024, 3, 31))


def test_money_in_and_out_are_exact(profile: BankProfile) -> None:
    assert profile.money_in == MONEY_IN
    assert profile.money_out == MONEY_OUT
    assert profile.net == MONEY_IN - MONEY_OUT
    assert isinstance(profile.money_in, Decimal)


def test_months_add_up_to_the_totals(profile: BankProfile) -> None:
    months = profile.by_month
    assert months["month"].to_list() == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert months["n_transactions"].to_list() == [9, 8, 9]
    assert months["money_in"].sum() == MONEY_IN
    assert months["money_out"].sum() == MONEY_OUT
    assert profile.n_months == 3


def test_categories_add_up_and_keep_transactions_without_truth(profile: BankProfile) -> None:
    cats = dict(profile.by_category.select("category", "n_transactions").iter_rows())
    assert cats == {"groceries": 11, "travel": 3, "income": 3, "housing": 3,
                    "food_and_drink": 2, "cash": 2, "transfers": 1, NO_TRUTH: 1}
    assert profile.by_category["n_transactions"].to_list()[0] == 11
    assert profile.by_category["spend"].sum() == MONEY_OUT
    assert profile.by_category["money_in"].sum() == MONEY_IN
    groceries = profile.by_category.filter(pl.col("category") == "groceries").row(0, named=True)
    assert groceries["spend"] == Decimal("234.50")  # the refund is not netted
    assert groceries["money_in"] == Decimal("23.45")


def test_subcategories_dialects_and_types_add_up(profile: BankProfile) -> None:
    assert profile.by_subcategory["n_transactions"].sum() == N
    assert profile.by_subcategory.row(0, named=True)["subcategory"] == "supermarket"
    dialects = dict(profile.by_dialect.iter_rows())
    assert dialects == {"bnp": 15, "sg": 10, NO_TRUTH: 1}
    types = profile.by_transaction_type
    assert types["n_transactions"].sum() == N
    assert types.filter(pl.col("transaction_type") == "refund")["money_in"].item() == Decimal(
        "23.45"
    )
    assert profile.by_currency.rows() == [("EUR", N, MONEY_IN, MONEY_OUT)]


def test_top_merchants_by_count_and_by_spend(profile: BankProfile) -> None:
    by_count = profile.top_merchants_by_count.row(0, named=True)
    assert by_count == {"merchant_id": "m_carrefour", "name": "Carrefour",
                        "subcategory": "supermarket", "n_transactions": 11,
                        "spend": Decimal("234.50"), "n_customers": 2}
    by_spend = profile.top_merchants_by_spend.row(0, named=True)
    assert (by_spend["name"], by_spend["spend"]) == ("SNCF", Decimal("360.00"))
    assert EVIL_NAME in profile.top_merchants_by_count["name"].to_list()
    assert "Never Used" not in profile.top_merchants_by_count["name"].to_list()
    assert "ACME SA" not in profile.top_merchants_by_spend["name"].to_list()  # pays, no spend


def test_shares_are_over_transactions_with_ground_truth(profile: BankProfile) -> None:
    assert profile.share_with_merchant == pytest.approx(19 / 25)
    assert profile.share_recurring == pytest.approx(6 / 25)
    assert profile.share_income == pytest.approx(3 / 25)
    assert profile.share_labels_with_pii == pytest.approx(1 / 25)


def test_amount_quantiles_and_histogram(profile: BankProfile) -> None:
    q = {row["side"]: row for row in profile.amount_quantiles.iter_rows(named=True)}
    assert (q["debit"]["n_transactions"], q["credit"]["n_transactions"]) == (22, 4)
    assert q["credit"]["p50"] == pytest.approx(2500.0)
    for row in q.values():
        levels = [row[f"p{level}"] for level in QUANTILE_LEVELS]
        assert levels == sorted(levels)
    hist = profile.amount_histogram
    assert dict(hist.group_by("side").agg(pl.col("n_transactions").sum()).iter_rows()) == {
        "debit": 22, "credit": 4}
    assert (hist["bin_start"] < hist["bin_end"]).all()
    salary_bin = hist.filter(
        (pl.col("side") == "credit") & (pl.col("bin_start") <= 2500) & (pl.col("bin_end") > 2500)
    )
    assert salary_bin["n_transactions"].to_list() == [3]


def test_label_length_per_dialect(profile: BankProfile) -> None:
    lengths = {row["dialect"]: row for row in profile.label_length.iter_rows(named=True)}
    assert lengths["bnp"]["max"] == len(PII_LABEL)
    assert lengths["bnp"]["n_transactions"] == 15
    assert lengths[NO_TRUTH]["mean"] == pytest.approx(len("PRLV INCONNU"))
    assert lengths["sg"]["mean"] <= lengths["sg"]["p95"] <= lengths["sg"]["max"]


def test_accounts_by_type_counts_dormant_accounts(profile: BankProfile) -> None:
    assert profile.accounts_by_type is not None
    assert sorted(profile.accounts_by_type.rows()) == [("current", 3, 3), ("savings", 1, 0)]


def test_lazy_input_gives_the_same_profile(bank: Bank, profile: BankProfile) -> None:
    lazy = profile_bank(bank.transactions.lazy(), bank.ground_truth.lazy(), bank.merchants,
                        bank.accounts)
    assert lazy.money_out == profile.money_out
    assert lazy.by_month.equals(profile.by_month)
    assert lazy.top_merchants_by_count.equals(profile.top_merchants_by_count)


def test_without_accounts_counts_accounts_seen(bank: Bank) -> None:
    p = profile_bank(bank.transactions, bank.ground_truth, bank.merchants)
    assert (p.n_accounts, p.accounts_by_type) == (3, None)


def test_duplicated_ground_truth_does_not_inflate_counts(bank: Bank) -> None:
    doubled = pl.concat([bank.ground_truth, bank.ground_truth.head(5)])
    p = profile_bank(bank.transactions, doubled, bank.merchants)
    assert p.n_transactions == N
    assert p.money_out == MONEY_OUT


def test_empty_bank_gives_an_empty_profile() -> None:
    p = profile_bank(TRANSACTIONS.empty(), GROUND_TRUTH.empty(), MERCHANTS.empty())
    assert (p.n_transactions, p.first_date, p.money_in, p.share_income) == (
        0, None, Decimal("0.00"), 0.0)
    assert p.by_month.is_empty()
    assert p.top_merchants_by_count.is_empty()
    assert "transactions   0 (no dates)" in summary_text(p)


def test_summary_text_mentions_the_figures(bank: Bank, profile: BankProfile) -> None:
    reports = [validate(bank.transactions, TRANSACTIONS), validate(bank.merchants, MERCHANTS)]
    text = summary_text(profile, reports)
    assert 10 <= len(text.splitlines()) <= 20
    for needle in ("26", "2024-01-02 .. 2024-03-31", "3 month(s)", "7,523.45 EUR",
                   "3,505.49 EUR", "net +4,017.96", "groceries 42.3 %", "bnp 57.7 %",
                   "transactions ok", "merchants ok", "recurring 24.0 %"):
        assert needle in text, needle


def test_summary_text_lists_violations(bank: Bank, profile: BankProfile) -> None:
    broken = bank.ground_truth.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("snacks")).otherwise("category")
        .alias("category")
    )
    report = validate(broken, GROUND_TRUTH)
    assert not report.ok
    text = summary_text(profile, [report])
    assert "ground_truth 1 violation(s)" in text
    assert "'snacks'" in text
    assert "validation     not run" in summary_text(profile)
