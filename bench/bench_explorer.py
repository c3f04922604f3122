"""Explorer benchmark: server-side time of a filter change or a drill click on a store of N cases.

    python bench/bench_explorer.py [--cases 1000000] [--clicks 60]

Each interaction is what the server does when the URL changes: build the whole explorer
page for new filters (KPI document, per-region counts, daily flows over twice the period,
processing-time buckets, the case list) and the grid's first page. Every interaction uses
filters not seen before, so nothing comes from the cache. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard import ids  # noqa: E402
from dashboard.auth.web import DEMO  # noqa: E402
from dashboard.explorer.navigation import navigate_to  # noqa: E402
from dashboard.explorer.state import ExplorerQuery, parse_search  # noqa: E402
from dashboard.pages import explorer  # noqa: E402
from domain.business_days import BusinessCalendar  # noqa: E402
from domain.catalog import load_catalog  # noqa: E402
from domain.model import REGIONS  # noqa: E402
from kpi_data import synthetic_frames  # noqa: E402
from kpis.case_state import prepare  # noqa: E402
from service.kpi_service import KpiService  # noqa: E402

T = pd.Timestamp("2026-11-20 12:00", tz="UTC")


class FrozenReader:
    """The store as the KPI service sees it, frozen at one version (the benchmark measures the explorer, not I/O)."""

    def __init__(self) -> None:
        self.engine = None

    def version(self) -> int:
        return 1

    def frames(self) -> object:
        class Frames:
            version = 1

        return Frames()

    def quarantine_counts(self) -> pd.DataFrame:
        return pd.DataFrame({"source": [], "reason": [], "rows": []})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--clicks", type=int, default=60)
    parser.add_argument("--verbose", action="store_true", help="print each interaction")
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "data" / "procedures.csv")
    cases, events = synthetic_frames(args.cases, catalog, T)
    started = time.perf_counter()
    history = prepare(cases, events, catalog, BusinessCalendar("TG"))
    took = time.perf_counter() - started
    print(f"{args.cases:,} cases, {len(events):,} events; history prepared once per data version in {took:.1f} s")

    kpis = KpiService(FrozenReader(), catalog, BusinessCalendar("TG"), lambda: T.to_pydatetime())  # type: ignore[arg-type]
    kpis._history, kpis._history_version = history, 1  # the version's prepared history, as after the first load
    now = T.to_pydatetime()
    kpis.state(None)  # the unfiltered state at "now" is shared by every page: computed once per version
    rng = random.Random(7)
    services = sorted(catalog["service"].unique())
    times: dict[str, list[float]] = {"filtre": [], "clic (descente)": []}
    rows_listed = []
    for i in range(args.clicks):
        service = rng.choice(services)
        own = list(catalog.loc[catalog["service"] == service, "code"])
        query = ExplorerQuery(
            period=rng.choice(["7j", "30j", "90j", "365j"]),
            region=rng.choice([None, *REGIONS]),
            channel=rng.choice([None, "en_ligne", "guichet"]),
            population=rng.choice(["en_cours", "deposes", "clos", "hors_delai"]),
            step=rng.choice(["jour", "semaine"]),
        )
        if i % 2 == 0:  # a filter change: a new period/region/channel/population at the top level
            kind, search = "filtre", query.to_search()
        else:  # a drill click: from the service level into one procedure
            kind = "clic (descente)"
            before = query.with_(service=service).to_search()
            click = {"points": [{"customdata": rng.choice(own)}]}
            inputs = [None] * 9 + [click, None]
            search = navigate_to(ids.EXPLORER_BARS, (*inputs, before), catalog, now)
        started = time.perf_counter()
        explorer.render(search, kpis, catalog, now, who=DEMO)
        parsed = parse_search(search, catalog, now)
        as_of, days = parsed.window(now)
        page = explorer.grid_page(kpis.cases(as_of, days, parsed.filters, parsed.population), {"startRow": 0, "endRow": 50})
        times[kind].append(time.perf_counter() - started)
        if args.verbose:
            print(f"  {kind:<16} {times[kind][-1] * 1000:6.0f} ms  {page['rowCount']:>8,} rows  /explorer{search}")
        rows_listed.append(page["rowCount"])
    for kind, values in times.items():
        ms = [v * 1000 for v in values]
        print(
            f"{kind:<16} n={len(ms):>3}  p50 {statistics.median(ms):6.0f} ms   p95 {percentile(ms, 0.95):6.0f} ms   "
            f"max {max(ms):6.0f} ms"
        )
    print(
        f"case lists: median {statistics.median(rows_listed):,.0f} rows, largest {max(rows_listed):,} "
        "(the browser gets 50 at a time)"
    )
    sort = {"startRow": 5000, "endRow": 5050, "sortModel": [{"colId": "business_days", "sort": "desc"}]}
    big = kpis.cases(None, 365, ExplorerQuery().filters, "clos")
    started = time.perf_counter()
    explorer.grid_page(big, sort)
    print(f"grid page sorted by a column over {len(big):,} rows: {(time.perf_counter() - started) * 1000:.0f} ms")
    print(f"(as of {dt.datetime.now(dt.UTC):%Y-%m-%d}, {args.cases:,} cases)")


if __name__ == "__main__":
    main()
