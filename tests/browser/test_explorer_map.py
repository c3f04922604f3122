"""The map of Togo in the explorer, in a real browser: drawn offline (no request leaves the machine), and a click on
a region filters the view by it, as the region bars do."""

from __future__ import annotations

import json
import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from domain.model import REGIONS
from tests.support import explorer_config, log_in, screenshot, serve, stop


def test_the_explorers_map_is_drawn_offline_and_a_click_filters_by_region(browser, tmp_path, sqlite_source) -> None:
    proc, base = serve(explorer_config(tmp_path, sqlite_source))
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(1366, 768)
        browser.get("about:blank")
        browser.get_log("performance")  # the browser is shared: forget what earlier pages loaded
        log_in(browser, base, "marc", "/explorer")
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#explorer-region-map g.fills path.js-fill")) == 5)
        labels = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, "#explorer-region-map .textpoint"))
        assert all(region in labels for region in REGIONS), labels
        requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
        urls = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
        local = ("http://127.0.0.1:", "http://localhost:", "data:")
        assert urls and all(u.startswith(local) for u in urls), sorted(u for u in urls if not u.startswith(local))
        # a click inside a region's shape filters by it: the URL and the region control say so
        target = None
        for dot in browser.find_elements(By.CSS_SELECTOR, "#explorer-region-map g.fills path.js-fill"):
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", dot)
            time.sleep(0.3)
            ActionChains(browser).move_to_element(dot).click().perform()
            try:
                WebDriverWait(browser, 10).until(lambda b: "region=" in b.current_url)
                target = browser.current_url.split("region=")[1].split("&")[0]
                break
            except Exception:  # noqa: BLE001 - the shape's centre may lie on a neighbour: try the next one
                continue
        assert target in REGIONS, browser.current_url
        wait.until(lambda b: target in b.title)  # the tab title names the filters, the region included
        screenshot(browser, "explorer-map")
    finally:
        browser.get("about:blank")
        stop(proc)
