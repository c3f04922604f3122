"""The explorer's navigation: from the current URL and one control change or chart click, the next URL.

Controls and clicks only ever write the URL (explorer/state.py); the page is then rebuilt from it.
Everything here comes from the browser, so anything may arrive: a value of the wrong kind changes
nothing (``no_update``), never raises.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from dash import no_update

from dashboard import ids
from dashboard.explorer.grid_view import GridView, condition
from dashboard.explorer.state import ExplorerQuery, ExplorerQueryError, parse_search
from domain.model import LOME_TZ

#: Each control and the ExplorerQuery field it sets, in the navigation callback's input order.
CONTROL_FIELDS = {
    ids.EXPLORER_PERIOD: "period",
    ids.EXPLORER_FROM: "start",
    ids.EXPLORER_TO: "end",
    ids.EXPLORER_SERVICE: "service",
    ids.EXPLORER_PROCEDURE: "procedure",
    ids.EXPLORER_REGION: "region",
    ids.EXPLORER_CHANNEL: "channel",
    ids.EXPLORER_POPULATION: "population",
    ids.EXPLORER_STEP: "step",
}
#: The property each control's value is in, when not ``value``: the date pickers' ``date`` (AAAA-MM-JJ).
CONTROL_PROPS = {ids.EXPLORER_FROM: "date", ids.EXPLORER_TO: "date"}
#: The charts a click on which navigates, after the controls in the callback's inputs.
CLICKABLE_CHARTS = (ids.EXPLORER_BARS, ids.EXPLORER_REGIONS, ids.EXPLORER_REGION_MAP)
#: The charts whose click filters by region (cross-filtering) rather than drilling down.
REGION_CHARTS = (ids.EXPLORER_REGIONS, ids.EXPLORER_REGION_MAP)
#: Fields that always hold a value: clearing them is ignored.
_REQUIRED = ("population", "step", "period")


def navigate_to(trigger: str | None, values: tuple[Any, ...], catalog: pd.DataFrame, now: dt.datetime) -> Any:
    """The URL after one control change or chart click (``values``: the callback's inputs, then the current search).

    A bar click drills one level down (service, then procedure); a region click filters by
    that region, or clears it when it was already the filter (cross-filtering).
    """
    *inputs, search = values
    try:
        query = parse_search(search, catalog, now)
    except ExplorerQueryError:
        query = ExplorerQuery()
    by_id = dict(zip([*CONTROL_FIELDS, *CLICKABLE_CHARTS], inputs, strict=True))
    value = by_id.get(trigger) if trigger else None
    if trigger in CLICKABLE_CHARTS:
        new_query = after_click(query, trigger, value)
    elif trigger in CONTROL_FIELDS:
        new_query = after_control(query, CONTROL_FIELDS[trigger], value, catalog, now)
    else:
        new_query = None
    if new_query is None:
        return no_update
    new = new_query.to_search()
    return new if new != (search or "") else no_update


def after_click(query: ExplorerQuery, chart: str, click: object) -> ExplorerQuery | None:
    """A click on a bar: the region chart cross-filters, the other drills down; None for a click on nothing."""
    clicked = clicked_group(click)
    if clicked is None:
        return None
    if chart in REGION_CHARTS:
        return query.with_(region=None if query.region == clicked else clicked)
    if query.level == "services":
        return query.with_(service=clicked, procedure=None)
    return query.with_(procedure=clicked)


def after_control(
    query: ExplorerQuery, field: str, value: object, catalog: pd.DataFrame, now: dt.datetime
) -> ExplorerQuery | None:
    """A control set ``field`` to ``value``; None when nothing should change (a crafted value, a required field cleared).

    A service drops a procedure that is not its own; a known procedure brings its service.
    """
    if value is not None and not isinstance(value, str):  # every control holds text; anything else was crafted
        return None
    if field in ("start", "end"):
        try:
            value = dt.date.fromisoformat(value) if value else None
        except ValueError:
            return None
    query = query.with_(**{field: value or None})
    if field == "period":
        query = switch_period(query, value if isinstance(value, str) else None, now)
    if field == "service":
        owner = catalog.loc[catalog["code"] == query.procedure, "service"]
        if query.procedure and (owner.empty or owner.iloc[0] != value):
            query = query.with_(procedure=None)
    owner = catalog.loc[catalog["code"] == value, "service"] if field == "procedure" and value else None
    if owner is not None and not owner.empty:  # an unknown procedure stays in the URL, which names it
        query = query.with_(service=str(owner.iloc[0]))
    if field in _REQUIRED and not value:
        return None
    return query


def switch_period(query: ExplorerQuery, value: str | None, now: dt.datetime) -> ExplorerQuery:
    """Switching to a custom period starts from the last 30 days; leaving it drops the dates."""
    if value == "perso":
        today = pd.Timestamp(now).tz_convert(LOME_TZ).date()
        return query.with_(start=query.start or today - dt.timedelta(days=29), end=query.end or today)
    return query.with_(start=None, end=None)


def clicked_group(click: object) -> str | None:
    """The group name a bar carries in ``customdata``; None for anything else (a click elsewhere, a crafted value)."""
    points = click.get("points") if isinstance(click, dict) else None
    first = points[0] if isinstance(points, list) and points else None
    data = first.get("customdata") if isinstance(first, dict) else None
    return str(data) if isinstance(data, str | int) and not isinstance(data, bool) and data != "" else None


def agent_cases(query: ExplorerQuery, agent: str) -> ExplorerQuery:
    """The synthesis listing the open cases of ``agent``, as the workload counts them: same window and filters,
    the population « en cours », the grid filtered on « Agent égal à » the name (its other filters dropped, so the
    list's title counts exactly the agent's bar). The name is data: it goes into the URL through ``to_search``
    (percent-encoded), never into markup. « (non attribué) » lists the cases without an agent (the grid shows
    them so). The grid's test ignores case: two agents whose names differ only by case are listed together."""
    found = condition("agent", "equals", agent)
    conditions = (found,) if found is not None else ()
    return query.with_(view="synthese", population="en_cours", grid=GridView(sort=query.grid.sort, conditions=conditions))


def agent_search(query: ExplorerQuery, agent: str) -> str:
    """The query string of ``agent_cases`` (with its "?"): the bar's click and the table's link go there."""
    return agent_cases(query, agent).to_search()


def after_agent_click(click: object, search: str | None, catalog: pd.DataFrame, now: dt.datetime) -> Any:
    """A click on an agent's bar in the workload view: the URL listing that agent's open cases; ``no_update`` for a
    click on nothing or an unreadable URL (the page shows its own message then)."""
    agent = clicked_group(click)
    if agent is None:
        return no_update
    try:
        query = parse_search(search, catalog, now)
    except ExplorerQueryError:
        return no_update
    return agent_search(query, agent)
