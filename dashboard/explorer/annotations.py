"""Which annotations the explorer's time charts show, and what their hover says (pure).

Annotations are alert transitions, source outages and managers' notes (store/alerts.py). The page
reads those of a chart's window from the store and passes the frame here; the figure builders
(explorer/figures.py) draw the markers this returns and nothing else.

Which views an annotation concerns, by its scope (``concerns``):

- ``overall`` and ``source``: every view (a source outage hides cases of every structure it feeds);
- ``service`` S: the top level (« Ensemble », which sums every structure), S, and each procedure of S;
- ``procedure`` P: the top level, P's structure, and P itself (not P's sibling procedures).

Region and channel filters narrow cases, not events: they do not hide annotations.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from dataclasses import dataclass

import pandas as pd

from domain.model import LOME_TZ

KIND_LABELS = {"alert": "Alerte", "outage": "Panne de source", "manual": "Note"}
#: Characters per hover line: a phone's hover box is about 360 px wide.
_HOVER_WIDTH = 48
_HOVER_LINES = 6


@dataclass(frozen=True)
class Marker:
    """One annotation as a chart draws it.

    ``at`` and ``until`` are Lomé wall-clock times without a zone (what the charts' date axes read),
    clipped to the chart's window; ``until`` is set for an outage (a shaded band up to its end, or up
    to the window's end while it goes on) and None for an instant (a vertical line). ``hover`` is
    plotly text: the annotation's own words are escaped, only the ``<br>`` added here is markup.
    """

    kind: str
    at: dt.datetime
    until: dt.datetime | None
    hover: str


def concerns(scope: str, group: str, service: str | None, procedure: str | None, owner: str | None) -> bool:
    """Whether an annotation of ``scope``/``group`` belongs on the view at ``service``/``procedure``.

    ``service``/``procedure`` None: the view is not narrowed to one (the top level, or a service's
    procedures); ``owner``: the service a ``procedure``-scoped annotation's procedure belongs to
    (None when unknown: then it shows only at the top level and at that procedure). An unknown
    scope shows nowhere.
    """
    if scope in ("overall", "source"):
        return True
    if service is None:  # the top level sums every structure
        return scope in ("service", "procedure")
    if scope == "service":
        return group == service
    if scope == "procedure":
        return group == procedure if procedure is not None else owner == service
    return False


def markers_for(
    frame: pd.DataFrame,
    service: str | None,
    procedure: str | None,
    catalog: pd.DataFrame,
    start: dt.datetime,
    end: dt.datetime,
) -> list[Marker]:
    """The markers of the annotations in ``frame`` that the view at ``service``/``procedure`` shows
    over [start, end) (UTC-aware), oldest first.

    ``frame``: columns at, ends_at (UTC, NaT for an instant or an outage still going on), scope,
    grp, kind, text, author. An instant shows when it falls in the window; an outage when it
    overlaps it. ``frame`` is not modified.
    """
    owners = dict(zip(catalog["code"], catalog["service"], strict=True))
    lo, hi = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    markers = []
    for row in frame.sort_values(["at"], kind="stable").itertuples(index=False):
        at = pd.Timestamp(row.at).tz_convert("UTC")
        ends = None if pd.isna(row.ends_at) else pd.Timestamp(row.ends_at).tz_convert("UTC")
        outage = row.kind == "outage"
        inside = at < hi and (at >= lo or (outage and (ends is None or ends >= lo)))
        if not inside or not concerns(str(row.scope), str(row.grp), service, procedure, owners.get(str(row.grp))):
            continue
        until = min(ends if ends is not None else hi, hi) if outage else None
        markers.append(
            Marker(
                kind=str(row.kind),
                at=_wall_clock(max(at, lo)),
                until=_wall_clock(until) if until is not None else None,
                hover=hover_text(row.kind, row.scope, row.grp, row.text, row.author, at, ends),
            )
        )
    return markers


def hover_text(
    kind: object, scope: object, group: object, text: object, author: object, at: pd.Timestamp, ends: pd.Timestamp | None
) -> str:
    """« 20/11 08:15 · Alerte » (Lomé time), then the text, wrapped; store values escaped for plotly."""
    label = KIND_LABELS.get(str(kind), str(kind))
    if kind == "outage" and ends is not None:
        head = f"{label} · du {_short(at)} au {_short(ends)}"
    elif kind == "outage":
        head = f"{label} · depuis le {_short(at)} (en cours)"
    else:
        head = f"{_short(at)} · {label}"
    if kind == "manual":
        where = "" if scope == "overall" or not group else f" · {group}"
        head += where + (f" · {author}" if isinstance(author, str) and author else "")
    lines = textwrap.wrap(str(text), _HOVER_WIDTH, max_lines=_HOVER_LINES, placeholder=" …") or [""]
    return "<br>".join(_escape(line) for line in [head, *lines])


def _escape(text: str) -> str:
    """Plotly reads a subset of HTML in text (<b>, <a href>, <br>, entities): store text must stay text."""
    return html.escape(text, quote=False)


def _short(stamp: pd.Timestamp) -> str:
    return stamp.tz_convert(LOME_TZ).strftime("%d/%m %H:%M")


def _wall_clock(stamp: pd.Timestamp) -> dt.datetime:
    return stamp.tz_convert(LOME_TZ).tz_localize(None).to_pydatetime()
