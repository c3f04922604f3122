"""Pure: Lomé business hours, for contacts that only want to be told while the offices are open.

Business hours are Monday to Friday, 07:30 to 17:30 Lomé time, on business days of the ministry's
calendar (Togo's public holidays and the decreed closures are off).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from domain.business_days import BusinessCalendar
from domain.model import LOME_TZ

OPENS = dt.time(7, 30)
CLOSES = dt.time(17, 30)
_LOME = ZoneInfo(LOME_TZ)


def is_business_day(day: dt.date, calendar: BusinessCalendar) -> bool:
    return calendar.is_business_day(day)


def in_business_hours(at: dt.datetime, calendar: BusinessCalendar) -> bool:
    local = at.astimezone(_LOME)
    return is_business_day(local.date(), calendar) and OPENS <= local.time() < CLOSES


def next_opening(at: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    """The first instant at or after ``at`` inside business hours (UTC): ``at`` itself when the offices are open."""
    if in_business_hours(at, calendar):
        return at
    local = at.astimezone(_LOME)
    day = local.date() if local.time() < OPENS else local.date() + dt.timedelta(days=1)
    for _ in range(60):  # the longest run of closed days in a year is far shorter
        if is_business_day(day, calendar):
            return dt.datetime.combine(day, OPENS, tzinfo=_LOME).astimezone(dt.UTC)
        day += dt.timedelta(days=1)
    raise ValueError("no business day within 60 days")
