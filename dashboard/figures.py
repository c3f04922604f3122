"""Pure figure builders for the wall: KPI data in, plotly figures out (dark theme, French, big type).

Colours are the Okabe-Ito colour-blind-safe set, and every colour comes with a second
cue: a text label on the bar, or a marker shape.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dashboard.i18n import tr
from domain.french import fr_number

INFLOW, OUTFLOW, BREACHED, AT_RISK, SLA = "#56B4E9", "#E69F00", "#D55E00", "#F0E442", "#FFFFFF"
AGE_COLOURS = {"0-7": "#009E73", "8-30": "#56B4E9", "31-90": "#E69F00", "91+": "#D55E00"}
_FONT = {"family": "DejaVu Sans, Liberation Sans, Arial, sans-serif", "color": "#f2f5f8", "size": 22}
SHORT_SERVICES = {
    "Direction générale des mines et de la géologie": "DG Mines et géologie",
    "Direction générale de l'énergie": "DG Énergie",
}


def short_service(name: str) -> str:
    return SHORT_SERVICES.get(name, name)


def _layout(fig: go.Figure, title: str | None = None, lang: str = "fr", **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 26}} if title else None,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=_FONT,
        margin={"l": 10, "r": 20, "t": 60 if title else 10, "b": 10},
        legend={"orientation": "h", "y": -0.08, "x": 0, "yanchor": "top", "font": {"size": 20}},
        separators=".," if lang == "en" else ", ",  # plotly's (decimal, thousands) characters
        hovermode=False,
        **extra,
    )
    fig.update_xaxes(gridcolor="#243040", zerolinecolor="#243040", automargin=True)
    fig.update_yaxes(gridcolor="#243040", zerolinecolor="#243040", automargin=True)
    return fig


def _every_label(fig: go.Figure) -> go.Figure:
    """Category axes show every label (plotly would thin them out)."""
    fig.update_yaxes(type="category", dtick=1)
    return fig


def sparkline(values: list[float | None], colour: str = INFLOW) -> go.Figure:
    """A bare trend line scaled to its own range (a flat area from zero would hide the trend);
    None leaves a gap: a week with nothing to measure is not a zero."""
    fig = go.Figure(go.Scatter(y=values, mode="lines", line={"color": colour, "width": 4}))
    fig = _layout(fig, height=70)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def flows_by_service(by_service: dict[str, dict[str, Any]], days: int, lang: str = "fr") -> go.Figure:
    """Inflow against outflow per service over a window, labelled on the bars."""
    names = sorted(by_service, key=lambda s: by_service[s]["inflow"])
    labels = [short_service(s) for s in names]
    fig = go.Figure()
    for key, label, colour in (("inflow", "Entrées", INFLOW), ("outflow", "Sorties", OUTFLOW)):
        values = [by_service[s][key] for s in names]
        fig.add_bar(
            y=labels,
            x=values,
            name=tr(label, lang),
            orientation="h",
            marker_color=colour,
            text=[fr_number(v, lang=lang) for v in values],
            textposition="outside",
            cliponaxis=False,
        )
    return _every_label(_layout(fig, tr("Entrées et sorties — {days} jours", lang, days=days), lang=lang, barmode="group"))


def backlog_age_by_service(by_service: dict[str, dict[str, Any]], lang: str = "fr") -> go.Figure:
    names = sorted(by_service, key=lambda s: by_service[s]["backlog"])
    labels = [short_service(s) for s in names]
    fig = go.Figure()
    for band, colour in AGE_COLOURS.items():
        values = [by_service[s]["backlog_age"][band] for s in names]
        fig.add_bar(
            y=labels,
            x=values,
            name=f"{band} {'d' if lang == 'en' else 'j'}",
            orientation="h",
            marker_color=colour,
            text=[fr_number(v, lang=lang) if v else "" for v in values],
            textposition="inside",
        )
    return _every_label(_layout(fig, tr("Stock par ancienneté", lang), lang=lang, barmode="stack"))


def delays_by_procedure(
    processing: dict[str, dict[str, Any]], names: dict[str, str], top: int = 12, lang: str = "fr"
) -> go.Figure:
    """Median and p90 business days per procedure against its legal delay (a white diamond)."""
    rows = [(code, p) for code, p in processing.items() if p["count"] and p["business_days_median"] is not None]
    rows.sort(key=lambda r: r[1]["business_days_median"] / r[1]["sla_days"])
    rows = rows[-top:]
    labels = [f"{names.get(code, code)[:34]} ({code})" for code, _ in rows]
    median = [p["business_days_median"] for _, p in rows]
    p90 = [p["business_days_p90"] for _, p in rows]
    sla = [p["sla_days"] for _, p in rows]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=p90,
        name="p90",
        orientation="h",
        marker_color="#0072B2",
        text=[fr_number(v, lang=lang) for v in p90],
        textposition="outside",
        cliponaxis=False,
    )
    fig.add_bar(
        y=labels,
        x=median,
        name=tr("médiane", lang),
        orientation="h",
        marker_color=INFLOW,
        text=[fr_number(v, lang=lang) for v in median],
        textposition="inside",
    )
    fig.add_scatter(
        y=labels,
        x=sla,
        name=tr("délai légal", lang),
        mode="markers",
        marker={"symbol": "diamond", "size": 20, "color": SLA, "line": {"color": "#000", "width": 2}},
    )
    if not rows:  # a wall must not show empty axes: say why there is nothing to draw
        fig.add_annotation(
            text=tr("Aucun dossier clos ces 90 jours", lang),
            showarrow=False,
            font={"size": 28},
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return _every_label(
        _layout(fig, tr("Jours ouvrés de traitement (90 jours) face au délai légal", lang), lang=lang, barmode="overlay")
    )


def alerts_by_procedure(by_procedure: dict[str, dict[str, Any]], top: int = 12, lang: str = "fr") -> go.Figure:
    """Breached and at-risk open cases per procedure, stacked; the counts are written after each bar
    (« ✖ 3  ▲ 2 »), never inside it, where a thin segment leaves them a few pixels."""
    rows = [(c, m) for c, m in by_procedure.items() if m["breached_open"] or m["at_risk_open"]]
    rows.sort(key=lambda r: (r[1]["breached_open"], r[1]["at_risk_open"]))
    rows = rows[-top:]
    labels = [code for code, _ in rows]
    fig = go.Figure()
    for key, label, colour in (
        ("breached_open", tr("✖ hors délai", lang), BREACHED),
        ("at_risk_open", tr("▲ à risque", lang), AT_RISK),
    ):
        fig.add_bar(y=labels, x=[m[key] for _, m in rows], name=label, orientation="h", marker_color=colour)
    totals = [m["breached_open"] + m["at_risk_open"] for _, m in rows]
    marks = (("✖", "breached_open"), ("▲", "at_risk_open"))
    counts = ["  ".join(f"{mark} {fr_number(m[key], lang=lang)}" for mark, key in marks if m[key]) for _, m in rows]
    fig.add_scatter(y=labels, x=totals, text=[f" {c}" for c in counts], mode="text", textposition="middle right",
                    showlegend=False, cliponaxis=False)  # fmt: skip
    fig = _layout(fig, tr("Dossiers en cours hors délai et à risque, par procédure", lang), lang=lang, barmode="stack")
    if totals:  # room after the longest bar for its counts, which say what an axis would
        fig.update_xaxes(range=[0, max(totals) * 1.3], showticklabels=False)
    return _every_label(fig)
