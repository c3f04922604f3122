"""The wall's Alertes view in a real browser, with alerts on: the alerts firing with who took them in charge, and
the takeover only for an alert that starts firing with nobody in charge of it."""

from __future__ import annotations

import json
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
name = "stock-procedure"
metric = "backlog"
scope = "procedure"
groups = ["CEET-ABO", "CEET-BT", "MIN-EXP", "MIN-PR"]
op = ">"
threshold = 0
severity = "critical"
contacts = ["salle"]
[[alerts.rules]]
name = "stock-structure"
metric = "backlog"
scope = "service"
op = ">"
threshold = 0
for_minutes = 600
contacts = ["salle"]
"""


def _firing(config) -> list[dict]:  # type: ignore[no-untyped-def]
    done = run_app("alerts", "list", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    return [a for a in json.loads(done.stdout) if a["state"] == "firing"]


def test_wall_shows_who_took_each_alert_and_takes_over_for_a_new_one(browser, tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    for i, proc in enumerate(["CEET-ABO", "CEET-BT", "MIN-EXP", "ARSE-PLT"]):
        add_case(engine, f"W{i}", t, proc=proc, events=(("DEP", t),))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)
    config.write_text(config.read_text() + textwrap.dedent(ALERTS))
    proc, base = serve(config)
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    try:
        deadline = time.monotonic() + 60
        while len(firing := _firing(config)) < 3 and time.monotonic() < deadline:  # 3 procedures (the bodies: pending)
            time.sleep(1)
        assert len(firing) == 3, firing
        taken = next(a for a in firing if a["group"] == "CEET-ABO")
        done = run_app("alerts", "ack", str(taken["id"]), "--by", "marc", "--config", str(config))
        assert done.returncode == 0, done.stderr

        # A screen opened now has seen these: it keeps rotating.
        browser.set_window_size(1920, 1080)
        browser.get("about:blank")
        browser.get_log("browser")
        browser.get(f"{base}/wall?views=ensemble,structures&period=600")
        panel = "#wall-active-alerts"
        wait.until(lambda b: "pris en charge par marc" in _text(b, panel))
        assert browser.find_element(By.ID, "view-ensemble").is_displayed()
        assert _text(browser, panel).count("non pris en charge") == 4  # 5 shown of 6: 2 firing, marc's, 2 of 3 pending
        # A new alert starts firing, nobody in charge of it: the screen jumps to Alertes and names it.
        add_case(engine, "W9", naive(2026, 11, 21, 9), proc="MIN-PR", events=(("DEP", naive(2026, 11, 21, 9)),))
        wait.until(lambda b: b.find_element(By.ID, "view-alertes").is_displayed())
        assert "⚠ Nouvelle alerte : MIN-PR — Permis de recherche minière" in browser.find_element(By.ID, "view-alertes").text
        assert browser.find_element(By.ID, "wall-view-title").text == "Alertes"
        screenshot(browser, "wall-alertes-takeover")

        for width, height in ((1920, 1080), (3840, 2160)):
            browser.set_window_size(width, height)
            browser.get(f"{base}/wall?view=alertes")
            wait.until(lambda b: "pris en charge par marc" in b.find_element(By.ID, "wall-active-alerts").text)
            time.sleep(1)  # the chart's first draw
            screenshot(browser, "wall-alertes" if width == 1920 else f"wall-alertes-{width}x{height}")
            text = browser.find_element(By.ID, "view-alertes").text
            assert "Alertes en cours (7)" in text and "⚠ non pris en charge" in text and "+ 2 autres alertes" in text
            assert "en observation depuis" in text and "✖ critique" in text and "▲ avertissement" in text
            assert "Échéance" in text and "Dépassé le" not in text
            fits = "return document.getElementById('view-alertes').getBoundingClientRect().bottom <= window.innerHeight"
            assert browser.execute_script(fits)  # the whole view on the screen, nothing cut at the bottom
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        browser.get("about:blank")
        browser.set_window_size(1920, 1080)
        stop(proc)


def _text(browser, selector: str) -> str:  # type: ignore[no-untyped-def]
    """A hidden view's text too (Selenium's .text is empty for what is not displayed)."""
    found = browser.find_elements(By.CSS_SELECTOR, selector)
    return found[0].get_attribute("textContent") if found else ""
