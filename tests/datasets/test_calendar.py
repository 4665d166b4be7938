"""The simulation calendar: French holidays, business days, seasonality."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ledgerlens.datasets._calendar import Calendar, french_public_holidays


def test_french_holidays_include_easter_monday_and_bastille_day() -> None:
    days = french_public_holidays(2025)
    assert dt.date(2025, 4, 21) in days  # Easter Monday 2025
    assert dt.date(2025, 7, 14) in days
    assert len(days) == 11


def test_window_covers_whole_months() -> None:
    cal = Calendar.for_months(dt.date(2025, 1, 1), 12)
    assert cal.n_days == 365
    assert cal.n_months == 12
    assert cal.end == dt.date(2026, 1, 1)


def test_business_day_shifts_skip_weekends_and_holidays() -> None:
    cal = Calendar.for_months(dt.date(2025, 1, 1), 2)
    # 2025-01-01 is a holiday (Wednesday): next business day is Thursday the 2nd.
    assert cal.next_business_day[0] == 1
    # Saturday 4 January goes back to Friday the 3rd.
    assert cal.previous_business_day[3] == 2


def test_day_of_clips_to_month_length() -> None:
    cal = Calendar.for_months(dt.date(2025, 1, 1), 12)
    day = cal.day_of(np.array([1, 13]), np.array([31, 5]))
    assert day[0] == 31 + 27  # 28 February
    assert day[1] == -1  # outside the window


def test_activity_is_zero_on_closing_days_and_higher_in_season() -> None:
    cal = Calendar.for_months(dt.date(2025, 1, 1), 12)
    act = cal.activity("summer", "0111111")
    assert np.all(act[cal.weekday == 0] == 0)
    assert act[cal.month == 7].mean() > act[cal.month == 1].mean()


def test_rejects_bad_profiles() -> None:
    cal = Calendar.for_months(dt.date(2025, 1, 1), 1)
    with pytest.raises(ValueError, match="unknown seasonality 'autumn'"):
        cal.activity("autumn")
    with pytest.raises(ValueError, match="opening_days"):
        cal.activity("flat", "11")
