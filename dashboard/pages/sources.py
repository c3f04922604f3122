"""The source-health page: each source's state, data age, last error and quarantine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, dcc, html

from dashboard import ids
from dashboard.pages.desk import desk_page
from dashboard.pages.routing import register_page
from kpis.health import STATE_LABELS, ago_fr, health_table, lome_time
from store.reader import Reader

PATH = "/sources"


def layout(**_query: Any) -> html.Div:
    """A desk page like the others (navigation, light theme); its callback fills it every 5 s."""
    return desk_page(
        PATH,
        html.H1("Santé des sources de données"),
        html.Div(["Mis à jour : ", html.Span(id=ids.SOURCES_CLOCK)], className="as-of"),
        html.Div(id=ids.SOURCES_TOTALS, className="xtiles"),
        html.Div(id=ids.SOURCES_TABLE),
        dcc.Interval(id=ids.SOURCES_TICK, interval=5_000),
        page_id="sources-page",
        class_name="sources-page",
    )


def register(app: Dash, reader: Reader, now: Callable[[], dt.datetime]) -> None:
    """The page (static: its callback fills it) and its callback."""
    register_page(__name__, PATH, layout, components=layout)

    @app.callback(
        Output(ids.SOURCES_TABLE, "children"),
        Output(ids.SOURCES_TOTALS, "children"),
        Output(ids.SOURCES_CLOCK, "children"),
        Input(ids.SOURCES_TICK, "n_intervals"),
    )
    def refresh(_n: int | None) -> tuple[html.Table, list[html.Div], str]:
        return render(reader, now())


def render(reader: Reader, at: dt.datetime) -> tuple[html.Table, list[html.Div], str]:
    """The page's content at ``at``: pure over what the reader returns."""
    frames = reader.frames()
    table = health_table(reader.health(at), reader.quarantine_counts())
    totals = [
        _tile("Dossiers suivis", _fr_int(len(frames.live_cases()))),
        _tile("Événements de statut", _fr_int(len(frames.events))),
        _tile("Version des données", _fr_int(frames.version)),
    ]
    return sources_table(table), totals, lome_time(at, "%d/%m/%Y %H:%M:%S") + " (Lomé)"


def sources_table(table: pd.DataFrame) -> html.Table:
    head = html.Tr(
        [
            html.Th(h)
            for h in ("Source", "État", "Données à jour", "Dernière réussite", "Lignes lues", "Quarantaine", "Dernière erreur")
        ]
    )
    body = []
    for row in table.itertuples(index=False):
        icon, label = STATE_LABELS[row.state]
        body.append(
            html.Tr(
                className=f"state-{row.state}",
                children=[
                    html.Td(row.source),
                    html.Td(f"{icon} {label}", className="state"),
                    html.Td(ago_fr(row.lag_seconds)),
                    html.Td(lome_time(row.last_success_at)),
                    html.Td(_fr_int(row.rows_last_poll) if pd.notna(row.rows_last_poll) else "—"),
                    html.Td(_fr_int(row.quarantined)),
                    html.Td(row.last_error or "—", className="error"),
                ],
            )
        )
    if not body:
        body.append(html.Tr(html.Td("Aucune source interrogée pour l'instant.", colSpan=7)))
    return html.Table(className="simple sources", children=[html.Thead(head), html.Tbody(body)])


def _tile(label: str, value: str) -> html.Div:
    return html.Div(
        className="xtile", children=[html.Div(value, className="tile-value"), html.Div(label, className="tile-label")]
    )


def _fr_int(n: float) -> str:
    """French thousands separator: a narrow no-break space."""
    return f"{int(n):,}".replace(",", "\u202f")
