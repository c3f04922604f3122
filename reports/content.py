"""What a weekly report says, assembled from KPI documents and the state at the week's end (pure).

``current`` is exactly /api/kpis?as_of=<end of week>&days=7 and ``previous`` the same for the
week before; every table and sentence is derived from them, so the report and the dashboard
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from domain.french import fr_date, fr_number
from kpis.case_state import CaseState
from kpis.targets import TargetStatus, decimals, metric_label
from reports.narrative import narrative
from reports.week import LOME, IsoWeek

HEADLINE = (
    ("backlog", "Dossiers en cours (fin de semaine)", 0, ""),
    ("inflow", "Dossiers déposés", 0, ""),
    ("outflow", "Dossiers clos", 0, ""),
    ("median_processing_days", "Délai médian de traitement", 1, "j"),
    ("sla_compliance_pct", "Clos dans le délai légal", 1, "%"),
    ("breached_open", "En cours hors délai", 0, ""),
    ("rejection_rate_pct", "Taux de refus", 1, "%"),
)


@dataclass(frozen=True)
class WeeklyReport:
    week: IsoWeek
    current: dict[str, Any]
    previous: dict[str, Any]
    headline: pd.DataFrame  # Indicateur, Semaine, Semaine précédente (numbers), Évolution (text): see ``headline``
    sentences: list[str]
    services: pd.DataFrame
    procedures: pd.DataFrame
    oldest_breached: pd.DataFrame
    sources: pd.DataFrame
    empty: bool  # nothing submitted, closed or open during the week
    events: pd.DataFrame = field(default_factory=pd.DataFrame)  # « Événements de la semaine » (reports.events)
    #: The structures the report covers (its cases, procedures, events and sources); None: the whole ministry.
    structures: frozenset[str] | None = None
    #: « Objectifs »: each target's value at the week's end, trajectory and status (:func:`target_table`); empty
    #: when no target is configured (or none concerns the report's structures): the section is then left out.
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def scope(self) -> str:
        """« CEET, ARSE » for a report on some structures, « tout le ministère » otherwise."""
        return "tout le ministère" if self.structures is None else ", ".join(sorted(self.structures))

    @property
    def title(self) -> str:
        """« Vigie — rapport hebdomadaire 2026-W47 », followed by « — CEET » for a report on some structures."""
        own = f"Vigie — rapport hebdomadaire {self.week.label}"
        return own if self.structures is None else f"{own} — {self.scope}"

    @property
    def data_until(self) -> str:
        """« données arrêtées au … »: the last instant the report counts, in Lomé time."""
        last = (self.week.end - pd.Timedelta(seconds=1)).tz_convert(LOME)
        return f"{fr_date(last)} à 23:59 (heure de Lomé)"


def _change(now: float | None, before: float | None, decimals: int, unit: str) -> str:
    if now is None or before is None:
        return "—"
    diff = now - before
    if round(diff, decimals) == 0:
        return "="
    sign = "+" if diff > 0 else "\u2212"
    text = sign + fr_number(abs(diff), decimals, "pt" if unit == "%" else unit)
    if unit == "" and before:
        text += f" ({sign}{fr_number(abs(100 * diff / before), 0)} %)"
    return text


def _typed(value: float | None, decimals: int) -> int | float | None:
    """A headline value as the workbook stores it: an int for a count, a float rounded as it is shown, None unknown."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(round(value)) if decimals == 0 else round(float(value), decimals)


def headline(current: dict[str, Any], previous: dict[str, Any]) -> pd.DataFrame:
    """One row per ``HEADLINE`` entry, in its order: « Semaine » and « Semaine précédente » are numbers (int for a
    count, float rounded to the shown decimals, None when unknown; the unit is the entry's), « Évolution » is text.
    :func:`headline_text` writes the numbers the French way, for the PDF."""
    now, before = current["overall"], previous["overall"]
    rows = [
        (label, _typed(now[key], decimals), _typed(before[key], decimals), _change(now[key], before[key], decimals, unit))
        for key, label, decimals, unit in HEADLINE
    ]
    columns = ("Indicateur", "Semaine", "Semaine précédente", "Évolution")
    # object columns: counts stay ints beside the rates' floats (a float64 column would make 3426 into 3426.0)
    return pd.DataFrame({name: pd.Series([r[i] for r in rows], dtype=object) for i, name in enumerate(columns)})


def headline_text(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`headline`'s frame with its numbers written as the screens write them (« 3 426 », « 93,5 % »)."""
    text = frame.copy()
    for column in ("Semaine", "Semaine précédente"):
        text[column] = [
            fr_number(value, decimals, unit) for (_, _, decimals, unit), value in zip(HEADLINE, frame[column], strict=True)
        ]
    return text


def service_table(current: dict[str, Any], previous: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for name in sorted(current["by_service"]):
        m, p = current["by_service"][name], previous["by_service"].get(name, {})
        rows.append(
            {
                "Structure": name,
                "Déposés": m["inflow"],
                "Clos": m["outflow"],
                "En cours": m["backlog"],
                "Évolution du stock": m["backlog"] - p.get("backlog", 0),
                "Délai médian (j)": _round(m["median_processing_days"]),
                "Dans les délais (%)": _round(m["sla_compliance_pct"]),
                "Hors délai en cours": m["breached_open"],
                "Accords tacites": m["tacit_accept_open"],
                "Rejets tacites": m["tacit_reject_open"],
            }
        )
    return pd.DataFrame(rows)


def procedure_table(current: dict[str, Any], catalog: pd.DataFrame) -> pd.DataFrame:
    """Processing time against the legal delay, per procedure, furthest beyond it first."""
    rows = []
    for code, name, service, sla in catalog[["code", "name", "service", "sla_days"]].itertuples(index=False):
        m = current["by_procedure"][code]
        rows.append(
            {
                "Procédure": code,
                "Intitulé": name,
                "Structure": service,
                "Délai légal (j ouvrés)": int(sla),
                "Médiane (j ouvrés)": _round(m["median_business_days"]),
                "Clos": m["outflow"],
                "Dans les délais (%)": _round(m["sla_compliance_pct"]),
                "Hors délai en cours": m["breached_open"],
                "Décisions implicites": m["tacit_accept_open"] + m["tacit_reject_open"],
            }
        )
    frame = pd.DataFrame(rows)
    ratio = frame["Médiane (j ouvrés)"].astype(float) / frame["Délai légal (j ouvrés)"]
    return frame.assign(_r=ratio.fillna(-1)).sort_values(["_r", "Procédure"], ascending=[False, True]).drop(columns="_r")


def oldest_breached(state: CaseState, limit: int = 10) -> pd.DataFrame:
    """The open cases past their legal delay at the week's end, oldest first — no agent, no applicant. « Déposé le »
    is a naive Timestamp in Lomé wall-clock time (spreadsheets have no time zone)."""
    rows = np.flatnonzero(state.breached)
    frame = state.frame(rows).sort_values(["submitted_at", "source", "case_id"], kind="stable").head(limit)
    return pd.DataFrame(
        {
            "Dossier": frame["case_id"].to_list(),
            "Source": frame["source"].to_list(),
            "Procédure": frame["procedure_code"].to_list(),
            "Structure": frame["service"].to_list(),
            "Déposé le": [ts.tz_convert(LOME).tz_localize(None) for ts in frame["submitted_at"]],
            "Jours ouvrés": [int(v) for v in frame["admin_bd_now"]],
            "Délai légal": [int(v) for v in frame["sla_days"]],
            "Dépassement (j ouvrés)": [int(a) - int(s) for a, s in zip(frame["admin_bd_now"], frame["sla_days"], strict=True)],
        }
    )


#: The unit of a target's numbers in the « Objectifs » table, by metric (a count otherwise).
_TARGET_UNITS = {"median_processing_days": "j", "p90_processing_days": "j", "median_business_days": "j ouvrés"}
TARGET_COLUMNS = ("Objectif", "Périmètre", "Indicateur", "Unité", "Référence au", "Valeur de référence", "Échéance",
                  "Cible", "Valeur", "Trajectoire", "Statut")  # fmt: skip


def target_table(statuses: Sequence[TargetStatus]) -> pd.DataFrame:
    """One row per tracked group: the value at the week's end, the trajectory for that date and the status (text).
    Numbers are numbers, rounded as shown (an int for a count): the unit is its own column, since rows mix metrics;
    dates are dates (naive, Lomé: the end of that date is meant)."""

    def number(value: float | None, metric: str) -> int | float | None:
        return _typed(value, decimals(metric))

    rows = [
        (
            s.target.name,
            s.group or "Ensemble",
            metric_label(s.target),
            "%" if s.target.metric.endswith("_pct") else _TARGET_UNITS.get(s.target.metric, "dossiers"),
            pd.Timestamp(s.target.baseline),
            number(s.baseline_value, s.target.metric),
            pd.Timestamp(s.target.by),
            number(s.target.value, s.target.metric),
            number(s.value, s.target.metric),
            number(s.trajectory, s.target.metric),
            s.text,
        )
        for s in statuses
    ]
    frame = pd.DataFrame({name: pd.Series([r[i] for r in rows], dtype=object) for i, name in enumerate(TARGET_COLUMNS)})
    return frame.astype({"Référence au": "datetime64[us]", "Échéance": "datetime64[us]"})


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def build_report(
    week: IsoWeek,
    current: dict[str, Any],
    previous: dict[str, Any],
    state_at_end: CaseState,
    catalog: pd.DataFrame,
    sources: pd.DataFrame,
    events: pd.DataFrame | None = None,
    services: frozenset[str] | None = None,
    targets: Sequence[TargetStatus] = (),
) -> WeeklyReport:
    """The report; ``services``: the structures it covers, when ``current``, ``previous`` and ``state_at_end`` are
    narrowed to them (``CaseFilters.services``): the procedures table and the sentences then read only their
    procedures. ``targets``: the statuses at the week's end of the targets the report shows (« Objectifs »)."""
    if services is not None:
        catalog = catalog.loc[catalog["service"].isin(services)]
    overall = current["overall"]
    empty = overall["inflow"] == 0 and overall["outflow"] == 0 and overall["backlog"] == 0
    return WeeklyReport(
        week=week,
        current=current,
        previous=previous,
        headline=headline(current, previous),
        sentences=narrative(current, previous, catalog),
        services=service_table(current, previous),
        procedures=procedure_table(current, catalog),
        oldest_breached=oldest_breached(state_at_end),
        sources=sources,
        empty=empty,
        events=events if events is not None else pd.DataFrame(),
        structures=services,
        targets=target_table(targets) if targets else pd.DataFrame(),
    )
