"""The source-health page in a real browser: data shown, a down source shown as down, nothing from outside."""

from __future__ import annotations

import json
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import add_case, naive
from tests.support import screenshot, serve, stop, write_config


def test_sources_page_shows_health_and_loads_nothing_external(browser, tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "A", t, events=(("DEP", t),))
    add_case(engine, "B", t, reg="Atlantide")
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)
    text = config.read_text().replace('name = "src"', 'name = "portail-test"')
    text += (
        '\n[[sources]]\nname = "hors-ligne"\nurl = "postgresql+psycopg://nobody@127.0.0.1:1/none"\n'
        'every_seconds = 1\ntimeout_seconds = 1\ncases_sql = "SELECT 1 WHERE 1 >= :since"\n'
    )
    config.write_text(text)
    proc, base = serve(config)
    try:
        browser.get("about:blank")
        browser.get_log("performance")  # forget what earlier tests' pages loaded (the browser is shared)
        browser.get(base + "/sources")
        wait = WebDriverWait(browser, 30)
        wait.until(lambda b: "portail-test" in b.find_element(By.ID, "sources-table").text)
        time.sleep(1)
        rows = {r.find_element(By.TAG_NAME, "td").text: r for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")}
        assert "● à jour" in rows["portail-test"].text
        assert rows["portail-test"].find_elements(By.TAG_NAME, "td")[5].text == "1"  # the bad region, quarantined
        down = rows["hors-ligne"]
        assert "✖ en panne" in down.text and "OperationalError" in down.text and "jamais" in down.text
        nav = browser.find_element(By.CSS_SELECTOR, "#sources-page nav.app-nav").text  # the desk shell, like every desk page
        assert "Vigie" in nav and "Accueil" in nav
        assert browser.find_element(By.TAG_NAME, "h1").text == "Santé des sources de données"
        screenshot(browser, "sources-page")
        requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
        urls = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
        assert urls and all(u.startswith(base) or u.startswith("data:") for u in urls), urls
    finally:
        browser.get("about:blank")
        stop(proc)
