"""ISO weeks in Lomé time: "2026-W47" <-> [Monday 00:00, next Monday 00:00) as UTC instants.

A report is computed as of the end of its week (the next Monday 00:00 in Lomé), over the
7 days before it: exactly /api/kpis?as_of=<end>&days=7.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from domain.french import fr_date_range
from domain.model import LOME_TZ

LOME = LOME_TZ
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class WeekError(ValueError):
    """A week the report cannot be built for; the message is for the operator (French)."""


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def dates(self) -> str:
        """« du 23 au 29 nov. 2026 »: its Monday to its Sunday, as the screens write dates."""
        return fr_date_range(self.monday, self.sunday)

    @property
    def title(self) -> str:
        """« 2026-W48 — du 23 au 29 nov. 2026 »."""
        return f"{self.label} — {self.dates}"

    @property
    def start(self) -> pd.Timestamp:
        """Monday 00:00 in Lomé, as UTC."""
        return pd.Timestamp(self.monday).tz_localize(LOME).tz_convert("UTC")

    @property
    def end(self) -> pd.Timestamp:
        """The next Monday 00:00 in Lomé, as UTC: the report's as_of."""
        return self.start + pd.Timedelta(days=7)

    @property
    def api_query(self) -> str:
        """The /api/kpis query whose document the report is: ``as_of=<end, UTC, with Z>&days=7``."""
        return f"as_of={self.end.strftime('%Y-%m-%dT%H:%M:%SZ')}&days=7"

    def previous(self) -> IsoWeek:
        return week_of(self.monday - dt.timedelta(days=7))


def week_of(day: dt.date) -> IsoWeek:
    iso = day.isocalendar()
    return IsoWeek(iso.year, iso.week)


FIRST_YEAR, LAST_YEAR = 1970, 2100  # the range of instants the KPI engine accepts


def parse_week(text: str, now: dt.datetime) -> IsoWeek:
    """ "2026-W47" -> IsoWeek; refused when malformed, nonexistent, or not yet over at ``now``."""
    match = _WEEK.match(text.strip())
    if not match:
        raise WeekError(f"semaine illisible : « {text} » (attendu : AAAA-Wnn, par exemple 2026-W47)")
    year, number = int(match.group(1)), int(match.group(2))
    if year < FIRST_YEAR:
        raise WeekError(f"semaine hors limites : « {text} » (années {FIRST_YEAR} à {LAST_YEAR})")
    if year > min(LAST_YEAR, now.year + 1):  # before any date arithmetic: year 9999 would overflow
        raise WeekError(f"la semaine {text} n'est pas terminée : le rapport ne couvre que des semaines passées")
    try:
        week = IsoWeek(year, number)
        _ = week.monday
    except ValueError:
        raise WeekError(f"la semaine {text} n'existe pas (l'année {year} n'a pas de semaine {number})") from None
    if week.end > pd.Timestamp(now).tz_convert("UTC"):
        raise WeekError(f"la semaine {week.label} n'est pas terminée : le rapport ne couvre que des semaines passées")
    return week


def last_complete_week(now: dt.datetime) -> IsoWeek:
    """The last ISO week that ended at or before ``now`` (Lomé time): on a Monday, the week just ended."""
    today = pd.Timestamp(now).tz_convert(LOME).date()
    return week_of(today - dt.timedelta(days=7))


def read_label(text: str) -> IsoWeek | None:
    """ "2026-W47" -> IsoWeek, past or not; None when ``text`` is not an existing ISO week (a folder that is not a
    report's)."""
    match = _WEEK.match(text)
    if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        return None
    week = IsoWeek(int(match.group(1)), int(match.group(2)))
    try:
        _ = week.monday
    except ValueError:
        return None
    return week


def recent_weeks(now: dt.datetime, count: int) -> list[IsoWeek]:
    """The ``count`` last complete weeks at ``now`` (Lomé time), newest first."""
    weeks = [last_complete_week(now)]
    while len(weeks) < count:
        weeks.append(weeks[-1].previous())
    return weeks
