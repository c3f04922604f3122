"""Chart toolbars in a real browser: nothing on any chart offers to send the figure or its data off the machine.

plotly.js 4 adds « Share chart... » (an upload to Plotly Cloud, with an English dialog) to every modebar
by default. The explorer, its workload view (agent names), a case's timeline and the wall are opened in
Chromium, and every modebar button is read back: only the local PNG download (and zoom on time axes)
remains, with French titles; the wall shows no modebar at all.
"""

from __future__ import annotations

import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.graph_config import FRENCH_DICTIONARY
from tests.factories import add_case, naive
from tests.support import serve, stop, write_config

PNG = FRENCH_DICTIONARY["Download plot as a PNG"]
ZOOM, RESET = FRENCH_DICTIONARY["Zoom"], FRENCH_DICTIONARY["Reset axes"]
OFF_THE_MACHINE = ("share", "cloud", "chart studio", "edit in", "upload", "plotly.com", "json")


def charts_config(tmp_path, sqlite_source):  # type: ignore[no-untyped-def]
    url, engine = sqlite_source
    for i in range(12):
        proc = ("CEET-BT", "CEET-ABO", "MIN-EXP")[i % 3]
        t = naive(2026, 11, 2 + i, 9)
        events = [("DEP", t), ("INS", naive(2026, 11, 3 + i, 9))] + ([("OK", naive(2026, 11, 24, 10))] if i % 4 == 0 else [])
        add_case(engine, f"T{i:02d}", t, proc=proc, officer=f"agent{i % 3}", events=tuple(events))
    return write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)  # authentication off: no login to drive


def modebar(browser, graph_selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The data-title of every modebar button of the charts under ``graph_selector`` (hidden until hover, but present)."""
    return [b.get_attribute("data-title") or "" for b in browser.find_elements(By.CSS_SELECTOR, f"{graph_selector} .modebar-btn")]


def assert_nothing_leaves(browser) -> None:  # type: ignore[no-untyped-def]
    titles = modebar(browser, "body")
    leaks = [t for t in titles if any(word in t.casefold() for word in OFF_THE_MACHINE)]
    assert not leaks, leaks
    assert not browser.find_elements(By.CSS_SELECTOR, ".modebar a[href], .modebar-btn[data-attr='sendChartToCloud']")


def test_no_chart_offers_to_upload_its_data(browser, tmp_path, sqlite_source) -> None:
    proc, base = serve(charts_config(tmp_path, sqlite_source))
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(1600, 1200)
        browser.get(base + "/explorer")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))  # collected, charts drawn
        for graph in ("explorer-bars", "explorer-regions", "explorer-region-map", "explorer-trend", "explorer-processing"):
            wait.until(lambda b, g=graph: modebar(b, f"#{g}"))
        assert_nothing_leaves(browser)
        for graph in ("explorer-bars", "explorer-regions", "explorer-region-map"):
            assert modebar(browser, f"#{graph}") == [PNG], graph  # bars and the map: the PNG download only, in French
        for graph in ("explorer-trend", "explorer-processing"):
            assert modebar(browser, f"#{graph}") == [PNG, ZOOM, RESET], graph  # time axes: zoom and back
        locale = browser.execute_script("return document.querySelector('#explorer-trend .js-plotly-plot')._context.locale")
        assert locale == "fr"

        browser.get(base + "/explorer?vue=charge")  # agent names: the chart that must never be shared
        workload = "#explorer-workload .dash-graph:not(#explorer-bars):not(#explorer-regions):not(#explorer-region-map)"  # hidden
        wait.until(lambda b: modebar(b, workload))
        assert_nothing_leaves(browser)
        assert modebar(browser, workload) == [PNG]

        browser.get(base + "/explorer?dossiers=en_cours")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a")[0].click()
        wait.until(lambda b: modebar(b, ".case"))  # the case's timeline
        assert_nothing_leaves(browser)
        assert modebar(browser, ".case") == [PNG, ZOOM, RESET]

        for view in ("ensemble", "structures", "delais", "alertes"):
            browser.get(f"{base}/wall?view={view}")
            wait.until(lambda b, v=view: b.find_elements(By.CSS_SELECTOR, f"#view-{v} .js-plotly-plot .main-svg"))
            time.sleep(0.5)
            assert browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"), view
            assert not browser.find_elements(By.CSS_SELECTOR, ".modebar, .modebar-btn"), view  # nobody clicks a wall
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        browser.get("about:blank")
        stop(proc)
