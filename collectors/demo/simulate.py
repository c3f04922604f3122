"""The live demo: new cases arrive and open cases move on, in both demo databases.

New cases and closures are paced like the generated history (``pacing``: weekdays and office hours, Lomé
time), so « today » looks like the history's days. The room still sees the demo move every few seconds:
each tick also moves a few open cases on without closing them (into review, waiting for the applicant and
back), keeping the share waiting for the applicant where the history left it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from collectors.demo import portals
from collectors.demo.history import AGENTS, DEMO_CASES, DEMO_DAYS, VOLUME
from collectors.demo.pacing import cases_per_hour, closures_per_hour
from domain.holiday_dates import holiday_dates
from domain.model import LOME_TZ, REGIONS

_LOME = ZoneInfo(LOME_TZ)
#: How a case closes, as in the history.
_OUTCOMES = (("approved", 0.82), ("rejected", 0.13), ("withdrawn", 0.05))
#: Open cases moved on per source and tick, without closing them: the wall's motion.
MOVES_PER_TICK = 0.6
DEFAULT_TICK_SECONDS = 4
_LONGEST_GAP = 60  # seconds: after a pause (a suspended laptop), no burst of cases


def _local_now() -> dt.datetime:
    return dt.datetime.now(_LOME).replace(tzinfo=None, microsecond=0)


class Simulator:
    """``now``: naive Lomé wall time. ``n_cases``/``days``: the history the demo was built with, whose rate the
    new cases follow."""

    def __init__(
        self,
        demo_dir: Path,
        catalog: pd.DataFrame,
        seed: int | None = None,
        now: Callable[[], dt.datetime] = _local_now,
        *,
        n_cases: int = DEMO_CASES,
        days: int = DEMO_DAYS,
    ) -> None:
        self.demo_dir = Path(demo_dir)
        self.rng = np.random.default_rng(seed)
        self.now = now
        self.n_cases, self.days = n_cases, days
        ceet = catalog["service"] == "CEET"
        self.codes = {"portail": catalog.loc[~ceet, "code"].tolist(), "ceet": catalog.loc[ceet, "code"].tolist()}
        volume = {s: sum(VOLUME.get(c, 1.0) for c in codes) for s, codes in self.codes.items()}
        self.share = {s: v / sum(volume.values()) for s, v in volume.items()}
        self.holidays: dict[int, np.ndarray] = {}  # per year of the tick: the history's year before it, and after
        self.last: dt.datetime | None = None
        self.waiting_share: dict[str, float] = {}

    def step(self) -> dict[str, int]:
        """One tick: new cases and closures at the history's pace for the time elapsed since the last tick, and
        a few status changes per source; returns events written."""
        at = self.now()
        elapsed = DEFAULT_TICK_SECONDS if self.last is None else (at - self.last).total_seconds()
        self.last = at
        hours = min(max(elapsed, 0.0), _LONGEST_GAP) / 3600
        holidays = self.holidays.setdefault(at.year, holiday_dates(range(at.year - 2, at.year + 2)))
        pace = {"n_cases": self.n_cases, "days": self.days, "end": at.date(), "holidays": holidays}
        arrivals, closures = cases_per_hour(at, **pace) * hours, closures_per_hour(at, **pace) * hours
        stamp = at.strftime("%Y-%m-%d %H:%M:%S")
        return {
            source: self._step(file, source, stamp, arrivals * self.share[source], closures * self.share[source])
            for source, file in (("portail", portals.PORTAIL_FILE), ("ceet", portals.CEET_FILE))
        }

    def _step(self, file: str, source: str, stamp: str, arrivals: float, closures: float) -> int:
        conn = sqlite3.connect(self.demo_dir / file, timeout=30)
        try:
            with conn:
                written = 0
                for _ in range(int(self.rng.poisson(arrivals))):
                    written += self._new_case(conn, source, stamp)
                for _ in range(int(self.rng.poisson(closures))):
                    outcome = _OUTCOMES[int(self.rng.choice(len(_OUTCOMES), p=[p for _, p in _OUTCOMES]))][0]
                    written += self._move(conn, source, stamp, "in_review", outcome)
                for _ in range(int(self.rng.poisson(MOVES_PER_TICK))):
                    written += self._move(conn, source, stamp, *self._motion(conn, source))
            return written
        finally:
            conn.close()

    def _motion(self, conn: sqlite3.Connection, source: str) -> tuple[str, str]:
        """A move that closes nothing: a new case taken into review first, else a pause or a resumption, whichever
        brings the share waiting for the applicant back to where it was when the simulator started."""
        counts = {status: self._count(conn, source, status) for status in ("submitted", "in_review", "awaiting_applicant")}
        if counts["submitted"] and self.rng.random() < 0.3:
            return "submitted", "in_review"
        paused = counts["awaiting_applicant"] / max(1, counts["in_review"] + counts["awaiting_applicant"])
        target = self.waiting_share.setdefault(source, paused)
        return ("in_review", "awaiting_applicant") if paused <= target else ("awaiting_applicant", "in_review")

    def _count(self, conn: sqlite3.Connection, source: str, status: str) -> int:
        words = portals.PORTAIL_STATUS if source == "portail" else portals.CEET_STATUS
        table, column = ("dossiers", "statut_courant") if source == "portail" else ("REQ_MASTER", "CUR_STATE")
        return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (words[status],)).fetchone()[0])  # noqa: S608 - names are constants

    def _pick_code(self, source: str) -> str:
        codes = self.codes[source]
        weights = np.array([VOLUME.get(c, 1.0) for c in codes])
        return str(self.rng.choice(codes, p=weights / weights.sum()))

    def _new_case(self, conn: sqlite3.Connection, source: str, stamp: str) -> int:
        code = self._pick_code(source)
        region = str(self.rng.choice(REGIONS, p=[0.46, 0.2, 0.12, 0.12, 0.1]))
        channel = "online" if self.rng.random() < 0.65 else "counter"
        if source == "portail":
            n = conn.execute("SELECT COUNT(*) FROM dossiers").fetchone()[0] + 1_000_001
            numero = f"TG-MME-{stamp[:4]}-{n:07d}"
            conn.execute(
                "INSERT INTO dossiers VALUES (?, ?, ?, ?, ?, NULL, 'DEPOSE', ?)",
                (numero, code, stamp, portals.PORTAIL_CHANNEL[channel], portals.PORTAIL_REGIONS[region], stamp),
            )
            conn.execute(
                "INSERT INTO historique_statuts (numero, statut, horodatage, maj_le) VALUES (?, 'DEPOSE', ?, ?)",
                (numero, stamp, stamp),
            )
        else:
            agencies = portals.CEET_AGENCIES[region]
            agency = agencies[int(self.rng.integers(0, len(agencies)))]
            cur = conn.execute(
                "INSERT INTO REQ_MASTER (SVC_CODE, CREATED_ON, ORIGIN, AGENCY, OFFICER, CUR_STATE, LAST_MOD)"
                " VALUES (?, ?, ?, ?, NULL, 'NEW', ?)",
                (portals.CEET_SERVICES[code], stamp, portals.CEET_CHANNEL[channel], agency, stamp),
            )
            conn.execute(
                "INSERT INTO REQ_STATUS_LOG (REQ_NO, STATE, STATE_TS, LAST_MOD) VALUES (?, 'NEW', ?, ?)",
                (cur.lastrowid, stamp, stamp),
            )
        return 1

    def _move(self, conn: sqlite3.Connection, source: str, stamp: str, status: str, nxt: str) -> int:
        """One random case in ``status`` moves to ``nxt`` (an agent takes it if it had none); 0 when none is."""
        words = portals.PORTAIL_STATUS if source == "portail" else portals.CEET_STATUS
        if source == "portail":
            sql = "SELECT numero, agent_instructeur FROM dossiers WHERE statut_courant = ? ORDER BY RANDOM() LIMIT 1"
        else:
            sql = "SELECT REQ_NO, OFFICER FROM REQ_MASTER WHERE CUR_STATE = ? ORDER BY RANDOM() LIMIT 1"
        row = conn.execute(sql, (words[status],)).fetchone()
        if row is None:
            return 0
        key, agent = row
        agent = agent or AGENTS[int(self.rng.integers(0, len(AGENTS)))]
        if source == "portail":
            conn.execute(
                "UPDATE dossiers SET statut_courant = ?, agent_instructeur = ?, maj_le = ? WHERE numero = ?",
                (words[nxt], agent, stamp, key),
            )
            conn.execute(
                "INSERT INTO historique_statuts (numero, statut, horodatage, maj_le) VALUES (?, ?, ?, ?)",
                (key, words[nxt], stamp, stamp),
            )
        else:
            conn.execute(
                "UPDATE REQ_MASTER SET CUR_STATE = ?, OFFICER = ?, LAST_MOD = ? WHERE REQ_NO = ?",
                (words[nxt], agent, stamp, key),
            )
            conn.execute(
                "INSERT INTO REQ_STATUS_LOG (REQ_NO, STATE, STATE_TS, LAST_MOD) VALUES (?, ?, ?, ?)",
                (key, words[nxt], stamp, stamp),
            )
        return 1
