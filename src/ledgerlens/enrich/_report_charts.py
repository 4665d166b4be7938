"""The report's charts: matplotlib figures drawn on the Agg canvas and inlined as base64 PNG.

matplotlib (and numpy) are imported only when a chart is drawn, so importing the report
modules stays cheap.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from ledgerlens.enrich._scoring import Calibration
from ledgerlens.taxonomy import CATEGORIES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "confusion_chart",
    "confusion_matrix",
    "png_base64",
    "reliability_chart",
    "slice_chart",
]

_BLUE, _ORANGE, _GREY = "#3b6ea5", "#d97706", "#6b7280"
_MAX_SLICE_BARS = 25


def png_base64(fig: Figure) -> str:
    """The figure as base64 PNG text, for a ``data:`` URI."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _reliability_axes(ax: Axes, name: str, cal: Calibration) -> None:
    table = cal.reliability
    ax.plot([0, 1], [0, 1], color=_GREY, linestyle="--", linewidth=1, label="perfect")
    ax.bar(table["lower"].to_list(), table["accuracy"].to_list(), width=1 / 15, align="edge",
           color=_BLUE, alpha=0.8, edgecolor="white", label="accuracy")
    ax.plot(table["mean_confidence"].to_list(), table["accuracy"].to_list(), "o",
            color=_ORANGE, markersize=3, label="mean confidence")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{name}: ECE {cal.ece:.3f} (n={cal.n:,})", fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="upper left")


def reliability_chart(items: Sequence[tuple[str, Calibration]]) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.4 * len(items), 4), layout="constrained")
    axes = fig.subplots(1, len(items), squeeze=False)[0]
    for ax, (name, cal) in zip(axes, items, strict=True):
        _reliability_axes(ax, name, cal)
    return fig


def confusion_chart(confusion: pl.DataFrame) -> Figure:
    """Row-normalized colours (recall per true class), counts written in the cells."""
    import numpy as np
    from matplotlib.figure import Figure

    matrix = confusion_matrix(confusion)
    labels = matrix.columns[1:]
    counts = matrix.drop("true_category").to_numpy().astype(float)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 2.5 + 0.38 * max(len(labels), 2)
    fig = Figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    rows = matrix["true_category"].to_list()
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Level-1 confusion (colour: share of the true class)", fontsize=10,
                 loc="left")
    for i, j in zip(*np.nonzero(counts), strict=True):
        ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=6,
                color="white" if share[i, j] > 0.5 else "#111827")
    fig.colorbar(image, ax=ax, shrink=0.6)
    return fig


def slice_chart(name: str, frame: pl.DataFrame) -> Figure:
    from matplotlib.figure import Figure

    frame = frame.head(_MAX_SLICE_BARS)
    metrics = [c for c in ("l1_accuracy", "l2_accuracy", "type_accuracy") if c in frame.columns]
    fig = Figure(figsize=(8, 1.2 + 0.3 * max(frame.height, 2)), layout="constrained")
    ax = fig.subplots()
    ax.set_title(f"Accuracy per {name}", fontsize=10, loc="left")
    height = 0.8 / max(len(metrics), 1)
    colours = (_BLUE, _ORANGE, _GREY)
    for k, metric in enumerate(metrics):
        values = [v if v is not None else 0.0 for v in frame[metric].to_list()]
        ax.barh([i + k * height for i in range(frame.height)], values, height=height,
                color=colours[k], label=metric.replace("_", " "))
    ax.set_yticks([i + height * (len(metrics) - 1) / 2 for i in range(frame.height)],
                  [str(v) for v in frame[name].to_list()], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.legend(fontsize=7, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3,
              borderaxespad=0.0)
    return fig

def confusion_matrix(confusion: pl.DataFrame) -> pl.DataFrame:
    """The long confusion counts as a wide matrix, classes in taxonomy order."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    seen = set(confusion["true_category"].to_list()) | set(confusion["category"].to_list())
    columns = sorted(seen, key=lambda c: (order.get(c, len(order)), c))
    rows = [c for c in columns if c in set(confusion["true_category"].to_list())]
    wide = confusion.pivot(on="category", index="true_category", values="n")
    missing = [c for c in columns if c not in wide.columns]
    wide = wide.with_columns(pl.lit(0, dtype=pl.UInt32).alias(c) for c in missing)
    return (
        pl.DataFrame({"true_category": rows})
        .join(wide, on="true_category", how="left")
        .select("true_category", *(pl.col(c).fill_null(0) for c in columns))
    )
