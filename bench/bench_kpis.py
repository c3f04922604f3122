"""KPI engine benchmark: N cases with about six events each, against DuckDB on the same per-case frame.

    pip install -r requirements-bench.txt
    python bench/bench_kpis.py [--cases 1000000] [--changed 1000] [--clocks catalogue|pause]

``--clocks catalogue`` (the default) times the demo catalogue as shipped, where about a third of the procedures
restart their clock and a third have a tacit decision (docs/kpis.md); ``--clocks pause`` gives every procedure the
plain pause clock and no silence rule, the engine's work before those existed.

Prints figures (quoted in the README); asserts nothing: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from domain.business_days import BusinessCalendar  # noqa: E402
from domain.catalog import load_catalog  # noqa: E402
from kpi_data import synthetic_frames  # noqa: E402
from kpis.case_state import HistoryCache, state_at  # noqa: E402
from kpis.document import document_from_state  # noqa: E402
from kpis.history import prepare  # noqa: E402
from kpis.incremental import apply_changes  # noqa: E402
from kpis.metrics import group_metrics  # noqa: E402
from kpis.series import cases_at_risk, daily_flows, processing_distribution  # noqa: E402

T = pd.Timestamp("2026-11-20 12:00", tz="UTC")

DUCKDB_SQL = """
WITH f AS (
  SELECT *, is_open AND status = 'awaiting_applicant' AS waiting,
         submitted_at >= $start AND submitted_at < $t AS inflow,
         NOT is_open AND closed_at >= $start AND closed_at < $t AS outflow
  FROM state
)
SELECT {group} AS grp,
  count(*) FILTER (WHERE is_open) AS backlog,
  count(*) FILTER (WHERE waiting) AS backlog_waiting_applicant,
  count(*) FILTER (WHERE is_open AND age_days <= 7) AS age_0_7,
  count(*) FILTER (WHERE is_open AND age_days BETWEEN 8 AND 30) AS age_8_30,
  count(*) FILTER (WHERE is_open AND age_days BETWEEN 31 AND 90) AS age_31_90,
  count(*) FILTER (WHERE is_open AND age_days >= 91) AS age_91,
  count(*) FILTER (WHERE inflow) AS inflow,
  count(*) FILTER (WHERE outflow) AS outflow,
  count(*) FILTER (WHERE outflow AND status = 'approved') AS approved,
  count(*) FILTER (WHERE outflow AND status = 'rejected') AS rejected,
  count(*) FILTER (WHERE outflow AND status = 'withdrawn') AS withdrawn,
  quantile_cont(processing_days, 0.5) FILTER (WHERE outflow) AS median_processing_days,
  quantile_cont(processing_days, 0.9) FILTER (WHERE outflow) AS p90_processing_days,
  quantile_cont(admin_bd_at_close, 0.5) FILTER (WHERE outflow) AS median_business_days,
  100.0 * count(*) FILTER (WHERE outflow AND on_time) / nullif(count(*) FILTER (WHERE outflow), 0) AS sla_compliance_pct,
  count(*) FILTER (WHERE breached) AS breached_open,
  count(*) FILTER (WHERE at_risk) AS at_risk_open,
  100.0 * count(*) FILTER (WHERE outflow AND status = 'rejected')
        / nullif(count(*) FILTER (WHERE outflow AND status IN ('approved', 'rejected')), 0) AS rejection_rate_pct,
  100.0 * count(*) FILTER (WHERE inflow AND channel = 'online') / nullif(count(*) FILTER (WHERE inflow), 0) AS online_share_pct
FROM f GROUP BY {group}
"""


def peak_gb() -> float:
    """Peak resident memory since the previous call (Linux VmHWM, reset through clear_refs), in GB."""
    try:
        with open("/proc/self/status") as status:
            kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return kb / 1024**2
    except (OSError, StopIteration):  # not Linux: the process's peak so far
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def best_of(func, runs: int = 5) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--clocks", choices=["catalogue", "pause"], default="catalogue")
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "data" / "procedures.csv")
    if args.clocks == "pause":
        catalog = catalog.assign(clock="pause", silence="none")
    print(
        f"Horloges légales : {(catalog['clock'] == 'restart').sum()} procédures sur {len(catalog)} en « restart », "
        f"{(catalog['silence'] != 'none').sum()} avec décision implicite"
    )
    calendar = BusinessCalendar("TG")

    start = time.perf_counter()
    peaks: dict[str, float] = {}
    peak_gb()
    cases, events = synthetic_frames(args.cases, catalog, T)
    peaks["frames (store)"] = peak_gb()
    print(
        f"{len(cases):,} dossiers, {len(events):,} événements ({len(events) / len(cases):.1f} par dossier), "
        f"générés en {time.perf_counter() - start:.1f} s"
    )

    start = time.perf_counter()
    history = prepare(cases, events, catalog, calendar)
    prepare_s = time.perf_counter() - start
    cache = HistoryCache(history)  # what the service keeps beside the history, per data version
    start = time.perf_counter()
    cache.settled()
    settle_ms = (time.perf_counter() - start) * 1000
    peaks["prepare + settle"] = peak_gb()
    print(
        f"\nPréparation par version de données (reconstruction complète) : {prepare_s:.2f} s ; "
        f"état « réglé » : {settle_ms:.0f} ms"
    )

    now = T + pd.Timedelta(hours=1)  # "now": after every event, as on the wall

    def full_set(at: pd.Timestamp) -> object:
        state = state_at(history, at, cache)
        return (
            document_from_state(state, 7, {}),
            daily_flows(state, 90, "service", cache),
            daily_flows(state, 90, "procedure", cache),
            cases_at_risk(state, 5),
            processing_distribution(state, 90),
        )

    full_set(now)  # warm the per-version caches (backlog steps), as the first wall request does
    current_ms, _ = best_of(lambda: full_set(now))
    document_ms, _ = best_of(lambda: document_from_state(state_at(history, now, cache), 7, {}))
    past = T - pd.Timedelta(days=200)
    past_ms, _ = best_of(lambda: full_set(past), runs=3)
    peaks["full sets (current T, past T)"] = peak_gb()
    print("\nJeu complet (document global + par structure + par procédure, séries 90 j, dossiers à risque, distributions)")
    print(f"  T courant                     : {current_ms:7.0f} ms (dont document seul : {document_ms:.0f} ms)")
    print(f"  T passé quelconque (T − 200 j) : {past_ms:7.0f} ms")

    # A poll that changes `changed` cases: a new event for each (closing or moving them), one minute after T.
    rng = np.random.default_rng(7)
    picked = cases.iloc[rng.choice(len(cases), args.changed, replace=False)]
    new_events = pd.DataFrame(
        {
            "id": np.arange(len(events), len(events) + args.changed),
            "source": picked["source"].to_numpy(),
            "case_id": picked["case_id"].to_numpy(),
            "status": rng.choice(["approved", "in_review", "awaiting_applicant"], args.changed),
            "at": T + pd.Timedelta(minutes=1),
            "seq": pd.array([pd.NA] * args.changed, dtype="Int64"),
            "version": 2,
        }
    )
    new_events["at"] = new_events["at"].astype("datetime64[us, UTC]")
    changed_cases = picked.assign(agent="Agent X", version=2)
    cache.keys()  # built once per process, then carried from version to version
    updates = []
    for _ in range(5):
        start = time.perf_counter()
        updated = apply_changes(history, changed_cases, new_events, catalog, cache)
        updates.append((time.perf_counter() - start) * 1000)
        assert updated is not None
    peaks["update after a poll"] = peak_gb()
    print(
        f"\nMise à jour après un sondage de {args.changed:,} dossiers modifiés : médiane {statistics.median(updates):.0f} ms "
        f"(min {min(updates):.0f}) au lieu d'une reconstruction de {prepare_s:.1f} s"
    )

    # The yardstick: DuckDB over the same per-case frame, overall and per service.
    try:
        import duckdb
    except ImportError:
        print("\nDuckDB absent : pip install -r requirements-bench.txt pour la comparaison")
        print_peaks(peaks)
        return
    state = state_at(history, now, cache)
    frame = state.frame()
    frame["is_open"] = frame["is_open"].astype(bool)
    con = duckdb.connect()
    con.register("state", frame)
    params = {"start": now - pd.Timedelta(days=7), "t": now}

    def ours() -> object:
        return group_metrics(state, 7, None), group_metrics(state, 7, "service")

    def theirs() -> object:
        return (
            con.execute(DUCKDB_SQL.format(group="'all'"), params).fetchall(),
            con.execute(DUCKDB_SQL.format(group="service"), params).fetchall(),
        )

    theirs()
    ours_ms, (overall, _) = best_of(ours)
    duck_ms, (duck_overall, _) = best_of(theirs)
    assert duck_overall[0][1] == overall["__all__"]["backlog"] and duck_overall[0][8] == overall["__all__"]["outflow"]
    print(f"\nMêmes métriques globales et par structure sur le tableau par dossier ({len(frame):,} lignes)")
    print(f"  Vigie (numpy)  : {ours_ms:6.1f} ms")
    print(f"  DuckDB (SQL)   : {duck_ms:6.1f} ms")
    print(f"  rapport Vigie / DuckDB : {ours_ms / duck_ms:.2f}")
    peaks["DuckDB comparison (per-case frame + DuckDB)"] = peak_gb()
    print_peaks(peaks)


def print_peaks(peaks: dict[str, float]) -> None:
    print("\nMémoire maximale du processus, par étape :")
    for step, gb in peaks.items():
        print(f"  {step:45s}: {gb:5.1f} Go")
    engine = max(v for k, v in peaks.items() if not k.startswith("DuckDB"))
    print(f"  {'Vigie seul (tout sauf la comparaison DuckDB)':45s}: {engine:5.1f} Go")


if __name__ == "__main__":
    main()
