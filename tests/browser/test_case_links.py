"""The explorer's case links in a real browser, under the app's Content-Security-Policy.

A source case whose id is shaped as a markdown link must show as typed, link to its own case page
(never to another site), and open that page when clicked.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import add_case, naive
from tests.support import serve, stop, write_config

PHISH = "PHISH](https://evil.example/login) [z"
SCRIPT = "<img src=x onerror=alert(1)>"


def test_a_case_id_is_text_and_links_to_its_own_case(browser, tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 9)
    for ref in (PHISH, SCRIPT, "C-001"):
        add_case(engine, ref, t, proc="CEET-BT", events=(("DEP", t),))
    proc, base = serve(write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url))
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.get(base + "/explorer?service=CEET&procedure=CEET-BT")
        browser.get_log("browser")  # forget earlier pages' messages
        rows = "#explorer-grid .ag-pinned-left-cols-container .ag-row"  # the case id column is pinned left
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, rows)) == 3 and b.find_elements(By.CSS_SELECTOR, rows + " a"))
        links = {a.text: a.get_dom_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a")}
        view = "?service=CEET&procedure=CEET-BT"  # issue 16: the explorer's view rides along, for the case's breadcrumbs
        assert links == {
            PHISH: "/explorer/case/src/" + quote(PHISH, safe="-_.!~*'()") + view,
            SCRIPT: "/explorer/case/src/" + quote(SCRIPT, safe="-_.!~*'()") + view,
            "C-001": "/explorer/case/src/C-001" + view,
        }
        assert not browser.find_elements(By.CSS_SELECTOR, "#explorer-grid img[src='x']")  # the markup stayed text
        next(a for a in browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a") if a.text == PHISH).click()
        wait.until(lambda b: b.find_elements(By.ID, "case-page"))
        assert browser.current_url.startswith(base + "/explorer/case/src/")
        assert browser.find_element(By.TAG_NAME, "h1").text == f"Dossier {PHISH} (src)"
        time.sleep(0.5)
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]  # a CSP refusal would show here
        assert not errors, errors
    finally:
        browser.get("about:blank")
        stop(proc)
