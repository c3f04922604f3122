"""/ecrans: the wall screens, what each shows, and which went silent (admins; authentication is issue 5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, dcc, html

from dashboard import ids
from dashboard.pages.routing import register_page
from dashboard.screens import SILENT_AFTER_SECONDS, list_screens
from kpis.health import ago_fr
from store.reader import Reader


def layout(**_query: Any) -> html.Div:
    return html.Div(className="page", children=[
        html.H1("Écrans muraux"),
        html.P(f"Un écran sans nouvelle depuis {SILENT_AFTER_SECONDS // 60} minutes est signalé silencieux."),
        html.Div(id=ids.SCREENS_TABLE),
        dcc.Interval(id=ids.SCREENS_TICK, interval=10_000),
    ])  # fmt: skip


def register(app: Dash, reader: Reader, now: Callable[[], dt.datetime]) -> None:
    """The page (static: its callback fills it) and its callback."""
    register_page(__name__, "/ecrans", layout, components=layout)

    @app.callback(Output(ids.SCREENS_TABLE, "children"), Input(ids.SCREENS_TICK, "n_intervals"))
    def refresh(_n: int | None) -> html.Table:
        return screens_table(list_screens(reader.engine, now()))


def screens_table(screens: pd.DataFrame) -> html.Table:
    head = html.Tr([html.Th(h) for h in ("Écran", "État", "Vue", "Version des données", "Dernière nouvelle", "Adresse")])
    body = [
        html.Tr(className="state-down" if row.silent else "state-ok", children=[
            html.Td(row.name), html.Td("✖ silencieux" if row.silent else "● actif", className="state"),
            html.Td(row.view or "—"), html.Td("—" if pd.isna(row.data_version) else str(int(row.data_version))),
            html.Td(ago_fr(row.seconds_ago)), html.Td(row.address or "—"),
        ])
        for row in screens.itertuples(index=False)
    ] or [html.Tr(html.Td("Aucun écran ne s'est encore annoncé.", colSpan=6))]  # fmt: skip
    return html.Table(className="sources", children=[html.Thead(head), html.Tbody(body)])
