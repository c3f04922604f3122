"""The public figures as the page and the CSV write them, in French: withheld figures say so, shares never round
to a false 0 % or 100 %, and every date is a Lomé date."""

from __future__ import annotations

import pandas as pd

from domain.french import NARROW_NBSP, fr_date, fr_number
from domain.model import LOME_TZ
from service.public_stats import SUPPRESSED, PublicTable

#: The licence of the open data (CSV and JSON), named in each file and on the page.
LICENCE = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.fr"
ATTRIBUTION = "Ministère de l'Énergie et des Mines du Togo (Vigie)"
TITLE = "Délais des démarches de l'énergie et des mines"


def count_text(value: int | None) -> str:
    return SUPPRESSED if value is None else fr_number(value)


def days_text(value: float | None) -> str:
    """'12' or '12,5' (business days: the column says so); the withheld text for None."""
    if value is None:
        return SUPPRESSED
    return fr_number(value, 0 if float(value).is_integer() else 1)


def pct_text(value: float | None) -> str:
    """'87 %': 99,6 % reads '99 %' and 0,4 % reads '1 %', so that '100 %' and '0 %' mean all and none."""
    if value is None:
        return SUPPRESSED
    return fr_number(honest_percent(value), 0, "%")


def honest_percent(value: float) -> int:
    """The nearest whole percent, except that only 100 reads 100 and only 0 reads 0."""
    rounded = round(value)
    if value < 100:
        rounded = min(rounded, 99)
    if value > 0:
        rounded = max(rounded, 1)
    return int(rounded)


def share_sentence(table: PublicTable, days: int | None) -> str:
    """« 8 dossiers clos sur 10 l'ont été en 12 jours ouvrés ou moins », or the withheld text."""
    if days is None:
        return SUPPRESSED
    numerator, denominator = table.share
    if days == 0:
        within = "en moins d'un jour ouvré"
    else:
        within = f"en {fr_number(days)}{NARROW_NBSP}jour{'s' if days > 1 else ''} ouvré{'s' if days > 1 else ''} ou moins"
    return f"{numerator} dossiers clos sur {denominator} l'ont été {within}"


def as_of_text(table: PublicTable) -> str:
    """'20 nov. 2026 à 12 h 00 (heure de Lomé)'."""
    local = table.as_of.tz_convert(LOME_TZ)
    return f"{fr_date(local)} à {local:%H}{NARROW_NBSP}h{NARROW_NBSP}{local:%M} (heure de Lomé)"


def window_text(table: PublicTable) -> str:
    """'du 22 août 2026 au 20 nov. 2026': the Lomé dates of [as_of - window, as_of)."""
    start = (table.as_of - pd.Timedelta(days=table.window_days)).tz_convert(LOME_TZ)
    return f"du {fr_date(start)} au {fr_date(table.as_of.tz_convert(LOME_TZ))}"
