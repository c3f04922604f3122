"""When demo cases arrive: the weekday, holiday and hour profile the generated history is drawn from, and the
live simulator's expected rate of new cases at a moment (pure; naive Lomé wall time).

One profile for both, so that « today » in the live demo looks like the history's days: about 20 new cases an
hour on a weekday morning, one an hour on a Saturday night, not a thousand an hour whatever the day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

#: Relative submissions per day: weekdays 1, Saturday and Sunday far fewer, public holidays quiet.
WEEKDAY_WEIGHT, SATURDAY_WEIGHT, SUNDAY_WEIGHT, HOLIDAY_WEIGHT = 1.0, 0.18, 0.08, 0.1
#: Online adoption grows over the history: its first day weighs GROWTH[0], its last GROWTH[1].
GROWTH = (0.75, 1.25)
#: Share of cases submitted online on a working day (counters are closed on quiet days: all online there).
ONLINE_SHARE = 0.62
#: Relative submissions per hour of the day (0-23), online and at the counters.
ONLINE_HOURS = np.array([1, 1, 0, 0, 0, 1, 3, 6, 10, 12, 12, 11, 9, 8, 9, 9, 8, 7, 7, 8, 8, 6, 4, 2], dtype=float)
COUNTER_HOURS = np.array([0] * 7 + [4, 12, 12, 11, 9, 5, 6, 9, 8, 3] + [0] * 7, dtype=float)


def day_weights(days: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    """Relative submissions of each day (``datetime64[D]``), without the growth trend."""
    weekday = (days.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (3)
    weights = np.where(weekday < 5, WEEKDAY_WEIGHT, np.where(weekday == 5, SATURDAY_WEIGHT, SUNDAY_WEIGHT))
    return np.where(np.isin(days.astype("datetime64[D]"), holidays), HOLIDAY_WEIGHT, weights)


def quiet_days(days: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    """Weekends and public holidays: counters closed."""
    return ~np.is_busday(days.astype("datetime64[D]"), holidays=holidays)


def history_days(end: dt.date, days: int) -> np.ndarray:
    """The history's calendar days: the ``days`` before ``end`` and ``end`` itself."""
    return pd.date_range(end - dt.timedelta(days=days), end, freq="D").to_numpy().astype("datetime64[D]")


def history_day_weights(end: dt.date, days: int, holidays: np.ndarray) -> np.ndarray:
    """Each history day's share of the cases, before normalising: its weight times the growth trend."""
    span = history_days(end, days)
    return day_weights(span, holidays) * np.linspace(*GROWTH, len(span))


def hour_share(hour: int, quiet: bool) -> float:
    """The share of a day's submissions made in ``hour`` (0-23): online only on quiet days."""
    online = ONLINE_HOURS[hour] / ONLINE_HOURS.sum()
    if quiet:
        return float(online)
    return float(ONLINE_SHARE * online + (1 - ONLINE_SHARE) * COUNTER_HOURS[hour] / COUNTER_HOURS.sum())


def cases_per_hour(at: dt.datetime, *, n_cases: int, days: int, end: dt.date, holidays: np.ndarray) -> float:
    """Expected new cases in the hour of ``at`` (naive Lomé time) for a history of ``n_cases`` over the ``days``
    before ``end``: the history's own rate inside it; after ``end`` (the live demo), its last day's growth."""
    weights = history_day_weights(end, days, holidays)
    per_weight = n_cases / weights.sum()
    day = np.datetime64(at.date(), "D")
    start = np.datetime64(end - dt.timedelta(days=days), "D")
    position = min(int((day - start).astype(np.int64)), len(weights) - 1)
    growth = GROWTH[0] + (GROWTH[1] - GROWTH[0]) * max(position, 0) / (len(weights) - 1)
    daily = per_weight * float(day_weights(np.array([day]), holidays)[0]) * growth
    return daily * hour_share(at.hour, bool(quiet_days(np.array([day]), holidays)[0]))


#: Agents close cases on working days in office hours (07:30-17:30, as the history's closures): hours 7 to 17.
OFFICE_HOURS = range(7, 18)


def closures_per_hour(at: dt.datetime, *, n_cases: int, days: int, end: dt.date, holidays: np.ndarray) -> float:
    """Expected closures in the hour of ``at`` for the live demo: a week's arrivals (at ``end``'s rate) closed
    over the week's office hours, so the backlog neither drains nor swells; none at night, on weekends and holidays."""
    day = np.datetime64(at.date(), "D")
    if at.hour not in OFFICE_HOURS or bool(quiet_days(np.array([day]), holidays)[0]):
        return 0.0
    weights = history_day_weights(end, days, holidays)
    week = np.array([WEEKDAY_WEIGHT] * 5 + [SATURDAY_WEIGHT, SUNDAY_WEIGHT]).sum() * GROWTH[1] * n_cases / weights.sum()
    return float(week / (5 * len(OFFICE_HOURS)))
