"""Recurring streams expanded into dated occurrences, as banks book them.

A stream is due by its cadence within its active window (taken up, cancelled), on its day
of the month moved to a business day; occurrences are occasionally missed or duplicated,
amounts vary a little, and subscription prices rise once, the same month for every
subscriber of a merchant.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._calendar import Calendar
from ledgerlens.datasets._event_frame import event_frame, strings

__all__ = ["MONTHS_FR", "expand_streams"]

MONTHS_FR = ("JANVIER", "FEVRIER", "MARS", "AVRIL", "MAI", "JUIN", "JUILLET", "AOUT",
             "SEPTEMBRE", "OCTOBRE", "NOVEMBRE", "DECEMBRE")


def _stable_buckets(values: npt.NDArray[np.str_], n: int) -> npt.NDArray[np.int64]:
    """A bucket in [0, n) per value, the same across runs and library versions."""
    unique, inverse = np.unique(values, return_inverse=True)
    digests = [int(hashlib.blake2b(v.encode(), digest_size=4).hexdigest(), 16) % n
               for v in unique.tolist()]
    return np.asarray(digests, dtype=np.int64)[inverse.reshape(-1)]


def expand_streams(streams: pl.DataFrame, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    """One event per stream occurrence within its active window."""
    n_months = cal.n_months
    s = streams
    k = s.height
    # Active window in months; churned streams stop, new ones start.
    start_m = np.where(rng.random(k) < s["uptake"].to_numpy(), rng.integers(1, n_months + 1, k), 0)
    end_m = np.where(rng.random(k) < s["churn"].to_numpy(),
                     rng.integers(1, n_months + 1, k), n_months)
    end_m = np.maximum(end_m, start_m + 1)
    reps = np.full(k, n_months)
    row = np.repeat(np.arange(k), reps)
    month = np.tile(np.arange(n_months), k)
    cadence = s["cadence"].to_numpy()[row]
    phase = s["phase"].to_numpy()[row]
    due = np.select([cadence == "monthly", cadence == "quarterly", cadence == "yearly"],
                    [np.ones(row.size, bool), (month - phase) % 3 == 0,
                     (month % 12) == (phase % 12)], default=True)
    # Property tax falls in October; the yearly card fee on its own month.
    sub = s["subcategory"].to_numpy()[row]
    due = np.where(sub == "property_housing_tax", cal.month[cal.month_starts[month]] == 9, due)
    active = (month >= start_m[row]) & (month < end_m[row])
    missed = rng.random(row.size) < 0.008
    keep = due & active & ~missed
    row, month = row[keep], month[keep]
    day = cal.day_of(month, s["dom"].to_numpy()[row])
    shift = s["shift"].to_numpy()[row]
    day = np.where(shift == "previous", cal.previous_business_day[day], cal.next_business_day[day])
    duplicated = rng.random(row.size) < 0.003
    row = np.concatenate([row, row[duplicated]])
    day = np.concatenate([day, day[duplicated]])
    month = np.concatenate([month, month[duplicated]])

    base = s["amount"].to_numpy()[row]
    sigma = s["sigma"].to_numpy()[row]
    amount = np.round(base * np.exp(rng.normal(0.0, 1.0, row.size) * sigma), 2)
    # Price rises: a merchant raises its price once, in a month of its own.
    merchant = s["merchant_id"].to_numpy()[row].astype(str)
    bucket = _stable_buckets(merchant, 100)
    rises = (bucket < 30) & (s["kind"].to_numpy()[row] == "subscription")
    change_month = bucket % max(n_months, 1)
    amount = np.where(rises & (month >= change_month), np.round(amount - 1.0 - bucket % 3, 2),
                      amount)
    cal_month = cal.month[day]
    year = cal.dates[day].astype("datetime64[Y]").astype(np.int64) + 1970
    motif = s["motif"].to_numpy()[row].astype(object)
    motif_s = strings(motif).alias("m")
    motif_s = pl.DataFrame({"m": motif_s, "mo": np.asarray(MONTHS_FR)[cal_month],
                            "y": year.astype(str)}).select(
        pl.col("m").str.replace("{MONTH}", pl.col("mo"), literal=True)
        .str.replace("{YEAR}", pl.col("y"), literal=True)).to_series()
    own = s["label_kind"].to_numpy()[row] == "own_account_transfer"
    g = s[row]
    ref = rng.integers(10**9, 10**10, row.size).astype(str)
    events = event_frame(
        row.size, customer_idx=g["cust_global"], account_idx=g["account_idx"], day=day,
        op_day=day, amount=amount, transaction_type=g["transaction_type"],
        label_kind=g["label_kind"], descriptor=g["descriptor"],
        person_title=g["person_title"], person_first=g["person_first"],
        person_last=g["person_last"], motif=motif_s, reference=ref,
        mandate_id=g["mandate_id"], creditor_id=g["creditor_id"], loan_number=g["loan_number"],
        card_last4=g["card_last4"], card_bin=g["card_bin"],
        merchant_id=g["merchant_id"], subcategory=g["subcategory"],
        recurring_stream_id=g["stream_id"], is_income=g["is_income"], mcc=g["mcc"],
        counterparty_iban=g["counterparty_iban"], bank_transaction_code=g["code"],
    )
    # Money moved to the savings account arrives there the same day (a life-insurance
    # contract or a share account is not among the bank's accounts in the data).
    saved = own & (g["savings_idx"].to_numpy() >= 0) & (
        g["subcategory"].to_numpy() == "savings_transfer")
    mirror = events.filter(pl.Series(saved)).with_columns(
        account_idx=pl.Series(g["savings_idx"].to_numpy()[saved]),
        amount=-pl.col("amount"), descriptor=pl.lit("COMPTE COURANT"))
    return pl.concat([events, mirror])
