"""/statistiques as server-side HTML: one Jinja template with autoescape (a procedure's or a structure's name is
data from the catalogue), one small stylesheet, no script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from dashboard.public.text import (
    ATTRIBUTION,
    LICENCE,
    LICENCE_URL,
    TITLE,
    as_of_text,
    count_text,
    days_text,
    pct_text,
    share_sentence,
    window_text,
)
from service.public_stats import MIN_CASES, SUPPRESSED, ProcedureFigures, PublicTable

HERE = Path(__file__).resolve().parent
STYLESHEET = HERE / "statistiques.css"
_TEMPLATES = Environment(loader=FileSystemLoader(HERE), autoescape=True, auto_reload=False)

#: The columns after the procedure's name, as the table heads them (and the phone's cards label them).
COLUMNS = (
    "Délai légal (jours ouvrés)",
    "Dossiers déposés",
    "Dossiers clos",
    "Délai médian (jours ouvrés)",
    "90e centile (jours ouvrés)",
    "Clos dans le délai légal",
    "Déposés en ligne",
    "En clair",
)


def _cells(table: PublicTable, row: ProcedureFigures) -> list[dict[str, Any]]:
    values = (
        (str(row.legal_delay_days), False),
        (count_text(row.submitted), row.submitted is None),
        (count_text(row.closed), row.closed is None),
        (days_text(row.median_business_days), row.median_business_days is None),
        (days_text(row.p90_business_days), row.p90_business_days is None),
        (pct_text(row.on_time_pct), row.on_time_pct is None),
        (pct_text(row.online_pct), row.online_pct is None),
        (share_sentence(table, row.days_for_share), row.days_for_share is None),
    )
    return [{"label": label, "text": text, "withheld": withheld} for label, (text, withheld) in zip(COLUMNS, values, strict=True)]


def render_page(table: PublicTable) -> str:
    """The whole page, grouped by structure in the table's order."""
    structures: dict[str, list[dict[str, Any]]] = {}
    for row in table.procedures:
        structures.setdefault(row.structure, []).append({"name": row.name, "cells": _cells(table, row)})
    return _TEMPLATES.get_template("statistiques.html").render(
        title=TITLE,
        window_days=table.window_days,
        window=window_text(table),
        as_of=as_of_text(table),
        structures=[{"name": name, "rows": rows} for name, rows in structures.items()],
        columns=("Démarche", *COLUMNS),
        min_cases=MIN_CASES,
        suppressed=SUPPRESSED,
        licence=LICENCE,
        licence_url=LICENCE_URL,
        attribution=ATTRIBUTION,
    )
