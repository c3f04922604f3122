"""Business days in Lomé: weekdays that are neither Togo public holidays nor decreed closures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from domain.holiday_dates import holiday_dates

WEEKMASK = "1111100"


class BusinessCalendar:
    """``bd(a, b)`` = numpy.busday_count(date(a), date(b)) with dates taken in Africa/Lome."""

    def __init__(self, country: str = "TG", extra_closures: Iterable[dt.date] = ()) -> None:
        self.country = country
        self.extra_closures = tuple(sorted(set(extra_closures)))

    def holidays(self, first_year: int, last_year: int) -> np.ndarray:
        return _holidays(self.country, self.extra_closures, first_year, last_year)

    def is_business_day(self, day: dt.date) -> bool:
        """A weekday (Monday to Friday) that is neither a public holiday of ``country`` nor a decreed closure."""
        return bool(np.is_busday(np.datetime64(day, "D"), weekmask=WEEKMASK, holidays=self.holidays(day.year, day.year)))

    def holidays_around(self, *stamps: pd.Series | pd.Timestamp) -> np.ndarray:
        """Holidays for every year the given instants touch, with a year of margin for due dates."""
        years = [ts.year for ts in stamps if isinstance(ts, pd.Timestamp)]
        for s in stamps:
            if isinstance(s, pd.Series) and s.notna().any():
                years += [int(s.min().year), int(s.max().year)]
        if not years:  # nothing dated to look at: no holiday can matter
            return np.array([], dtype="datetime64[D]")
        return self.holidays(min(years) - 1, max(years) + 2)


@lru_cache(maxsize=32)
def _holidays(country: str, extra: tuple[dt.date, ...], first_year: int, last_year: int) -> np.ndarray:
    return holiday_dates(range(first_year, last_year + 1), country, extra)
