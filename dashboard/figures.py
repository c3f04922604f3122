"""Pure figure builders for the wall: KPI data in, plotly figures out (dark theme, French, big type).

Colours are the Okabe-Ito colour-blind-safe set, and every colour comes with a second
cue: a text label on the bar, or a marker shape.
"""

from __future__ import annotations

import textwrap
from typing import Any

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

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
    fig = _layout(fig, tr("Stock par ancienneté", lang), lang=lang, barmode="stack")
    fig.update_layout(uniformtext={"minsize": 18, "mode": "hide"})  # a count too big for its segment is left out, not shrunk
    return _every_label(fig)


def procedure_label(code: str, name: str, width: int = 44) -> str:
    """« CEET-MT Raccordement au réseau<br>moyenne tension »: the code first, the name wrapped on whole words (never
    cut inside a word or a code) at about ``width`` characters a line."""
    return "<br>".join(
        textwrap.wrap(
            f"<b>{code}</b> {name}" if name else f"<b>{code}</b>", width + 7, break_long_words=False, break_on_hyphens=False
        )
    )  # fmt: skip  (+7: the <b></b>)


def delays_by_procedure(
    processing: dict[str, dict[str, Any]], names: dict[str, str], top: int = 10, lang: str = "fr"
) -> go.Figure:
    """Median and p90 business days per procedure against its legal delay (a white diamond), for the ``top``
    procedures latest against their delay; the title says how many of how many are shown.

    The values are written after the longer of the p90 bar and the diamond (« méd. 6 · p90 9 »), never inside a
    thin bar nor over a diamond."""
    rows = [(code, p) for code, p in processing.items() if p["count"] and p["business_days_median"] is not None]
    rows.sort(key=lambda r: r[1]["business_days_median"] / r[1]["sla_days"])
    total = len(rows)
    rows = rows[-top:]
    labels = [procedure_label(code, names.get(code, "")) for code, _ in rows]
    median = [p["business_days_median"] for _, p in rows]
    p90 = [p["business_days_p90"] for _, p in rows]
    sla = [p["sla_days"] for _, p in rows]
    fig = go.Figure()
    fig.add_bar(y=labels, x=p90, name="p90", orientation="h", marker_color="#0072B2")
    fig.add_bar(y=labels, x=median, name=tr("médiane", lang), orientation="h", marker_color=INFLOW)
    fig.add_scatter(
        y=labels,
        x=sla,
        name=tr("délai légal", lang),
        mode="markers",
        marker={"symbol": "diamond", "size": 20, "color": SLA, "line": {"color": "#000", "width": 2}},
    )
    ends = [max(a, b) for a, b in zip(p90, sla, strict=True)]
    words = tr("méd. {median} · p90 {p90}", lang)
    values = [
        f"   {words.format(median=fr_number(m, lang=lang), p90=fr_number(p, lang=lang))}"
        for m, p in zip(median, p90, strict=True)
    ]
    fig.add_scatter(y=labels, x=ends, text=values, mode="text", textposition="middle right", showlegend=False,
                    cliponaxis=False, textfont={"size": 22})  # fmt: skip
    title = tr("Jours ouvrés de traitement (90 jours) face au délai légal", lang)
    if total > len(rows):
        shown = tr("les {n} procédures les plus en retard sur {total}", lang,
                   n=fr_number(len(rows), lang=lang), total=fr_number(total, lang=lang))  # fmt: skip
        title = f"{title} — {shown}"
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
    else:  # room after the longest bar or diamond for its values
        fig.update_xaxes(range=[0, max(ends) * 1.4])
    return _every_label(_layout(fig, title, lang=lang, barmode="overlay"))


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


#: The map's colours, from no breach to most of the backlog past its delay (dark blue, amber, Okabe-Ito vermilion).
BREACH_SCALE = [[0.0, "#1f4e79"], [0.5, "#E69F00"], [1.0, "#D55E00"]]
_LABEL_X = 2.15  # longitude of the labels' left edge: east of the border (Togo spans -0.2 to 1.8)


def region_map(
    regions: dict[str, dict[str, Any]],
    outlines: dict[str, tuple[tuple[tuple[float, float], ...], ...]],
    lang: str = "fr",
    selected: str | None = None,
) -> go.Figure:
    """Togo's regions drawn offline as filled shapes (no base map, nothing fetched), coloured by the share of the
    backlog past its legal delay, each with a label beside the country: its name, backlog, breached and online shares.

    ``regions``: region -> backlog, breached_pct, online_pct (``kpis.regions.region_numbers``); ``outlines``:
    region -> rings of (longitude, latitude) (``domain.geo.region_outlines``). Every shape, vertex and label carries
    its region's name in ``customdata``, so a click can filter by it; ``selected`` is drawn with a white outline.
    """
    fig = go.Figure()
    shares = [v["breached_pct"] for v in regions.values() if v.get("breached_pct") is not None]
    top = max([*shares, 1.0])
    for region, rings in outlines.items():
        numbers = regions.get(region, {})
        share = numbers.get("breached_pct")
        colour = "#3a4654" if share is None else sample_colorscale(BREACH_SCALE, [min(share / top, 1.0)])[0]
        for ring in rings:
            xs, ys = [x for x, _ in ring], [y for _, y in ring]
            fig.add_scatter(
                x=xs, y=ys, mode="lines", fill="toself", fillcolor=colour, name=region, showlegend=False,
                line={"color": "#ffffff" if region == selected else "#0b0f14", "width": 5 if region == selected else 3},
                customdata=[region] * len(xs), hoveron="fills+points",
            )  # fmt: skip
    centres = {region: _centre(rings) for region, rings in outlines.items()}
    order = sorted(centres, key=lambda r: centres[r][1])
    label_y = _spread([centres[r][1] for r in order], gap=1.0)
    for region, y in zip(order, label_y, strict=True):  # a leader line from the region to its label
        cx, cy = centres[region]
        fig.add_scatter(x=[cx, _LABEL_X - 0.08], y=[cy, y], mode="lines+markers", showlegend=False, hoverinfo="skip",
                        line={"color": "#9fb0c0", "width": 2}, marker={"size": [10, 0], "color": "#f2f5f8"})  # fmt: skip
    fig.add_scatter(
        x=[_LABEL_X] * len(order), y=label_y, mode="text", textposition="middle right", showlegend=False,
        text=[_region_label(r, regions.get(r, {}), lang) for r in order], customdata=order,
        textfont={"size": 26}, cliponaxis=False,
    )  # fmt: skip
    fig.add_scatter(  # the colour scale's key: an invisible marker carrying the colour bar
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"colorscale": BREACH_SCALE, "cmin": 0, "cmax": top, "color": [0], "showscale": True,
                "colorbar": {"title": {"text": tr("% du stock<br>hors délai", lang), "font": {"size": 20}},
                             "ticksuffix": " %", "len": 0.5, "thickness": 24, "x": 0.98, "tickfont": {"size": 20}}},
    )  # fmt: skip
    fig.add_annotation(text=tr("Limites : Natural Earth", lang), showarrow=False, xref="paper", yref="paper",
                       x=0, y=0, xanchor="left", yanchor="bottom", font={"size": 16, "color": "#9fb0c0"})  # fmt: skip
    fig = _layout(fig, tr("Par région : stock, part hors délai, dépôts en ligne (30 jours)", lang), lang=lang)
    fig.update_xaxes(visible=False, range=[-0.4, 6.2], fixedrange=True)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1, range=[5.9, 11.3], fixedrange=True)
    return fig


def _region_label(region: str, numbers: dict[str, Any], lang: str) -> str:
    """« Maritime » in bold, then « 1 234 en cours », « 12 % hors délai · 64 % en ligne »."""
    backlog = tr("{n} en cours", lang, n=fr_number(numbers.get("backlog"), lang=lang))
    breached = tr("{pct} hors délai", lang, pct=fr_number(numbers.get("breached_pct"), 0, "%", lang))
    online = tr("{pct} en ligne", lang, pct=fr_number(numbers.get("online_pct"), 0, "%", lang))
    return f"<b>{region}</b><br>{backlog}<br>{breached} · {online}"


def _centre(rings: tuple[tuple[tuple[float, float], ...], ...]) -> tuple[float, float]:
    """The area centroid of a region's largest ring (shoelace formula): where its leader line starts."""
    best, best_area = (0.0, 0.0), -1.0
    for ring in rings:
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
            cross = x0 * y1 - x1 * y0
            area, cx, cy = area + cross, cx + (x0 + x1) * cross, cy + (y0 + y1) * cross
        if abs(area) > best_area:
            best, best_area = (cx / (3 * area), cy / (3 * area)), abs(area)
    return best


def _spread(ys: list[float], gap: float) -> list[float]:
    """Label heights in ascending order, pushed apart to at least ``gap`` (degrees) so labels never overlap."""
    out: list[float] = []
    for y in ys:
        out.append(max(y, out[-1] + gap) if out else y)
    return out
