"""Calendar periods for the time charts: days, ISO weeks (Monday to Sunday) and months of Lomé dates.

A window of N Lomé dates is cut along the calendar, not in blocks of N days counted back from
today, so a week on a chart is the week a director says (« semaine 48 », Monday first) and a month
is a month. The first and last periods of a window usually hold fewer dates than a whole period
(and today is not over): they are flagged ``partial`` so that a chart can tell a short period from
a collapse. Pure: dates in, frames out; Lomé is UTC+0 all year, so a UTC date is a Lomé date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpis.case_state import CaseState
from kpis.metrics import quantile_sorted, split_by_group

#: The steps, from the finest; "auto" picks one from the window's length (``auto_step``).
STEPS = ("day", "week", "month")
#: The longest window (in days) each step is chosen for automatically: a day up to a month, a week up to 6 months.
AUTO_LIMITS = {"day": 31, "week": 183}
_DAY_US = 86400 * 10**6


def auto_step(days: int) -> str:
    """The step a window of ``days`` dates is drawn with: day up to 31, ISO week up to 183 (6 months), month beyond."""
    if days <= AUTO_LIMITS["day"]:
        return "day"
    return "week" if days <= AUTO_LIMITS["week"] else "month"


def period_start(day: dt.date, step: str) -> dt.date:
    """The first date of the period holding ``day``: itself, the Monday of its ISO week, the 1st of its month."""
    if step == "day":
        return day
    if step == "week":
        return day - dt.timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown step: {step}")


def period_length(start: dt.date, step: str) -> int:
    """How many dates the whole period starting on ``start`` holds."""
    if step == "day":
        return 1
    if step == "week":
        return 7
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (following - start).days


def periods(dates: list[dt.date], step: str, last_complete: bool = False) -> pd.DataFrame:
    """The periods covering ``dates`` (consecutive Lomé dates, oldest first), one row each, oldest first.

    Columns: period_start (its first calendar date, possibly before the window), first and last (the
    window's dates inside it), dates (how many), partial (fewer dates than the whole period, or it holds
    the window's last date while that date is not over: ``last_complete`` False, as when the window ends now).
    """
    starts = [period_start(d, step) for d in dates]
    frame = pd.DataFrame({"date": dates, "period_start": starts})
    grouped = frame.groupby("period_start", sort=True)["date"]
    out = pd.DataFrame({"first": grouped.min(), "last": grouped.max(), "dates": grouped.size()}).reset_index()
    whole = [period_length(s, step) for s in out["period_start"]]
    out["partial"] = out["dates"] < np.array(whole, dtype=np.int64)
    if len(out) and not last_complete:
        out.loc[out.index[-1], "partial"] = True
    return out


def flows_by_period(daily: pd.DataFrame, step: str, last_complete: bool = False) -> pd.DataFrame:
    """Daily rows (date, inflow, outflow, backlog; consecutive dates) -> one row per calendar period:
    inflow and outflow summed, backlog at the period's last date in the window, and the ``periods`` columns.
    A day with no value (None) is left out of the sums; a period with none at all has None.
    """
    frame = daily.reset_index(drop=True)
    dates = [pd.Timestamp(d).date() for d in frame["date"]]
    cut = periods(dates, step, last_complete)
    key = [period_start(d, step) for d in dates]
    grouped = frame.assign(period_start=key).groupby("period_start", sort=True)
    sums = grouped[["inflow", "outflow"]].sum(min_count=1)
    backlog = grouped["backlog"].last()
    out = cut.merge(sums, left_on="period_start", right_index=True).merge(
        backlog.rename("backlog"), left_on="period_start", right_index=True
    )
    return out.reset_index(drop=True)


def window_dates(as_of: pd.Timestamp, days: int) -> tuple[list[dt.date], bool]:
    """The ``days`` Lomé dates of a window ending at ``as_of``, oldest first, and whether the last one is over.

    The last date is the one holding the window's last instant (T excluded), so a window ending at a
    midnight (a custom range) ends on the day before, complete; a window ending now ends today, not over.
    """
    t = int(as_of.tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[us]").astype(np.int64))
    last = (t - 1) // _DAY_US
    dates = list(pd.date_range(end=pd.Timestamp(last * _DAY_US * 1000), periods=days, freq="D").date)
    return dates, t % _DAY_US == 0


def processing_by_period(state: CaseState, days: int, step: str) -> pd.DataFrame:
    """Closures of the ``days`` Lomé dates of the window ending at T (``window_dates``), per calendar period:
    closures, median and p90 of processing_days (calendar days, suspensions deducted) and of business days
    at closure; None where a period has no closure. With the columns of ``periods`` (partial flags).
    """
    t = int(state.as_of.tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[us]").astype(np.int64))
    dates, last_complete = window_dates(state.as_of, days)
    first_day = int(np.datetime64(dates[0], "us").astype(np.int64))
    cut = periods(dates, step, last_complete)
    starts = np.array(cut["period_start"].tolist(), dtype="datetime64[D]")
    day_to_period = np.searchsorted(starts, np.array(dates, dtype="datetime64[D]"), side="right") - 1
    closed = state.visible & ~state.is_open & (state.closed_at_us >= first_day) & (state.closed_at_us < t)
    bucket = day_to_period[(state.closed_at_us[closed] - first_day) // _DAY_US]
    calendar = split_by_group(bucket, state.processing_days[closed], len(cut))
    business = split_by_group(bucket, state.business_days[closed].astype(np.float64), len(cut))
    columns: dict[str, list[float | None]] = {
        "median_processing_days": [quantile_sorted(v, 0.5) for v in calendar],
        "p90_processing_days": [quantile_sorted(v, 0.9) for v in calendar],
        "median_business_days": [quantile_sorted(v, 0.5) for v in business],
        "p90_business_days": [quantile_sorted(v, 0.9) for v in business],
    }
    out = cut.assign(closures=[len(v) for v in calendar])
    for name, values in columns.items():
        out[name] = pd.Series(values, index=out.index, dtype="object")
    return out


def data_start(daily: pd.DataFrame) -> dt.date | None:
    """The first date of daily rows (date, inflow, outflow, backlog) on which anything happened: a case
    submitted, closed or open. None when nothing did."""
    active = (daily["inflow"] != 0) | (daily["outflow"] != 0) | (daily["backlog"] != 0)
    return pd.Timestamp(daily.loc[active, "date"].iloc[0]).date() if active.any() else None


def blank_before(by_period: pd.DataFrame, start: dt.date | None) -> pd.DataFrame:
    """``flows_by_period`` rows with inflow, outflow and backlog None for the periods that end before ``start``
    (None: every period): a window reaching before the data starts has no numbers there, which is not zero."""
    void = [start is None or last < start for last in by_period["last"]]
    out = by_period.astype({k: "object" for k in ("inflow", "outflow", "backlog")})
    out.loc[void, ["inflow", "outflow", "backlog"]] = None
    return out
