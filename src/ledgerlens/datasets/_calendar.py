"""The simulation calendar: days, French public holidays, weekly and yearly seasonality.

Everything is a numpy array indexed by day number (0 = the first simulated day), so that
the generators can draw dates for millions of events without touching Python dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

__all__ = ["SEASONALITY_PROFILES", "Calendar"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Relative activity by month (Jan..Dec) for each seasonality profile.
SEASONALITY_PROFILES: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 12,
    "summer": (0.7, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 1.5, 1.0, 0.9, 0.8, 0.8),
    "winter": (1.3, 1.2, 1.1, 0.9, 0.8, 0.7, 0.7, 0.7, 0.8, 1.0, 1.2, 1.3),
    "christmas": (1.1, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 0.8, 0.9, 1.0, 1.3, 2.2),
    # Food shopping: a little more at year-end feasts and less in the August holidays.
    "festive": (1.0, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 1.25),
    "back_to_school": (1.2, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.6, 1.8, 1.0, 0.9, 1.0),
    "weekend": (1.0,) * 12,
    # Clothing: January and summer sales (soldes), Christmas.
    "sales": (1.6, 1.0, 0.9, 1.0, 1.0, 1.1, 1.5, 0.9, 1.0, 0.9, 1.1, 1.5),
}

#: Relative activity by weekday (Monday..Sunday) for ordinary shops and for weekend trades.
WEEKDAY_ACTIVITY = np.array([0.85, 0.9, 0.95, 0.95, 1.1, 1.35, 0.5])
WEEKEND_ACTIVITY = np.array([0.6, 0.6, 0.7, 0.9, 1.5, 1.9, 1.1])


def _easter(year: int) -> dt.date:
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def french_public_holidays(year: int) -> set[dt.date]:
    """The eleven French public holidays of ``year``."""
    easter = _easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    days = {dt.date(year, m, d) for m, d in fixed}
    days |= {easter + dt.timedelta(days=1), easter + dt.timedelta(days=39),
             easter + dt.timedelta(days=50)}
    return days


@dataclass(frozen=True)
class Calendar:
    """``n_days`` consecutive days from ``start``; arrays are indexed by day number."""

    start: dt.date
    n_days: int

    @classmethod
    def for_months(cls, start: dt.date, months: int) -> Calendar:
        if months < 1:
            raise ValueError(f"months must be at least 1, got {months}")
        end_month = start.month - 1 + months
        end = dt.date(start.year + end_month // 12, end_month % 12 + 1, 1)
        return cls(start, (end - start).days)

    @property
    def end(self) -> dt.date:
        """The first day after the simulated window."""
        return self.start + dt.timedelta(days=self.n_days)

    @cached_property
    def dates(self) -> npt.NDArray[np.datetime64]:
        return np.datetime64(self.start, "D") + np.arange(self.n_days)

    @cached_property
    def weekday(self) -> IntArray:
        return ((self.dates.astype(np.int64) + 3) % 7).astype(np.int64)  # 1970-01-01 was Thursday

    @cached_property
    def month(self) -> IntArray:
        return (self.dates.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)

    @cached_property
    def month_index(self) -> IntArray:
        """Months since the start month (0, 1, ...)."""
        m = self.dates.astype("datetime64[M]").astype(np.int64)
        return np.asarray(m - m[0], dtype=np.int64)

    @cached_property
    def day_of_month(self) -> IntArray:
        offset = (self.dates - self.dates.astype("datetime64[M]")).astype(np.int64)
        return np.asarray(offset + 1, dtype=np.int64)

    @cached_property
    def is_holiday(self) -> BoolArray:
        years = range(self.start.year, self.end.year + 1)
        hol = np.array(sorted(d for y in years for d in french_public_holidays(y)),
                       dtype="datetime64[D]")
        return np.isin(self.dates, hol)

    @cached_property
    def is_business_day(self) -> BoolArray:
        return (self.weekday < 5) & ~self.is_holiday

    @cached_property
    def next_business_day(self) -> IntArray:
        """For each day, the first business day on or after it (clipped to the window)."""
        idx = np.where(self.is_business_day, np.arange(self.n_days), self.n_days)
        nxt = np.minimum.accumulate(idx[::-1])[::-1]
        return np.asarray(np.minimum(nxt, self.n_days - 1), dtype=np.int64)

    @cached_property
    def previous_business_day(self) -> IntArray:
        """For each day, the last business day on or before it (clipped to the window)."""
        idx = np.where(self.is_business_day, np.arange(self.n_days), -1)
        prev = np.maximum.accumulate(idx)
        return np.asarray(np.maximum(prev, 0), dtype=np.int64)

    @cached_property
    def month_starts(self) -> IntArray:
        """Day number of the first day of each simulated month."""
        return np.flatnonzero(self.day_of_month == 1).astype(np.int64)

    @property
    def n_months(self) -> int:
        return int(self.month_index[-1]) + 1

    def day_of(self, month_index: IntArray, day_of_month: IntArray) -> IntArray:
        """Day number of (month, day), clipping the day to the month's length; -1 outside."""
        starts = np.append(self.month_starts, self.n_days)
        m = np.clip(month_index, 0, self.n_months - 1)
        length = starts[m + 1] - starts[m]
        day = starts[m] + np.minimum(day_of_month, length) - 1
        return np.where((month_index >= 0) & (month_index < self.n_months), day, -1)

    def activity(self, seasonality: str, opening_days: str = "1111111") -> FloatArray:
        """Relative chance, per day, that a customer visits a shop of this profile."""
        try:
            months = np.asarray(SEASONALITY_PROFILES[seasonality])
        except KeyError:
            raise ValueError(
                f"unknown seasonality {seasonality!r}; expected one of "
                f"{', '.join(SEASONALITY_PROFILES)}"
            ) from None
        if len(opening_days) != 7 or set(opening_days) - {"0", "1"}:
            raise ValueError(f"opening_days must be 7 characters of 0/1, got {opening_days!r}")
        open_mask = np.array([c == "1" for c in opening_days])
        week = WEEKEND_ACTIVITY if seasonality == "weekend" else WEEKDAY_ACTIVITY
        w = months[self.month] * week[self.weekday] * open_mask[self.weekday]
        w = w * np.where(self.is_holiday, 0.4, 1.0)
        return np.asarray(w, dtype=np.float64)
