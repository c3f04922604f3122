"""A structure's wall in a real browser (issue 15): the screen made with ``screens add NAME --services CEET`` logs
in with its token and shows CEET only: its tiles, its procedures, its alerts, and its name in the header."""

from __future__ import annotations

import re
import textwrap
import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import add_case, naive
from tests.support import run_app, screenshot, serve, stop, write_config

ALERTS = """
[alerts]
enabled = true
evaluate_every_seconds = 2
[[alerts.contacts]]
name = "salle"
[[alerts.rules]]
name = "stock-structure"
metric = "backlog"
scope = "service"
op = ">"
threshold = 0
contacts = ["salle"]
"""
OTHERS = ("MIN-EXP", "MIN-PR", "ARSE-PLT", "AT2ER-SOL")


def test_a_ceet_screen_shows_only_ceet(browser, tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    for i, proc in enumerate(["CEET-ABO", "CEET-BT", "CEET-ABO", *OTHERS]):
        add_case(engine, f"S{i}", t, proc=proc, events=(("DEP", t),))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url, auth=True)
    config.write_text(config.read_text() + textwrap.dedent(ALERTS))
    made = run_app("screens", "add", "mur-ceet", "--services", "CEET", "--config", str(config))
    assert made.returncode == 0, made.stderr
    address = re.search(r"/wall\?screen=mur-ceet&token=\S+", made.stdout)
    assert address is not None, made.stdout
    proc, base = serve(config)
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(1920, 1080)
        browser.get("about:blank")
        browser.delete_all_cookies()
        browser.get_log("browser")
        browser.get(f"{base}{address.group(0)}&views=ensemble,structures,delais,alertes&period=600")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))
        assert "token=" not in browser.current_url  # the token left the address at once
        header = browser.find_element(By.CSS_SELECTOR, ".wall-header .ministry").text
        assert "CEET" in header and "Ministère de l'Énergie et des Mines" in header
        wait.until(lambda b: b.find_element(By.CSS_SELECTOR, "#tile-backlog .value").text == "3")  # CEET's 3, not 7
        time.sleep(1)  # the charts' first draw
        screenshot(browser, "wall-ceet")
        seen = {view: browser.execute_script(f"return document.getElementById('view-{view}').textContent")
                for view in ("structures", "delais", "alertes")}  # fmt: skip
        assert "CEET" in seen["structures"] and "CEET-ABO" in seen["delais"] + seen["alertes"]
        for view, text in seen.items():
            assert not any(word in text for word in ("ARSE", "AT2ER", "Mines", "MIN-")), (view, text[:300])
        wait.until(lambda b: "CEET" in b.execute_script("return document.getElementById('wall-active-alerts').textContent"))
        shown = browser.execute_script("return document.getElementById('wall-active-alerts').textContent")
        assert "ARSE" not in shown and "AT2ER" not in shown and "Mines" not in shown
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        browser.get("about:blank")
        browser.delete_all_cookies()
        stop(proc)
