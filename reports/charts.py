"""Static charts for the PDF, drawn offline with matplotlib's Agg canvas (no browser, no network).

Pure: numbers in, PNG bytes out. Okabe-Ito colours, and every bar is labelled with its value.
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

INFLOW, OUTFLOW, LEGAL, MEDIAN = "#0072B2", "#E69F00", "#D55E00", "#56B4E9"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buffer)
    return buffer.getvalue()


def _label(name: str, width: int = 34) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def flows_by_service(services: pd.DataFrame) -> bytes:
    """Submitted and closed cases per service over the week (``services``: the report's service table)."""
    fig = Figure(figsize=(11, 0.6 + 0.55 * max(1, len(services))), dpi=150)
    ax = fig.add_subplot()
    y = range(len(services))
    height = 0.38
    for offset, column, colour in ((-height / 2, "Déposés", INFLOW), (height / 2, "Clos", OUTFLOW)):
        bars = ax.barh([i + offset for i in y], services[column], height=height, color=colour, label=column)
        ax.bar_label(bars, padding=3, fontsize=8)
    ax.set_yticks(list(y), [_label(s) for s in services["Structure"]], fontsize=9)
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=9, frameon=False)
    ax.set_title("Dossiers déposés et clos dans la semaine, par structure", fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def delays_against_legal(procedures: pd.DataFrame, top: int = 12) -> bytes:
    """Median business days at closure against the legal delay, for the procedures furthest beyond it."""
    shown = procedures.dropna(subset=["Médiane (j ouvrés)"]).head(top)
    fig = Figure(figsize=(11, 0.8 + 0.45 * max(1, len(shown))), dpi=150)
    ax = fig.add_subplot()
    y = list(range(len(shown)))
    bars = ax.barh(y, shown["Médiane (j ouvrés)"], color=MEDIAN, label="médiane des dossiers clos")
    ax.bar_label(bars, labels=[f"{v:.1f}".replace(".", ",") for v in shown["Médiane (j ouvrés)"]], padding=3, fontsize=8)
    ax.scatter(shown["Délai légal (j ouvrés)"], y, marker="|", s=400, color=LEGAL, linewidths=3, label="délai légal", zorder=3)
    ax.set_yticks(y, [f"{c} — {_label(n, 40)}" for c, n in zip(shown["Procédure"], shown["Intitulé"], strict=True)], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("jours ouvrés", fontsize=9)
    ax.legend(loc="lower right", fontsize=9, frameon=False)
    ax.set_title("Délai de traitement et délai légal (procédures les plus en retard)", fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)
