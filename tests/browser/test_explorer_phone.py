"""The explorer on a phone (390×844), where a notification's link lands: no horizontal scrolling, the filters
behind one button that names them, a number in the first screen, charts and bar labels inside the width;
and on a laptop (1366×768) the filters shown without a click."""

from __future__ import annotations

import datetime as dt

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from store.alerts import AlertStore
from store.engines import create_store_engine
from tests.support import explorer_config, log_in, screenshot, serve, stop

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
NOTE = "coupure du portail <CEET> & relance"

#: Everything the page must keep inside the screen's width, measured in the page (CSS pixels).
MEASURE = """
const width = window.innerWidth, out = [];
const rect = (e) => e.getBoundingClientRect();
for (const e of document.querySelectorAll('.app-nav a, .app-nav button, #explorer-tiles .xtile, .js-plotly-plot .main-svg')) {
  const r = rect(e);
  if (r.width > 0 && (r.left < -0.5 || r.right > width + 0.5)) out.push(e.className.baseVal ?? e.className);
}
const bars = document.querySelector('#explorer-bars .js-plotly-plot');
const size = bars._fullLayout._size, svg = rect(bars.querySelector('.main-svg'));
const labels = [...bars.querySelectorAll('.yaxislayer-above .ytick text')].map(rect);
return {
  scrollWidth: document.documentElement.scrollWidth, innerWidth: width, outside: out,
  plotShare: size.w / bars._fullLayout.width,
  labelsCut: labels.filter((r) => r.left < svg.left - 0.5).length, labels: labels.length,
  bars: [...bars.querySelectorAll('.trace.bars .point path')].map(rect)
    .filter((r) => r.width > 0 && (r.left < svg.left || r.right > svg.right + 0.5)).length,
};
"""


def _visible(browser, css: str) -> bool:  # type: ignore[no-untyped-def]
    """Rendered and not inside a closed <details> (Selenium's is_displayed predates ``::details-content``)."""
    return browser.execute_script("const e = document.querySelector(arguments[0]); return !!e && e.checkVisibility();", css)


def _wait_for_page(browser, wait) -> None:  # type: ignore[no-untyped-def]
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-tiles .xtile .tile-value"))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-bars .trace.bars .point path"))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-trend .main-svg"))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row"))


def _check_phone_view(browser, summary: str) -> None:  # type: ignore[no-untyped-def]
    measures = browser.execute_script(MEASURE)
    assert measures["scrollWidth"] <= measures["innerWidth"] == PHONE["width"], measures  # no horizontal scrolling
    assert measures["outside"] == [], measures  # navigation, tiles and every chart inside the width
    assert measures["bars"] == 0 and measures["labelsCut"] == 0 and measures["labels"] > 0, measures
    assert measures["plotShare"] >= 0.4, measures  # the labels leave the bars most of the chart
    # the filters: one button naming the active ones, closed
    button = browser.find_element(By.ID, "explorer-filters-summary")
    assert button.is_displayed() and button.text.replace("▸", "").strip() == summary
    assert browser.find_element(By.ID, "explorer-filters").get_attribute("open") is None
    assert not _visible(browser, "#explorer-period") and not _visible(browser, "#explorer-step")
    # a number in the first screen
    browser.execute_script("window.scrollTo(0, 0)")
    tile = browser.execute_script(
        "const r = document.querySelector('#explorer-tiles .xtile .tile-value').getBoundingClientRect();"
        "return [r.top, r.bottom, window.innerHeight];"
    )
    assert 0 <= tile[0] and tile[1] <= tile[2], tile


def test_the_explorer_fits_a_phone_and_a_laptop(browser, tmp_path, sqlite_source) -> None:
    config = explorer_config(tmp_path, sqlite_source)
    proc, base = serve(config)
    engine = create_store_engine(f"sqlite:///{tmp_path / 'vigie.db'}")
    now = dt.datetime.now(dt.UTC)
    AlertStore(engine).annotate(at=now - dt.timedelta(days=3), scope="procedure", group="CEET-BT", kind="manual", text=NOTE,
                                author="marc", now=now)  # fmt: skip
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(390, 844)
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        log_in(browser, base, "marc", "/explorer")
        wait.until(lambda b: b.current_url == base + "/explorer")
        _wait_for_page(browser, wait)
        _check_phone_view(browser, "Filtres · 30 j")
        screenshot(browser, "explorer-phone-ensemble")
        # where a CEET-BT alert's link lands
        browser.get(base + "/explorer?service=CEET&procedure=CEET-BT")
        _wait_for_page(browser, wait)
        wait.until(lambda b: "CEET-BT" in b.find_element(By.ID, "explorer-breadcrumbs").text)
        _check_phone_view(browser, "Filtres · 30 j · CEET · CEET-BT")
        hovers = browser.execute_script(
            "return document.querySelector('#explorer-trend .js-plotly-plot').data"
            ".filter((t) => t.yaxis === 'y3').flatMap((t) => t.hovertext);"
        )
        assert len(hovers) == 1 and "coupure du portail &lt;CEET&gt; &amp; relance" in hovers[0]  # the note, as text
        screenshot(browser, "explorer-phone")
        # one tap opens the filters, inside the width
        browser.find_element(By.ID, "explorer-filters-summary").click()
        wait.until(lambda b: _visible(b, "#explorer-period"))
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(browser, "explorer-phone-filtres")
        # a laptop: the filters are there without a click, the button is not
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.set_window_size(1366, 768)
        browser.get(base + "/explorer?service=CEET")
        _wait_for_page(browser, wait)
        assert _visible(browser, "#explorer-period") and _visible(browser, "#explorer-procedure")
        assert not browser.find_element(By.ID, "explorer-filters-summary").is_displayed()
        width = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.set_window_size(1920, 1080)
        browser.get("about:blank")
        engine.dispose()
        stop(proc)
