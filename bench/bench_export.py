"""Export benchmark: seconds, file size and peak memory of the explorer's CSV and XLSX exports of N cases.

    python bench/bench_export.py [--cases 41000 200000]

The rows are what ``kpis.cases`` lists for a window holding every case: synthetic histories
(bench/kpi_data.py) prepared by the KPI engine, so the columns and types are the real ones.
Peak memory is the process's resident peak during one export above what it held before
(Linux: /proc/self/status, the peak reset through /proc/self/clear_refs). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard.explorer.export import to_csv, to_xlsx  # noqa: E402
from domain.business_days import BusinessCalendar  # noqa: E402
from domain.catalog import load_catalog  # noqa: E402
from kpi_data import synthetic_frames  # noqa: E402
from kpis.case_state import prepare, state_at  # noqa: E402
from kpis.population import case_rows  # noqa: E402

T = pd.Timestamp("2026-11-20 12:00", tz="UTC")
HEADER = [("Vigie — export", "banc d'essai"), ("Exporté par", "bench"), ("Période", "tout")]


def case_list(n: int) -> pd.DataFrame:
    """About ``n`` case rows: every case submitted in the two years the synthetic histories span."""
    catalog = load_catalog(ROOT / "data" / "procedures.csv")
    cases, events = synthetic_frames(n, catalog, T)
    history = prepare(cases, events, catalog, BusinessCalendar("TG"))
    return case_rows(state_at(history, T), 731, "deposes")


def _status_mb(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


def measure(export: Callable[[pd.DataFrame, list[tuple[str, str]]], bytes], rows: pd.DataFrame) -> tuple[float, float, float]:
    """(seconds, file MB, peak MB above the resident memory before the export)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")  # the peak (VmHWM) starts again from the current resident size
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    body = export(rows, HEADER)
    took = time.perf_counter() - started
    return took, len(body) / 1e6, _status_mb("VmHWM") - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[41_000, 200_000])
    args = parser.parse_args()
    for n in args.cases:
        started = time.perf_counter()
        rows = case_list(n)
        print(f"{len(rows):,} case rows built in {time.perf_counter() - started:.1f} s")
        for name, export in (("CSV", to_csv), ("XLSX", to_xlsx)):
            took, size, peak = measure(export, rows)
            print(f"  {name:<4} {len(rows):>9,} rows  {took:6.1f} s  file {size:6.1f} MB  peak memory +{peak:5.0f} MB")
    print(f"(as of {dt.datetime.now(dt.UTC):%Y-%m-%d})")


if __name__ == "__main__":
    main()
