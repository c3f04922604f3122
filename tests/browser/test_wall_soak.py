"""No growth in the browser: after a soak at an accelerated refresh, JS heap and DOM stay flat.

CI runs VIGIE_SOAK_SECONDS (default 60 s); bench/soak_wall.py runs the same test for 30 minutes.
Counts are compared as medians over whole rotations: each view has its own number of nodes and
listeners, so two single samples on different views would differ without any leak.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import threading
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import add_case, naive
from tests.support import serve, stop, write_config

SOAK_SECONDS = float(os.environ.get("VIGIE_SOAK_SECONDS", "60"))


def metrics(browser) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median heap, DOM and listener counts over two full rotations (they differ from view to view,
    and spike while a view is being replaced: a leak moves the median, a spike does not)."""
    samples: dict[str, list[float]] = {"JSHeapUsedSize": [], "Nodes": [], "JSEventListeners": []}
    for _ in range(12):  # 24 s: every view of a 5-second rotation, twice
        browser.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
        values = {m["name"]: m["value"] for m in browser.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
        for name, series in samples.items():
            series.append(values[name])
        time.sleep(2)
    return {name: statistics.median(series) for name, series in samples.items()}


@pytest.mark.soak
def test_heap_and_dom_stay_flat_under_accelerated_refresh(browser, tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "S0", t, proc="CEET-ABO", events=(("DEP", t),))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)
    proc, base = serve(config)
    stop_writing = threading.Event()

    def keep_data_moving() -> None:  # a new case every second: every tick sees a new data version
        i = 0
        while not stop_writing.wait(1.0):
            i += 1
            moment = t + dt.timedelta(seconds=i)
            add_case(engine, f"S{i}", moment, proc="CEET-BT", events=(("DEP", moment),))

    writer = threading.Thread(target=keep_data_moving, daemon=True)
    try:
        browser.execute_cdp_cmd("Performance.enable", {})
        browser.get(f"{base}/wall?tick=1&period=5")
        WebDriverWait(browser, 60).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))
        writer.start()
        time.sleep(min(20.0, SOAK_SECONDS / 3))  # warm up: caches, fonts, plotly
        warm = metrics(browser)
        time.sleep(SOAK_SECONDS)
        end = metrics(browser)
        print(
            f"\nsoak {SOAK_SECONDS:.0f} s: heap {warm['JSHeapUsedSize'] / 1e6:.1f} -> {end['JSHeapUsedSize'] / 1e6:.1f} MB, "
            f"DOM nodes {warm['Nodes']:.0f} -> {end['Nodes']:.0f}, listeners {warm['JSEventListeners']:.0f} -> "
            f"{end['JSEventListeners']:.0f}"
        )
        assert end["Nodes"] <= warm["Nodes"] * 1.10 + 200
        assert end["JSHeapUsedSize"] <= warm["JSHeapUsedSize"] * 1.30 + 5e6
        assert end["JSEventListeners"] <= warm["JSEventListeners"] * 1.10 + 50
        assert int(browser.find_element(By.ID, "wall-version-text").get_attribute("textContent")) > 2  # it did refresh
    finally:
        stop_writing.set()
        browser.get("about:blank")
        stop(proc)
