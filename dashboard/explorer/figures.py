"""Pure figure builders for the explorer (laptops and phones, light theme): frames in, figure dicts out.

They return plain plotly figure dicts rather than ``go.Figure`` objects: plotly's validation
and template copies cost about 0.1 s per figure, more than the numbers behind it, and a
drill click must answer in well under 0.2 s. Bars carry their group name in ``customdata``
so a click can drill down or cross-filter. Colours are the Okabe-Ito colour-blind-safe set;
series are also told apart by dash style or marker. Titles are short and bar labels wrap, so that
a chart drawn at a phone's width (390 px) keeps its bars and its title in view.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.explorer.annotations import Marker

INFLOW, OUTFLOW, BACKLOG, P90, MEDIAN, LEGAL = "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#0072B2", "#D55E00"
METRIC_LABELS = {"backlog": "En cours", "inflow": "Déposés", "outflow": "Clos", "breached_open": "Hors délai"}
_COLOURS = {"backlog": BACKLOG, "inflow": INFLOW, "outflow": OUTFLOW, "breached_open": LEGAL}
_GRID = "#e5e9ef"
Figure = dict[str, Any]
#: How each kind of annotation is drawn: colour, symbol at the top of the plot, legend name.
MARKER_STYLES = {
    "alert": (LEGAL, "triangle-down", "Alertes"),
    "outage": ("#6E7781", "square", "Pannes"),
    "manual": ("#CC79A7", "diamond", "Notes"),
}
_MARKER_AXIS = "y3"  # an invisible 0..1 axis over the plot: markers sit at its top whatever the data's scale
#: Bar labels wrap at this many characters, on two lines at most, so bars keep most of a phone's width.
_LABEL_WIDTH = 22


def _axis(**extra: Any) -> dict[str, Any]:
    return {"gridcolor": _GRID, "zerolinecolor": _GRID, "automargin": True, **extra}


def _layout(title: str, subtitle: str = "", **extra: Any) -> dict[str, Any]:
    """The desk look; a short ``title`` (it must fit a phone's width) and the rest in ``subtitle``."""
    heading: dict[str, Any] = {"text": title, "font": {"size": 16}, "x": 0.01, "xanchor": "left"}
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": 12, "color": "#556"}}
    return {
        "title": heading,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "separators": ", ",
        "margin": {"l": 10, "r": 10, "t": 70 if subtitle else 50, "b": 10},
        "legend": {"orientation": "h", "y": -0.15},
        "font": {"family": "DejaVu Sans, Liberation Sans, Arial, sans-serif", "size": 13, "color": "#1b2430"},
        "xaxis": _axis(),
        "yaxis": _axis(),
        **extra,
    }


def _values(series: pd.Series) -> list[Any]:
    """JSON-able values; NaN and None become null (a gap, not a zero)."""
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in series.tolist()]


def _dates(series: pd.Series) -> list[str]:
    return [str(v)[:10] for v in series.tolist()]


def bar_label(text: str, width: int = _LABEL_WIDTH) -> str:
    """A bar's axis label on at most two lines of ``width`` characters (« … » when cut), escaped for plotly."""
    lines = textwrap.wrap(text, width, max_lines=2, placeholder="…") or [text]
    return "<br>".join(html.escape(line, quote=False) for line in lines)


def group_bars(
    rows: pd.DataFrame, title: str, keys: tuple[str, ...] = ("backlog", "inflow", "outflow"), subtitle: str = ""
) -> Figure:
    """Grouped horizontal bars, one row per group (``rows``: columns group, label and each key).

    The axis shows ``label`` wrapped (``bar_label``), the hover the whole of it. A click on any bar
    gives the group in ``points[0].customdata``.
    """
    labels = [bar_label(str(label)) for label in rows["label"]]
    whole = [html.escape(str(label), quote=False) for label in rows["label"]]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": METRIC_LABELS.get(key, key),
            "y": labels,
            "x": rows[key].tolist(),
            "customdata": rows["group"].tolist(),
            "hovertext": whole,
            "marker": {"color": _COLOURS.get(key)},
            "text": rows[key].tolist(),
            "textposition": "auto",
            "hovertemplate": "%{hovertext}<br>" + METRIC_LABELS.get(key, key) + " : %{x}<extra></extra>",
        }
        for key in keys
    ]
    per_row = 56 if any("<br>" in label for label in labels) else 46
    height = max(260, 70 + per_row * len(rows)) + (20 if subtitle else 0)
    layout = _layout(title, subtitle, barmode="group", height=height, clickmode="event")
    layout["yaxis"] = _axis(autorange="reversed", type="category")
    return {"data": data, "layout": layout}


def with_markers(figure: Figure, markers: Sequence[Marker]) -> Figure:
    """``figure`` (a time chart) with its annotations: a dotted vertical line per instant and a shaded
    band per outage, plus a symbol at the top of the plot per annotation, whose hover is its date
    (DD/MM HH:MM, Lomé) and text; one legend entry per kind. Which annotations concern a view is
    decided before (explorer/annotations.py: overall and source ones everywhere, a structure's at
    « Ensemble », the structure and its procedures, a procedure's at « Ensemble », its structure
    and itself). ``figure`` is not modified.
    """
    if not markers:
        return figure
    layout = dict(figure["layout"])
    shapes = list(layout.get("shapes", []))
    for marker in markers:
        colour = MARKER_STYLES.get(marker.kind, MARKER_STYLES["manual"])[0]
        x0 = _x(marker.at)
        if marker.until is not None:
            band = {"type": "rect", "x0": x0, "x1": _x(marker.until), "fillcolor": "rgba(110,119,129,0.18)", "line": {"width": 0}}
            shapes.append({**band, "xref": "x", "yref": "paper", "y0": 0, "y1": 1, "layer": "below"})
        else:
            line = {"color": colour, "width": 1, "dash": "dot"}
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x0, "x1": x0, "y0": 0, "y1": 1, "line": line})
    traces = []
    for kind, (colour, symbol, name) in MARKER_STYLES.items():
        own = [m for m in markers if m.kind == kind or (kind == "manual" and m.kind not in MARKER_STYLES)]
        if own:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": name,
                    "x": [_x(m.at) for m in own],
                    "y": [0.96] * len(own),
                    "yaxis": _MARKER_AXIS,
                    "marker": {"color": colour, "symbol": symbol, "size": 12, "line": {"color": "#ffffff", "width": 1}},
                    "hovertext": [m.hover for m in own],
                    "hoverinfo": "text",  # not a hovertemplate: the text is never read as a template
                    "cliponaxis": False,
                }
            )
    layout["shapes"] = shapes
    layout["yaxis" + _MARKER_AXIS[1:]] = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
    return {"data": [*figure["data"], *traces], "layout": layout}


def _x(wall_clock: Any) -> str:
    """A Lomé wall-clock time as the date axes read it (no zone, like the daily points' dates)."""
    return wall_clock.strftime("%Y-%m-%d %H:%M:%S")


def flow_trend(current: pd.DataFrame, previous: pd.DataFrame, step: str, markers: Sequence[Marker] = ()) -> Figure:
    """Inflow and outflow per period, with the previous period dotted; backlog on its own axis;
    the annotations of the window as markers (``with_markers``).

    ``current``/``previous``: columns date, inflow, outflow, backlog (previous aligned by position).
    """
    x = _dates(current["date"])

    def line(y: pd.Series, name: str, colour: str, dash: str = "solid", width: int = 3, axis: str = "y") -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": _values(y),
            "name": name,
            "yaxis": axis,
            "line": {"color": colour, "dash": dash, "width": width},
            "showlegend": dash != "dot",  # the previous period is told by the subtitle: a phone's legend fits two a row
        }

    data = [line(current["inflow"], "Déposés", INFLOW), line(current["outflow"], "Clos", OUTFLOW)]
    if len(previous) == len(current):
        data += [
            line(previous["inflow"], "Déposés (avant)", INFLOW, "dot", 2),
            line(previous["outflow"], "Clos (avant)", OUTFLOW, "dot", 2),
        ]
    data.append(line(current["backlog"], "En cours", BACKLOG, "dash", 2, "y2"))
    unit = "jour" if step == "jour" else "semaine"
    layout = _layout("Flux et stock en cours", "pointillés : période précédente", height=380, hovermode="x unified")
    layout["xaxis"] = _axis(type="date", tickformat="%d/%m")
    layout["yaxis"] = _axis(title={"text": f"dossiers par {unit}"}, rangemode="tozero")
    layout["yaxis2"] = {
        "title": {"text": f"en cours en fin de {unit}"},
        "overlaying": "y",
        "side": "right",
        "rangemode": "tozero",
        "showgrid": False,
        "automargin": True,
    }
    return with_markers({"data": data, "layout": layout}, markers)


def processing_band(buckets: pd.DataFrame, legal_days: list[int], step: str, markers: Sequence[Marker] = ()) -> Figure:
    """Business days at closure: the median line inside a band up to p90, and the legal delay(s) marked;
    the annotations of the window as markers (``with_markers``)."""
    x = _dates(buckets["period_start"])
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "p90",
            "x": x,
            "y": _values(buckets["p90_business_days"]),
            "line": {"color": P90, "width": 1},
            "marker": {"symbol": "triangle-up"},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "médiane",
            "legendrank": 999,  # first in the legend, before p90
            "x": x,
            "y": _values(buckets["median_business_days"]),
            "fill": "tonexty",
            "fillcolor": "rgba(86,180,233,0.25)",
            "line": {"color": MEDIAN, "width": 3},
        },
    ]
    shapes, notes = [], []
    for days in sorted(set(legal_days)):
        shapes.append(
            {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": days, "y1": days, "line": {"color": LEGAL, "dash": "dash"}}
        )
        notes.append(
            {
                "xref": "paper",
                "x": 0,
                "y": days,
                "yanchor": "bottom",
                "xanchor": "left",
                "showarrow": False,
                "text": f"délai légal {days} j ouvrés",
                "font": {"color": LEGAL},
            }
        )
    unit = "jour" if step == "jour" else "semaine"
    layout = _layout(
        "Délai de traitement",
        f"jours ouvrés, dossiers clos par {unit}",
        height=380,
        hovermode="x unified",
        shapes=shapes,
        annotations=notes,
    )
    layout["legend"] = {**layout["legend"], "traceorder": "normal"}  # a filled band would reverse it
    layout["xaxis"] = _axis(type="date", tickformat="%d/%m")
    layout["yaxis"] = _axis(title={"text": "jours ouvrés"}, rangemode="tozero")
    return with_markers({"data": data, "layout": layout}, markers)


def workload_bars(open_by_agent: pd.DataFrame) -> Figure:
    """Open cases per agent (``open_by_agent``: agent, open, breached), busiest first; breached hatched."""
    agents = open_by_agent["agent"].tolist()
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "En cours",
            "y": agents,
            "x": open_by_agent["open"].tolist(),
            "marker": {"color": BACKLOG},
            "text": open_by_agent["open"].tolist(),
            "textposition": "auto",
        },
        {
            "type": "bar",
            "orientation": "h",
            "name": "dont hors délai",
            "y": agents,
            "x": open_by_agent["breached"].tolist(),
            "marker": {"color": LEGAL, "pattern": {"shape": "/"}},
            "text": open_by_agent["breached"].tolist(),
            "textposition": "auto",
        },
    ]
    layout = _layout("Dossiers en cours par agent", barmode="overlay", height=max(260, 70 + 28 * len(agents)))
    layout["yaxis"] = _axis(autorange="reversed", type="category")
    return {"data": data, "layout": layout}


def case_timeline(steps: pd.DataFrame, sla_days: int, business_days: int | None) -> Figure:
    """A case's status periods as bars on a time axis; pauses (awaiting the applicant) hatched.

    ``steps``: columns status_label, start, end (aware), paused (bool).
    """
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": [row.status_label],
            "base": [row.start.isoformat()],
            "x": [(row.end - row.start).total_seconds() * 1000],
            "showlegend": False,
            "marker": {"color": P90 if row.paused else INFLOW, "pattern": {"shape": "/" if row.paused else ""}},
            "hovertemplate": f"{row.status_label}<extra></extra>",
        }
        for row in steps.itertuples(index=False)
    ]
    title = "Chronologie du dossier"
    if business_days is not None:
        title += f" — {business_days} j ouvrés utilisés sur {sla_days}"
    layout = _layout(title, height=max(220, 80 + 40 * steps["status_label"].nunique()), barmode="overlay")
    layout["xaxis"] = _axis(type="date")
    layout["yaxis"] = _axis(type="category", autorange="reversed")
    return {"data": data, "layout": layout}
