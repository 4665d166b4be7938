"""How well masking works, measured on the synthetic bank's ground-truth spans.

Recall: a true personal-data span counts as found when every character of it lies inside
one masked span. Precision: the share of masked characters that lie inside true spans.
Merchant damage: the share of card payments whose label masking changed at all (the
merchant name must survive masking for enrichment to work).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from ledgerlens.exceptions import DataError
from ledgerlens.privacy._marking import masked_of, spans_of
from ledgerlens.privacy._mask import mark_labels
from ledgerlens.privacy._names import Lexicon
from ledgerlens.schema import PII_KINDS

__all__ = ["DAMAGE_LIMIT", "RECALL_TARGET", "MaskingReport", "evaluate_masking"]

#: What the issue asks: at least 99 % of personal-data spans masked ...
RECALL_TARGET = 0.99
#: ... and at most 0.5 % of card payments with a changed label.
DAMAGE_LIMIT = 0.005
_EXAMPLES = 20


@dataclass(frozen=True)
class MaskingReport:
    """Figures of one masking evaluation, with examples of what went wrong."""

    transactions: int
    pii_spans: int
    recalled_spans: int
    masked_chars: int
    masked_chars_in_truth: int
    card_payments: int
    damaged_card_payments: int
    spans_by_kind: Mapping[str, int] = field(default_factory=dict)
    recalled_by_kind: Mapping[str, int] = field(default_factory=dict)
    missed_examples: tuple[str, ...] = ()
    damaged_examples: tuple[str, ...] = ()

    @property
    def recall(self) -> float:
        return self.recalled_spans / self.pii_spans if self.pii_spans else 1.0

    @property
    def recall_by_kind(self) -> dict[str, float]:
        return {kind: self.recalled_by_kind.get(kind, 0) / n
                for kind, n in self.spans_by_kind.items() if n}

    @property
    def precision(self) -> float:
        return self.masked_chars_in_truth / self.masked_chars if self.masked_chars else 1.0

    @property
    def damage_rate(self) -> float:
        return self.damaged_card_payments / self.card_payments if self.card_payments else 0.0

    @property
    def passed(self) -> bool:
        """Whether recall and merchant damage meet the targets."""
        return self.recall >= RECALL_TARGET and self.damage_rate <= DAMAGE_LIMIT

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v:.2%}" for k, v in self.recall_by_kind.items())
        verdict = "targets met" if self.passed else "TARGETS NOT MET"
        return (f"PII span recall {self.recall:.2%} ({self.recalled_spans}/{self.pii_spans}; "
                f"{kinds}); precision {self.precision:.2%}; merchant damage "
                f"{self.damage_rate:.3%} ({self.damaged_card_payments}/{self.card_payments} "
                f"card payments); {verdict} (recall >= {RECALL_TARGET:.0%}, damage <= "
                f"{DAMAGE_LIMIT:.1%})")

    def to_markdown(self) -> str:
        lines = [
            "| measure | value |", "| --- | --- |",
            f"| transactions | {self.transactions:,} |",
            f"| PII spans (ground truth) | {self.pii_spans:,} |",
            f"| span recall | {self.recall:.2%} ({self.recalled_spans:,}) |",
            f"| character precision | {self.precision:.2%} |",
            f"| card payments | {self.card_payments:,} |",
            f"| card labels changed (merchant damage) | {self.damage_rate:.3%} "
            f"({self.damaged_card_payments:,}) |",
            f"| targets (recall >= {RECALL_TARGET:.0%}, damage <= {DAMAGE_LIMIT:.1%}) | "
            f"{'met' if self.passed else 'not met'} |",
            "", "| kind | spans | recall |", "| --- | --- | --- |",
        ]
        for kind, n in self.spans_by_kind.items():
            lines.append(f"| {kind} | {n:,} | {self.recall_by_kind.get(kind, 1.0):.2%} |")
        for title, examples in (("Missed spans", self.missed_examples),
                                ("Changed card labels", self.damaged_examples)):
            if examples:
                lines += ["", f"{title} (synthetic data, first {len(examples)}):", ""]
                lines += [f"- `{e}`" for e in examples]
        return "\n".join(lines) + "\n"


def _explode(spans: pl.DataFrame, column: str, line: int) -> pl.DataFrame:
    return (spans.select("i", pl.col(column).alias("s")).explode("s").drop_nulls("s")
            .unnest("s").with_columns(line=pl.lit(line, pl.Int8)))


def _merged(predicted: pl.DataFrame) -> pl.DataFrame:
    """Touching or overlapping masked spans as one (each becomes a single token anyway)."""
    return (predicted.sort("i", "line", "start")
            .with_columns(reach=pl.col("end").cum_max().shift(1).over("i", "line"))
            .with_columns(group=(pl.col("reach").is_null() | (pl.col("start") > pl.col("reach")))
                          .cum_sum().over("i", "line"))
            .group_by("i", "line", "group")
            .agg(pl.col("start").min(), pl.col("end").max())
            .drop("group"))


def evaluate_masking(transactions: pl.DataFrame, ground_truth: pl.DataFrame, *,
                     lexicon: Lexicon | None = None) -> MaskingReport:
    """Mask the labels as ingestion would, and score the result against the ground truth."""
    key = ["tenant_id", "transaction_id"]
    truth_columns = ["transaction_type", "pii_spans", "complement_pii_spans"]
    for name, frame, needed in (("transactions", transactions, [*key, "raw_label"]),
                                ("ground_truth", ground_truth, [*key, *truth_columns])):
        missing = sorted(set(needed) - set(frame.columns))
        if missing:
            raise DataError(f"{name} lacks columns {missing}")
    tx = transactions.select(*key, "raw_label", *(
        ["label_complement"] if "label_complement" in transactions.columns else []))
    if "label_complement" not in tx.columns:
        tx = tx.with_columns(label_complement=pl.lit(None, pl.String))
    frame = tx.join(ground_truth.select(*key, *truth_columns), on=key, how="inner")
    frame = frame.with_row_index("i")
    marked = mark_labels(frame, lexicon=lexicon)
    predicted = pl.DataFrame({"i": frame["i"], "p": spans_of(marked["r"]),
                              "q": spans_of(marked["c"])})
    pred = _merged(pl.concat([_explode(predicted, "p", 0), _explode(predicted, "q", 1)])
                   .select("i", "line", "start", "end"))
    truth = pl.concat([_explode(frame, "pii_spans", 0), _explode(frame, "complement_pii_spans",
                                                                 1)])
    pairs = truth.join(pred, on=["i", "line"], how="left", suffix="_m")
    found = (pairs.with_columns(
        inside=((pl.col("start_m") <= pl.col("start")) & (pl.col("end") <= pl.col("end_m")))
        .fill_null(False))
        .group_by("i", "line", "start", "end", "kind").agg(pl.col("inside").any()))
    overlap = (pred.join(truth, on=["i", "line"], how="inner", suffix="_t")
               .select((pl.min_horizontal("end", "end_t") - pl.max_horizontal("start", "start_t"))
                       .clip(lower_bound=0).sum()).item())
    by_kind = found.group_by("kind").agg(pl.len().alias("n"), pl.col("inside").sum().alias("ok"))
    counts = {r["kind"]: (r["n"], r["ok"]) for r in by_kind.iter_rows(named=True)}
    ordered = [k for k in PII_KINDS if k in counts]

    masked_raw, masked_comp = masked_of(marked["r"]), masked_of(marked["c"])
    card = frame["transaction_type"].str.starts_with("card")
    changed = (masked_raw.ne_missing(frame["raw_label"])
               | masked_comp.ne_missing(frame["label_complement"]))
    damaged = frame.with_columns(masked=masked_raw, masked_c=masked_comp).filter(card & changed)
    missed = (found.filter(~pl.col("inside")).sort("i", "line", "start")
              .join(frame.select("i", "raw_label", "label_complement"), on="i")
              .head(_EXAMPLES))
    return MaskingReport(
        transactions=frame.height,
        pii_spans=found.height,
        recalled_spans=int(found["inside"].sum()),
        masked_chars=int((pred["end"] - pred["start"]).sum()),
        masked_chars_in_truth=int(overlap or 0),
        card_payments=int(card.sum()),
        damaged_card_payments=damaged.height,
        spans_by_kind={k: counts[k][0] for k in ordered},
        recalled_by_kind={k: counts[k][1] for k in ordered},
        missed_examples=tuple(_miss(r) for r in missed.iter_rows(named=True)),
        damaged_examples=tuple(f"{r['raw_label']} -> {r['masked']}"
                               for r in damaged.head(_EXAMPLES).iter_rows(named=True)),
    )


def _miss(row: dict[str, object]) -> str:
    text = str(row["raw_label"] if row["line"] == 0 else row["label_complement"])
    start, end = int(str(row["start"])), int(str(row["end"]))
    other = row["label_complement"] if row["line"] == 0 else row["raw_label"]
    return f"{row['kind']}: {text[:start]}[{text[start:end]}]{text[end:]} || {other}"
