"""Write a generated history into the two demo portal databases (``data/demo/`` by default)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from collectors.demo import portals
from collectors.demo.history import DEMO_CASES, DemoHistory, generate_history
from domain.holiday_dates import holiday_dates

TS = "%Y-%m-%d %H:%M:%S"


def build_demo(
    out_dir: Path, catalog: pd.DataFrame, *, now: dt.datetime, seed: int = 2026, n_cases: int = DEMO_CASES, reset: bool = False
) -> dict[str, int]:
    """Create the demo databases unless present (or ``reset``); returns rows per source."""
    out_dir = Path(out_dir)
    files = [out_dir / portals.PORTAIL_FILE, out_dir / portals.CEET_FILE]
    if not reset and all(f.exists() for f in files):
        return {}
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    holidays = holiday_dates(range(now.year - 2, now.year + 2))
    history = generate_history(catalog, n_cases=n_cases, now=now, holidays=holidays, seed=seed)
    ceet_codes = set(catalog.loc[catalog["service"] == "CEET", "code"])
    counts = {
        "portail": _write_portail(tmp / portals.PORTAIL_FILE, _subset(history, ceet_codes, keep=False), now),
        "ceet": _write_ceet(tmp / portals.CEET_FILE, _subset(history, ceet_codes, keep=True), now),
    }
    # Swap in whole: a half-built demo never becomes visible to the collectors.
    for f in files:
        for suffix in ("", "-wal", "-shm"):
            Path(str(f) + suffix).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        (tmp / f.name).replace(f)
    shutil.rmtree(tmp, ignore_errors=True)
    return counts


def _subset(history: DemoHistory, codes: set[str], *, keep: bool) -> DemoHistory:
    mask = history.cases["procedure_code"].isin(codes) == keep
    cases = history.cases.loc[mask]
    events = history.events.loc[history.events["case_id"].isin(set(cases["case_id"]))]
    return DemoHistory(cases=cases, events=events)


def _text(values: pd.Series) -> list[str]:
    return pd.to_datetime(values).dt.strftime(TS).tolist()


def _write_portail(path: Path, history: DemoHistory, now: dt.datetime) -> int:
    conn = portals.create_portail(path)
    c = history.cases
    numero = ("TG-MME-" + pd.to_datetime(c["submitted_at"]).dt.strftime("%Y") + "-" + c["case_id"]).tolist()
    by_id = dict(zip(c["case_id"], numero, strict=True))
    rows = list(
        zip(
            numero,
            c["procedure_code"],
            _text(c["submitted_at"]),
            c["channel"].map(portals.PORTAIL_CHANNEL),
            c["region"].map(portals.PORTAIL_REGIONS),
            c["agent"],
            c["status"].map(portals.PORTAIL_STATUS),
            _text(c["updated_at"]),
            strict=True,
        )
    )
    stamp = now.strftime(TS)
    # Real portals carry a few rows that no mapping can accept; the demo keeps some to show the quarantine.
    rows += [
        ("TG-MME-2019-ANC0001", "MIN-ANC", "2019-03-04 10:12:00", "GUICHET", "MAR", None, "DEPOSE", stamp),
        ("TG-MME-2019-ANC0002", "MIN-ANC", "2019-05-16 09:40:00", "GUICHET", "PLA", None, "DEPOSE", stamp),
        ("TG-MME-0000-SANSDATE", "MIN-EXP", None, "EN_LIGNE", "KAR", None, "DEPOSE", stamp),
    ]
    conn.executemany("INSERT INTO dossiers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    e = history.events
    at = _text(e["at"])
    conn.executemany(
        "INSERT INTO historique_statuts (numero, statut, horodatage, maj_le) VALUES (?, ?, ?, ?)",
        zip(e["case_id"].map(by_id), e["status"].map(portals.PORTAIL_STATUS), at, at, strict=True),
    )
    conn.commit()
    conn.close()
    return len(rows)


def _write_ceet(path: Path, history: DemoHistory, now: dt.datetime) -> int:
    conn = portals.create_ceet(path)
    c = history.cases
    rng = np.random.default_rng(len(c))
    agencies = [portals.CEET_AGENCIES[r][int(rng.integers(0, len(portals.CEET_AGENCIES[r])))] for r in c["region"]]
    req_no = list(range(100001, 100001 + len(c)))
    by_id = dict(zip(c["case_id"], req_no, strict=True))
    rows = list(
        zip(
            req_no,
            c["procedure_code"].map(portals.CEET_SERVICES),
            _text(c["submitted_at"]),
            c["channel"].map(portals.CEET_CHANNEL),
            agencies,
            c["agent"],
            c["status"].map(portals.CEET_STATUS),
            _text(c["updated_at"]),
            strict=True,
        )
    )
    conn.executemany("INSERT INTO REQ_MASTER VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    e = history.events
    at = _text(e["at"])
    logs = list(zip(e["case_id"].map(by_id), e["status"].map(portals.CEET_STATUS), at, at, strict=True))
    stamp = now.strftime(TS)
    logs += [(req_no[0], "ARCHIVED", stamp, stamp), (req_no[1], "ARCHIVED", stamp, stamp), (99999, "NEW", stamp, stamp)]
    conn.executemany("INSERT INTO REQ_STATUS_LOG (REQ_NO, STATE, STATE_TS, LAST_MOD) VALUES (?, ?, ?, ?)", logs)
    conn.commit()
    conn.close()
    return len(rows)
