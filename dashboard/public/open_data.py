"""The public figures as open data: /statistiques.csv (what French-locale Excel opens: UTF-8 with a BOM, ";",
decimal comma, CRLF, "#" lines first, as the explorer's exports) and /statistiques.json, each saying its licence
and its « données au … ».

The JSON keeps the engine's unrounded numbers (null: withheld, fewer than 10 cases); the CSV rounds durations
and shares to one decimal and writes « moins de 10 dossiers » in a withheld cell. Catalogue text is neutralised
against spreadsheet formulas (reports.cells).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import pandas as pd

from dashboard.public.text import ATTRIBUTION, LICENCE, LICENCE_URL, TITLE, as_of_text, window_text
from reports.cells import csv_safe, csv_text
from service.public_stats import MIN_CASES, SUPPRESSED, PublicTable

LINE_END = "\r\n"
PRIVACY = (
    f"un chiffre calculé sur moins de {MIN_CASES} dossiers n'est pas publié ; "
    "aucune donnée ne désigne un dossier, un agent, un demandeur ou une région"
)
#: CSV header per field of ProcedureFigures, in the file's order.
CSV_COLUMNS = {
    "structure": "Structure",
    "code": "Code de la démarche",
    "name": "Démarche",
    "legal_delay_days": "Délai légal (jours ouvrés)",
    "submitted": "Dossiers déposés",
    "closed": "Dossiers clos",
    "median_business_days": "Délai médian (jours ouvrés)",
    "p90_business_days": "90e centile (jours ouvrés)",
    "on_time_pct": "Clos dans le délai légal (%)",
    "online_pct": "Déposés en ligne (%)",
    "days_for_share": "8 dossiers clos sur 10 en (jours ouvrés, au plus)",
}


def header(table: PublicTable) -> list[tuple[str, str]]:
    return [
        ("Titre", TITLE),
        ("Données au", as_of_text(table)),
        ("Période", f"{table.window_days} derniers jours, {window_text(table)}"),
        ("Licence", f"{LICENCE}, {LICENCE_URL}"),
        ("Source", ATTRIBUTION),
        ("Secret statistique", PRIVACY),
    ]


def to_csv(table: PublicTable) -> bytes:
    lines = io.StringIO()
    writer = csv.writer(lines, delimiter=";", lineterminator=LINE_END)
    for label, value in header(table):
        writer.writerow([f"# {label} : {csv_text(value)}"])
    rows = [{field: _csv_cell(value) for field, value in dataclasses.asdict(row).items()} for row in table.procedures]
    frame = csv_safe(pd.DataFrame(rows, columns=list(CSV_COLUMNS), dtype=object))
    body = frame.rename(columns=CSV_COLUMNS).to_csv(index=False, sep=";", lineterminator=LINE_END)
    return ("\ufeff" + lines.getvalue() + body).encode("utf-8")


def _csv_cell(value: object) -> object:
    """A number as Excel reads it in French (decimal comma, one decimal at most, no thousands separator);
    None: withheld."""
    if value is None:
        return SUPPRESSED
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0").replace(".", ",")
    return value


def to_json(table: PublicTable) -> dict[str, Any]:
    return {
        "title": TITLE,
        "as_of": table.as_of.isoformat(),
        "donnees_au": as_of_text(table),
        "window_days": table.window_days,
        "period": window_text(table),
        "licence": {"name": LICENCE, "url": LICENCE_URL},
        "attribution": ATTRIBUTION,
        "privacy": {"min_cases": MIN_CASES, "rule": PRIVACY, "withheld_as": "null"},
        "share": {"numerator": table.share[0], "denominator": table.share[1]},
        "procedures": [dataclasses.asdict(row) for row in table.procedures],
    }
