"""Enrichment evaluations as reports: which sections an evaluation has, written as Markdown
and as one self-contained HTML page (see ``_report_render``; charts in ``_report_charts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import polars as pl

from ledgerlens.enrich._evaluate import (
    HEADLINE_TARGETS,
    Calibration,
    EnrichmentEvaluation,
)
from ledgerlens.enrich._report_charts import (
    confusion_chart,
    confusion_matrix,
    reliability_chart,
    slice_chart,
)
from ledgerlens.enrich._report_render import (
    Chart,
    Part,
    Section,
    Table,
    format_cell,
    html_page,
    markdown_page,
    metric_table,
)
from ledgerlens.exceptions import ConfigurationError

__all__ = ["render_markdown", "write_comparison_report", "write_evaluation_report"]

REPORT_NAME = "enrichment_evaluation"
COMPARISON_NAME = "enrichment_comparison"

#: Headline rows in display order: key of ``EnrichmentEvaluation.headline()`` and its label.
_HEADLINE_ROWS: tuple[tuple[str, str], ...] = (
    ("category_l1_accuracy", "Category L1 accuracy"),
    ("category_l2_accuracy", "Category L2 accuracy"),
    ("category_l1_macro_f1", "Category L1 macro-F1"),
    ("category_l2_macro_f1", "Category L2 macro-F1"),
    ("category_abstention_rate", "Category abstention rate"),
    ("category_ece", "Category confidence ECE"),
    ("merchant_precision", "Merchant precision (returned)"),
    ("merchant_precision_exact_id", "Merchant precision, exact directory entry"),
    ("merchant_recall", "Merchant recall (known merchants)"),
    ("known_merchant_coverage", "Known-merchant coverage (card)"),
    ("false_merchant_rate", "False-merchant rate (unknown/none)"),
    ("merchant_ece", "Merchant confidence ECE"),
    ("type_accuracy", "Transaction type accuracy"),
    ("type_accuracy_card_merged", "Type accuracy, contactless = in store"),
    ("intermediary_precision", "Intermediary precision"),
    ("intermediary_recall", "Intermediary recall"),
    ("income_accuracy", "Income accuracy"),
    ("recurring_tx_f1", "Recurring F1 (transactions)"),
    ("recurring_stream_f1", "Recurring F1 (streams)"),
)


def _headline_table(evaluations: Mapping[str, EnrichmentEvaluation]) -> tuple[Table, str]:
    """Rows = metrics, columns = evaluations, with the target and a pass/fail mark."""
    heads = {name: ev.headline() for name, ev in evaluations.items()}
    data: dict[str, list[str]] = {"metric": [], "target": []}
    for name in evaluations:
        data[name] = []
    for key, label in _HEADLINE_ROWS:
        if not any(key in h for h in heads.values()):
            continue
        target = HEADLINE_TARGETS.get(key)
        data["metric"].append(label)
        data["target"].append(f"≥ {format_cell(key, target)}" if target is not None else "")
        for name, head in heads.items():
            value = head.get(key)
            text = format_cell(key, value)
            if value is not None and target is not None:
                text += " ✓" if value >= target else " ✗"
            data[name].append(text)
    note = ("✓ meets, ✗ misses issue 4's target. Known-merchant coverage counts the right "
            "merchant on card payments at nsi/cur merchants; the card-merged type accuracy "
            "counts contactless as in store (labels rarely say contactless).")
    return Table(pl.DataFrame(data)), note


def _overview(ev: EnrichmentEvaluation) -> Section:
    parts: list[Part] = [metric_table([
        ("truth", ev.truth_kind),
        ("rows evaluated", ev.n_rows),
        ("enriched rows without truth", ev.n_enriched_unmatched),
        ("truth rows without enriched row", ev.n_truth_unmatched),
    ])]
    parts += [f"Note: {note}" for note in ev.notes]
    return Section("Overview", tuple(parts))


def _category_sections(ev: EnrichmentEvaluation) -> list[Section]:
    c = ev.category
    if c is None:
        return []
    parts: list[Part] = [metric_table([
        ("rows", c.n), ("L1 accuracy", c.l1_accuracy), ("L1 macro-F1", c.l1_macro_f1),
        ("L2 accuracy", c.l2_accuracy), ("L2 macro-F1", c.l2_macro_f1),
        ("abstention rate (other/uncategorised)", c.abstention_rate),
        ("L1 accuracy when not abstaining", c.answered_l1_accuracy),
    ])]
    if not c.confusion_l1.is_empty():
        parts += [Chart("level-1 confusion matrix", lambda: confusion_chart(c.confusion_l1)),
                  Table(confusion_matrix(c.confusion_l1), "Level-1 confusion (counts)")]
    parts.append(Table(c.per_class_l1, "Per level-1 class"))
    if c.top_confusions_l2 is not None:
        parts.append(Table(c.top_confusions_l2, "Top level-2 confusions"))
    sections = [Section("Categories", tuple(parts))]
    sections.append(Section("Worst errors", (
        "Wrong categories with the highest confidence; only the clean label is shown, "
        "masked for personal data.", Table(c.worst_errors))))
    return sections


def _calibration_section(ev: EnrichmentEvaluation) -> list[Section]:
    items: list[tuple[str, Calibration]] = []
    if ev.category is not None and ev.category.calibration is not None:
        items.append(("category", ev.category.calibration))
    if ev.merchant is not None and ev.merchant.calibration is not None:
        items.append(("merchant", ev.merchant.calibration))
    if not items:
        return []
    parts: list[Part] = [
        "Expected calibration error over 15 equal-width bins. A category is correct when its "
        "level-2 id is (level 1 without subcategories); a merchant when it is the true one "
        "(only returned merchants are graded).",
        metric_table([(f"{name} ECE", cal.ece) for name, cal in items]),
        Chart("reliability diagrams", lambda: reliability_chart(items)),
    ]
    parts += [Table(cal.reliability, f"Reliability: {name}") for name, cal in items]
    return [Section("Calibration", tuple(parts))]


def _merchant_section(ev: EnrichmentEvaluation) -> list[Section]:
    m = ev.merchant
    if m is None:
        return []
    return [Section("Merchants", (
        f"Compared by {m.basis.replace('_', ' ')}.",
        metric_table([("rows", m.n), ("merchants returned", m.n_returned),
                      ("precision (returned)", m.precision),
                      ("recall (known merchants; named ones for CSV truth)", m.recall),
                      ("card payments at known merchants", m.n_card_known),
                      ("known coverage (right merchant)", m.known_coverage),
                      ("known coverage (any merchant returned)", m.known_coverage_any),
                      ("rows with unknown/no merchant", m.n_unknown),
                      ("false-merchant rate", m.false_merchant_rate)]),
    ))]


def _other_sections(ev: EnrichmentEvaluation) -> list[Section]:
    out: list[Section] = []
    if (t := ev.types) is not None:
        out.append(Section("Transaction types", (
            metric_table([("rows", t.n), ("accuracy (strict)", t.accuracy),
                          ("accuracy, card_contactless merged into card_in_store",
                           t.accuracy_card_merged)]),
            Table(t.top_confusions, "Top confusions"))))
    if (i := ev.intermediary) is not None:
        out.append(Section("Intermediaries", (metric_table([
            ("true intermediaries", i.n_true), ("predicted intermediaries", i.n_predicted),
            ("precision", i.precision), ("recall", i.recall)]),)))
    if (inc := ev.income) is not None:
        out.append(Section("Income", (metric_table([
            ("rows", inc.n), ("accuracy", inc.accuracy), ("precision", inc.precision),
            ("recall", inc.recall)]),)))
    if (r := ev.recurring) is not None:
        parts: list[Part] = [
            "A true stream is found when at least 80 % of its transactions fall in one "
            "predicted stream that is at least 80 % pure.",
            metric_table([
                ("transaction precision", r.tx_precision), ("transaction recall", r.tx_recall),
                ("transaction F1", r.tx_f1), ("true streams", r.n_true_streams),
                ("predicted streams", r.n_predicted_streams), ("streams found", r.n_found),
                ("stream precision", r.stream_precision), ("stream recall", r.stream_recall),
                ("stream F1", r.stream_f1), ("cadence accuracy (found)", r.cadence_accuracy)])]
        if r.by_kind is not None:
            parts.append(Table(r.by_kind, "Stream recall per kind"))
        out.append(Section("Recurring payments", tuple(parts)))
    return out


def _slice_section(ev: EnrichmentEvaluation) -> list[Section]:
    parts: list[Part] = []
    for name, frame in ev.slices.items():
        if not frame.is_empty():
            parts += [Chart(f"accuracy per {name}", partial(slice_chart, name, frame)),
                      Table(frame, f"Per {name}")]
    return [Section("Slices", tuple(parts))] if parts else []


def _sections(ev: EnrichmentEvaluation, prefix: str = "") -> list[Section]:
    sections = [
        _overview(ev), *_category_sections(ev)[:1], *_merchant_section(ev),
        *_calibration_section(ev), *_other_sections(ev), *_slice_section(ev),
        *_category_sections(ev)[1:],
    ]
    if prefix:
        sections = [Section(f"{prefix}: {s.heading}", s.parts) for s in sections]
    return sections

def _write(out_dir: Path, name: str, md: str, page: str) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out_dir / f"{name}.md", out_dir / f"{name}.html"
    md_path.write_text(md, encoding="utf-8")
    html_path.write_text(page, encoding="utf-8")
    return md_path, html_path


def render_markdown(evaluation: EnrichmentEvaluation, title: str) -> str:
    """The Markdown report of one evaluation (the HTML report adds charts)."""
    return markdown_page(title, _headline_table({"value": evaluation}), _sections(evaluation))


def write_evaluation_report(evaluation: EnrichmentEvaluation, out_dir: Path,
                            title: str) -> tuple[Path, Path]:
    """Write ``enrichment_evaluation.md`` and ``.html`` into ``out_dir``; return both paths."""
    head = _headline_table({"value": evaluation})
    sections = _sections(evaluation)
    return _write(out_dir, REPORT_NAME, markdown_page(title, head, sections),
                  html_page(title, head, sections))


def write_comparison_report(evaluations: Mapping[str, EnrichmentEvaluation], out_dir: Path,
                            title: str) -> tuple[Path, Path]:
    """Several evaluations side by side (e.g. in-distribution, held-out dialects, held-out
    merchants): one headline table with targets, then each evaluation's sections.

    Writes ``enrichment_comparison.md`` and ``.html`` into ``out_dir``.
    """
    if not evaluations:
        raise ConfigurationError("write_comparison_report needs at least one evaluation")
    head = _headline_table(evaluations)
    sections = [s for name, ev in evaluations.items() for s in _sections(ev, prefix=name)]
    return _write(out_dir, COMPARISON_NAME, markdown_page(title, head, sections),
                  html_page(title, head, sections))
