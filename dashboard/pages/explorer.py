"""/explorer: from any number down to single cases, for managers.

The URL is the state (explorer/state.py): controls and chart clicks only write the URL
(explorer/navigation.py), and the page is rebuilt from it by Dash's router, so links, back and
forward all reproduce a view. Every number comes from the KPI service with the URL's filters:
the same engine and the same cache as /api/kpis. The time charts also mark the annotations
(alerts, source outages, notes) that concern the view, read through the ``annotations`` reader
that create_app passes in and chosen by explorer/annotations.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.explorer.annotations import Marker, markers_for
from dashboard.explorer.figures import flow_trend, group_bars, processing_band, workload_bars
from dashboard.explorer.grid import GRID_FRENCH, case_grid, grid_page
from dashboard.explorer.labels import CHANNEL_LABELS, POPULATION_LABELS, filter_summary
from dashboard.explorer.navigation import CLICKABLE_CHARTS, CONTROL_FIELDS, navigate_to
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
from dashboard.pages.routing import register_page
from domain.french import fr_date, fr_number
from domain.model import LOME_TZ, REGIONS
from service.kpi_service import KpiService

#: Reads the annotations that overlap [start, end) (UTC-aware): columns at, ends_at, scope, grp, kind,
#: text, author (store.alerts.AlertStore.annotations).
AnnotationReader = Callable[[dt.datetime, dt.datetime], pd.DataFrame]


def register(
    app: Dash,
    kpis: KpiService,
    catalog: pd.DataFrame,
    now: Callable[[], dt.datetime],
    annotations: AnnotationReader | None = None,
) -> None:
    """The page, its navigation (controls and clicks write the URL) and the case grid's rows;
    ``annotations`` feeds the time charts' markers (none without it)."""

    def layout(search: str | None = None, **_query: Any) -> html.Div:
        # the query string as typed, not Dash's parsed parameters: the URL contract (state.py) reads it whole
        return render(search, kpis, catalog, now(), annotations)

    register_page(__name__, "/explorer", layout, components=lambda: components(catalog))

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        *[Input(control, "value") for control in CONTROL_FIELDS],
        *[Input(chart, "clickData") for chart in CLICKABLE_CHARTS],
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def navigate(*values: Any) -> str:
        return navigate_to(ctx.triggered_id, values, catalog, now())

    @app.callback(
        Output(ids.EXPLORER_GRID, "getRowsResponse"),
        Input(ids.EXPLORER_GRID, "getRowsRequest"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def rows(request: dict[str, Any] | None, search: str | None) -> Any:
        return grid_rows(request, search, kpis, catalog, now())


def components(catalog: pd.DataFrame) -> html.Div:
    """What the page's callbacks read and write, for the layout Dash validates callback ids against."""
    return html.Div(
        [
            _controls(ExplorerQuery(), catalog),
            dcc.Graph(id=ids.EXPLORER_BARS, config=DESK_GRAPH),
            dcc.Graph(id=ids.EXPLORER_REGIONS, config=DESK_GRAPH),
            case_grid(ids.EXPLORER_GRID),
        ]
    )


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


def render(
    search: str | None,
    kpis: KpiService,
    catalog: pd.DataFrame,
    now: dt.datetime,
    annotations: AnnotationReader | None = None,
) -> html.Div:
    """The explorer for a query string: the view it names, or a notice naming what is wrong with it."""
    try:
        query = parse_search(search, catalog, now)
    except ExplorerQueryError as exc:
        return error_page(str(exc))
    as_of, days = query.window(now)
    document = kpis.document(as_of, days, query.filters)
    workload = query.view == "charge"
    if workload:
        body = _workload(query, kpis, as_of, days)
    else:
        markers = _markers(query, catalog, annotations, document["as_of"], days, None if as_of is not None else now)
        body = _synthesis(query, kpis, catalog, document, as_of, days, markers)
    return desk_page(
        "/explorer?vue=charge" if workload else "/explorer",
        _breadcrumbs(query, catalog),
        _controls(query, catalog),
        html.P(className="as-of", children=f"Données au {_lome(document['as_of'])} · fenêtre de {days} jours"),
        body,
        class_name="explorer",
    )


def _markers(
    query: ExplorerQuery,
    catalog: pd.DataFrame,
    read: AnnotationReader | None,
    as_of: str,
    days: int,
    live: dt.datetime | None,
) -> list[Marker]:
    """The annotations the view's time charts show: those of [T - days, T) that concern its level.

    T is the document's instant; a live window (``live``: now) reaches now, so a note written a
    moment ago shows even while T is the service's shared instant of a few seconds earlier.
    """
    if read is None:
        return []
    t = pd.Timestamp(as_of).to_pydatetime()
    start, end = t - dt.timedelta(days=days), max(t, live) if live is not None else t
    return markers_for(read(start, end), query.service, query.procedure, catalog, start, end)


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


def _field(label: str, control: Any) -> html.Label:
    return html.Label(className="control", children=[html.Span(label), control])


def _controls(query: ExplorerQuery, catalog: pd.DataFrame) -> html.Details:
    """The filter bar: when (period or dates), what (structure, procedure, region, channel), how the list and curves show.

    Behind one button that names the active filters (« Filtres · 30 j · CEET · Kara »): a native
    <details>, so it needs no callback. It is closed in the markup; on desk widths app.css shows
    its content and hides the button (browsers without ``::details-content`` show the button),
    so a phone starts with the numbers, not with nine fields.
    """
    return html.Details(
        id=ids.EXPLORER_FILTERS,
        className="xfilters",
        children=[
            html.Summary(filter_summary(query), id=ids.EXPLORER_FILTERS_SUMMARY),
            html.Div(
                id=ids.EXPLORER_CONTROLS,
                className="controls",
                children=[*_period_fields(query), *_scope_fields(query, catalog), *_display_fields(query)],
            ),
        ],
    )


def _period_fields(query: ExplorerQuery) -> list[html.Label]:
    """The period, and the dates of a custom one (enabled only then)."""
    custom = query.period == "perso"
    period = dcc.Dropdown(
        id=ids.EXPLORER_PERIOD, options=_options([*PERIODS, "perso"], PERIOD_LABELS), value=query.period, clearable=False
    )
    return [
        _field("Période", period),
        _field("Du", date_input(ids.EXPLORER_FROM, query.start, custom)),
        _field("Au", date_input(ids.EXPLORER_TO, query.end, custom)),
    ]


def _scope_fields(query: ExplorerQuery, catalog: pd.DataFrame) -> list[html.Label]:
    """Which cases count: structure, procedure (those of the chosen structure), region, channel."""
    procedures = catalog if not query.service else catalog[catalog["service"] == query.service]
    return [
        _field(
            "Structure",
            dcc.Dropdown(
                id=ids.EXPLORER_SERVICE,
                options=_options(sorted(catalog["service"].unique())),
                value=query.service,
                placeholder="toutes",
            ),
        ),
        _field(
            "Procédure",
            dcc.Dropdown(
                id=ids.EXPLORER_PROCEDURE,
                value=query.procedure,
                placeholder="toutes",
                options=[{"label": f"{r.code} — {r.name}", "value": r.code} for r in procedures.itertuples()],
            ),
        ),
        _field(
            "Région",
            dcc.Dropdown(id=ids.EXPLORER_REGION, options=_options(list(REGIONS)), value=query.region, placeholder="toutes"),
        ),
        _field(
            "Canal",
            dcc.Dropdown(
                id=ids.EXPLORER_CHANNEL,
                value=query.channel,
                placeholder="tous",
                options=[{"label": CHANNEL_LABELS[v], "value": k} for k, v in CHANNEL_SLUGS.items()],
            ),
        ),
    ]


def _display_fields(query: ExplorerQuery) -> list[html.Label]:
    """Which cases the list shows, and the curves' step."""
    return [
        _field(
            "Dossiers listés",
            dcc.Dropdown(
                id=ids.EXPLORER_POPULATION,
                options=_options(list(POPULATION_LABELS), POPULATION_LABELS),
                value=query.population,
                clearable=False,
            ),
        ),
        _field(
            "Pas des courbes",
            dcc.Dropdown(
                id=ids.EXPLORER_STEP,
                options=_options(list(STEPS), {"jour": "jour", "semaine": "semaine"}),
                value=query.step,
                clearable=False,
            ),
        ),
    ]


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


def _synthesis(
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
    scope = catalog if not query.service else catalog[catalog["service"] == query.service]
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


def grid_rows(request: object, search: str | None, kpis: KpiService, catalog: pd.DataFrame, now: dt.datetime) -> Any:
    """The grid's answer to one getRowsRequest, for the population and filters of the page's URL.

    The request comes from the browser: a malformed one gets the first block (see
    explorer.grid.parse_request), an unreadable URL an empty list; neither is an error.
    """
    if not request:
        return no_update
    try:
        query = parse_search(search, catalog, now)
    except ExplorerQueryError:
        return {"rowData": [], "rowCount": 0}
    as_of, days = query.window(now)
    return grid_page(kpis.cases(as_of, days, query.filters, query.population), request)
