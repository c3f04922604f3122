"""The live demo: new cases arrive and open cases move on, in both demo databases.

Time runs at wall-clock speed but activity is compressed (a few events every few
seconds) so the supervision room visibly moves.
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
from collectors.demo.history import AGENTS, VOLUME
from domain.model import LOME_TZ, REGIONS

_LOME = ZoneInfo(LOME_TZ)
#: canonical status -> [(next status, probability)]
_NEXT = {
    "submitted": [("in_review", 1.0)],
    "in_review": [("approved", 0.6), ("rejected", 0.1), ("awaiting_applicant", 0.25), ("withdrawn", 0.05)],
    "awaiting_applicant": [("in_review", 0.8), ("withdrawn", 0.2)],
}


def _local_now() -> dt.datetime:
    return dt.datetime.now(_LOME).replace(tzinfo=None, microsecond=0)


class Simulator:
    def __init__(
        self, demo_dir: Path, catalog: pd.DataFrame, seed: int | None = None, now: Callable[[], dt.datetime] = _local_now
    ) -> None:
        self.demo_dir = Path(demo_dir)
        self.rng = np.random.default_rng(seed)
        self.now = now
        ceet = catalog["service"] == "CEET"
        self.codes = {"portail": catalog.loc[~ceet, "code"].tolist(), "ceet": catalog.loc[ceet, "code"].tolist()}

    def step(self) -> dict[str, int]:
        """One tick: a few new cases and a few status changes per source; returns events written."""
        stamp = self.now().strftime("%Y-%m-%d %H:%M:%S")
        return {
            "portail": self._step(portals.PORTAIL_FILE, "portail", stamp),
            "ceet": self._step(portals.CEET_FILE, "ceet", stamp),
        }

    def _step(self, file: str, source: str, stamp: str) -> int:
        conn = sqlite3.connect(self.demo_dir / file, timeout=30)
        try:
            with conn:
                written = 0
                for _ in range(int(self.rng.poisson(0.8 if source == "portail" else 1.2))):
                    written += self._new_case(conn, source, stamp)
                written += self._advance(conn, source, stamp, int(self.rng.poisson(2.0)))
            return written
        finally:
            conn.close()

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

    def _advance(self, conn: sqlite3.Connection, source: str, stamp: str, count: int) -> int:
        words = portals.PORTAIL_STATUS if source == "portail" else portals.CEET_STATUS
        canonical = {v: k for k, v in words.items()}
        open_words = tuple(words[s] for s in _NEXT)
        if source == "portail":
            sql = (
                "SELECT numero, statut_courant, agent_instructeur FROM dossiers"
                " WHERE statut_courant IN (?, ?, ?) ORDER BY RANDOM() LIMIT ?"
            )
        else:
            sql = "SELECT REQ_NO, CUR_STATE, OFFICER FROM REQ_MASTER WHERE CUR_STATE IN (?, ?, ?) ORDER BY RANDOM() LIMIT ?"
        rows = conn.execute(sql, (*open_words, count)).fetchall()
        for key, word, agent in rows:
            options = _NEXT[canonical[word]]
            nxt = options[int(self.rng.choice(len(options), p=[p for _, p in options]))][0]
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
        return len(rows)
