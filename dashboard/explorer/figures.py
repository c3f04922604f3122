"""Pure figure builders for the explorer (laptop screens, light theme): frames in, figure dicts out.

They return plain plotly figure dicts rather than ``go.Figure`` objects: plotly's validation
and template copies cost about 0.1 s per figure, more than the numbers behind it, and a
drill click must answer in well under 0.2 s. Bars carry their group name in ``customdata``
so a click can drill down or cross-filter. Colours are the Okabe-Ito colour-blind-safe set;
series are also told apart by dash style or marker.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

INFLOW, OUTFLOW, BACKLOG, P90, MEDIAN, LEGAL = "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#0072B2", "#D55E00"
METRIC_LABELS = {"backlog": "En cours", "inflow": "Déposés", "outflow": "Clos", "breached_open": "Hors délai"}
_COLOURS = {"backlog": BACKLOG, "inflow": INFLOW, "outflow": OUTFLOW, "breached_open": LEGAL}
_GRID = "#e5e9ef"
Figure = dict[str, Any]


def _axis(**extra: Any) -> dict[str, Any]:
    return {"gridcolor": _GRID, "zerolinecolor": _GRID, "automargin": True, **extra}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 16}, "x": 0.01, "xanchor": "left"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "separators": ", ",
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
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


def group_bars(rows: pd.DataFrame, title: str, keys: tuple[str, ...] = ("backlog", "inflow", "outflow")) -> Figure:
    """Grouped horizontal bars, one row per group (``rows``: columns group, label and each key).

    A click on any bar gives the group in ``points[0].customdata``.
    """
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": METRIC_LABELS.get(key, key),
            "y": rows["label"].tolist(),
            "x": rows[key].tolist(),
            "customdata": rows["group"].tolist(),
            "marker": {"color": _COLOURS.get(key)},
            "text": rows[key].tolist(),
            "textposition": "auto",
            "hovertemplate": "%{y}<br>" + METRIC_LABELS.get(key, key) + " : %{x}<extra></extra>",
        }
        for key in keys
    ]
    layout = _layout(title, barmode="group", height=max(260, 70 + 46 * len(rows)), clickmode="event")
    layout["yaxis"] = _axis(autorange="reversed", type="category")
    return {"data": data, "layout": layout}


def flow_trend(current: pd.DataFrame, previous: pd.DataFrame, step: str) -> Figure:
    """Inflow and outflow per period, with the previous period dotted; backlog on its own axis.

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
        }

    data = [line(current["inflow"], "Déposés", INFLOW), line(current["outflow"], "Clos", OUTFLOW)]
    if len(previous) == len(current):
        data += [
            line(previous["inflow"], "Déposés (période précédente)", INFLOW, "dot", 2),
            line(previous["outflow"], "Clos (période précédente)", OUTFLOW, "dot", 2),
        ]
    data.append(line(current["backlog"], "En cours (fin de période)", BACKLOG, "dash", 2, "y2"))
    unit = "jour" if step == "jour" else "semaine"
    layout = _layout(f"Flux par {unit} et stock en cours", height=360, hovermode="x unified")
    layout["xaxis"] = _axis(type="date", tickformat="%d/%m")
    layout["yaxis"] = _axis(title={"text": f"dossiers par {unit}"}, rangemode="tozero")
    layout["yaxis2"] = {
        "title": {"text": "en cours"},
        "overlaying": "y",
        "side": "right",
        "rangemode": "tozero",
        "showgrid": False,
    }
    return {"data": data, "layout": layout}


def processing_band(buckets: pd.DataFrame, legal_days: list[int], step: str) -> Figure:
    """Business days at closure: the median line inside a band up to p90, and the legal delay(s) marked."""
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
        f"Délai de traitement (jours ouvrés, dossiers clos par {unit})",
        height=360,
        hovermode="x unified",
        shapes=shapes,
        annotations=notes,
    )
    layout["xaxis"] = _axis(type="date", tickformat="%d/%m")
    layout["yaxis"] = _axis(title={"text": "jours ouvrés"}, rangemode="tozero")
    return {"data": data, "layout": layout}


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
