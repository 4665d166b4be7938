"""Behaviour of the enrichment evaluation: metrics on hand-made tables, truth CSVs, reports."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich._evaluate import (
    HEADLINE_TARGETS,
    EnrichmentEvaluation,
    align_truth,
    evaluate_enrichment,
    load_truth_csv,
    normalize_merchant_name,
)
from ledgerlens.enrich._report import (
    render_markdown,
    write_comparison_report,
    write_evaluation_report,
)
from ledgerlens.exceptions import DataError

# --------------------------------------------------------------------------- hand-made tables

IDS = [f"t{i}" for i in range(8)]


def _truth(**columns: list[object]) -> pl.DataFrame:
    return pl.DataFrame({"tenant_id": ["x"] * len(IDS), "transaction_id": IDS, **columns},
                        strict=False)


def _enriched(**columns: list[object]) -> pl.DataFrame:
    # Reversed order: the join must not rely on row order.
    frame = pl.DataFrame({"tenant_id": ["x"] * len(IDS), "transaction_id": IDS, **columns},
                         strict=False)
    return frame.reverse()


TRUE_CAT = ["groceries", "groceries", "groceries", "cash", "cash", "transport", "transport",
            "other"]
PRED_CAT = ["groceries", "groceries", "transport", "cash", "groceries", "transport", None,
            "other"]
TRUE_SUB = ["supermarket", "bakery", "supermarket", "cash_withdrawal", "cash_withdrawal",
            "fuel", "fuel", "cheque"]
PRED_SUB = ["supermarket", "supermarket", "fuel", "cash_withdrawal", "supermarket", "fuel", None,
            "uncategorised"]
CONF = [0.99, 0.9, 0.95, 0.97, 0.5, 0.8, None, 0.2]


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn)


def test_category_accuracy_and_macro_f1_match_hand_counts() -> None:
    ev = evaluate_enrichment(
        _enriched(category=PRED_CAT, subcategory=PRED_SUB, category_confidence=CONF),
        _truth(category=TRUE_CAT, subcategory=TRUE_SUB),
    )
    c = ev.category
    assert c is not None
    l1_hits = sum(p == t for p, t in zip(PRED_CAT, TRUE_CAT, strict=True))
    assert c.l1_accuracy == pytest.approx(l1_hits / 8)
    # groceries: tp 2, fp 1 (row 4), fn 1; cash: tp 1, fn 1; transport: tp 1, fp 1, fn 1;
    # other: tp 1. A missing prediction is a miss, not a class of its own.
    expected_l1 = [_f1(2, 1, 1), _f1(1, 0, 1), _f1(1, 1, 1), _f1(1, 0, 0)]
    assert c.l1_macro_f1 == pytest.approx(sum(expected_l1) / 4)
    l2_hits = sum(p == t for p, t in zip(PRED_SUB, TRUE_SUB, strict=True))
    assert c.l2_accuracy == pytest.approx(l2_hits / 8)
    # supermarket tp1 fp2 fn1; bakery fn1; cash_withdrawal tp1 fn1; fuel tp1 fp1 fn1;
    # cheque fn1; uncategorised fp1.
    expected_l2 = [_f1(1, 2, 1), 0.0, _f1(1, 0, 1), _f1(1, 1, 1), 0.0, 0.0]
    assert c.l2_macro_f1 == pytest.approx(sum(expected_l2) / 6)
    # Abstentions: the missing category and the uncategorised one.
    assert c.abstention_rate == pytest.approx(2 / 8)
    assert c.answered_l1_accuracy == pytest.approx(4 / 6)


def test_confusions_and_worst_errors_list_the_wrong_predictions() -> None:
    labels = [f"LABEL {i}" for i in range(8)]
    ev = evaluate_enrichment(
        _enriched(category=PRED_CAT, subcategory=PRED_SUB, category_confidence=CONF,
                  clean_label=labels),
        _truth(category=TRUE_CAT, subcategory=TRUE_SUB),
    )
    c = ev.category
    assert c is not None
    confusion = {(t, p): n for t, p, n in c.confusion_l1.iter_rows()}
    assert confusion[("groceries", "groceries")] == 2
    assert confusion[("groceries", "transport")] == 1
    assert confusion[("transport", "<none>")] == 1
    assert sum(confusion.values()) == 8
    assert c.top_confusions_l2 is not None
    top = c.top_confusions_l2.row(0, named=True)
    # cash_withdrawal -> supermarket and others are all single; the table is sorted by count.
    assert top["n"] == 1
    # Wrong at level 2: rows 1, 2, 4, 6, 7, most confident first.
    worst = c.worst_errors
    assert worst["clean_label"].to_list()[:3] == ["LABEL 2", "LABEL 1", "LABEL 4"]
    assert worst.height == 5


def test_worst_errors_show_the_clean_label_masked_never_the_raw_label() -> None:
    ev = evaluate_enrichment(
        _enriched(category=["cash"] * 8, category_confidence=[0.9] * 8,
                  raw_label=["VIR M JEAN DUPONT SECRET"] * 8,
                  clean_label=["VIR JEAN.DUPONT@GMAIL.COM"] * 8),
        _truth(category=TRUE_CAT),
    )
    assert ev.category is not None
    worst = ev.category.worst_errors
    assert "raw_label" not in worst.columns
    assert all("@" not in label for label in worst["clean_label"].to_list())
    assert all("<EMAIL>" in label for label in worst["clean_label"].to_list())


def test_calibration_error_matches_hand_computed_bins() -> None:
    truth = _truth(category=["cash"] * 8)
    # Bin 14 (0.95): 2 right of 4 -> |0.5 - 0.95|; bin 8 (0.55): 4 of 4 -> |1 - 0.55|.
    ev = evaluate_enrichment(
        _enriched(category=["cash", "cash", "other", "other"] + ["cash"] * 4,
                  category_confidence=[0.95] * 4 + [0.55] * 4),
        truth,
    )
    assert ev.category is not None
    assert ev.category.calibration is not None
    cal = ev.category.calibration
    assert cal.ece == pytest.approx(0.5 * 0.45 + 0.5 * 0.45)
    assert cal.reliability["bin"].to_list() == [8, 14]
    assert cal.reliability["n"].to_list() == [4, 4]
    assert cal.reliability["accuracy"].to_list() == pytest.approx([1.0, 0.5])


MERCH_TRUE = ["nsi:a", "nsi:a", "cur:b", "cur:b", "loc:1", "abr:2", None, None]
MERCH_PRED = ["nsi:a", None, "cur:b", "nsi:a", "nsi:a", None, "cur:b", None]
TYPES_TRUE = ["card_in_store", "card_contactless", "card_online", "direct_debit",
              "card_in_store", "card_abroad", "transfer_out", "fee"]


def test_merchant_precision_recall_coverage_and_false_rate_match_hand_counts() -> None:
    ev = evaluate_enrichment(
        _enriched(merchant_id=MERCH_PRED,
                  merchant_confidence=[1.0, 0.3, 0.9, 0.9, 0.8, None, 0.7, None]),
        _truth(merchant_id=MERCH_TRUE, transaction_type=TYPES_TRUE),
    )
    m = ev.merchant
    assert m is not None
    assert m.basis == "merchant_id"
    assert m.n_returned == 5
    assert m.precision == pytest.approx(2 / 5)  # rows 0 and 2
    assert m.recall == pytest.approx(2 / 4)  # 4 rows at nsi/cur merchants
    # Card payments at known merchants: rows 0, 1, 2 (row 3 is a direct debit).
    assert m.n_card_known == 3
    assert m.known_coverage == pytest.approx(2 / 3)
    assert m.known_coverage_any == pytest.approx(2 / 3)
    # Unknown or no merchant: rows 4, 5, 6, 7; a merchant was returned on 4 and 6.
    assert m.n_unknown == 4
    assert m.false_merchant_rate == pytest.approx(2 / 4)
    assert m.calibration is not None
    assert m.calibration.n == 5


def test_type_accuracy_is_strict_with_a_merged_card_figure() -> None:
    pred = list(TYPES_TRUE)
    pred[1] = "card_in_store"  # contactless read as in store: wrong strictly, right merged
    pred[7] = "transfer_out"
    ev = evaluate_enrichment(_enriched(transaction_type=pred),
                             _truth(transaction_type=TYPES_TRUE))
    assert ev.types is not None
    assert ev.types.accuracy == pytest.approx(6 / 8)
    assert ev.types.accuracy_card_merged == pytest.approx(7 / 8)


def test_intermediary_and_income_metrics_match_hand_counts() -> None:
    ev = evaluate_enrichment(
        _enriched(intermediary=["paypal", "sumup", None, None, "paypal", None, None, None],
                  is_income=[True, True, False, None, False, False, False, True]),
        _truth(intermediary=["paypal", None, "sumup", None, "lydia", None, None, None],
               is_income=[True, False, False, False, True, False, False, True]),
    )
    i, inc = ev.intermediary, ev.income
    assert i is not None
    assert inc is not None
    assert (i.n_predicted, i.n_true) == (3, 3)
    assert i.precision == pytest.approx(1 / 3)
    assert i.recall == pytest.approx(1 / 3)
    assert inc.accuracy == pytest.approx(6 / 8)
    assert inc.precision == pytest.approx(2 / 3)
    assert inc.recall == pytest.approx(2 / 3)


def test_recurring_streams_are_found_at_eighty_percent_share_and_purity() -> None:
    true_ids = ["A"] * 5 + ["B"] * 5 + [None] * 4
    # X holds 4 of A's 5 and one stranger: 80 % share, 80 % pure -> A found.
    # Y holds 3 of B's 5 -> B not found. Z is a predicted stream of two strangers.
    pred_ids = ["X"] * 4 + [None] + ["Y"] * 3 + [None] * 2 + ["X", "Z", "Z", None]
    ids = [f"t{i}" for i in range(14)]
    enriched = pl.DataFrame({"transaction_id": ids, "recurring_stream_id": pred_ids,
                             "is_recurring": [p is not None for p in pred_ids]})
    truth = pl.DataFrame({"transaction_id": ids, "recurring_stream_id": true_ids})
    true_streams = pl.DataFrame({"stream_id": ["A", "B"], "kind": ["salary", "rent"],
                                 "cadence": ["monthly", "monthly"]})
    streams = pl.DataFrame({"recurring_stream_id": ["X", "Y", "Z"],
                            "recurrence_period": ["monthly", "weekly", "yearly"]})
    r = evaluate_enrichment(enriched, truth, streams=streams, true_streams=true_streams).recurring
    assert r is not None
    # Transactions: 10 predicted recurring, 7 of them truly recurring, 10 truly recurring.
    assert r.tx_precision == pytest.approx(7 / 10)
    assert r.tx_recall == pytest.approx(7 / 10)
    assert (r.n_true_streams, r.n_predicted_streams, r.n_found) == (2, 3, 1)
    assert r.stream_precision == pytest.approx(1 / 3)
    assert r.stream_recall == pytest.approx(1 / 2)
    assert r.stream_f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert r.by_kind is not None
    assert dict(r.by_kind.select("kind", "recall").iter_rows()) == {"salary": 1.0, "rent": 0.0}
    assert r.cadence_accuracy == pytest.approx(1.0)


def test_slices_give_accuracy_per_type_dialect_and_merchant_source() -> None:
    dialects = ["d1"] * 4 + ["d2"] * 4
    ev = evaluate_enrichment(
        _enriched(category=PRED_CAT, merchant_id=MERCH_PRED),
        _truth(category=TRUE_CAT, transaction_type=TYPES_TRUE, dialect=dialects,
               merchant_id=MERCH_TRUE),
    )
    by_dialect = {row["dialect"]: row for row in ev.slices["dialect"].iter_rows(named=True)}
    assert by_dialect["d1"]["n"] == 4
    assert by_dialect["d1"]["l1_accuracy"] == pytest.approx(3 / 4)
    assert by_dialect["d2"]["l1_accuracy"] == pytest.approx(2 / 4)
    by_source = {r["merchant_source"]: r
                 for r in ev.slices["merchant_source"].iter_rows(named=True)}
    assert set(by_source) == {"nsi", "cur", "loc", "abr", "none"}
    assert by_source["cur"]["merchant_precision"] == pytest.approx(1 / 2)
    assert by_source["abr"]["merchant_precision"] is None
    assert set(ev.slices["transaction_type"]["transaction_type"]) == set(TYPES_TRUE)


def test_missing_columns_skip_their_sections_with_a_note() -> None:
    ev = evaluate_enrichment(
        _enriched(category=PRED_CAT),
        _truth(category=TRUE_CAT, merchant_id=MERCH_TRUE, transaction_type=TYPES_TRUE,
               is_income=[False] * 8, recurring_stream_id=[None] * 8),
        slices=("transaction_type", "dialect"),
    )
    assert ev.category is not None
    assert ev.category.l2_accuracy is None
    assert ev.category.calibration is None
    assert (ev.merchant, ev.types, ev.income, ev.recurring) == (None, None, None, None)
    notes = " ".join(ev.notes)
    for word in ("Merchants", "Transaction types", "Income", "Recurring", "Level 2",
                 "'dialect'"):
        assert word in notes
    assert set(ev.headline()) == {"category_l1_accuracy", "category_l1_macro_f1",
                                  "category_abstention_rate"}


def test_rows_are_matched_on_keys_and_unmatched_ones_are_counted() -> None:
    enriched = _enriched(category=PRED_CAT).head(6)  # reversed: keeps t7..t2
    truth = pl.concat([_truth(category=TRUE_CAT),
                       pl.DataFrame({"tenant_id": ["x"], "transaction_id": ["extra"],
                                     "category": ["cash"]})])
    ev = evaluate_enrichment(enriched, truth)
    assert (ev.n_rows, ev.n_truth_unmatched, ev.n_enriched_unmatched) == (6, 3, 0)
    assert ev.category is not None
    hits = sum(p == t for p, t in zip(PRED_CAT[2:], TRUE_CAT[2:], strict=True))
    assert ev.category.l1_accuracy == pytest.approx(hits / 6)


def test_unusable_truth_tables_raise_data_errors() -> None:
    truth = _truth(category=TRUE_CAT)
    with pytest.raises(DataError, match="duplicate"):
        evaluate_enrichment(_enriched(category=PRED_CAT), pl.concat([truth, truth]))
    with pytest.raises(DataError, match="transaction_id"):
        evaluate_enrichment(pl.DataFrame({"category": PRED_CAT}), truth)
    with pytest.raises(DataError, match="no enriched row"):
        evaluate_enrichment(_enriched(category=PRED_CAT).with_columns(
            pl.lit("other").alias("tenant_id")), truth)


# --------------------------------------------------------------------------- synthetic bank


@pytest.fixture(scope="module")
def bank_perfect() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    bank = generate_bank(SynthConfig(customers=60, months=4, seed=7))
    truth = bank.ground_truth
    enriched = (
        bank.transactions.select("tenant_id", "transaction_id", "amount", "raw_label")
        .join(truth.drop("dialect", "pii_spans", "complement_pii_spans"),
              on=["tenant_id", "transaction_id"])
        .with_columns(
            pl.col("raw_label").alias("clean_label"),
            pl.lit(1.0).alias("category_confidence"),
            pl.when(pl.col("merchant_id").is_not_null()).then(1.0).alias("merchant_confidence"),
            pl.col("recurring_stream_id").is_not_null().alias("is_recurring"),
        )
    )
    return enriched, truth, bank.recurring_streams


def test_perfect_predictions_score_one_and_zero_calibration_error(
    bank_perfect: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    enriched, truth, streams = bank_perfect
    ev = evaluate_enrichment(enriched, truth, true_streams=streams)
    head = ev.headline()
    for key in ("category_l1_accuracy", "category_l2_accuracy", "category_l1_macro_f1",
                "category_l2_macro_f1", "merchant_precision", "merchant_recall",
                "known_merchant_coverage", "type_accuracy", "intermediary_precision",
                "intermediary_recall", "income_accuracy", "recurring_tx_f1",
                "recurring_stream_f1"):
        assert head[key] == pytest.approx(1.0), key
    assert head["category_ece"] == pytest.approx(0.0)
    assert head["merchant_ece"] == pytest.approx(0.0)
    assert head["false_merchant_rate"] == pytest.approx(0.0)
    assert set(HEADLINE_TARGETS) <= set(head)
    assert ev.notes == ()
    assert ev.slices["dialect"]["n"].sum() == truth.height
    assert pickle.loads(pickle.dumps(ev)).headline() == head


def test_categorical_predictions_compare_as_their_values() -> None:
    enum = pl.Enum(sorted({c for c in PRED_CAT if c is not None}))
    as_enum = evaluate_enrichment(
        _enriched(category=PRED_CAT).with_columns(pl.col("category").cast(enum)),
        _truth(category=TRUE_CAT))
    as_text = evaluate_enrichment(_enriched(category=PRED_CAT), _truth(category=TRUE_CAT))
    assert as_enum.headline() == as_text.headline()


# --------------------------------------------------------------------------- labelled CSV


def _write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "truth.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_truth_csv_missing_columns_are_named(tmp_path: Path) -> None:
    path = _write_csv(tmp_path, "Label,category\nCB CARREFOUR,groceries\n")
    with pytest.raises(DataError, match=r"missing required column\(s\) amount, date"):
        load_truth_csv(path)
    path = _write_csv(tmp_path, "label,amount,date,notes\nCB X,-1.00,2024-01-02,a\n")
    with pytest.raises(DataError, match="category, subcategory, merchant_name"):
        load_truth_csv(path)
    path = _write_csv(tmp_path, "label,amount,date,Category,category\nA,-1,2024-01-02,x,y\n")
    with pytest.raises(DataError, match="duplicate column names"):
        load_truth_csv(path)


def test_truth_csv_rejects_unknown_ids_and_bad_amounts_with_the_line(tmp_path: Path) -> None:
    path = _write_csv(tmp_path, "label,amount,date,category\nA,-1,2024-01-02,groceries\n"
                                "B,-2,2024-01-02,snacks\n")
    with pytest.raises(DataError, match=r"unknown category id\(s\): 'snacks' \(line 3\)"):
        load_truth_csv(path)
    path = _write_csv(tmp_path, "label,amount,date,category\nA,abc,2024-01-02,groceries\n")
    with pytest.raises(DataError, match=r"unreadable amount: 'abc' \(line 2\)"):
        load_truth_csv(path)
    path = _write_csv(tmp_path, "label,amount,date,category,subcategory\n"
                                "A,-1,02/01/2024,groceries,fuel\n")
    with pytest.raises(DataError, match="not under its category"):
        load_truth_csv(path)


def test_truth_csv_is_aligned_row_by_row_and_compares_merchant_names(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path,
        "label,amount,date,subcategory,merchant_name\n"
        "CB CARREFOUR CITY,\"-12,50\",02/01/2024,supermarket,Carrefour City\n"
        "PRLV FREE MOBILE,-19.99,2024-01-03,mobile_phone,Free Mobile\n"
        "CB LE PETIT ZINC,-8.00,2024-01-04,restaurant,\n"
        "CB BOUL DU MARCHE,-2.10,2024-01-05,bakery,\n",
    )
    truth = load_truth_csv(path)
    assert truth["amount"].to_list() == [-12.5, -19.99, -8.0, -2.1]
    enriched = pl.DataFrame({
        "amount": [-12.5, -19.99, -8.0, -2.1],
        "subcategory": ["supermarket", "internet", "restaurant", "bakery"],
        "category": ["groceries", "utilities", "food_and_drink", "groceries"],
        "merchant_name": ["CARREFOUR  CITY", "Orange", None, "Boulangerie"],
    })
    aligned = align_truth(enriched, truth)
    # The true category comes from the true subcategory.
    assert aligned["true_category"].to_list() == ["groceries", "utilities", "food_and_drink",
                                                  "groceries"]
    ev = evaluate_enrichment(enriched, truth)
    assert ev.truth_kind == "labelled_csv"
    assert ev.category is not None
    assert ev.merchant is not None
    assert ev.category.l1_accuracy == pytest.approx(1.0)
    assert ev.category.l2_accuracy == pytest.approx(3 / 4)
    assert ev.merchant.basis == "merchant_name"
    assert ev.merchant.precision == pytest.approx(1 / 3)  # Carrefour City matches
    assert ev.merchant.recall == pytest.approx(1 / 2)
    assert ev.merchant.false_merchant_rate == pytest.approx(1 / 2)  # Boulangerie
    assert ev.merchant.known_coverage is None
    assert any("coverage skipped" in note for note in ev.notes)


def test_truth_csv_out_of_order_or_of_another_length_is_refused(tmp_path: Path) -> None:
    truth = load_truth_csv(_write_csv(tmp_path, "label,amount,date,category\n"
                                                "A,-1,2024-01-02,cash\nB,-2,2024-01-02,cash\n"))
    with pytest.raises(DataError, match="has 2 rows but the enriched table has 1"):
        align_truth(pl.DataFrame({"category": ["cash"]}), truth)
    with pytest.raises(DataError, match=r"amounts differ at row\(s\) 0, 1"):
        align_truth(pl.DataFrame({"amount": [-2.0, -1.0], "category": ["cash"] * 2}), truth)


# --------------------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def small_evaluation() -> EnrichmentEvaluation:
    return evaluate_enrichment(
        _enriched(category=PRED_CAT, subcategory=PRED_SUB, category_confidence=CONF,
                  merchant_id=MERCH_PRED, merchant_confidence=[0.9] * 8,
                  transaction_type=TYPES_TRUE, clean_label=[f"L{i}" for i in range(8)]),
        _truth(category=TRUE_CAT, subcategory=TRUE_SUB, merchant_id=MERCH_TRUE,
               transaction_type=TYPES_TRUE, dialect=["d1"] * 4 + ["d2"] * 4),
    )


def test_evaluation_report_writes_markdown_and_self_contained_html(
    tmp_path: Path, small_evaluation: EnrichmentEvaluation,
) -> None:
    md_path, html_path = write_evaluation_report(small_evaluation, tmp_path / "out", "Eval <1>")
    assert (md_path.name, html_path.name) == ("enrichment_evaluation.md",
                                              "enrichment_evaluation.html")
    md = md_path.read_text(encoding="utf-8")
    assert md.startswith("# Eval <1>\n\n## Headline")
    assert "| metric | target | value |" in md
    assert "| Category L1 accuracy | ≥ 95.0 % | 62.5 % ✗ |" in md
    assert "| Transaction type accuracy | ≥ 99.0 % | 100.0 % ✓ |" in md
    for heading in ("## Categories", "## Merchants", "## Calibration", "## Slices",
                    "## Worst errors"):
        assert heading in md
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Eval &lt;1&gt;</title>" in page
    assert page.count('src="data:image/png;base64,') >= 4
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert '<td class="bad">62.5 % ✗</td>' in page


def test_comparison_report_puts_evaluations_side_by_side(
    tmp_path: Path, small_evaluation: EnrichmentEvaluation,
) -> None:
    only_categories = evaluate_enrichment(_enriched(category=TRUE_CAT), _truth(category=TRUE_CAT))
    md_path, html_path = write_comparison_report(
        {"in-distribution": small_evaluation, "held-out dialects": only_categories},
        tmp_path, "Comparison")
    md = md_path.read_text(encoding="utf-8")
    assert "| metric | target | in-distribution | held-out dialects |" in md
    assert "| Category L1 accuracy | ≥ 95.0 % | 62.5 % ✗ | 100.0 % ✓ |" in md
    # A metric one evaluation lacks shows a dash there.
    assert "| Merchant precision (returned) | ≥ 99.0 % | 40.0 % ✗ | — |" in md
    assert "## in-distribution: Categories" in md
    assert "## held-out dialects: Overview" in md
    assert "held-out dialects: Categories" in html_path.read_text(encoding="utf-8")


def test_markdown_escapes_table_pipes_and_tags_in_labels() -> None:
    ev = evaluate_enrichment(
        _enriched(category=["cash"] * 8, category_confidence=[0.9] * 8,
                  clean_label=["A|B <script>"] * 8),
        _truth(category=TRUE_CAT))
    md = render_markdown(ev, "t")
    assert "| A\\|B \\<script> |" in md
    assert "<script>" not in md.replace("\\<script>", "")


def test_merchant_names_compare_without_case_accents_punctuation_or_parenthesis() -> None:
    names = pl.DataFrame({"n": ["Orange (mobile)", "ORANGE", "Monop'", "Crédit  Agricole"]})
    out = names.select(normalize_merchant_name(pl.col("n")))["n"].to_list()
    assert out == ["ORANGE", "ORANGE", "MONOP", "CREDIT AGRICOLE"]
