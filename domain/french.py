"""French number and date formatting for the screens: narrow no-break space for thousands, decimal comma."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

NARROW_NBSP = "\u202f"
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def fr_number(value: float | int | None, decimals: int = 0, unit: str = "", lang: str = "fr") -> str:
    """1234567.8 -> '1 234 567,8' (narrow no-break spaces; '1,234,567.8' in English); None or NaN -> '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{decimals}f}"
    if lang != "en":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", NARROW_NBSP)
    if unit == "j" and lang == "en":
        unit = "d"
    return f"{text}{NARROW_NBSP}{unit}" if unit else text


def fr_delta(value: float | int | None, decimals: int = 0, unit: str = "", lang: str = "fr") -> str:
    """Signed change: '+12', '−3,5 %', '=' for no change, '—' when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if round(value, decimals) == 0:
        return "="
    sign = "+" if value > 0 else "\u2212"
    return sign + fr_number(abs(value), decimals, unit, lang)


def fr_date(day: dt.date | pd.Timestamp, lang: str = "fr") -> str:
    """'2 déc. 2026' ('2 Dec 2026' in English)."""
    if lang == "en":
        return f"{day.day} {day.strftime('%b')} {day.year}"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def fr_date_range(first: dt.date, last: dt.date) -> str:
    """Both days included, the shared month and year said once: 'du 23 au 29 nov. 2026', 'du 30 nov. au 6 déc. 2026',
    'du 28 déc. 2026 au 3 janv. 2027'."""
    if first.year != last.year:
        return f"du {fr_date(first)} au {fr_date(last)}"
    if first.month != last.month:
        return f"du {first.day} {_MONTHS[first.month - 1]} au {fr_date(last)}"
    return f"du {first.day} au {fr_date(last)}"


def fr_weekday(day: dt.date) -> str:
    """'lundi' … 'dimanche'."""
    return _WEEKDAYS[day.weekday()]


def fr_time_of_day(hour: int, minute: int) -> str:
    """'6 h', '6 h 30', '18 h 05': a time of day as a sentence says it."""
    return f"{hour} h" + (f" {minute:02d}" if minute else "")


def fr_duration(seconds: float) -> str:
    """How long, the way the room says it: '45 s', '12 min', '3 h 05', '2 j 4 h'."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}{NARROW_NBSP}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}{NARROW_NBSP}min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}{NARROW_NBSP}h{NARROW_NBSP}{minutes:02d}"
    days, hours = divmod(hours, 24)
    return f"{days}{NARROW_NBSP}j{NARROW_NBSP}{hours}{NARROW_NBSP}h" if hours else f"{days}{NARROW_NBSP}j"
