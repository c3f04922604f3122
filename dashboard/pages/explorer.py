"""/explorer: from any number down to single cases, for managers.

The URL is the state (explorer/state.py): controls and chart clicks only write the URL
(explorer/navigation.py), and the page is rebuilt from it by Dash's router, so links, back and
forward all reproduce a view. Every number comes from the KPI service with the URL's filters:
the same engine and the same cache as /api/kpis. The time charts also mark the annotations
(alerts, source outages, notes) that concern the view, read through the ``annotations`` reader
that create_app passes in and chosen by explorer/annotations.py. This module is the page's frame
(breadcrumbs, filter bar) and its callbacks; the views' bodies are built in explorer/views.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.auth.accounts import Principal
from dashboard.auth.scope import sees_group
from dashboard.auth.web import current
from dashboard.explorer.annotations import Marker, markers_for
from dashboard.explorer.grid import case_grid, grid_page
from dashboard.explorer.grid_view import from_models
from dashboard.explorer.labels import CHANNEL_LABELS, POPULATION_LABELS, filter_summary, page_title
from dashboard.explorer.navigation import (
    CLICKABLE_CHARTS,
    CONTROL_FIELDS,
    CONTROL_PROPS,
    after_agent_click,
    navigate_to,
)
from dashboard.explorer.state import (
    CHANNEL_SLUGS,
    EARLIEST_DAY,
    PERIOD_LABELS,
    PERIODS,
    STEP_LABELS,
    STEPS,
    ExplorerQuery,
    ExplorerQueryError,
    parse_for,
    parse_search,
)
from dashboard.explorer.views import synthesis_view, workload_view
from dashboard.graph_config import DESK_GRAPH
from dashboard.pages.desk import desk_page
from dashboard.pages.routing import register_page, set_title
from domain.french import fr_date
from domain.model import LOME_TZ, REGIONS
from domain.target_settings import Target
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
    targets: Sequence[Target] = (),
) -> None:
    """The page, its navigation (controls and clicks write the URL) and the case grid's rows;
    ``annotations`` feeds the time charts' markers (none without it); ``targets``: [[targets]], charted where they
    concern the view."""

    def layout(search: str | None = None, **_query: Any) -> html.Div:
        # the query string as typed, not Dash's parsed parameters: the URL contract (state.py) reads it whole
        return render(search, kpis, catalog, now(), annotations, who=current(), targets=targets)

    def title(path: str, search: str) -> str:
        try:
            return page_title(parse_for(current(), search, catalog, now()))
        except ExplorerQueryError:
            return "Explorateur · Vigie"

    register_page(__name__, "/explorer", layout, components=lambda: components(catalog), title=title)

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        *[Input(control, CONTROL_PROPS.get(control, "value")) for control in CONTROL_FIELDS],
        *[Input(chart, "clickData") for chart in CLICKABLE_CHARTS],
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def navigate(*values: Any) -> str:
        return navigate_to(ctx.triggered_id, values, catalog, now())

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.EXPLORER_WORKLOAD_BARS, "clickData"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def agent_clicked(click: object, search: str | None) -> Any:
        return after_agent_click(click, search, catalog, now())

    @app.callback(
        Output(ids.EXPLORER_GRID, "getRowsResponse"),
        Input(ids.EXPLORER_GRID, "getRowsRequest"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def rows(request: dict[str, Any] | None, search: str | None) -> Any:
        return grid_rows(request, search, kpis, catalog, now(), who=current())

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.EXPLORER_GRID, "getRowsRequest"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def grid_in_url(request: dict[str, Any] | None, search: str | None) -> Any:
        return grid_search(request, search, catalog, now())


def components(catalog: pd.DataFrame) -> html.Div:
    """What the page's callbacks read and write, for the layout Dash validates callback ids against."""
    return html.Div(
        [
            _controls(ExplorerQuery(), catalog),
            dcc.Graph(id=ids.EXPLORER_BARS, config=DESK_GRAPH),
            dcc.Graph(id=ids.EXPLORER_REGIONS, config=DESK_GRAPH),
            dcc.Graph(id=ids.EXPLORER_REGION_MAP, config=DESK_GRAPH),
            dcc.Graph(id=ids.EXPLORER_WORKLOAD_BARS, config=DESK_GRAPH),
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
    *,
    who: Principal | None,
    targets: Sequence[Target] = (),
) -> html.Div:
    """The explorer for a query string, as ``who`` may see it (its scope): the view it names, or a notice naming
    what is wrong with it (a filter outside the scope included)."""
    try:
        query = parse_for(who, search, catalog, now)
    except ExplorerQueryError as exc:
        return error_page(str(exc))
    as_of, days = query.window(now)
    document = kpis.document(as_of, days, query.filters)
    workload = query.view == "charge"
    if workload:
        body = workload_view(query, kpis, as_of, days)
    else:
        markers = _markers(query, catalog, annotations, document["as_of"], days, None if as_of is not None else now, who)
        body = synthesis_view(query, kpis, catalog, document, as_of, days, markers, targets)
    set_title(page_title(query))
    return desk_page(
        "/explorer?vue=charge" if workload else "/explorer",
        *([] if workload else [html.A("Aller à la liste", href="#" + ids.EXPLORER_GRID, className="skip-link")]),
        _breadcrumbs(query, catalog),
        _controls(query, catalog),
        html.P(className="as-of", children=f"Données au {_lome(document['as_of'])} · fenêtre de {days} jours"),
        body,
        class_name="explorer",
    )


def grid_search(request: object, search: str | None, catalog: pd.DataFrame, now: dt.datetime) -> Any:
    """The page's URL with the grid's filters and sorts of ``request`` (a getRowsRequest), or ``no_update`` when
    they are already the URL's (a new block of the same list), the URL cannot be read, or the request is not a
    grid's: the grid's filters and sorts are then in the link, the title and the exports."""
    if not isinstance(request, dict):
        return no_update
    try:
        query = parse_search(search, catalog, now)
    except ExplorerQueryError:
        return no_update
    view = from_models(request.get("filterModel"), request.get("sortModel"))
    if view == query.grid:
        return no_update
    new = query.with_(grid=view).to_search()
    return new if new != (search or "") else no_update


def _markers(
    query: ExplorerQuery,
    catalog: pd.DataFrame,
    read: AnnotationReader | None,
    as_of: str,
    days: int,
    live: dt.datetime | None,
    who: Principal | None,
) -> list[Marker]:
    """The annotations the view's time charts show: those of [T - days, T) that concern its level.

    T is the document's instant; a live window (``live``: now) reaches now, so a note written a
    moment ago shows even while T is the service's shared instant of a few seconds earlier.
    """
    if read is None:
        return []
    t = pd.Timestamp(as_of).to_pydatetime()
    start, end = t - dt.timedelta(days=days), max(t, live) if live is not None else t
    frame = read(start, end)
    owners = dict(zip(catalog["code"], catalog["service"], strict=True))
    seen = [sees_group(who, str(r.scope), str(r.grp), owners) for r in frame.itertuples(index=False)]
    return markers_for(frame[seen] if len(frame) else frame, query.service, query.procedure, catalog, start, end)


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


#: The dropdowns' own words, in French whatever the browser's language (dcc.Dropdown's ``labels``).
DROPDOWN_FRENCH = {
    "search": "Rechercher",
    "no_options_found": "Aucun choix ne correspond",
    "clear_search": "Effacer la recherche",
    "clear_selection": "Effacer le choix",
    "select_all": "Tout choisir",
    "deselect_all": "Ne rien choisir",
    "selected_count": "{num} choisis",
}


def dropdown(**props: Any) -> dcc.Dropdown:
    """A dcc.Dropdown that speaks French (search field, « no options », clear buttons)."""
    return dcc.Dropdown(labels=DROPDOWN_FRENCH, **props)


def date_input(component_id: str, day: dt.date | None, enabled: bool) -> dcc.DatePickerSingle:
    """A date field of the custom period (enabled only when the period is « personnalisée »): JJ/MM/AAAA, weeks from
    Monday and months as numbers (« 11/2026 ») whatever the browser's language; the URL keeps AAAA-MM-JJ."""
    return dcc.DatePickerSingle(
        id=component_id,
        date=day.isoformat() if day else None,
        disabled=not enabled,
        display_format="DD/MM/YYYY",
        month_format="MM/YYYY",
        first_day_of_week=1,
        placeholder="JJ/MM/AAAA",
        min_date_allowed=EARLIEST_DAY.isoformat(),  # a later date than today is refused by the URL's parser, in French
    )


def _field(label: str, control: Any, shown: bool = True) -> html.Label:
    """A labelled control; ``shown`` False keeps it in the page (a callback listens to it) but out of sight and of
    the tab order."""
    return html.Label(className="control", children=[html.Span(label), control], style=None if shown else {"display": "none"})


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
    period = dropdown(
        id=ids.EXPLORER_PERIOD, options=_options([*PERIODS, "perso"], PERIOD_LABELS), value=query.period, clearable=False
    )
    return [
        _field("Période", period),
        _field("Du", date_input(ids.EXPLORER_FROM, query.start, custom)),
        _field("Au", date_input(ids.EXPLORER_TO, query.end, custom)),
    ]


def _scope_fields(query: ExplorerQuery, catalog: pd.DataFrame) -> list[html.Label]:
    """Which cases count: structure, procedure (those of the chosen structure), region, channel."""
    mine = catalog if query.services is None else catalog[catalog["service"].isin(query.services)]  # the scope's
    procedures = mine if not query.service else mine[mine["service"] == query.service]
    return [
        _field(
            "Structure",
            dropdown(
                id=ids.EXPLORER_SERVICE,
                options=_options(sorted(mine["service"].unique())),
                value=query.service,
                placeholder="toutes",
            ),
        ),
        _field(
            "Procédure",
            dropdown(
                id=ids.EXPLORER_PROCEDURE,
                value=query.procedure,
                placeholder="toutes",
                options=[{"label": f"{r.code} — {r.name}", "value": r.code} for r in procedures.itertuples()],
            ),
        ),
        _field(
            "Région",
            dropdown(id=ids.EXPLORER_REGION, options=_options(list(REGIONS)), value=query.region, placeholder="toutes"),
        ),
        _field(
            "Canal",
            dropdown(
                id=ids.EXPLORER_CHANNEL,
                value=query.channel,
                placeholder="tous",
                options=[{"label": CHANNEL_LABELS[v], "value": k} for k, v in CHANNEL_SLUGS.items()],
            ),
        ),
    ]


def _display_fields(query: ExplorerQuery) -> list[html.Label]:
    """Which cases the list shows, and the curves' step: the synthesis's only. The workload view has neither a
    list nor curves, so there they are hidden (still in the page: the navigation callback listens to them)."""
    shown = query.view != "charge"
    return [
        _field(
            "Dossiers listés",
            dropdown(
                id=ids.EXPLORER_POPULATION,
                options=_options(list(POPULATION_LABELS), POPULATION_LABELS),
                value=query.population,
                clearable=False,
            ),
            shown,
        ),
        _field(
            "Pas des courbes",
            dropdown(
                id=ids.EXPLORER_STEP,
                options=_options(list(STEPS), STEP_LABELS),
                value=query.step,
                clearable=False,
            ),
            shown,
        ),
    ]


def grid_rows(
    request: object, search: str | None, kpis: KpiService, catalog: pd.DataFrame, now: dt.datetime, *, who: Principal | None
) -> Any:
    """The grid's answer to one getRowsRequest, for the population and filters of the page's URL, in ``who``'s scope.

    The request comes from the browser: a malformed one gets the first block (see
    explorer.grid.parse_request), an unreadable URL an empty list; neither is an error.
    """
    if not request:
        return no_update
    try:
        query = parse_for(who, search, catalog, now)
    except ExplorerQueryError:
        return {"rowData": [], "rowCount": 0}
    as_of, days = query.window(now)
    return grid_page(kpis.cases(as_of, days, query.filters, query.population), request)
