"""/wall: the chrome-less kiosk view for the supervision room's screens.

The browser asks the server for the data version every few seconds (one indexed row);
the views are rebuilt only when it changed, from KPIs computed once per version for all
screens. Views rotate on the client; ``?view=alertes`` pins one, ``?views=...&period=...``
sets a screen's own playlist. Stale sources are shown, never hidden.

A structure's screen (``screens add NAME --services CEET``), or a scoped account, sees the wall of its
structures only: their tiles, procedures and alerts, with their names in the header. The scope comes from
the session on every callback (``auth.scope``), never from the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

import pandas as pd
import plotly.utils
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update

from dashboard import ids
from dashboard.auth.accounts import Principal
from dashboard.auth.scope import scoped_filters
from dashboard.auth.web import current
from dashboard.i18n import LANGS, tr
from dashboard.outage import outage_line
from dashboard.pages.alerts import AlertsPage
from dashboard.pages.routing import register_page
from dashboard.pages.wall_alerts import alert_label, alerts_enabled, new_alerts, seen_now, snapshot
from dashboard.pages.wall_views import overview_shape, patch_overview, views
from domain.model import LOME_TZ
from domain.target_settings import Target
from kpis.filters import CaseFilters
from kpis.health import STATE_LABELS, ago_fr, health_table
from service.kpi_service import KpiService
from store.reader import Reader

VIEWS = {
    "ensemble": "Vue d'ensemble",
    "structures": "Par structure",
    "regions": "Par région",
    "delais": "Délais",
    "alertes": "Alertes",
}
DEFAULT_PERIOD_SECONDS = 20
DEFAULT_TICK_SECONDS = 5  # how often a screen asks for the data version (?tick= for soak tests)
MINISTRY = "Ministère de l'Énergie et des Mines"


def shell(lang: str = "fr", structures: str | None = None) -> html.Div:
    """The wall's dark, chrome-less page: empty views and the stores and timers its callbacks fill them from.
    ``structures``: the names a structure's wall shows in its header (None: the whole ministry)."""
    return html.Div(
        id=ids.WALL,
        className="wall",
        children=[
            dcc.Location(id=ids.WALL_URL),
            html.Header(
                className="wall-header",
                children=[
                    html.Div(
                        [html.Span(tr(MINISTRY, lang)), html.Strong(structures, className="structure")]
                        if structures
                        else tr(MINISTRY, lang),
                        className="ministry",
                    ),
                    html.Div(id=ids.WALL_VIEW_TITLE, className="view-title"),
                    html.Div(id=ids.WALL_SOURCES, className="sources"),
                    html.Div(id=ids.WALL_CLOCK, className="clock"),
                    html.Span(id=ids.WALL_VERSION_TEXT, hidden=True),
                ],
            ),
            html.Div(id=ids.WALL_BANNER, className="banner hidden"),
            html.Div(id="wall-connection", className="banner connection hidden"),
            html.Main(
                id=ids.WALL_BODY,
                className="wall-body",
                children=[
                    html.Section(id=f"view-{key}", className="view", **{"data-title": tr(title, lang)})
                    for key, title in VIEWS.items()
                ],
            ),
            dcc.Store(id=ids.WALL_VERSION),
            dcc.Store(id=ids.WALL_BREACHES),
            dcc.Store(id=ids.WALL_TAKEOVER),
            dcc.Store(id=ids.WALL_DIGESTS),
            dcc.Store(id=ids.WALL_ALERTS),
            dcc.Store(id=ids.WALL_SEEN_ALERTS),
            dcc.Store(id=ids.WALL_PLAYLIST),
            dcc.Interval(id=ids.WALL_TICK, interval=5_000),
            dcc.Interval(id=ids.WALL_ROTATE, interval=DEFAULT_PERIOD_SECONDS * 1000),
        ],
    )


def playlist(search: str | None) -> dict[str, Any]:
    """The screen's views and period from its URL: ?view=alertes pins, ?views=a,b&period=30 rotates."""
    query = parse_qs((search or "").lstrip("?"))
    pinned = query.get("view", [None])[0]
    tick = _bounded(query.get("tick", [None])[0], DEFAULT_TICK_SECONDS, 1, 60)
    lang = language(search)
    if pinned in VIEWS:
        return {"views": [pinned], "period": DEFAULT_PERIOD_SECONDS, "tick": tick, "lang": lang, "error": None}
    views = [v for v in query.get("views", [",".join(VIEWS)])[0].split(",") if v in VIEWS] or list(VIEWS)
    period = _bounded(query.get("period", [None])[0], DEFAULT_PERIOD_SECONDS, 5, 3600)
    unknown = [v for v in query.get("views", [""])[0].split(",") if v and v not in VIEWS]
    if pinned and pinned not in VIEWS:
        unknown.insert(0, pinned)
    error = f"vue inconnue « {', '.join(unknown)} » (vues : {', '.join(VIEWS)}) : rotation normale" if unknown else None
    return {"views": views, "period": period, "tick": tick, "lang": lang, "error": error}


def header_structures(who: Principal | None) -> str | None:
    """« CEET » (or « ARSE · CEET ») on a structure's wall, None on the ministry's."""
    return None if who is None or who.services is None else " · ".join(sorted(who.services)) or "—"


def wall_filters(who: Principal | None, catalog: pd.DataFrame) -> CaseFilters:
    """What the wall counts for ``who``: every case for the ministry's screens, a structure's for its own."""
    return scoped_filters(who, CaseFilters(), catalog)


def language(search: str | None) -> str:
    """French unless the URL asks for English (?lang=en)."""
    asked = parse_qs((search or "").lstrip("?")).get("lang", ["fr"])[0]
    return asked if asked in LANGS else "fr"


def _bounded(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(text))) if text is not None else default
    except ValueError:
        return default


def register(
    app: Dash,
    reader: Reader,
    kpis: KpiService,
    catalog: pd.DataFrame,
    now: Callable[[], dt.datetime],
    alert_page: AlertsPage,
    targets: Sequence[Target] = (),
) -> None:
    """The page and its callbacks: the screen's playlist, the version and health tick, the alerts' tick (when
    alerts are on), the views' rebuild, the rotation; ``targets`` show on the overview's tiles."""

    def layout(search: str | None = None, **_query: Any) -> html.Div:
        return shell(language(search), header_structures(current()))

    register_page(__name__, "/wall", layout, components=shell)
    _register_playlist(app)
    _register_tick(app, reader, now)
    if alerts_enabled(alert_page.settings):
        _register_alert_feed(app, alert_page)
    _register_rebuild(app, kpis, catalog, alert_page, targets)
    app.clientside_callback(
        ClientsideFunction(namespace="vigie", function_name="rotate"),
        Output(ids.WALL_VIEW_TITLE, "children"),
        Input(ids.WALL_ROTATE, "n_intervals"),
        Input(ids.WALL_PLAYLIST, "data"),
        Input(ids.WALL_TAKEOVER, "data"),
    )


def _register_playlist(app: Dash) -> None:
    @app.callback(
        Output(ids.WALL_PLAYLIST, "data"),
        Output(ids.WALL_ROTATE, "interval"),
        Output(ids.WALL_TICK, "interval"),
        Input(ids.WALL_URL, "search"),
    )
    def set_playlist(search: str | None) -> tuple[dict[str, Any], int, int]:
        plan = playlist(search)
        return plan, plan["period"] * 1000, plan["tick"] * 1000


def _register_tick(app: Dash, reader: Reader, now: Callable[[], dt.datetime]) -> None:
    @app.callback(
        Output(ids.WALL_VERSION, "data"),
        Output(ids.WALL_SOURCES, "children"),
        Output(ids.WALL_BANNER, "children"),
        Output(ids.WALL_BANNER, "className"),
        Output(ids.WALL, "className"),
        Output(ids.WALL_CLOCK, "children"),
        Input(ids.WALL_TICK, "n_intervals"),
        State(ids.WALL_VERSION, "data"),
        State(ids.WALL_PLAYLIST, "data"),
    )
    def tick(_n: int | None, known: int | None, plan: dict[str, Any] | None) -> tuple[Any, ...]:
        return header_state(reader, now(), known, plan)


def header_state(reader: Reader, at: dt.datetime, known: int | None, plan: dict[str, Any] | None) -> tuple[Any, ...]:
    """Every tick: the data version (no_update when the screen has it), the source chips, the banner (sources
    down, store down, a mistyped screen URL) and its class, the wall's class (stale or not), the clock."""
    version = reader.version()
    health = health_table(reader.health(at), reader.quarantine_counts())
    lang = (plan or {}).get("lang", "fr")
    chips, banner, stale = freshness(health, lang)
    store_down = outage_line(reader, lang)
    if store_down:  # the numbers shown are the last ones read: say so first
        banner, stale = [html.Div(store_down), *(banner or [])], True
    notice = (plan or {}).get("error")
    if notice:  # a mistyped screen URL: say so on the screen itself, and keep rotating
        banner = [*(banner or []), html.Div(f"⚠ {notice}")]
    return (
        version if version != known else no_update,
        chips,
        banner,
        "banner down" if banner and not (notice and len(banner) == 1) else ("banner notice" if notice else "banner hidden"),
        "wall stale" if stale else "wall",
        pd.Timestamp(at).tz_convert(LOME_TZ).strftime("%H:%M"),
    )


def _register_alert_feed(app: Dash, alert_page: AlertsPage) -> None:
    """Every tick, the alerts pending and firing now; sent only when they changed. Its own callback: with the
    store down it fails alone, and the header still says so."""

    @app.callback(
        Output(ids.WALL_ALERTS, "data"),
        Input(ids.WALL_TICK, "n_intervals"),
        State(ids.WALL_ALERTS, "data"),
    )
    def feed(_n: int | None, known: list[dict[str, Any]] | None) -> Any:
        active = visible_alerts(alert_page, current())
        return no_update if active == known else active


def visible_alerts(alert_page: AlertsPage, who: Principal | None) -> list[dict[str, Any]] | None:
    """The alert snapshot ``who`` may see (a structure's wall: its structures' and procedures' alerts only); None
    when alerts are off. Always read from the store: the copy a screen sends back is only a signal that it changed."""
    active = snapshot(alert_page)
    if active is None:
        return None
    return [a for a in active if alert_page.visible(who, a["scope"], a["group"] or None)]


def _register_rebuild(
    app: Dash, kpis: KpiService, catalog: pd.DataFrame, alert_page: AlertsPage, targets: Sequence[Target]
) -> None:
    alerts_on = alerts_enabled(alert_page.settings)

    @app.callback(
        *[Output(f"view-{key}", "children") for key in VIEWS],
        Output(ids.WALL_BREACHES, "data"),
        Output(ids.WALL_TAKEOVER, "data"),
        Output(ids.WALL_SEEN_ALERTS, "data"),
        Output(ids.WALL_VERSION_TEXT, "children"),
        Output(ids.WALL_DIGESTS, "data"),
        Input(ids.WALL_VERSION, "data"),
        Input(ids.WALL_ALERTS, "data"),
        State(ids.WALL_BREACHES, "data"),
        State(ids.WALL_SEEN_ALERTS, "data"),
        State(ids.WALL_PLAYLIST, "data"),
        State(ids.WALL_DIGESTS, "data"),
    )
    def rebuild(
        version: int | None,
        _sent: Any,
        known: dict[str, int] | None,
        seen: list[str] | None,
        plan: dict[str, Any] | None,
        digests: dict[str, str] | None,
    ) -> tuple[Any, ...]:
        who = current()
        active = visible_alerts(alert_page, who) if alerts_on else None  # never the browser's copy: it may be forged
        filters = wall_filters(who, catalog)
        return refresh(kpis, catalog, alerts_on, version, active, known, seen, plan, digests, filters, targets)


def refresh(
    kpis: KpiService,
    catalog: pd.DataFrame,
    alerts_on: bool,
    version: int | None,
    active: list[dict[str, Any]] | None,
    known: dict[str, int] | None,
    seen: list[str] | None,
    plan: dict[str, Any] | None,
    digests: dict[str, str] | None,
    filters: CaseFilters = CaseFilters(),  # noqa: B008 - frozen, never mutated
    targets: Sequence[Target] = (),
) -> tuple[Any, ...]:
    """On a new data version or a new alert snapshot: what each view sends, the breaches and the firing alerts the
    screen has now seen, and the takeover (or no_update), the version shown, the views' digests.

    With alerts on, only an alert that starts firing with nobody in charge of it, unseen by this screen, takes
    it over; with alerts off, a procedure with more breached cases than the screen last saw does.
    """
    current = kpis.document(None, 7, filters)
    breaches = {code: m["breached_open"] for code, m in current["by_procedure"].items()}
    lang = (plan or {}).get("lang", "fr")
    fresh: list[str] = []
    news: list[dict[str, Any]] = []
    takeover: Any = no_update
    if alerts_on:
        news = new_alerts(seen, active)
        names = dict(zip(catalog["code"], catalog["name"], strict=True))
        if news:
            takeover = {"id": ",".join(a["key"] for a in news), "alerts": [alert_label(a, names, lang) for a in news]}
        seen_after: Any = seen if active is None else seen_now(active)
        seen_after = no_update if seen_after == seen else seen_after
    else:
        fresh = new_breaches(known, breaches)
        if fresh:
            takeover = {"id": version, "procedures": fresh}
        seen_after = no_update
    updates, digests = changes(views(kpis, catalog, fresh, lang, active, news, filters, targets), digests)
    return (*updates, breaches, takeover, seen_after, "" if version is None else str(version), digests)


def changes(content: tuple[Any, ...], digests: dict[str, str] | None) -> tuple[list[Any], dict[str, str]]:
    """What to send for each view: nothing if unchanged, a Patch of the tiles' values and trend
    lines for the overview, the whole view otherwise (a chart's bars or a table's rows changed)."""
    new_digests = {key: _digest(part) for key, part in zip(VIEWS, content, strict=True)}
    updates: list[Any] = []
    for key, part in zip(VIEWS, content, strict=True):
        if digests and digests.get(key) == new_digests[key]:
            updates.append(no_update)
        elif digests and key == "ensemble" and digests.get("ensemble-shape") == overview_shape(part):
            updates.append(patch_overview(part))
        else:
            updates.append(part)
    new_digests["ensemble-shape"] = overview_shape(content[0])
    return updates, new_digests


def _digest(part: Any) -> str:
    return hashlib.sha1(json.dumps(part, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True).encode()).hexdigest()


def new_breaches(known: dict[str, int] | None, current: dict[str, int]) -> list[str]:
    """Procedures with more breached open cases than the screen last saw (none on a screen's first load)."""
    if known is None:
        return []
    return sorted(code for code, n in current.items() if n > known.get(code, 0))


def freshness(health: pd.DataFrame, lang: str = "fr") -> tuple[list[html.Span], list[Any] | None, bool]:
    """Per-source chips ('portail ● il y a 4 s'), the red banner (or None), and whether anything is stale."""
    chips, down = [], []
    for row in health.itertuples(index=False):
        icon, label = STATE_LABELS[row.state]
        text = f"{row.source} {icon} {ago_fr(row.lag_seconds, lang)}"
        chips.append(html.Span(text, className=f"chip state-{row.state}", title=tr(label, lang)))
        if row.state == "down":
            if pd.isna(row.last_success_at):
                since = tr("jamais interrogée avec succès", lang)
            else:
                when = pd.Timestamp(row.last_success_at).tz_convert(LOME_TZ).strftime("%d/%m %H:%M")
                since = tr("données figées depuis {when}", lang, when=when)
            down.append(tr("✖ Source « {source} » en panne — {since}", lang, source=row.source, since=since))
    stale = bool((health["state"] != "ok").any()) if not health.empty else False
    banner = [html.Div(text) for text in down] or None
    return chips, banner, stale
