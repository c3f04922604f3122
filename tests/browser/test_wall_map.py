"""The wall's « Par région » map in a real browser: Togo's five regions drawn, and no request leaves the machine
while it renders (no base map, no topojson from a CDN: the outlines ship in data/geo/)."""

from __future__ import annotations

import json

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from domain.model import REGIONS
from tests.factories import add_case, naive
from tests.support import screenshot, serve, stop, write_config


def test_the_region_map_draws_five_regions_and_fetches_nothing_from_outside(browser, tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    for i, region in enumerate(REGIONS):
        for j in range(i + 1):  # a different backlog in each region
            add_case(engine, f"R{i}{j}", t, proc="CEET-ABO", reg=region, chan="online" if j % 2 else "counter",
                     events=(("DEP", t),))  # fmt: skip
    proc, base = serve(write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url))
    try:
        browser.get("about:blank")
        browser.get_log("performance")  # forget what earlier tests' pages loaded (the browser is shared)
        for width, height in ((1920, 1080), (3840, 2160)):
            browser.set_window_size(width, height)
            browser.get(f"{base}/wall?view=regions")
            wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
            wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#wall-region-map .textpoint")) == len(REGIONS))
            labels = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, "#wall-region-map .textpoint"))
            assert all(region in labels for region in REGIONS), labels
            assert "5 en cours" in labels and "1 en cours" in labels  # Savanes' five cases, Maritime's one
            fills = browser.find_elements(By.CSS_SELECTOR, "#wall-region-map g.fills path.js-fill")
            assert len(fills) == len(REGIONS)  # one filled shape per region
            assert browser.find_element(By.ID, "wall-view-title").text == "Par région"
            screenshot(browser, f"wall-regions-{width}x{height}")
        requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
        urls = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
        local = ("http://127.0.0.1:", "http://localhost:", "data:")
        assert urls and all(u.startswith(local) for u in urls), sorted(u for u in urls if not u.startswith(local))
    finally:
        browser.get("about:blank")
        stop(proc)
