"""Pure figure builders for the explorer (laptop screens, light theme): frames in, figures out.

Bars carry their group name in ``customdata`` so a click can drill down or cross-filter.
Colours are the Okabe-Ito colour-blind-safe set; series are also told apart by dash style.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

INFLOW, OUTFLOW, BACKLOG, P90, MEDIAN, LEGAL = "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#0072B2", "#D55E00"
METRIC_LABELS = {"backlog": "En cours", "inflow": "Déposés", "outflow": "Clos", "breached_open": "Hors délai"}
_COLOURS = {"backlog": BACKLOG, "inflow": INFLOW, "outflow": OUTFLOW, "breached_open": LEGAL}


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 16}},
        template="plotly_white",
        separators=", ",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        font={"family": "DejaVu Sans, Liberation Sans, Arial, sans-serif", "size": 13},
        **extra,
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def group_bars(rows: pd.DataFrame, title: str, keys: tuple[str, ...] = ("backlog", "inflow", "outflow")) -> go.Figure:
    """Grouped horizontal bars, one row per group (``rows``: columns group, label and each key).

    A click on any bar gives the group in ``points[0].customdata``.
    """
    fig = go.Figure()
    for key in keys:
        fig.add_bar(
            y=rows["label"],
            x=rows[key],
            name=METRIC_LABELS.get(key, key),
            orientation="h",
            marker_color=_COLOURS.get(key),
            customdata=rows["group"],
            text=rows[key],
            textposition="auto",
            hovertemplate="%{y}<br>" + METRIC_LABELS.get(key, key) + " : %{x}<extra></extra>",
        )
    fig = _layout(fig, title, barmode="group", height=max(260, 70 + 46 * len(rows)), clickmode="event")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def flow_trend(current: pd.DataFrame, previous: pd.DataFrame, step: str) -> go.Figure:
    """Inflow and outflow per period, with the previous period dotted; backlog on its own axis.

    ``current``/``previous``: columns date, inflow, outflow, backlog (previous aligned by position).
    """
    fig = go.Figure()
    fig.add_scatter(x=current["date"], y=current["inflow"], name="Déposés", line={"color": INFLOW, "width": 3})
    fig.add_scatter(x=current["date"], y=current["outflow"], name="Clos", line={"color": OUTFLOW, "width": 3})
    if len(previous) == len(current):
        fig.add_scatter(
            x=current["date"], y=previous["inflow"], name="Déposés (période précédente)", line={"color": INFLOW, "dash": "dot"}
        )
        fig.add_scatter(
            x=current["date"], y=previous["outflow"], name="Clos (période précédente)", line={"color": OUTFLOW, "dash": "dot"}
        )
    fig.add_scatter(
        x=current["date"],
        y=current["backlog"],
        name="En cours (fin de période)",
        yaxis="y2",
        line={"color": BACKLOG, "dash": "dash", "width": 2},
    )
    unit = "jour" if step == "jour" else "semaine"
    fig.update_xaxes(tickformat="%d/%m")
    return _layout(
        fig,
        f"Flux par {unit} et stock en cours",
        height=360,
        hovermode="x unified",
        yaxis={"title": f"dossiers par {unit}", "rangemode": "tozero"},
        yaxis2={"title": "en cours", "overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False},
    )


def processing_band(buckets: pd.DataFrame, legal_days: list[int], step: str) -> go.Figure:
    """Business days at closure: the median line inside a band up to p90, and the legal delay(s) marked."""
    fig = go.Figure()
    fig.add_scatter(
        x=buckets["period_start"],
        y=buckets["p90_business_days"],
        name="p90",
        mode="lines+markers",
        line={"color": P90, "width": 1},
        marker={"symbol": "triangle-up"},
    )
    fig.add_scatter(
        x=buckets["period_start"],
        y=buckets["median_business_days"],
        name="médiane",
        mode="lines+markers",
        fill="tonexty",
        fillcolor="rgba(86,180,233,0.25)",
        line={"color": MEDIAN, "width": 3},
    )
    for days in sorted(set(legal_days)):
        fig.add_hline(
            y=days,
            line={"color": LEGAL, "dash": "dash"},
            annotation_text=f"délai légal {days} j ouvrés",
            annotation_position="top left",
        )
    unit = "jour" if step == "jour" else "semaine"
    fig.update_xaxes(tickformat="%d/%m")
    return _layout(
        fig,
        f"Délai de traitement (jours ouvrés, dossiers clos par {unit})",
        height=360,
        yaxis={"rangemode": "tozero", "title": "jours ouvrés"},
        hovermode="x unified",
    )


def workload_bars(open_by_agent: pd.DataFrame) -> go.Figure:
    """Open cases per agent (``open_by_agent``: agent, open, breached), busiest first."""
    fig = go.Figure()
    fig.add_bar(
        y=open_by_agent["agent"],
        x=open_by_agent["open"],
        orientation="h",
        name="En cours",
        marker_color=BACKLOG,
        text=open_by_agent["open"],
        textposition="auto",
    )
    fig.add_bar(
        y=open_by_agent["agent"],
        x=open_by_agent["breached"],
        orientation="h",
        name="dont hors délai",
        marker_color=LEGAL,
        marker_pattern_shape="/",
        text=open_by_agent["breached"],
        textposition="auto",
    )
    fig = _layout(fig, "Dossiers en cours par agent", barmode="overlay", height=max(260, 70 + 28 * len(open_by_agent)))
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def case_timeline(steps: pd.DataFrame, sla_days: int, business_days: int | None) -> go.Figure:
    """A case's status periods as bars on a time axis; pauses (awaiting the applicant) hatched.

    ``steps``: columns status_label, start, end (aware), paused (bool).
    """
    fig = go.Figure()
    for row in steps.itertuples(index=False):
        fig.add_bar(
            x=[(row.end - row.start).total_seconds() * 1000],
            base=[row.start],
            y=[row.status_label],
            orientation="h",
            marker_color=P90 if row.paused else INFLOW,
            marker_pattern_shape="/" if row.paused else "",
            showlegend=False,
            hovertemplate=f"{row.status_label}<extra></extra>",
        )
    title = "Chronologie du dossier"
    if business_days is not None:
        title += f" — {business_days} j ouvrés utilisés sur {sla_days}"
    fig = _layout(fig, title, height=max(220, 80 + 40 * steps["status_label"].nunique()), barmode="overlay")
    fig.update_xaxes(type="date")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig
