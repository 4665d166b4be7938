"""Recurring payments scored at transaction level and at stream level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from ledgerlens.enrich._scoring import count_where, f1_score, ratio

__all__ = ["RecurringMetrics", "recurring_metrics"]

#: A true stream is found by a predicted one holding this share of it, at this purity.
_STREAM_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class RecurringMetrics:
    """Recurring payments at transaction level and at stream level.

    A true stream is found when at least 80 % of its transactions fall in one predicted
    stream that is itself at least 80 % made of that true stream's transactions.
    """

    n: int
    tx_precision: float | None
    tx_recall: float | None
    tx_f1: float | None
    n_true_streams: int | None
    n_predicted_streams: int | None
    n_found: int | None
    stream_precision: float | None
    stream_recall: float | None
    stream_f1: float | None
    #: Stream recall per true stream kind (needs ``true_streams``).
    by_kind: pl.DataFrame | None
    #: Cadence equal to the true one, among found streams (needs both stream tables).
    cadence_accuracy: float | None


def _stream_matches(a: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """Per true stream: its best predicted stream, share and purity, and whether it is found;
    plus the numbers of true and predicted streams.

    A true stream is taken per account when the table has ``account_id``: a transfer to
    savings is one stream of the generator but a debit stream on one account and a credit
    stream on the other, and a detector works per account."""
    account = pl.col("account_id") if "account_id" in a.columns else pl.lit("")
    r = a.select(t=pl.col("true_recurring_stream_id"), acct=account,
                 p=pl.col("recurring_stream_id"))
    p_size = r.filter(pl.col("p").is_not_null()).group_by("p").len("n_p")
    t_size = r.filter(pl.col("t").is_not_null()).group_by("t", "acct").len("n_t")
    best = (
        r.filter(pl.col("t").is_not_null() & pl.col("p").is_not_null())
        .group_by("t", "acct", "p").len("c")
        .sort(["t", "acct", "c", "p"], descending=[False, False, True, False])
        .group_by("t", "acct", maintain_order=True).first()
    )
    matches = (
        t_size.join(best, on=["t", "acct"], how="left", nulls_equal=True)
        .join(p_size, on="p", how="left")
        .with_columns(
            ((pl.col("c") / pl.col("n_t") >= _STREAM_SHARE)
             & (pl.col("c") / pl.col("n_p") >= _STREAM_SHARE)).fill_null(False).alias("found"))
    )
    return matches, t_size.height, p_size.height


def _first_column(frame: pl.DataFrame, names: Sequence[str]) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def recurring_metrics(a: pl.DataFrame, streams: pl.DataFrame | None,
                      true_streams: pl.DataFrame | None,
                      notes: list[str]) -> RecurringMetrics | None:
    if "true_recurring_stream_id" not in a.columns:
        return None
    if "is_recurring" in a.columns:
        pred = pl.col("is_recurring").fill_null(False)
    elif "recurring_stream_id" in a.columns:
        pred = pl.col("recurring_stream_id").is_not_null()
    else:
        notes.append("Recurring skipped: the enriched table has no is_recurring.")
        return None
    true = pl.col("true_recurring_stream_id").is_not_null()
    tp = count_where(a, pred & true)
    precision, recall = ratio(tp, count_where(a, pred)), ratio(tp, count_where(a, true))
    if "recurring_stream_id" not in a.columns:
        notes.append("Recurring streams skipped: the enriched table has no recurring_stream_id.")
        return RecurringMetrics(a.height, precision, recall, f1_score(precision, recall),
                                None, None, None, None, None, None, None, None)
    matches, n_true, n_pred = _stream_matches(a)
    n_found = int(matches["found"].sum())
    s_precision, s_recall = ratio(n_found, n_pred), ratio(n_found, n_true)
    by_kind = cadence = None
    if true_streams is not None and {"stream_id", "kind"} <= set(true_streams.columns):
        by_kind = (
            matches.join(true_streams.select(t="stream_id", kind="kind"), on="t", how="left")
            .group_by(pl.col("kind").fill_null("unknown"))
            .agg(pl.len().alias("n_streams"), pl.col("found").mean().alias("recall"))
            .sort("n_streams", "kind", descending=[True, False])
        )
    period = _first_column(streams, ("recurrence_period", "period", "cadence")) \
        if streams is not None else None
    sid = _first_column(streams, ("recurring_stream_id", "stream_id")) \
        if streams is not None else None
    if (streams is not None and period and sid and true_streams is not None
            and {"stream_id", "cadence"} <= set(true_streams.columns)):
        found = (
            matches.filter("found")
            .join(streams.select(p=pl.col(sid), period=pl.col(period)), on="p", how="left")
            .join(true_streams.select(t="stream_id", cadence="cadence"), on="t", how="left")
        )
        if found.height:
            cadence = float(found.select((pl.col("period") == pl.col("cadence"))
                                         .fill_null(False).mean()).item())
    return RecurringMetrics(
        n=a.height, tx_precision=precision, tx_recall=recall, tx_f1=f1_score(precision, recall),
        n_true_streams=n_true, n_predicted_streams=n_pred, n_found=n_found,
        stream_precision=s_precision, stream_recall=s_recall,
        stream_f1=f1_score(s_precision, s_recall), by_kind=by_kind, cadence_accuracy=cadence,
    )
