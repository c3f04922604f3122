"""The wall's views: the overview's tiles, the structures' flows and backlog age, the regions' map, the delays by
procedure, the Alertes view (built by wall_alerts.py); and the Patch that updates the overview's tiles in place.

Built once per data version from the KPI service, for every screen (pages/wall.py sends them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from dash import Patch, dcc, html

from dashboard.figures import backlog_age_by_service, delays_by_procedure, flows_by_service, region_map, sparkline
from dashboard.graph_config import WALL_GRAPH
from dashboard.i18n import tr
from dashboard.pages.wall_alerts import alerts
from domain.french import fr_date, fr_delta, fr_number
from domain.geo import region_outlines
from domain.model import REGIONS
from domain.target_settings import Target
from kpis.filters import CaseFilters
from kpis.regions import REGION_KEYS, region_numbers
from kpis.targets import INSTANT_METRICS, TargetStatus, format_value, goal_text
from service.kpi_service import KpiService
from service.targets import status

REGION_DAYS = 30  # the window of the regions' online share (a week is too few cases in the smaller regions)
REGION_MAP_ID = "wall-region-map"
#: The overview's tile of each metric a target may be shown on (Objectifs, issue 19).
TARGET_TILES = {"backlog": "backlog", "inflow": "inflow", "outflow": "outflow", "median_processing_days": "median",
                "sla_compliance_pct": "sla", "breached_open": "breached"}  # fmt: skip
TILE_DAYS = 7  # the window of the tiles' flows and delays


def views(
    kpis: KpiService,
    catalog: pd.DataFrame,
    fresh: list[str] | None = None,
    lang: str = "fr",
    active: list[dict[str, Any]] | None = None,
    news: list[dict[str, Any]] | None = None,
    filters: CaseFilters = CaseFilters(),  # noqa: B008 - frozen, never mutated
    targets: Sequence[Target] = (),
) -> tuple[Any, ...]:
    """The five views' content from the KPI service (computed once per data version and scope); ``catalog`` names
    the procedures; ``filters``: the screen's scope (a structure's wall), or none; ``targets``: the configured
    targets, shown on their metric's tile (:func:`tile_targets`).

    ``fresh``: procedures that newly crossed into breach, highlighted on the Alertes view (alerts off);
    ``active``: the alerts pending and firing (None: alerts off), ``news``: those that just took the screen over.
    """
    current = kpis.document(None, 7, filters)
    as_of = pd.Timestamp(current["as_of"])
    previous = kpis.document(as_of - pd.Timedelta(days=7), 7, filters)
    month = kpis.document(as_of, 30, filters)
    daily = kpis.daily(as_of, 30, None, filters)
    breached = kpis.breached_daily(as_of, 30, filters.services)
    processing = kpis.processing(as_of, 90, filters)
    at_risk = kpis.at_risk(as_of, 5, filters)
    names = dict(zip(catalog["code"], catalog["name"], strict=True))
    by_service = current["by_service"]
    regions = region_numbers(kpis.by_label(as_of, REGION_DAYS, filters, "region", REGIONS, REGION_KEYS))
    return (
        overview(current, previous, daily, breached, lang, tile_targets(kpis, targets, filters)),
        [html.Div(className="grid-2", children=[
            _graph(flows_by_service(by_service, 7, lang)),
            _graph(flows_by_service(month["by_service"], 30, lang)),
            _graph(backlog_age_by_service(by_service, lang), wide=True),
        ])],
        [_graph(region_map(regions, region_outlines(), lang), wide=True, height="80vh", graph_id=REGION_MAP_ID)],
        [_graph(delays_by_procedure(processing, names, lang=lang), wide=True, height="80vh")],
        alerts(current, at_risk, fresh or [], lang, active, news, names),
    )  # fmt: skip


def _graph(figure: Any, wide: bool = False, height: str = "38vh", graph_id: str | None = None) -> dcc.Graph:
    extra = {"id": graph_id} if graph_id else {}
    return dcc.Graph(figure=figure, config=WALL_GRAPH, className="panel wide" if wide else "panel", style={"height": height},
                     **extra)  # fmt: skip


def tile_targets(kpis: KpiService, targets: Sequence[Target], filters: CaseFilters) -> dict[str, TargetStatus]:
    """The target each tile shows, by tile key, now: the first configured one whose numbers are the tile's. The
    ministry's wall shows the overall targets; a structure's wall (``filters.services``, one structure) the targets
    of scope service on that structure; a wall on several structures none (its tiles add them up, a target does
    not); targets on procedures never (no tile is a procedure's)."""
    services = filters.services
    shown: dict[str, TargetStatus] = {}
    for target in targets:
        tile = TARGET_TILES.get(target.metric)
        if tile is None or tile in shown:
            continue
        if services is None and target.scope == "overall":
            shown[tile] = status(kpis, target, None, None)
        elif services is not None and len(services) == 1 and target.scope == "service" and min(services) in target.groups:
            shown[tile] = status(kpis, target, min(services), None, services)
    return shown


def goal_line(goal: TargetStatus) -> str:
    """« Objectif 90 % au 30 juin 2027 · attendu 84,2 % · en retard de 3,2 points »; the target's own value
    first when its window is not the tile's (« sur 30 j : 86,1 % »)."""
    target = goal.target
    parts = [f"Objectif {goal_text(target)} au {fr_date(target.by)}"]
    if target.metric not in INSTANT_METRICS and target.days != TILE_DAYS:
        parts.append(f"sur {target.days} j : {format_value(target.metric, goal.value)}")
    if goal.trajectory is not None and goal.state != "met":
        parts.append(f"attendu {format_value(target.metric, goal.trajectory)}")
    parts.append(goal.text)
    return " · ".join(parts)


def overview(
    current: dict[str, Any],
    previous: dict[str, Any],
    daily: pd.DataFrame,
    breached: list[int],
    lang: str = "fr",
    goals: dict[str, TargetStatus] | None = None,
) -> html.Div:
    """Six tiles: value, change against the previous 7 days, a 30-day trend line and a note; a tile with a target
    (``goals``, by tile key: :func:`tile_targets`) has a sixth line, the target's.

    ``daily``: the 30-day series (one row per Lomé date); ``breached``: breached open cases at the end
    of the same dates (KpiService.breached_daily).
    """
    goals = goals or {}
    o, p = current["overall"], previous["overall"]
    today = daily.iloc[-1] if len(daily) else None

    def n(value: float | None, decimals: int = 0, unit: str = "") -> str:
        return fr_number(value, decimals, unit, lang)

    def change(key: str, decimals: int = 0, unit: str = "") -> str:
        delta = None if o[key] is None or p[key] is None else o[key] - p[key]
        return fr_delta(delta, decimals, unit, lang)

    def today_count(key: str) -> str:
        return tr("aujourd'hui : {n}", lang, n=n(today[key]) if today is not None else "—")

    days = "d" if lang == "en" else "j cal."  # calendar days, as the note says: the explorer's charts count business days
    tiles = [
        ("backlog", "Stock de dossiers", n(o["backlog"]), change("backlog"), daily["backlog"].tolist(),
         tr("dont {n} en attente du demandeur", lang, n=n(o["backlog_waiting_applicant"]))),
        ("inflow", "Entrées 7 jours", n(o["inflow"]), change("inflow"), daily["inflow"].tolist(), today_count("inflow")),
        ("outflow", "Sorties 7 jours", n(o["outflow"]), change("outflow"), daily["outflow"].tolist(), today_count("outflow")),
        ("median", "Délai médian", n(o["median_processing_days"], 1, days), change("median_processing_days", 1, days),
         daily["median_processing_days"].tolist(), tr("jours calendaires, suspensions déduites", lang)),
        ("sla", "Dans les délais", n(o["sla_compliance_pct"], 0, "%"), change("sla_compliance_pct", 0, "pts"),
         daily["sla_compliance_pct"].tolist(), tr("des dossiers clos en 7 jours", lang)),
        ("breached", "Hors délai en cours", n(o["breached_open"]), change("breached_open"),
         list(breached), breach_note(o, lang)),
    ]  # fmt: skip
    return html.Div(className="tiles", children=[
        _tile(key, tr(label, lang), value, delta, spark, note, lang, alert=key == "breached" and o["breached_open"] > 0,
              goal=goals.get(key))
        for key, label, value, delta, spark, note in tiles
    ])  # fmt: skip


def breach_note(overall: dict[str, Any], lang: str = "fr") -> str:
    """« et 245 à risque », led by the tacit acceptances when there are some: « dont 12 accords tacites, et 245 à
    risque » (decisions the legal silence took for the ministry, docs/kpis.md)."""
    at_risk = tr("et {n} à risque", lang, n=fr_number(overall["at_risk_open"], lang=lang))
    tacit = overall.get("tacit_accept_open") or 0
    if not tacit:
        return at_risk
    words = "dont {n} accord tacite" if tacit == 1 else "dont {n} accords tacites"
    return f"{tr(words, lang, n=fr_number(tacit, lang=lang))}, {at_risk}"


def _tile(
    key: str,
    label: str,
    value: str,
    delta: str,
    spark: list[float | None],
    note: str,
    lang: str,
    alert: bool = False,
    goal: TargetStatus | None = None,
) -> html.Div:
    children = [
        html.Div(label, className="label"),
        html.Div(value, className="value"),
        html.Div([html.Span(delta, className="delta"), html.Span(tr(" vs 7 jours précédents", lang), className="muted")]),
        dcc.Graph(figure=sparkline(spark), config=WALL_GRAPH, className="spark", style={"height": "12vh"}),
        html.Div(note, className="note"),
    ]
    if goal is not None:  # last, so that the five lines before keep their places (patch_overview's paths)
        children.append(html.Div(goal_line(goal), className=f"note goal goal-{goal.state}"))
    return html.Div(className="tile alert" if alert else "tile", id=f"tile-{key}", children=children)


def overview_shape(overview_part: html.Div) -> str:
    """The overview's structure without its values: same shape, so a Patch can update it in place. A tile with a
    target's line is another shape (« tile-sla+objectif »): gaining or losing one sends the whole view."""
    return ",".join(tile.id + ("+objectif" if len(tile.children) > 5 else "") for tile in overview_part.children)


def patch_overview(overview_part: html.Div) -> Patch:
    """Only the tiles' texts and sparkline values: a few hundred bytes instead of six figures.

    The paths follow _tile's children (label, value, delta, trend line, note, then the target's line when there is
    one): change them together.
    """
    patch = Patch()
    for i, tile in enumerate(overview_part.children):
        label, value, delta, spark, note, *goal = tile.children
        target = patch["props"]["children"][i]
        target["props"]["className"] = tile.className
        target["props"]["children"][1]["props"]["children"] = value.children
        target["props"]["children"][2]["props"]["children"][0]["props"]["children"] = delta.children[0].children
        target["props"]["children"][3]["props"]["figure"]["data"][0]["y"] = list(spark.figure.data[0].y)
        target["props"]["children"][4]["props"]["children"] = note.children
        for line in goal:
            target["props"]["children"][5]["props"]["children"] = line.children
            target["props"]["children"][5]["props"]["className"] = line.className
    return patch
