"""Togo's business-day calendar: weekends, public holidays, decreed closures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import holidays
import numpy as np


def holiday_dates(years: Iterable[int], country: str = "TG", extra_closures: Iterable[dt.date] = ()) -> np.ndarray:
    """Non-working dates (numpy datetime64[D]) for ``years``: public holidays + closures."""
    days = set(holidays.country_holidays(country, years=sorted(set(years))))
    days.update(extra_closures)
    return np.array(sorted(days), dtype="datetime64[D]")
