"""Pure generation of a year of realistic case histories (canonical vocabulary, naive Lomé time).

Realism that the dashboard must show: weekday and hour seasonality, quiet public
holidays, procedure volumes that differ by two orders of magnitude, chronically late
procedures, clock-stops, rejections, withdrawals and a few reopened cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collectors.demo.pacing import COUNTER_HOURS, ONLINE_HOURS, ONLINE_SHARE, history_day_weights, history_days, quiet_days

#: The demo's default history: cases over the days before its build.
DEMO_CASES, DEMO_DAYS = 45_000, 365
#: Relative yearly volume per procedure (unlisted: 1).
VOLUME = {
    "CEET-BT": 40,
    "CEET-ABO": 28,
    "CEET-REC": 16,
    "CEET-PUI": 7,
    "CEET-RES": 6,
    "CEET-MT": 2.5,
    "AT2ER-CHQ": 10,
    "MIN-EXP": 5,
    "GEO-DON": 4,
    "ENE-ELE": 3,
    "ARSE-PLT": 4,
    "MIN-ART": 3,
    "MIN-CAR": 2,
    "ENE-IMP": 3,
    "ENE-GPL": 1.5,
    "MIN-PGE": 0.3,
    "ENE-LIC": 0.4,
    "ARSE-LIC": 0.4,
}
#: Median processing in multiples of the legal delay: > 1 is chronically late.
LATENESS = {"MIN-PGE": 1.6, "CEET-MT": 1.5, "ENE-LIC": 1.35, "ARSE-PLT": 1.3, "CEET-BT": 1.1, "MIN-PR": 1.05}
REGION_WEIGHTS = {"Maritime": 0.46, "Plateaux": 0.2, "Centrale": 0.12, "Kara": 0.12, "Savanes": 0.1}
AGENTS = [
    "A. Mensah",
    "K. Agbeko",
    "Y. Kodjo",
    "E. Adjovi",
    "M. Tchalla",
    "S. Amouzou",
    "F. Kpodar",
    "B. Gnassingbé",
    "R. Lawson",
    "P. Akakpo",
    "C. Sossou",
    "D. Bawa",
    "L. Tchamdja",
    "N. Folly",
    "T. Djobo",
    "H. Ayéva",
    "G. Kossi",
    "J. Dogbé",
]


@dataclass(frozen=True)
class DemoHistory:
    cases: pd.DataFrame  # case_id, procedure_code, submitted_at, channel, region, agent, status, updated_at
    events: pd.DataFrame  # case_id, status, at (naive local), ordered as the source would log them


def generate_history(
    catalog: pd.DataFrame, *, n_cases: int, now: dt.datetime, holidays: np.ndarray, seed: int, days: int = DEMO_DAYS
) -> DemoHistory:
    """``n_cases`` case histories over the ``days`` before ``now`` (naive Lomé wall time)."""
    rng = np.random.default_rng(seed)
    codes = catalog["code"].to_numpy()
    weights = np.array([VOLUME.get(c, 1.0) for c in codes])
    sla = dict(zip(catalog["code"], catalog["sla_days"], strict=True))
    service = dict(zip(catalog["code"], catalog["service"], strict=True))

    day_np = history_days(now.date(), days)
    day_w = history_day_weights(now.date(), days, holidays)  # weekdays, quiet days, online adoption growing

    proc = rng.choice(codes, size=n_cases, p=weights / weights.sum())
    day_idx = rng.choice(len(day_np), size=n_cases, p=day_w / day_w.sum())
    quiet = quiet_days(day_np[day_idx], holidays)
    online = (rng.random(n_cases) < ONLINE_SHARE) | quiet  # counters are closed on quiet days
    hours = np.where(
        online,
        rng.choice(24, size=n_cases, p=ONLINE_HOURS / ONLINE_HOURS.sum()),
        rng.choice(24, size=n_cases, p=COUNTER_HOURS / COUNTER_HOURS.sum()),
    )
    offsets = hours * 3600 + rng.integers(0, 3600, size=n_cases)
    submitted = day_np[day_idx].astype("datetime64[s]") + offsets.astype("timedelta64[s]")
    now64 = np.datetime64(now.replace(microsecond=0), "s")
    future = submitted > now64  # today's draws after the current hour move into the past hours
    submitted[future] = now64 - rng.integers(60, 4 * 3600, size=int(future.sum())).astype("timedelta64[s]")
    order = np.argsort(submitted, kind="stable")
    proc, submitted, online = proc[order], submitted[order], online[order]
    regions = rng.choice(list(REGION_WEIGHTS), size=n_cases, p=list(REGION_WEIGHTS.values()))

    agents_by_service = {
        s: AGENTS[i % len(AGENTS) :] + AGENTS[: i % len(AGENTS)] for i, s in enumerate(sorted(set(service.values())))
    }
    case_rows, event_rows = [], []
    for i in range(n_cases):
        code = proc[i]
        case_id = f"{i + 1:07d}"
        steps = _lifecycle(rng, submitted[i], int(sla[code]), LATENESS.get(code, rng.uniform(0.35, 0.8)), holidays)
        steps = [(s, t) for s, t in steps if t <= now64]
        pool = agents_by_service[service[code]][:4]
        agent = pool[int(rng.integers(0, len(pool)))] if len(steps) > 1 else None
        case_rows.append(
            (case_id, code, submitted[i], "online" if online[i] else "counter", regions[i], agent, steps[-1][0], steps[-1][1])
        )
        event_rows.extend((case_id, s, t) for s, t in steps)

    cases = pd.DataFrame(
        case_rows, columns=["case_id", "procedure_code", "submitted_at", "channel", "region", "agent", "status", "updated_at"]
    )
    events = pd.DataFrame(event_rows, columns=["case_id", "status", "at"])
    events = events.sort_values(["at", "case_id"], kind="stable").reset_index(drop=True)
    return DemoHistory(cases=cases, events=events)


def _work_time(rng: np.random.Generator, day: np.datetime64) -> np.datetime64:
    """A moment in office hours (07:30-17:30) on ``day``."""
    return day.astype("datetime64[D]").astype("datetime64[s]") + np.timedelta64(int(rng.integers(27000, 63000)), "s")


def _after_bdays(rng: np.random.Generator, t: np.datetime64, n: float, holidays: np.ndarray) -> np.datetime64:
    day = np.busday_offset(t.astype("datetime64[D]"), max(0, round(n)), roll="forward", holidays=holidays)
    moment = _work_time(rng, day)
    return moment if moment > t else t + np.timedelta64(int(rng.integers(600, 7200)), "s")


def _lifecycle(
    rng: np.random.Generator, t0: np.datetime64, sla: int, lateness: float, holidays: np.ndarray
) -> list[tuple[str, np.datetime64]]:
    steps: list[tuple[str, np.datetime64]] = [("submitted", t0)]
    t = _after_bdays(rng, t0, rng.uniform(0, 2), holidays)
    steps.append(("in_review", t))
    work = max(1.0, sla * lateness * rng.lognormal(0, 0.45))
    if rng.random() < 0.18:  # clock-stop: missing documents
        t = _after_bdays(rng, t, work * rng.uniform(0.1, 0.5), holidays)
        steps.append(("awaiting_applicant", t))
        if rng.random() < 0.2:  # the applicant never comes back
            steps.append(("withdrawn", t + np.timedelta64(int(rng.integers(25, 60)) * 86400, "s")))
            return steps
        t = t + np.timedelta64(int(rng.integers(1, 20) * 86400 + rng.integers(0, 36000)), "s")
        steps.append(("in_review", t))
        work *= 0.6
    t = _after_bdays(rng, t, work, holidays)
    outcome = rng.choice(["approved", "rejected", "withdrawn"], p=[0.82, 0.13, 0.05])
    steps.append((str(outcome), t))
    if rng.random() < 0.012:  # reopened on appeal or after an error
        t = t + np.timedelta64(int(rng.integers(3, 20)) * 86400, "s")
        steps.append(("in_review", t))
        t = _after_bdays(rng, t, rng.uniform(2, 10), holidays)
        steps.append(("approved", t))
    return steps
