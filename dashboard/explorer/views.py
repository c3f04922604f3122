"""The bodies of the explorer's two views, built from the KPI service for a parsed URL.

The synthesis (the default view): tiles, where the cases are, how flows and delays moved, then the case
list (its rows come later, through the grid's callback). The workload (``?vue=charge``): open cases and
decisions by agent. Each body holds the charts the navigation callback listens to (hidden in the workload).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from dashboard import ids
from dashboard.explorer.annotations import Marker
from dashboard.explorer.figures import BAR_KEYS, flow_trend, population_bars, processing_band, target_trend, workload_bars
from dashboard.explorer.grid import AGENT_LINK_RENDERER, GRID_FRENCH, NUMBER_RENDERER, apply_view, case_grid
from dashboard.explorer.labels import POPULATION_LABELS, list_title_text
from dashboard.explorer.navigation import agent_search
from dashboard.explorer.state import STEPS, ExplorerQuery
from dashboard.figures import region_map
from dashboard.graph_config import DESK_GRAPH, TIME_GRAPH
from domain.french import fr_number
from domain.geo import region_outlines
from domain.model import REGIONS
from domain.target_settings import Target
from kpis.periods import auto_step, blank_before, data_start, flows_by_period, window_dates
from kpis.regions import REGION_KEYS, region_numbers
from kpis.workload import window_weeks
from service.kpi_service import KpiService
from service.targets import status, weekly_values


def synthesis_tiles(query: ExplorerQuery, overall: dict[str, Any], silences: frozenset[str] = frozenset()) -> html.Div:
    """The view's numbers, each count a link to exactly its cases; ``silences``: the catalogue's silence rules in
    use (« accord », « rejet »), whose tacit decisions get a tile of their own when there are some (docs/kpis.md)."""

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
            # calendar days (suspensions deducted), as /api/kpis and the wall: the unit is said, never just « j »,
            # since the processing chart beside them counts business days
            tile("Délai médian (j calendaires)", fr_number(overall["median_processing_days"], 1, "j")),
            tile("Délai p90 (j calendaires)", fr_number(overall["p90_processing_days"], 1, "j")),
            tile("Délai médian (j ouvrés)", fr_number(overall["median_business_days"], 1, "j")),
            tile("Dans les délais", fr_number(overall["sla_compliance_pct"], 1, "%")),
            tile("⚠ Hors délai (en cours)", fr_number(overall["breached_open"]), "hors_delai", "alert"),
            tile("◔ À risque", fr_number(overall["at_risk_open"]), "a_risque", "warn"),
            tile("Taux de refus", fr_number(overall["rejection_rate_pct"], 1, "%")),
            *[tile(label, fr_number(overall[key]), slug, "alert") for label, key, slug, rule in TACIT_TILES
              if rule in silences and (overall[key] or query.population == slug)],
        ],
    )


#: The tacit decisions' tiles: label, count, listed population, the silence rule they follow. Shown only when
#: there is such a case (or their list is the one shown): a zero tile would be one more Tab stop for nothing.
TACIT_TILES = (
    ("⚖ Acceptés implicitement", "tacit_accept_open", "accords_tacites", "accord"),
    ("⚖ Rejetés implicitement", "tacit_reject_open", "rejets_tacites", "rejet"),
)


def silences_in_use(catalog: pd.DataFrame) -> frozenset[str]:
    """The silence rules the catalogue uses (a catalogue without the column has none)."""
    return frozenset(catalog["silence"]) - {"none"} if "silence" in catalog.columns else frozenset()


def _group_rows(groups: dict[str, dict[str, Any]], names: list[str], labels: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"group": n, "label": labels.get(n, n), **{k: groups[n][k] for k in BAR_KEYS}} for n in names],
        columns=["group", "label", *BAR_KEYS],
    )


def synthesis_view(
    query: ExplorerQuery,
    kpis: KpiService,
    catalog: pd.DataFrame,
    document: dict[str, Any],
    as_of: pd.Timestamp | None,
    days: int,
    markers: list[Marker],
    targets: Sequence[Target] = (),
) -> html.Div:
    """The synthesis: tiles, where the cases are (groups, regions), how flows and delays moved, the targets of the
    view (« Objectifs », only when some concern it: :func:`view_targets`), then the case list."""
    where = _where_charts(query, kpis, catalog, document, as_of, days)
    when = _time_charts(query, kpis, catalog, as_of, days, markers)
    goals = target_charts(query, kpis, as_of, targets)
    rows = kpis.cases(as_of, days, query.filters, query.population)
    shown = len(apply_view(rows, query.grid)) if query.grid.conditions else len(rows)
    return html.Div(
        children=[
            synthesis_tiles(query, document["overall"], silences_in_use(catalog)),
            where,
            when,
            *([goals] if goals is not None else []),
            _list_title(query, shown, len(rows)),
            case_grid(ids.EXPLORER_GRID, query.grid),
        ]
    )


def view_targets(query: ExplorerQuery, targets: Sequence[Target]) -> list[tuple[Target, str | None]]:
    """The targets (and their group) whose cases are exactly the view's: the overall ones at « Ensemble » (never for
    an account limited to some structures: they count the whole ministry), a structure's at that structure, a
    procedure's at that procedure; none under a region or channel filter (the target counts every region and
    channel)."""
    if query.region or query.channel:
        return []
    if query.procedure:
        scope, group = "procedure", query.procedure
    elif query.service:
        scope, group = "service", query.service
    elif query.services is None:
        return [(t, None) for t in targets if t.scope == "overall"]
    else:
        return []
    return [(t, group) for t in targets if t.scope == scope and group in t.groups]


def target_charts(
    query: ExplorerQuery, kpis: KpiService, as_of: pd.Timestamp | None, targets: Sequence[Target]
) -> html.Div | None:
    """« Objectifs »: a chart per target of the view, its weekly values against the trajectory (None: no target)."""
    shown = view_targets(query, targets)
    if not shown:
        return None
    scope = query.filters.services
    return html.Div(
        id=ids.EXPLORER_TARGETS,
        children=[
            html.H2("Objectifs"),
            html.Div(
                className="charts two",
                children=[
                    dcc.Graph(
                        figure=target_trend(
                            weekly_values(kpis, target, group, as_of, services=scope),
                            status(kpis, target, group, as_of, scope),
                        ),
                        config=TIME_GRAPH,
                    )
                    for target, group in shown
                ],
            ),
        ],
    )


def _where_charts(
    query: ExplorerQuery,
    kpis: KpiService,
    catalog: pd.DataFrame,
    document: dict[str, Any],
    as_of: pd.Timestamp | None,
    days: int,
) -> html.Div:
    """Bars by structure (or by procedure of the chosen structure) and by region, of the listed population
    (« Dossiers listés »: breaches by default) and sorted by it: a click drills down or filters.

    Siblings stay: the procedure bars are counted without the procedure filter and the region bars without
    the region filter (every other filter kept), the chosen one highlighted, so after a drill the director
    still compares and switches by clicking. Each bar is the engine's count for its group with the
    other filters: the selected bar equals the tiles and the list.
    """
    population = query.population
    if query.level == "services":
        bars = population_bars(
            _group_rows(document["by_service"], sorted(document["by_service"]), {}),
            population,
            "Par structure",
            subtitle=f"{_SORTED_BY[population]} · cliquez pour voir ses procédures",
        )
    else:
        siblings = document if not query.procedure else kpis.document(as_of, days, query.filters.without("procedure"))
        own = catalog[catalog["service"] == query.service]
        names = dict(zip(own["code"], own["code"] + " — " + own["name"], strict=True))
        bars = population_bars(
            _group_rows(siblings["by_procedure"], list(own["code"]), names),
            population,
            f"Par procédure — {query.service}",
            subtitle=f"{_SORTED_BY[population]} · cliquez pour voir ses dossiers",
            selected=query.procedure,
        )
    regions = kpis.by_label(as_of, days, query.filters.without("region"), "region", REGIONS, BAR_KEYS)
    return html.Div([html.Div(
        className="charts two",
        children=[
            dcc.Graph(id=ids.EXPLORER_BARS, figure=bars, config=DESK_GRAPH),
            dcc.Graph(
                id=ids.EXPLORER_REGIONS,
                figure=population_bars(
                    regions.assign(label=regions["group"]),
                    population,
                    "Par région",
                    subtitle=f"{_SORTED_BY[population]} · cliquez pour filtrer"
                    + (" (à nouveau : toutes)" if query.region else ""),
                    selected=query.region,
                ),
                config=DESK_GRAPH,
            ),
        ],
    ), _region_map(query, kpis, as_of, days)])


def _region_map(query: ExplorerQuery, kpis: KpiService, as_of: pd.Timestamp | None, days: int) -> html.Div:
    """The wall's map of Togo (drawn offline from data/geo, nothing fetched) for the view's cases, the region filter
    left out like the region bars: a click on a region filters by it (again: all regions)."""
    counts = kpis.by_label(as_of, days, query.filters.without("region"), "region", REGIONS, REGION_KEYS)
    figure = region_map(region_numbers(counts), region_outlines(), "fr", selected=query.region)
    figure.update_layout(height=460, font={"size": 14}, margin={"l": 10, "r": 10, "t": 50, "b": 10}, hovermode="closest")
    # the wall's map does not answer the pointer; here a region's shape or label is a filter
    figure.update_traces(selector={"mode": "text"}, hovertemplate="%{customdata} : cliquez pour filtrer<extra></extra>")
    figure.update_traces(selector={"fill": "toself"}, hovertemplate="%{customdata} : cliquez pour filtrer<extra></extra>")
    figure.update_annotations(font={"size": 12})
    figure.update_traces(selector={"mode": "text"}, textfont={"size": 14})  # the wall's labels are sized for 5 m
    figure.update_traces(selector={"mode": "markers"}, marker={"colorbar": {"tickfont": {"size": 12},
                                                                            "title": {"font": {"size": 12}}}})
    return html.Div(
        className="map-card",
        children=dcc.Graph(id=ids.EXPLORER_REGION_MAP, figure=figure, config=DESK_GRAPH, style={"height": "460px"}),
    )


#: How each population's bars are sorted, as their subtitle says.
_SORTED_BY = {
    "en_cours": "en cours, triés par hors délai",
    "hors_delai": "triés par hors délai",
    "a_risque": "triés par à risque",
    "en_attente": "triés par en attente",
    "deposes": "triés par déposés",
    "clos": "triés par clos",
    "accords_tacites": "triés par acceptés implicitement",
    "rejets_tacites": "triés par rejetés implicitement",
}


def chart_step(query: ExplorerQuery, days: int) -> str:
    """The time charts' step (kpis.periods): the one the URL names, else chosen from the window's length."""
    step = STEPS[query.step]
    return auto_step(days) if step == "auto" else step


def flow_periods(
    kpis: KpiService, query: ExplorerQuery, as_of: pd.Timestamp | None, days: int, step: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The window's flows per calendar period, and the previous window's moved onto the same periods (None
    where the data had not started yet). Both cover the dates ``kpis.periods.window_dates`` gives, as the
    processing chart beside them does."""
    at = kpis.document(as_of, days, query.filters)["as_of"]
    dates, last_complete = window_dates(pd.Timestamp(at), days)
    # daily rows end on T's date; a window ending at a midnight (a custom range) ends the day before: one more, dropped
    extra = 1 if last_complete else 0
    daily = kpis.daily(as_of, 2 * days + extra, None, query.filters).iloc[: 2 * days]
    current, previous = daily.iloc[days:], daily.iloc[:days]
    start = data_start(daily)
    shifted = previous.assign(date=list(current["date"]))
    before = flows_by_period(shifted, step, last_complete)
    first_real = None if start is None else start + pd.Timedelta(days=days).to_pytimedelta()
    return flows_by_period(current, step, last_complete), blank_before(before, first_real)


def _time_charts(
    query: ExplorerQuery,
    kpis: KpiService,
    catalog: pd.DataFrame,
    as_of: pd.Timestamp | None,
    days: int,
    markers: list[Marker],
) -> html.Div:
    """Inflow, outflow and backlog against the previous window; processing times against the legal delay when
    the view has one; both per calendar period over the same dates, with the annotations (``markers``)."""
    step = chart_step(query, days)
    current, previous = flow_periods(kpis, query, as_of, days, step)
    buckets = kpis.processing_by_period(as_of, days, query.filters, step)
    return html.Div(
        className="charts two",
        children=[
            dcc.Graph(id=ids.EXPLORER_TREND, figure=flow_trend(current, previous, step, markers), config=TIME_GRAPH),
            dcc.Graph(
                id=ids.EXPLORER_PROCESSING,
                figure=processing_band(buckets, legal_delay(query, catalog), step, markers),
                config=TIME_GRAPH,
            ),
        ],
    )


def legal_delay(query: ExplorerQuery, catalog: pd.DataFrame) -> int | None:
    """The legal delay (business days) the processing chart marks: the procedure's, at procedure level only.
    Above it the procedures in view have several delays (5 to 90 days at « Ensemble »): none is drawn."""
    if not query.procedure:
        return None
    return int(catalog.loc[catalog["code"] == query.procedure, "sla_days"].iloc[0])


def _list_title(query: ExplorerQuery, shown: int, total: int) -> html.H2:
    """The case list's title with its count (``shown`` of ``total`` when the URL filters the grid: the grid's own
    count, so title, grid and export agree), and the exports of the same list."""
    return html.H2(
        className="list-title",
        children=[
            list_title_text(query, shown, total),
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


def workload_view(query: ExplorerQuery, kpis: KpiService, as_of: pd.Timestamp | None, days: int) -> html.Div:
    """The workload: open cases by agent (a click on a bar lists the agent's cases), and a table per agent of the
    open cases and of the decisions (approvals and refusals) per ISO week, the partial weeks marked. Each agent's
    name in the table is a link to the same list as its bar, for the keyboard."""
    open_, decisions = kpis.workload(as_of, days, query.filters)
    at = pd.Timestamp(kpis.document(as_of, days, query.filters)["as_of"])
    weeks = window_weeks(at, days)
    table = workload_table(query, open_, decisions, weeks)
    return html.Div(
        id=ids.EXPLORER_WORKLOAD,
        children=[
            html.P(
                f"{fr_number(int(open_['open'].sum()))} dossiers en cours répartis entre {fr_number(len(open_))} agents ; "
                f"{fr_number(int(decisions['decisions'].sum()))} décisions (accords et refus) sur la période."
            ),
            dcc.Graph(id=ids.EXPLORER_WORKLOAD_BARS, figure=workload_bars(open_.head(40)), config=DESK_GRAPH),
            # the navigation callback listens to the synthesis charts: they exist here too, hidden
            dcc.Graph(id=ids.EXPLORER_BARS, config=DESK_GRAPH, style={"display": "none"}),
            dcc.Graph(id=ids.EXPLORER_REGIONS, config=DESK_GRAPH, style={"display": "none"}),
            dcc.Graph(id=ids.EXPLORER_REGION_MAP, config=DESK_GRAPH, style={"display": "none"}),
            html.H2("Dossiers en cours et décisions par agent et par semaine ISO"),
            html.P(
                className="hint",
                children="Le nom d'un agent mène à la liste de ses dossiers en cours. Les semaines que la période ne "
                "couvre qu'en partie sont marquées « partielle », avec les jours couverts.",
            ),
            dag.AgGrid(
                id=ids.EXPLORER_WORKLOAD_TABLE,
                columnDefs=workload_columns(weeks),
                rowData=table.to_dict("records"),
                defaultColDef={"sortable": True, "resizable": True, "minWidth": 70},
                className="ag-theme-alpine",
                dashGridOptions={"localeText": GRID_FRENCH, "enableBrowserTooltips": True, "suppressMenuHide": True},
                style={"height": "480px"},
            ),
        ],
    )


#: The workload table's first columns, pinned at the left so they stay on screen while the weeks scroll (90 days
#: are 14 weeks: at 1366 px the « Total » column was off-screen).
_WORKLOAD_FIXED = (
    ("agent", "Agent", 200),
    ("open", "En cours", 100),
    ("breached", "dont hors délai", 120),
    ("total", "Décisions (total)", 130),
)


def week_header(week: pd.Series, years: int) -> str:
    """A week's column title: « S48 », « S44 (partielle, 1,5 j sur 7) »; its year too when the window spans more
    than one (« S52 2025 »)."""
    name = f"S{int(week['number']):02d}" + (f" {int(week['year'])}" if years > 1 else "")
    if not week["partial"]:
        return name
    covered = float(week["covered"])
    return f"{name} (partielle, {fr_number(covered, 0 if covered.is_integer() else 1)} j sur 7)"


def workload_columns(weeks: pd.DataFrame) -> list[dict[str, Any]]:
    """The workload table's columns: agent (a link to its cases), open, breached and total decisions pinned at the
    left, then one column per ISO week of the window; numbers as French writes them (the FrNumber renderer, no
    eval), sorted as numbers."""
    columns: list[dict[str, Any]] = []
    for field, header, width in _WORKLOAD_FIXED:
        column: dict[str, Any] = {"field": field, "headerName": header, "width": width, "pinned": "left", "lockPinned": True}
        if field == "agent":
            column.update(cellRenderer=AGENT_LINK_RENDERER, filter="agTextColumnFilter")
        else:
            column.update(type="numericColumn", cellRenderer=NUMBER_RENDERER)
        columns.append(column)
    years = weeks["year"].nunique()
    for _, week in weeks.iterrows():
        columns.append(
            {
                "field": str(week["week"]),
                "headerName": week_header(week, years),
                "headerTooltip": f"Semaine {int(week['number'])} de {int(week['year'])} : du {week['monday']:%d/%m/%Y} "
                f"au {week['sunday']:%d/%m/%Y}",
                "width": 150 if week["partial"] else 90,
                "wrapHeaderText": True,
                "autoHeaderHeight": True,
                "type": "numericColumn",
                "cellRenderer": NUMBER_RENDERER,
            }
        )
    return columns


def workload_table(
    query: ExplorerQuery, open_: pd.DataFrame, decisions: pd.DataFrame, weeks: pd.DataFrame
) -> pd.DataFrame:
    """One row per agent with open cases or decisions: agent, agent_href (the URL of its open cases, built here:
    the name is percent-encoded), open, breached, total (decisions of the window) and one column per week of
    ``weeks`` (0 where none); most decisions first, then most open cases, then by name."""
    by_week = decisions.pivot_table(index="agent", columns="week", values="decisions", aggfunc="sum", fill_value=0)
    by_week = by_week.reindex(columns=list(weeks["week"]), fill_value=0)
    agents = sorted(set(open_["agent"]) | set(by_week.index))
    table = pd.DataFrame({"agent": agents})
    table = table.merge(open_[["agent", "open", "breached"]], on="agent", how="left")
    table = table.merge(by_week.reset_index(), on="agent", how="left")
    numbers = ["open", "breached", *weeks["week"]]
    table[numbers] = table[numbers].fillna(0).astype(int)
    table["total"] = table[list(weeks["week"])].sum(axis=1).astype(int)
    table = table.sort_values(["total", "open", "agent"], ascending=[False, False, True], kind="stable")
    table.insert(1, "agent_href", ["/explorer" + agent_search(query, agent) for agent in table["agent"]])
    return table.reset_index(drop=True).astype(object)
