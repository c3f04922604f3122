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
from domain.french import fr_date, fr_number
from kpis.periods import period_length
from kpis.targets import METRIC_LABELS, TargetStatus, decimals, format_value, goal_text, metric_label

INFLOW, OUTFLOW, BACKLOG, P90, MEDIAN, LEGAL = "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#0072B2", "#D55E00"
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
#: The height (px) kept free at the top of every chart for the mode bar, above the title.
MODEBAR_BAND = 30
#: Bar labels wrap at this many characters, on two lines at most, so bars keep most of a phone's width.
_LABEL_WIDTH = 22


def _axis(**extra: Any) -> dict[str, Any]:
    return {"gridcolor": _GRID, "zerolinecolor": _GRID, "automargin": True, **extra}


def _layout(title: str, subtitle: str = "", **extra: Any) -> dict[str, Any]:
    """The desk look; a short ``title`` (it must fit a phone's width) and the rest in ``subtitle``.

    The title starts ``MODEBAR_BAND`` px below the top: the mode bar (top right) has that band to
    itself, so a title never hides under it, whatever the chart's width (1366 px laptops: two charts a row).
    """
    heading: dict[str, Any] = {
        "text": title,
        "font": {"size": 16},
        "x": 0.01,
        "xanchor": "left",
        "xref": "container",
        "yref": "container",
        "y": 1,
        "yanchor": "top",
        "pad": {"t": MODEBAR_BAND},
    }
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": 12, "color": "#556"}}
    return {
        "title": heading,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "separators": ", ",
        "margin": {"l": 10, "r": 10, "t": MODEBAR_BAND + (62 if subtitle else 40), "b": 10},
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


#: Per listed population (the URL's ``dossiers``): the whole bar's metric, the part drawn over it (None: no
#: part), the part's legend name, the word for the sort key in the bar's label. The bars are sorted by the
#: part when there is one (the listed cases), by the whole otherwise.
BAR_SPECS: dict[str, tuple[str, str | None, str]] = {
    "en_cours": ("backlog", "breached_open", "dont hors délai"),
    "hors_delai": ("backlog", "breached_open", "dont hors délai"),
    "a_risque": ("backlog", "at_risk_open", "dont à risque"),
    "en_attente": ("backlog", "backlog_waiting_applicant", "dont en attente du demandeur"),
    "deposes": ("inflow", None, ""),
    "clos": ("outflow", None, ""),
    "accords_tacites": ("backlog", "tacit_accept_open", "dont acceptés implicitement"),
    "rejets_tacites": ("backlog", "tacit_reject_open", "dont rejetés implicitement"),
}
#: The counts a population's bars need, for callers that count them (``kpis.population.counts_by_label``).
BAR_KEYS = (
    "backlog", "inflow", "outflow", "breached_open", "at_risk_open", "backlog_waiting_applicant",
    "tacit_accept_open", "tacit_reject_open",
)  # fmt: skip
_WHOLE_NAMES = {"backlog": "En cours", "inflow": "Déposés", "outflow": "Clos"}
_PART_COLOURS = {"breached_open": LEGAL, "at_risk_open": OUTFLOW, "backlog_waiting_applicant": P90,
                 "tacit_accept_open": LEGAL, "tacit_reject_open": LEGAL}  # fmt: skip


def sort_key(population: str) -> str:
    """The count the bars of ``population`` are sorted by: the listed cases (breaches by default)."""
    whole, part, _ = BAR_SPECS[population]
    return part or whole


def ranked(rows: pd.DataFrame, population: str) -> pd.DataFrame:
    """``rows`` (one per group) most first by ``sort_key``, then by the whole bar, then by label; not modified."""
    whole = BAR_SPECS[population][0]
    return rows.sort_values([sort_key(population), whole, "label"], ascending=[False, False, True], kind="stable").reset_index(
        drop=True
    )


def _share(part: int, whole: int) -> str:
    return fr_number(100 * part / whole, 0, "%") if whole else "—"


def bar_text(row: Any, population: str) -> str:
    """A bar's label, drawn past its end: the listed count and, for open cases, the breached share."""
    n = fr_number
    breached, backlog = int(row["breached_open"]), int(row["backlog"])
    if backlog == 0 and population in ("en_cours", "hors_delai", "a_risque", "en_attente", "accords_tacites", "rejets_tacites"):
        return "aucun dossier en cours"
    if population == "en_cours":
        return f"{n(backlog)} en cours · {_share(breached, backlog)} hors délai"
    if population == "hors_delai":
        return f"{n(breached)} hors délai · {_share(breached, backlog)} des en cours"
    if population == "a_risque":
        return f"{n(int(row['at_risk_open']))} à risque · {_share(breached, backlog)} hors délai"
    if population == "en_attente":
        return f"{n(int(row['backlog_waiting_applicant']))} en attente · {_share(breached, backlog)} hors délai"
    if population in ("accords_tacites", "rejets_tacites"):
        key, word = ("tacit_accept_open", "acceptés") if population == "accords_tacites" else ("tacit_reject_open", "rejetés")
        return f"{n(int(row[key]))} {word} implicitement · {_share(breached, backlog)} hors délai"
    return n(int(row[BAR_SPECS[population][0]]))


def population_bars(rows: pd.DataFrame, population: str, title: str, subtitle: str = "", selected: str | None = None) -> Figure:
    """Horizontal bars of the listed population (``population``: a ``BAR_SPECS`` key) per group, most first.

    ``rows``: one per group, columns group, label and ``BAR_KEYS``. For open cases each bar is the
    group's backlog with the listed part (hors délai, à risque, en attente) drawn over it from zero and
    hatched, so the part's share reads at a glance; the label past the bar's end gives the listed count
    and the breached share (numbers are never drawn inside a bar: a thin one makes them unreadable).
    ``selected``: the group of the current filter, drawn fully and in bold, its siblings lighter, so a
    drill keeps them in view to compare and switch. A click on either bar gives the group in
    ``points[0].customdata`` (the first trace is always the whole bar: it never has zero width
    where the group has cases).
    """
    rows = ranked(rows, population)
    whole, part, part_name = BAR_SPECS[population]
    groups = rows["group"].astype(str).tolist()
    labels = [bar_label(str(label)) for label in rows["label"]]
    labels = [f"<b>{label}</b>" if g == selected else label for g, label in zip(groups, labels, strict=True)]
    whole_text = [html.escape(str(label), quote=False) for label in rows["label"]]
    opacity = [1.0 if selected is None or g == selected else 0.45 for g in groups]
    common = {"type": "bar", "orientation": "h", "y": labels, "customdata": groups, "hovertext": whole_text}
    name = _WHOLE_NAMES[whole]
    data: list[dict[str, Any]] = [
        {
            **common,
            "name": name,
            "x": rows[whole].tolist(),
            "marker": {"color": _COLOURS[whole] if part is None else "#A8D8C8", "opacity": opacity},
            "text": [bar_text(r, population) for _, r in rows.iterrows()],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{hovertext}<br>" + name + " : %{x}<extra></extra>",
        }
    ]
    if part is not None:
        data.append(
            {
                **common,
                "name": part_name,
                "x": rows[part].tolist(),
                "marker": {
                    "color": _PART_COLOURS[part],
                    "opacity": opacity,
                    "pattern": {"shape": "/", "fgcolor": "#ffffff", "solidity": 0.2},  # told apart without colour
                },
                "hovertemplate": "%{hovertext}<br>" + part_name + " : %{x}<extra></extra>",
            }
        )
    per_row = 56 if any("<br>" in label for label in labels) else 40
    height = max(260, 90 + per_row * len(rows)) + (20 if subtitle else 0) + MODEBAR_BAND
    layout = _layout(title, subtitle, barmode="overlay", height=height, clickmode="event", bargap=0.35)
    longest = int(rows[whole].max()) if len(rows) else 0
    # room past the longest bar for its label (about 30 characters)
    layout["xaxis"] = _axis(range=[0, max(1, longest) * 1.6], tickformat=",d", rangemode="tozero")
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


#: Per step: the unit in axis titles, and the hover's date (a d3 time format, French through the config's locale).
STEP_WORDS = {"day": ("jour", "%d/%m/%Y"), "week": ("semaine", "semaine du %d/%m/%Y"), "month": ("mois", "%B %Y")}


def _period_hover(row: Any, step: str) -> str:
    """« période partielle : 3 j sur 7 (du 27/11 au 29/11) » for a partial period, "" for a whole one."""
    if not row.partial:
        return ""
    whole = period_length(row.period_start, step)
    span = f"du {row.first:%d/%m} au {row.last:%d/%m}" if row.first != row.last else f"le {row.first:%d/%m}"
    so_far = " (en cours)" if row.dates == whole else f" : {row.dates} j sur {whole}"
    return f"période partielle{so_far}, {span}"


def _time_axis(periods: pd.DataFrame, step: str) -> dict[str, Any]:
    """The date axis of both time charts: from half a period before the first to half after the last, so
    that charts built on the same periods cover exactly the same dates."""
    starts = pd.to_datetime(periods["period_start"])
    half = pd.Timedelta(days={"day": 0.5, "week": 3.5, "month": 15}[step])
    span = [str(starts.min() - half)[:19], str(starts.max() + half)[:19]] if len(starts) else None
    return _axis(type="date", tickformat="%d/%m" if step != "month" else "%b %Y", hoverformat=STEP_WORDS[step][1], range=span)


def _partial_traces(
    x: list[str], y: list[Any], partial: list[bool], hover: list[str], name: str, colour: str, axis: str = "y"
) -> list[dict[str, Any]]:
    """A flow over periods: solid over the whole periods, dotted into the partial ones (first, last) with an
    open marker whose hover says « période partielle »: a short period's smaller sum reads as such, not as
    a collapse."""
    solid = [None if p else v for v, p in zip(y, partial, strict=True)]
    near = [p or (i > 0 and partial[i - 1]) or (i + 1 < len(partial) and partial[i + 1]) for i, p in enumerate(partial)]
    dotted = [v if keep else None for v, keep in zip(y, near, strict=True)]
    line = {"type": "scatter", "x": x, "yaxis": axis}
    traces = [
        {**line, "mode": "lines", "name": name, "y": solid, "line": {"color": colour, "width": 3}, "legendgroup": name},
        {
            **line,
            "mode": "lines",
            "name": name,
            "y": dotted,
            "line": {"color": colour, "width": 2, "dash": "dot"},
            "showlegend": False,
            "hoverinfo": "skip",
            "legendgroup": name,
        },
    ]
    marks = [i for i, p in enumerate(partial) if p]
    if marks:
        traces.append(
            {
                **line,
                "mode": "markers",
                "name": name + " (période partielle)",
                "x": [x[i] for i in marks],
                "y": [y[i] for i in marks],
                "customdata": [hover[i] for i in marks],
                "marker": {"color": "#ffffff", "line": {"color": colour, "width": 2}, "size": 9, "symbol": "circle"},
                "showlegend": False,
                "legendgroup": name,
                "hovertemplate": name + " : %{y}<br>%{customdata}<extra></extra>",
            }
        )
    return traces


def flow_trend(current: pd.DataFrame, previous: pd.DataFrame | None, step: str, markers: Sequence[Marker] = ()) -> Figure:
    """Inflow and outflow per calendar period, with the previous window dotted where it has data; backlog on
    its own axis; partial periods marked (``_partial_traces``); the window's annotations (``with_markers``).

    ``current``: ``kpis.periods.flows_by_period`` rows (period_start, first, last, dates, partial, inflow,
    outflow, backlog); ``previous``: the same over the window before, its dates moved onto this one's
    (None values where there was no data yet: those points are not drawn, and without any the series is left
    out). ``step``: day, week or month.
    """
    x = _dates(current["period_start"])
    partial = current["partial"].astype(bool).tolist()
    hover = [_period_hover(r, step) for r in current.itertuples(index=False)]
    data = [
        *_partial_traces(x, _values(current["inflow"]), partial, hover, "Déposés", INFLOW),
        *_partial_traces(x, _values(current["outflow"]), partial, hover, "Clos", OUTFLOW),
    ]
    has_previous = previous is not None and len(previous) == len(current) and previous["inflow"].notna().any()
    if has_previous:
        assert previous is not None
        for key, name, colour in (("inflow", "Déposés (avant)", INFLOW), ("outflow", "Clos (avant)", OUTFLOW)):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": x,
                    "y": _values(previous[key]),
                    "name": name,
                    "line": {"color": colour, "dash": "dot", "width": 1.5},
                    "opacity": 0.7,
                    "showlegend": False,  # told by the subtitle: a phone's legend fits two a row
                    "connectgaps": False,
                }
            )
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": _values(current["backlog"]),
            "name": "En cours",
            "yaxis": "y2",
            "line": {"color": BACKLOG, "dash": "dash", "width": 2},
        }
    )
    unit = STEP_WORDS[step][0]
    subtitle = "pointillés : période précédente" if has_previous else "pas de période précédente dans les données"
    layout = _layout("Flux et stock en cours", subtitle, height=400, hovermode="x unified")
    layout["margin"] = {**layout["margin"], "r": 20}  # the right axis' labels and title: automargin adds their width
    layout["xaxis"] = _time_axis(current, step)
    layout["yaxis"] = _axis(title={"text": f"dossiers par {unit}"}, rangemode="tozero", tickformat=",d")
    layout["yaxis2"] = {
        "title": {"text": f"en cours en fin de {unit}", "standoff": 8},
        "overlaying": "y",
        "side": "right",
        "rangemode": "tozero",
        "showgrid": False,
        "automargin": True,
        "tickformat": ",d",  # « 3 700 », never an SI-shortened « 3.7k » cut by the margin
    }
    layout["legend"] = {**layout["legend"], "y": -0.18}
    for axis, side in (("yaxis", "y"), ("yaxis2", "y2")):
        counts = [v for t in data if t.get("yaxis", "y") == side for v in t.get("y", []) if isinstance(v, int | float)]
        if max(counts, default=0) < 5:  # whole cases: small counts would get 0,2 steps written « 0 0 1 1 »
            layout[axis]["dtick"] = 1
    return with_markers({"data": data, "layout": layout}, markers)


def processing_band(buckets: pd.DataFrame, legal_days: int | None, step: str, markers: Sequence[Marker] = ()) -> Figure:
    """Business days at closure per calendar period: the median line inside a band up to p90, partial periods
    with open markers; the legal delay as a dashed line when the view has exactly one (a procedure: at
    « Ensemble » or a structure the procedures' delays differ, and one line would say « late » to most of
    them); the window's annotations (``with_markers``).

    ``buckets``: ``kpis.periods.processing_by_period`` rows. The delay's label sits in the right margin,
    outside the plot, so it never covers the median line.
    """
    x = _dates(buckets["period_start"])
    partial = buckets["partial"].astype(bool).tolist()
    hover = [_period_hover(r, step) or "période complète" for r in buckets.itertuples(index=False)]
    symbols = ["circle-open" if p else "circle" for p in partial]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "p90",
            "x": x,
            "y": _values(buckets["p90_business_days"]),
            "line": {"color": P90, "width": 1},
            "marker": {"symbol": ["triangle-up-open" if p else "triangle-up" for p in partial]},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "médiane",
            "legendrank": 999,  # first in the legend, before p90
            "x": x,
            "y": _values(buckets["median_business_days"]),
            "customdata": hover,
            "hovertemplate": "médiane : %{y} j ouvrés<br>%{customdata}<extra></extra>",
            "fill": "tonexty",
            "fillcolor": "rgba(86,180,233,0.25)",
            "line": {"color": MEDIAN, "width": 3},
            "marker": {"symbol": symbols, "size": 8},
        },
    ]
    shapes, notes = [], []
    top = max([v for v in _values(buckets["p90_business_days"]) if v is not None] or [0])
    if legal_days is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": legal_days,
                "y1": legal_days,
                "line": {"color": LEGAL, "dash": "dash"},
            }
        )
        notes.append(
            {
                "xref": "paper",
                "x": 1,
                "xanchor": "left",
                "xshift": 6,
                "y": legal_days,
                "yanchor": "middle",
                "showarrow": False,
                "align": "left",
                "text": f"délai légal<br>{legal_days} j ouvrés",
                "font": {"color": LEGAL, "size": 12},
            }
        )
        top = max(top, legal_days)
    unit = STEP_WORDS[step][0]
    layout = _layout(
        "Délai de traitement (j ouvrés)",
        f"jours ouvrés à la clôture, dossiers clos par {unit}",
        height=400,
        hovermode="x unified",
        shapes=shapes,
        annotations=notes,
    )
    layout["margin"] = {**layout["margin"], "r": 90 if legal_days is not None else 10}
    layout["legend"] = {**layout["legend"], "traceorder": "normal"}  # a filled band would reverse it
    layout["xaxis"] = _time_axis(buckets, step)
    layout["yaxis"] = _axis(title={"text": "jours ouvrés"}, range=[0, max(1, top) * 1.15])
    return with_markers({"data": data, "layout": layout}, markers)


def workload_bars(open_by_agent: pd.DataFrame) -> Figure:
    """Open cases per agent (``open_by_agent``: agent, open, breached), busiest first; breached hatched.

    An agent's name is source text: escaped for plotly's labels (which read a few tags), and carried as typed in
    ``customdata``, which a click gives back (``points[0].customdata``) to list that agent's cases.
    """
    names = open_by_agent["agent"].astype(str).tolist()
    agents = [html.escape(name, quote=False) for name in names]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "En cours",
            "y": agents,
            "customdata": names,
            "hovertemplate": "%{y}<br>En cours : %{x} · cliquez pour les lister<extra></extra>",
            "x": open_by_agent["open"].tolist(),
            "marker": {"color": BACKLOG},
            "text": [
                f"{fr_number(o)} · {fr_number(b)} hors délai" if b else fr_number(o)
                for o, b in zip(open_by_agent["open"], open_by_agent["breached"], strict=True)
            ],
            "textposition": "outside",  # past the bar's end: inside a thin bar a number is unreadable
            "cliponaxis": False,
        },
        {
            "type": "bar",
            "orientation": "h",
            "name": "dont hors délai",
            "y": agents,
            "x": open_by_agent["breached"].tolist(),
            "customdata": names,
            "hovertemplate": "%{y}<br>dont hors délai : %{x}<extra></extra>",
            "marker": {"color": LEGAL, "pattern": {"shape": "/"}},
        },
    ]
    layout = _layout(
        "Dossiers en cours par agent",
        "cliquez sur un agent pour lister ses dossiers",
        barmode="overlay",
        height=max(260, 100 + 28 * len(agents)) + MODEBAR_BAND,
        clickmode="event",
    )
    layout["xaxis"] = _axis(range=[0, max([1, *open_by_agent["open"].tolist()]) * 1.4])
    layout["yaxis"] = _axis(autorange="reversed", type="category")
    return {"data": data, "layout": layout}


def case_timeline(
    steps: pd.DataFrame, sla_days: int, business_days: int | None, due: pd.Timestamp | None = None, now: Any = None
) -> Figure:
    """A case's status periods as bars on a time axis; pauses (awaiting the applicant) hatched; the due
    date (``due``, when known: an open case's) as a dashed vertical line labelled « échéance ».

    ``steps``: columns status_label, start, end (aware). The current status's period (its end is ``now``,
    when given) says « depuis … (en cours) », never « until » the present instant.
    """
    data = []
    for row in steps.itertuples(index=False):
        ongoing = now is not None and row.end == now
        since = (
            f"depuis le {row.start:%d/%m/%Y %H:%M} (en cours)" if ongoing else f"du {row.start:%d/%m/%Y} au {row.end:%d/%m/%Y}"
        )
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": [row.status_label],
                "base": [row.start.isoformat()],
                "x": [(row.end - row.start).total_seconds() * 1000],
                "showlegend": False,
                "marker": {"color": P90 if row.paused else INFLOW, "pattern": {"shape": "/" if row.paused else ""}},
                "hovertemplate": f"{html.escape(str(row.status_label), quote=False)}<br>{since}<extra></extra>",
            }
        )
    title = "Chronologie du dossier"
    if business_days is not None:
        title += f" — {business_days} j ouvrés utilisés sur {sla_days}"
    shapes, notes = [], []
    if due is not None and not pd.isna(due):
        at = pd.Timestamp(due).strftime("%Y-%m-%d")
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": at,
                "x1": at,
                "y0": 0,
                "y1": 1,
                "line": {"color": LEGAL, "dash": "dash"},
            }
        )
        notes.append(
            {
                "xref": "x",
                "yref": "paper",
                "x": at,
                "y": 1,
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"échéance {pd.Timestamp(due):%d/%m/%Y}",
                "font": {"color": LEGAL},
            }
        )
    layout = _layout(
        title,
        height=max(240, 110 + 40 * steps["status_label"].nunique()),
        barmode="overlay",
        shapes=shapes,
        annotations=notes,
    )
    layout["xaxis"] = _axis(type="date", tickformat="%-d %b %Y")  # French months (assets/plotly_fr.js): « 8 nov. 2026 »
    layout["yaxis"] = _axis(type="category", autorange="reversed")
    return {"data": data, "layout": layout}


TARGET, TRAJECTORY = "#0072B2", "#CC79A7"


def target_trend(values: pd.DataFrame, status: TargetStatus) -> Figure:
    """One target of the view (« Objectifs »): the metric's weekly values, the trajectory from the reference value to
    the target (dashed, flat after the deadline), the target marked at its deadline; the status in the subtitle.

    ``values``: ``service.targets.weekly_values`` rows (day, at, value: None where unknown, not drawn); ``status``:
    the group's status now (``kpis.targets.TargetStatus``). Without a reference value there is no trajectory to draw.
    """
    target = status.target
    y_format = ",.1f" if decimals(target.metric) else ",d"
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [d.isoformat() for d in values["day"]],
            "y": _values(values["value"]),
            "name": METRIC_LABELS.get(target.metric, target.metric),
            "line": {"color": TARGET, "width": 2.5},
            "marker": {"size": 7},
            "connectgaps": False,
            "hovertemplate": "%{x|%d/%m/%Y} : %{y:" + y_format + "}<extra></extra>",
        }
    ]
    if status.baseline_value is not None:
        last = max([target.by, *values["day"]])
        xs, ys = [target.baseline, target.by], [status.baseline_value, target.value]
        if last > target.by:
            xs, ys = [*xs, last], [*ys, target.value]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [d.isoformat() for d in xs],
                "y": ys,
                "name": "Trajectoire",
                "line": {"color": TRAJECTORY, "dash": "dash", "width": 2},
                "hovertemplate": "trajectoire au %{x|%d/%m/%Y} : %{y:" + y_format + "}<extra></extra>",
            }
        )
    data.append(
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": [target.by.isoformat()],
            "y": [target.value],
            "name": "Objectif",
            "text": [f"objectif {goal_text(target)}"],
            "textposition": "top left",
            "marker": {"color": TRAJECTORY, "size": 14, "symbol": "star"},
            "hovertemplate": "objectif au %{x|%d/%m/%Y} : %{y:" + y_format + "}<extra></extra>",
        }
    )
    subtitle = f"{metric_label(target)} · objectif {goal_text(target)} au {fr_date(target.by)}"
    if status.trajectory is not None and status.state != "met":
        subtitle += f" · attendu {format_value(target.metric, status.trajectory)}"
    heading = f"{html.escape(subtitle, quote=False)} · <b>{html.escape(status.text, quote=False)}</b>"
    layout = _layout(html.escape(status.label, quote=False), heading, height=340)
    layout["xaxis"] = _axis(type="date", tickformat="%d/%m/%Y")
    layout["yaxis"] = _axis(rangemode="tozero", tickformat=y_format)
    return {"data": data, "layout": layout}
