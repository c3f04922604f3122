"""Targets' trajectories and statuses (pure): where a metric should be on a date, and how far from it it is.

A target (domain.target_settings.Target) brings a metric from its **reference value** — the metric at the end of the
Lomé date ``baseline``, over the target's ``days`` — to ``value`` at the end of the Lomé date ``by``, along a straight
line in days. Before the reference date the trajectory is the reference value, after ``by`` it is the target.

**Direction**: a target above its reference value is a rise (higher is better), below it a fall (lower is better);
when they are equal, the metric's nature decides (``HIGHER_IS_BETTER``: on-time and online shares, outflow,
approvals; every other metric is better lower). So a target on ``inflow`` means what its numbers say.

**Status** on a date d, for a value v and the trajectory t(d), in the metric's unit rounded as shown (one decimal
for percentages and days, whole cases for counts):
- « objectif atteint » from ``by`` on, when v has reached the target in its direction;
- « en retard de N points » (« de 3,2 j », « de 45 dossiers ») when v is N behind t(d) in the target's direction;
- « en avance » when v is beyond t(d) in that direction;
- « dans la trajectoire » when the gap rounds to zero;
- « pas de donnée » when v is unknown (a rate with no closure in the window), « pas de donnée à la référence » when
  the reference value is, and « référence le … » (nothing to compare yet) before the end of the reference date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from domain.french import fr_date, fr_number
from domain.model import LOME_TZ
from domain.target_settings import HIGHER_IS_BETTER, Target

STATES = ("ahead", "on_track", "behind", "met", "no_data", "no_baseline", "pending")
#: The document's metrics in French, as the report and the explorer name them.
METRIC_LABELS = {
    "backlog": "Dossiers en cours",
    "backlog_waiting_applicant": "En attente du demandeur",
    "inflow": "Dossiers déposés",
    "outflow": "Dossiers clos",
    "approved": "Accords",
    "rejected": "Refus",
    "withdrawn": "Abandons",
    "median_processing_days": "Délai médian (j calendaires)",
    "p90_processing_days": "Délai p90 (j calendaires)",
    "median_business_days": "Délai médian (j ouvrés)",
    "sla_compliance_pct": "Clos dans le délai légal",
    "breached_open": "En cours hors délai",
    "at_risk_open": "En cours à risque",
    "tacit_accept_open": "Accords tacites en cours",
    "tacit_reject_open": "Rejets tacites en cours",
    "rejection_rate_pct": "Taux de refus",
    "online_share_pct": "Part des dépôts en ligne",
}
#: Metrics counted at the instant T, whatever the window (docs/kpis.md): the target's ``days`` does not change them.
INSTANT_METRICS = frozenset(
    {"backlog", "backlog_waiting_applicant", "breached_open", "at_risk_open", "tacit_accept_open", "tacit_reject_open"}
)
_DAY_UNITS = {"median_processing_days": "j", "p90_processing_days": "j", "median_business_days": "j ouvrés"}


@dataclass(frozen=True)
class TargetStatus:
    """One tracked group of a target on the Lomé date ``day``: its value, trajectory and status.

    ``gap``: how far behind the trajectory, in the metric's unit, rounded as shown (negative: ahead; None when there
    is nothing to compare). ``group``: the structure or procedure tracked, None for the whole ministry.
    """

    target: Target
    group: str | None
    day: dt.date
    value: float | None
    baseline_value: float | None
    trajectory: float | None
    rising: bool
    state: str
    gap: float | None

    @property
    def text(self) -> str:
        """The status in French: « en avance », « en retard de 3,2 points », « objectif atteint », ..."""
        return status_text(self)

    @property
    def label(self) -> str:
        """« Délais légaux 2027 », « Délais légaux 2027 — CEET » for a group."""
        return self.target.name if self.group is None else f"{self.target.name} — {self.group}"


def metric_label(target: Target) -> str:
    """« Clos dans le délai légal (30 j) », « En cours hors délai »: the metric in French, with its window."""
    label = METRIC_LABELS.get(target.metric, target.metric)
    return label if target.metric in INSTANT_METRICS else f"{label} ({target.days} j)"


def reference_end(target: Target) -> pd.Timestamp:
    """The instant the reference value is taken at: the end of the Lomé date ``baseline`` (UTC)."""
    return day_end(target.baseline)


def day_end(day: dt.date) -> pd.Timestamp:
    """The end of a Lomé date (the next midnight in Lomé), in UTC."""
    return pd.Timestamp(day + dt.timedelta(days=1)).tz_localize(LOME_TZ).tz_convert("UTC")


def status_day(as_of: pd.Timestamp) -> dt.date:
    """The Lomé date an instant closes or falls in: a Monday 00:00 closes the Sunday (a week's end), 18:00 falls in
    its own date (today so far)."""
    return (as_of - pd.Timedelta(microseconds=1)).tz_convert(LOME_TZ).date()


def rising(target: Target, baseline_value: float | None) -> bool:
    """Whether the target asks for a rise: above the reference value; equal or unknown: the metric's nature."""
    if baseline_value is None or baseline_value == target.value:
        return target.metric in HIGHER_IS_BETTER
    return target.value > baseline_value


def trajectory(target: Target, baseline_value: float, day: dt.date) -> float:
    """The value the trajectory expects at the end of ``day``: linear in days from (baseline, reference value) to
    (by, target), the reference value before, the target after."""
    span = (target.by - target.baseline).days
    elapsed = min(max((day - target.baseline).days, 0), span)
    return baseline_value + (target.value - baseline_value) * elapsed / span


def decimals(metric: str) -> int:
    """How many decimals the metric is shown with: one for percentages and days, none for counts."""
    return 1 if metric.endswith("_pct") or metric in _DAY_UNITS else 0


def format_value(metric: str, value: float | None) -> str:
    """« 84,2 % », « 12,5 j », « 1 234 »; « — » unknown."""
    unit = "%" if metric.endswith("_pct") else _DAY_UNITS.get(metric, "")
    return fr_number(value, decimals(metric), unit)


def goal_text(target: Target) -> str:
    """The target's value as people set it: « 90 % », « 197 », « 12,5 j » (no « ,0 » after a whole number)."""
    unit = "%" if target.metric.endswith("_pct") else _DAY_UNITS.get(target.metric, "")
    return fr_number(target.value, 0 if float(target.value).is_integer() else decimals(target.metric), unit)


def format_gap(metric: str, gap: float) -> str:
    """« 3,2 points », « 1 point », « 3,2 j », « 45 dossiers »: a distance in the metric's unit (French: singular
    below 2)."""
    amount = abs(gap)
    if metric.endswith("_pct"):
        unit = "point" if amount < 2 else "points"
    elif metric in _DAY_UNITS:
        unit = _DAY_UNITS[metric]
    else:
        unit = "dossier" if amount < 2 else "dossiers"
    return fr_number(amount, decimals(metric), unit)


def assess(
    target: Target, group: str | None, day: dt.date, value: float | None, baseline_value: float | None, *, started: bool
) -> TargetStatus:
    """The status on ``day`` of a value against the trajectory; ``started``: the reference date has ended (before,
    the reference value is not known yet and nothing is compared)."""
    up = rising(target, baseline_value)

    def made(state: str, expected: float | None = None, gap: float | None = None) -> TargetStatus:
        return TargetStatus(target, group, day, value, baseline_value, expected, up, state, gap)

    if not started:
        return made("pending")
    if baseline_value is None:
        return made("no_baseline")
    expected = trajectory(target, baseline_value, day)
    if value is None:
        return made("no_data", expected)
    behind = round((expected - value) if up else (value - expected), decimals(target.metric)) + 0.0  # no -0.0
    if day >= target.by and (value >= target.value if up else value <= target.value):
        return made("met", expected, behind)
    return made("behind" if behind > 0 else "ahead" if behind < 0 else "on_track", expected, behind)


def status_text(status: TargetStatus) -> str:
    """The status in French (see the module's docstring)."""
    state = status.state
    if state == "pending":
        return f"référence le {fr_date(status.target.baseline)}"
    if state == "no_baseline":
        return "pas de donnée à la référence"
    if state == "no_data":
        return "pas de donnée"
    if state == "met":
        return "objectif atteint"
    if state == "behind":
        return f"en retard de {format_gap(status.target.metric, status.gap or 0.0)}"
    return "en avance" if state == "ahead" else "dans la trajectoire"
