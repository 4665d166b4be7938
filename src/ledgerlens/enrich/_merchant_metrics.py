"""Merchant quality: precision, recall, known-merchant coverage, false merchants, calibration."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ledgerlens.enrich._scoring import Calibration, calibration_of, ratio

__all__ = ["KNOWN_MERCHANT_PREFIXES", "MerchantMetrics", "merchant_metrics"]

#: Merchant id prefixes of the merchants a directory can know (the others are small shops).
KNOWN_MERCHANT_PREFIXES: tuple[str, ...] = ("nsi:", "cur:")


@dataclass(frozen=True, slots=True)
class MerchantMetrics:
    """Merchant quality; ``basis`` is ``merchant_id`` (synthetic truth) or ``merchant_name``."""

    basis: str
    n: int
    n_returned: int
    #: Correct among returned merchants.
    precision: float | None
    #: Correct among transactions at a known (nsi/cur) merchant, or any named merchant (CSV).
    recall: float | None
    #: Correct merchant on card payments at known merchants (None for CSV truth).
    known_coverage: float | None
    #: Any merchant returned on card payments at known merchants.
    known_coverage_any: float | None
    n_card_known: int
    #: A wrong merchant returned where the true one is unknown to any directory (loc/abr)
    #: or there is none (for CSV truth: where no merchant name is given).
    false_merchant_rate: float | None
    n_unknown: int
    calibration: Calibration | None
    #: Exact merchant id among returned merchants (same as precision without brand keys).
    precision_exact_id: float | None = None


def merchant_metrics(a: pl.DataFrame, basis: str | None,
                     notes: list[str]) -> MerchantMetrics | None:
    if basis is None:
        return None
    returned, ok = pl.col("_m_ret"), pl.col("_m_ok")
    card_known: pl.Expr | None = None
    if basis == "merchant_id":
        true = pl.col("true_merchant_id")
        known = true.str.starts_with(KNOWN_MERCHANT_PREFIXES[0])
        for prefix in KNOWN_MERCHANT_PREFIXES[1:]:
            known = known | true.str.starts_with(prefix)
        known = known.fill_null(False)
        unknown = ~known
        if "true_transaction_type" in a.columns:
            card_known = known & pl.col("true_transaction_type").str.starts_with("card_")
        else:
            notes.append("Known-merchant coverage skipped: the truth has no transaction_type.")
    else:
        known = pl.col("_m_true")
        unknown = ~known
        notes.append("Known-merchant coverage skipped: a labelled CSV does not say which "
                     "merchants a directory knows; merchants compared by normalized name.")
    has_card = card_known is not None
    card = card_known if card_known is not None else pl.lit(False)
    counts = a.select(
        (expr.cast(pl.Int64).sum().alias(name)) for name, expr in {
            "returned": returned, "ok": ok, "known": known, "unknown": unknown, "card": card,
            "ok_known": ok & known, "ok_card": ok & card, "returned_card": returned & card,
            "ok_id": pl.col("_m_ok_id") if "_m_ok_id" in a.columns else ok,
            "false": returned & ~ok & unknown}.items()
    ).row(0, named=True)
    n_returned, n_ok, n_card = counts["returned"], counts["ok"], counts["card"]
    calibration = None
    if "merchant_confidence" in a.columns:
        graded = a.select("merchant_confidence", "_m_ok", "_m_ret").filter("_m_ret")
        calibration = calibration_of(graded["merchant_confidence"], graded["_m_ok"])
    return MerchantMetrics(
        basis=basis,
        n=a.height,
        n_returned=n_returned,
        precision=ratio(n_ok, n_returned),
        recall=ratio(counts["ok_known"], counts["known"]),
        known_coverage=ratio(counts["ok_card"], n_card) if has_card else None,
        known_coverage_any=ratio(counts["returned_card"], n_card) if has_card else None,
        n_card_known=n_card,
        false_merchant_rate=ratio(counts["false"], counts["unknown"]),
        n_unknown=counts["unknown"],
        calibration=calibration,
        precision_exact_id=ratio(counts["ok_id"], n_returned),
    )
