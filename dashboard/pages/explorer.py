"""/explorer: from any number down to single cases, for managers.

The URL is the state (explorer/state.py): controls and chart clicks only write the URL,
and the page is rebuilt from it by the router, so links, back and forward all reproduce
a view. Every number comes from the KPI service with the URL's filters: the same engine
and the same cache as /api/kpis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.explorer.figures import flow_trend, group_bars, processing_band, workload_bars
from dashboard.explorer.grid import GRID_FRENCH, case_grid, grid_page
from dashboard.explorer.labels import CHANNEL_LABELS, POPULATION_LABELS
from dashboard.explorer.state import (
    CHANNEL_SLUGS,
    PERIOD_LABELS,
    PERIODS,
    STEPS,
    ExplorerQuery,
    ExplorerQueryError,
    parse_search,
)
from dashboard.graph_config import DESK_GRAPH, TIME_GRAPH
from dashboard.pages.desk import desk_page
from domain.french import fr_date, fr_number
from domain.model import LOME_TZ, REGIONS
from service.kpi_service import KpiService


def error_page(message: str) -> html.Div:
    """A friendly page for a URL the explorer cannot show."""
    return desk_page(
        "/explorer",
        html.Div(
            id=ids.EXPLORER_ERROR,
            className="notice error",
            role="alert",
            children=[html.Strong("Cette adresse ne peut pas être affichée. "), html.Span(message)],
        ),
        html.P([dcc.Link("Revenir à l'explorateur sans filtre", href="/explorer")]),
    )


def layout(search: str | None, kpis: KpiService, now: dt.datetime) -> html.Div:
    try:
        query = parse_search(search, kpis.catalog, now)
    except ExplorerQueryError as exc:
        return error_page(str(exc))
    as_of, days = query.window(now)
    filters = query.filters
    document = kpis.document(as_of, days, filters)
    body = _workload(query, kpis, as_of, days) if query.vue == "charge" else _synthesis(query, kpis, document, as_of, days)
    return desk_page(
        "/explorer?vue=charge" if query.vue == "charge" else "/explorer",
        _breadcrumbs(query, kpis.catalog),
        _controls(query, kpis.catalog),
        html.P(className="as-of", children=f"Données au {_lome(document['as_of'])} · fenêtre de {days} jours"),
        body,
        class_name="explorer",
    )


def _lome(iso: str) -> str:
    stamp = pd.Timestamp(iso).tz_convert(LOME_TZ)
    return f"{fr_date(stamp)} à {stamp:%H:%M}"


def _breadcrumbs(query: ExplorerQuery, catalog: pd.DataFrame) -> html.Nav:
    crumbs: list[Any] = [dcc.Link("Ensemble", href="/explorer" + query.with_(service=None, procedure=None).to_search())]
    if query.service:
        crumbs += [" › ", dcc.Link(query.service, href="/explorer" + query.with_(procedure=None).to_search())]
    if query.procedure:
        name = catalog.loc[catalog["code"] == query.procedure, "name"].iloc[0]
        crumbs += [" › ", html.Span(f"{query.procedure} — {name}", className="current")]
    return html.Nav(id=ids.EXPLORER_BREADCRUMBS, className="breadcrumbs", children=crumbs, **{"aria-label": "fil d'Ariane"})


def _options(values: list[str], labels: dict[str, str] | None = None) -> list[dict[str, str]]:
    return [{"label": (labels or {}).get(v, v), "value": v} for v in values]


def date_input(component_id: str, day: dt.date | None, enabled: bool) -> dcc.Input:
    """A date field of the custom period (enabled only when the period is « personnalisée »)."""
    return dcc.Input(id=component_id, type="date", value=day.isoformat() if day else None, disabled=not enabled, debounce=True)


def _controls(query: ExplorerQuery, catalog: pd.DataFrame) -> html.Div:
    procedures = catalog if not query.service else catalog[catalog["service"] == query.service]
    custom = query.periode == "perso"

    def field(label: str, control: Any) -> html.Label:
        return html.Label(className="control", children=[html.Span(label), control])

    return html.Div(
        id=ids.EXPLORER_CONTROLS,
        className="controls",
        children=[
            field(
                "Période",
                dcc.Dropdown(
                    id=ids.EXPLORER_PERIOD,
                    options=_options([*PERIODS, "perso"], PERIOD_LABELS),
                    value=query.periode,
                    clearable=False,
                ),
            ),
            field("Du", date_input(ids.EXPLORER_FROM, query.du, custom)),
            field("Au", date_input(ids.EXPLORER_TO, query.au, custom)),
            field(
                "Structure",
                dcc.Dropdown(
                    id=ids.EXPLORER_SERVICE,
                    options=_options(sorted(catalog["service"].unique())),
                    value=query.service,
                    placeholder="toutes",
                ),
            ),
            field(
                "Procédure",
                dcc.Dropdown(
                    id=ids.EXPLORER_PROCEDURE,
                    value=query.procedure,
                    placeholder="toutes",
                    options=[{"label": f"{r.code} — {r.name}", "value": r.code} for r in procedures.itertuples()],
                ),
            ),
            field(
                "Région",
                dcc.Dropdown(id=ids.EXPLORER_REGION, options=_options(list(REGIONS)), value=query.region, placeholder="toutes"),
            ),
            field(
                "Canal",
                dcc.Dropdown(
                    id=ids.EXPLORER_CHANNEL,
                    value=query.canal,
                    placeholder="tous",
                    options=[{"label": CHANNEL_LABELS[v], "value": k} for k, v in CHANNEL_SLUGS.items()],
                ),
            ),
            field(
                "Dossiers listés",
                dcc.Dropdown(
                    id=ids.EXPLORER_POPULATION,
                    options=_options(list(POPULATION_LABELS), POPULATION_LABELS),
                    value=query.dossiers,
                    clearable=False,
                ),
            ),
            field(
                "Pas des courbes",
                dcc.Dropdown(
                    id=ids.EXPLORER_STEP,
                    options=_options(list(STEPS), {"jour": "jour", "semaine": "semaine"}),
                    value=query.pas,
                    clearable=False,
                ),
            ),
        ],
    )


def _tiles(query: ExplorerQuery, overall: dict[str, Any]) -> html.Div:
    def tile(label: str, value: str, population: str | None = None, tone: str = "") -> Any:
        inner = [html.Div(label, className="tile-label"), html.Div(value, className="tile-value")]
        if population is None:
            return html.Div(className=f"xtile {tone}", children=inner)
        active = " active" if query.dossiers == population else ""
        return dcc.Link(
            className=f"xtile link{active} {tone}",
            href="/explorer" + query.with_(dossiers=population).to_search(),
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


def _synthesis(
    query: ExplorerQuery, kpis: KpiService, document: dict[str, Any], as_of: pd.Timestamp | None, days: int
) -> html.Div:
    catalog, filters = kpis.catalog, query.filters
    if query.level == "services":
        bars = group_bars(
            _group_rows(document["by_service"], sorted(document["by_service"]), {}),
            "Par structure — cliquez pour voir ses procédures",
        )
    else:
        own = catalog[catalog["service"] == query.service]
        names = dict(zip(own["code"], own["code"] + " — " + own["name"].str.slice(0, 48), strict=True))
        bars = group_bars(
            _group_rows(document["by_procedure"], list(own["code"]), names), "Par procédure — cliquez pour voir ses dossiers"
        )
    regions = kpis.by_label(as_of, days, filters, "region", REGIONS).assign(label=lambda f: f["group"])
    step = STEPS[query.pas]
    daily = kpis.daily(as_of, 2 * days, None, filters)
    current, previous = _by_step(daily.iloc[days:], step), _by_step(daily.iloc[:days], step)
    buckets = kpis.processing_buckets(as_of, days, filters, step)
    scope = catalog if not query.service else catalog[catalog["service"] == query.service]
    if query.procedure:
        scope = catalog[catalog["code"] == query.procedure]
    legal = [int(scope["sla_days"].min()), int(scope["sla_days"].max())]
    rows = kpis.cases(as_of, days, filters, query.dossiers)
    return html.Div(
        children=[
            _tiles(query, document["overall"]),
            html.Div(
                className="charts two",
                children=[
                    dcc.Graph(id=ids.EXPLORER_BARS, figure=bars, config=DESK_GRAPH),
                    dcc.Graph(
                        id=ids.EXPLORER_REGIONS,
                        figure=group_bars(regions, "Par région — cliquez pour filtrer"),
                        config=DESK_GRAPH,
                    ),
                ],
            ),
            html.Div(
                className="charts two",
                children=[
                    dcc.Graph(id=ids.EXPLORER_TREND, figure=flow_trend(current, previous, query.pas), config=TIME_GRAPH),
                    dcc.Graph(id=ids.EXPLORER_PROCESSING, figure=processing_band(buckets, legal, query.pas), config=TIME_GRAPH),
                ],
            ),
            html.H2(
                className="list-title",
                children=[
                    f"Dossiers {POPULATION_LABELS[query.dossiers]} : {fr_number(len(rows))}",
                    html.Span(
                        className="exports",
                        children=[
                            html.A(
                                "Exporter en CSV",
                                href="/explorer/export.csv" + query.to_search(),
                                id="export-csv",
                                className="button",
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
            ),
            case_grid(ids.EXPLORER_GRID),
        ]
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


def _workload(query: ExplorerQuery, kpis: KpiService, as_of: pd.Timestamp | None, days: int) -> html.Div:
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


def register(app: Dash, kpis: KpiService, now: Callable[[], dt.datetime]) -> None:
    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.EXPLORER_PERIOD, "value"),
        Input(ids.EXPLORER_FROM, "value"),
        Input(ids.EXPLORER_TO, "value"),
        Input(ids.EXPLORER_SERVICE, "value"),
        Input(ids.EXPLORER_PROCEDURE, "value"),
        Input(ids.EXPLORER_REGION, "value"),
        Input(ids.EXPLORER_CHANNEL, "value"),
        Input(ids.EXPLORER_POPULATION, "value"),
        Input(ids.EXPLORER_STEP, "value"),
        Input(ids.EXPLORER_BARS, "clickData"),
        Input(ids.EXPLORER_REGIONS, "clickData"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def navigate(*values: Any) -> str:
        return navigate_to(ctx.triggered_id, values, kpis, now())

    @app.callback(
        Output(ids.EXPLORER_GRID, "getRowsResponse"),
        Input(ids.EXPLORER_GRID, "getRowsRequest"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def rows(request: dict[str, Any] | None, search: str | None) -> Any:
        return grid_rows(request, search, kpis, now())


def grid_rows(request: object, search: str | None, kpis: KpiService, now: dt.datetime) -> Any:
    """The grid's answer to one getRowsRequest, for the population and filters of the page's URL.

    The request comes from the browser: a malformed one gets the first block (see
    explorer.grid.parse_request), an unreadable URL an empty list; neither is an error.
    """
    if not request:
        return no_update
    try:
        query = parse_search(search, kpis.catalog, now)
    except ExplorerQueryError:
        return {"rowData": [], "rowCount": 0}
    as_of, days = query.window(now)
    return grid_page(kpis.cases(as_of, days, query.filters, query.dossiers), request)


_CONTROL_KEYS = {
    ids.EXPLORER_PERIOD: "periode",
    ids.EXPLORER_FROM: "du",
    ids.EXPLORER_TO: "au",
    ids.EXPLORER_SERVICE: "service",
    ids.EXPLORER_PROCEDURE: "procedure",
    ids.EXPLORER_REGION: "region",
    ids.EXPLORER_CHANNEL: "canal",
    ids.EXPLORER_POPULATION: "dossiers",
    ids.EXPLORER_STEP: "pas",
}


def navigate_to(trigger: str | None, values: tuple[Any, ...], kpis: KpiService, now: dt.datetime) -> Any:
    """The URL after one control change or chart click (``values``: the callback's inputs, then the current search).

    A bar click drills one level down (service, then procedure); a region click filters by
    that region, or clears it when it was already the filter (cross-filtering).
    """
    *inputs, search = values
    try:
        query = parse_search(search, kpis.catalog, now)
    except ExplorerQueryError:
        query = ExplorerQuery()
    by_id = dict(zip([*_CONTROL_KEYS, ids.EXPLORER_BARS, ids.EXPLORER_REGIONS], inputs, strict=True))
    value = by_id.get(trigger) if trigger else None
    if trigger in (ids.EXPLORER_BARS, ids.EXPLORER_REGIONS):
        clicked = _clicked(value)
        if clicked is None:
            return no_update
        if trigger == ids.EXPLORER_REGIONS:
            query = query.with_(region=None if query.region == clicked else clicked)
        elif query.level == "services":
            query = query.with_(service=clicked, procedure=None)
        else:
            query = query.with_(procedure=clicked)
    elif trigger in _CONTROL_KEYS:
        key = _CONTROL_KEYS[trigger]
        if value is not None and not isinstance(value, str):  # every control holds text; anything else was crafted
            return no_update
        if key in ("du", "au"):
            try:
                value = dt.date.fromisoformat(value) if value else None
            except ValueError:
                return no_update
        query = query.with_(**{key: value or None})
        if key == "periode":
            query = _period(query, value, now)
        if key == "service":
            owner = kpis.catalog.loc[kpis.catalog["code"] == query.procedure, "service"]
            if query.procedure and (owner.empty or owner.iloc[0] != value):
                query = query.with_(procedure=None)
        owner = kpis.catalog.loc[kpis.catalog["code"] == value, "service"] if key == "procedure" and value else None
        if owner is not None and not owner.empty:  # an unknown procedure stays in the URL, which names it
            query = query.with_(service=str(owner.iloc[0]))
        if key in ("dossiers", "pas", "periode") and not value:
            return no_update
    else:
        return no_update
    new = query.to_search()
    return new if new != (search or "") else no_update


def _period(query: ExplorerQuery, value: str | None, now: dt.datetime) -> ExplorerQuery:
    """Switching to a custom period starts from the last 30 days; leaving it drops the dates."""
    if value == "perso":
        today = pd.Timestamp(now).tz_convert(LOME_TZ).date()
        return query.with_(du=query.du or today - dt.timedelta(days=29), au=query.au or today)
    return query.with_(du=None, au=None)


def _clicked(click: object) -> str | None:
    """The group name a bar carries in ``customdata``; None for anything else (a click elsewhere, a crafted value)."""
    points = click.get("points") if isinstance(click, dict) else None
    first = points[0] if isinstance(points, list) and points else None
    data = first.get("customdata") if isinstance(first, dict) else None
    return str(data) if isinstance(data, str | int) and not isinstance(data, bool) and data != "" else None
