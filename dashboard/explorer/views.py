"""The bodies of the explorer's two views, built from the KPI service for a parsed URL.

The synthesis (the default view): tiles, where the cases are, how flows and delays moved, then the case
list (its rows come later, through the grid's callback). The workload (``?vue=charge``): open cases and
decisions by agent. Each body holds the charts the navigation callback listens to (hidden in the workload).
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from dashboard import ids
from dashboard.explorer.annotations import Marker
from dashboard.explorer.figures import flow_trend, group_bars, processing_band, workload_bars
from dashboard.explorer.grid import GRID_FRENCH, case_grid
from dashboard.explorer.labels import POPULATION_LABELS
from dashboard.explorer.state import STEPS, ExplorerQuery
from dashboard.graph_config import DESK_GRAPH, TIME_GRAPH
from domain.french import fr_number
from domain.model import REGIONS
from service.kpi_service import KpiService


def _tiles(query: ExplorerQuery, overall: dict[str, Any]) -> html.Div:
    def tile(label: str, value: str, population: str | None = None, tone: str = "") -> Any:
        inner = [html.Div(label, className="tile-label"), html.Div(value, className="tile-value")]
        if population is None:
            return html.Div(className=f"xtile {tone}", children=inner)
        active = " active" if query.population == population else ""
        return dcc.Link(
            className=f"xtile link{active} {tone}",
            href="/explorer" + query.with_(population=population).to_search(),
            title=f"Lister les dossiers {POPULATION_LABELS[population]}",
            children=inner,
        )

    return html.Div(
        id=ids.EXPLORER_TILES,
        className="xtiles",
        children=[
            tile("En cours", fr_number(overall["backlog"]), "en_cours"),
            tile("dont en attente du demandeur", fr_number(overall["backlog_waiting_applicant"]), "en_attente"),
            tile("Déposés", fr_number(overall["inflow"]), "deposes"),
            tile("Clos", fr_number(overall["outflow"]), "clos"),
            tile("Délai médian", fr_number(overall["median_processing_days"], 1, "j")),
            tile("Délai p90", fr_number(overall["p90_processing_days"], 1, "j")),
            tile("Dans les délais", fr_number(overall["sla_compliance_pct"], 1, "%")),
            tile("⚠ Hors délai (en cours)", fr_number(overall["breached_open"]), "hors_delai", "alert"),
            tile("◔ À risque", fr_number(overall["at_risk_open"]), "a_risque", "warn"),
            tile("Taux de refus", fr_number(overall["rejection_rate_pct"], 1, "%")),
        ],
    )


def _group_rows(groups: dict[str, dict[str, Any]], names: list[str], labels: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"group": n, "label": labels.get(n, n), **{k: groups[n][k] for k in ("backlog", "inflow", "outflow")}} for n in names]
    )


def synthesis_view(
    query: ExplorerQuery,
    kpis: KpiService,
    catalog: pd.DataFrame,
    document: dict[str, Any],
    as_of: pd.Timestamp | None,
    days: int,
    markers: list[Marker],
) -> html.Div:
    """The synthesis: tiles, where the cases are (groups, regions), how flows and delays moved, then the case list."""
    where = _where_charts(query, kpis, catalog, document, as_of, days)
    when = _time_charts(query, kpis, catalog, as_of, days, markers)
    rows = kpis.cases(as_of, days, query.filters, query.population)
    return html.Div(
        children=[_tiles(query, document["overall"]), where, when, _list_title(query, len(rows)), case_grid(ids.EXPLORER_GRID)]
    )


def _where_charts(
    query: ExplorerQuery,
    kpis: KpiService,
    catalog: pd.DataFrame,
    document: dict[str, Any],
    as_of: pd.Timestamp | None,
    days: int,
) -> html.Div:
    """Bars by structure (or by procedure of the chosen structure) and by region: a click drills down or filters."""
    if query.level == "services":
        bars = group_bars(
            _group_rows(document["by_service"], sorted(document["by_service"]), {}),
            "Par structure",
            subtitle="cliquez pour voir ses procédures",
        )
    else:
        own = catalog[catalog["service"] == query.service]
        names = dict(zip(own["code"], own["code"] + " — " + own["name"], strict=True))
        bars = group_bars(
            _group_rows(document["by_procedure"], list(own["code"]), names),
            "Par procédure",
            subtitle="cliquez pour voir ses dossiers",
        )
    regions = kpis.by_label(as_of, days, query.filters, "region", REGIONS).assign(label=lambda f: f["group"])
    return html.Div(
        className="charts two",
        children=[
            dcc.Graph(id=ids.EXPLORER_BARS, figure=bars, config=DESK_GRAPH),
            dcc.Graph(
                id=ids.EXPLORER_REGIONS,
                figure=group_bars(regions, "Par région", subtitle="cliquez pour filtrer"),
                config=DESK_GRAPH,
            ),
        ],
    )


def _time_charts(
    query: ExplorerQuery,
    kpis: KpiService,
    catalog: pd.DataFrame,
    as_of: pd.Timestamp | None,
    days: int,
    markers: list[Marker],
) -> html.Div:
    """Inflow, outflow and backlog against the previous window; processing times against the legal delays in scope;
    both with the annotations (``markers``) of the window."""
    step = STEPS[query.step]
    daily = kpis.daily(as_of, 2 * days, None, query.filters)
    current, previous = _by_step(daily.iloc[days:], step), _by_step(daily.iloc[:days], step)
    buckets = kpis.processing_buckets(as_of, days, query.filters, step)
    return html.Div(
        className="charts two",
        children=[
            dcc.Graph(id=ids.EXPLORER_TREND, figure=flow_trend(current, previous, query.step, markers), config=TIME_GRAPH),
            dcc.Graph(
                id=ids.EXPLORER_PROCESSING,
                figure=processing_band(buckets, _legal_delays(query, catalog), query.step, markers),
                config=TIME_GRAPH,
            ),
        ],
    )


def _legal_delays(query: ExplorerQuery, catalog: pd.DataFrame) -> list[int]:
    """The shortest and longest legal delay (business days) among the procedures in scope."""
    scope = catalog if query.services is None else catalog[catalog["service"].isin(query.services)]
    scope = scope if not query.service else catalog[catalog["service"] == query.service]
    if query.procedure:
        scope = catalog[catalog["code"] == query.procedure]
    return [int(scope["sla_days"].min()), int(scope["sla_days"].max())]


def _list_title(query: ExplorerQuery, count: int) -> html.H2:
    """The case list's title with its count, and the exports of the same list."""
    return html.H2(
        className="list-title",
        children=[
            f"Dossiers {POPULATION_LABELS[query.population]} : {fr_number(count)}",
            html.Span(
                className="exports",
                children=[
                    html.A(
                        "Exporter en CSV", href="/explorer/export.csv" + query.to_search(), id="export-csv", className="button"
                    ),
                    html.A(
                        "Exporter en Excel",
                        href="/explorer/export.xlsx" + query.to_search(),
                        id="export-xlsx",
                        className="button",
                    ),
                ],
            ),
        ],
    )


def _by_step(daily: pd.DataFrame, step: int) -> pd.DataFrame:
    """Daily rows -> periods of ``step`` days ending on the last date (sums; backlog at each period's end)."""
    frame = daily.reset_index(drop=True)
    if step == 1:
        return frame[["date", "inflow", "outflow", "backlog"]]
    period = (len(frame) - 1 - frame.index) // step
    grouped = frame.groupby(period, sort=False)
    out = pd.DataFrame(
        {
            "date": grouped["date"].first(),
            "inflow": grouped["inflow"].sum(),
            "outflow": grouped["outflow"].sum(),
            "backlog": grouped["backlog"].last(),
        }
    )
    return out.iloc[::-1].reset_index(drop=True)


def workload_view(query: ExplorerQuery, kpis: KpiService, as_of: pd.Timestamp | None, days: int) -> html.Div:
    """The workload: open cases by agent, and the decisions (approvals and refusals) by agent and ISO week."""
    open_, decisions = kpis.workload(as_of, days, query.filters)
    table = decisions.pivot_table(index="agent", columns="week", values="decisions", aggfunc="sum", fill_value=0)
    table = table.assign(Total=table.sum(axis=1)).sort_values("Total", ascending=False).reset_index()
    columns = [{"field": str(c), "headerName": "Agent" if c == "agent" else str(c)} for c in table.columns]
    return html.Div(
        id=ids.EXPLORER_WORKLOAD,
        children=[
            html.P(
                f"{fr_number(int(open_['open'].sum()))} dossiers en cours répartis entre {fr_number(len(open_))} agents ; "
                f"{fr_number(int(decisions['decisions'].sum()))} décisions (accords et refus) sur la période."
            ),
            dcc.Graph(figure=workload_bars(open_.head(40)), config=DESK_GRAPH),
            # the navigation callback listens to the synthesis charts: they exist here too, hidden
            dcc.Graph(id=ids.EXPLORER_BARS, config=DESK_GRAPH, style={"display": "none"}),
            dcc.Graph(id=ids.EXPLORER_REGIONS, config=DESK_GRAPH, style={"display": "none"}),
            html.H2("Décisions par agent et par semaine ISO"),
            dag.AgGrid(
                columnDefs=columns,
                rowData=table.astype({c: "object" for c in table.columns}).to_dict("records"),
                defaultColDef={"sortable": True, "filter": True, "resizable": True},
                className="ag-theme-alpine",
                dashGridOptions={"localeText": GRID_FRENCH},
                style={"height": "480px"},
            ),
        ],
    )
