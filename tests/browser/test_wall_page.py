"""The wall in a real browser: numbers equal /api/kpis, a down source is bannered, a lost server is survived."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from domain.french import fr_number
from tests.factories import add_case, naive
from tests.support import ROOT, screenshot, serve, stop, write_config


def wall_config(tmp_path, sqlite_source):  # type: ignore[no-untyped-def]
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    for i, proc in enumerate(["CEET-ABO", "CEET-BT", "MIN-EXP", "ARSE-PLT"]):
        add_case(engine, f"W{i}", t, proc=proc, events=(("DEP", t),))
    add_case(engine, "W9", t, proc="CEET-ABO", events=(("DEP", t), ("OK", naive(2026, 11, 21, 10))))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)
    config.write_text(
        config.read_text() + '\n[[sources]]\nname = "hors-ligne"\n'
        'url = "postgresql+psycopg://nobody@127.0.0.1:1/none"\nevery_seconds = 1\ntimeout_seconds = 1\n'
        'cases_sql = "SELECT 1 WHERE 1 >= :since"\n'
    )
    return config


def test_wall_views_numbers_and_down_source(browser, tmp_path, sqlite_source) -> None:
    proc, base = serve(wall_config(tmp_path, sqlite_source))
    browser.get("about:blank")
    browser.get_log("browser")  # drop what earlier pages logged
    try:
        for width, height in ((1920, 1080), (3840, 2160)):
            browser.set_window_size(width, height)
            for view in ("ensemble", "structures", "regions", "delais", "alertes"):
                browser.get(f"{base}/wall?view={view}")
                WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
                    lambda b, v=view: (
                        b.find_element(By.ID, f"view-{v}").is_displayed()
                        and b.find_elements(By.CSS_SELECTOR, f"#view-{v} .panel, #view-{v} .tile")
                    )
                )
                time.sleep(1)
                screenshot(browser, f"wall-{view}-{width}x{height}")
                errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
                assert not errors, errors
        browser.set_window_size(1920, 1080)
        browser.get(f"{base}/wall?view=ensemble")
        wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
        wait.until(lambda b: "en panne" in b.find_element(By.ID, "wall-banner").text)
        assert "« hors-ligne »" in browser.find_element(By.ID, "wall-banner").text
        assert "stale" in browser.find_element(By.ID, "wall").get_attribute("class")  # numbers dimmed, still shown
        document = json.loads(urllib.request.urlopen(f"{base}/api/kpis", timeout=10).read())
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))  # the views may come after the banner
        tile = browser.find_element(By.CSS_SELECTOR, "#tile-backlog .value")
        assert tile.text == fr_number(document["overall"]["backlog"]) == "4"
        breached = browser.find_element(By.CSS_SELECTOR, "#tile-breached .value").text
        assert breached == fr_number(document["overall"]["breached_open"])
        # Bad URLs get a friendly word, never a traceback.
        browser.get(f"{base}/wall?view=nimportequoi")
        wait.until(lambda b: "vue inconnue « nimportequoi »" in b.find_element(By.ID, "wall-banner").text)
        browser.get(f"{base}/pas-ici")
        wait.until(lambda b: "Page introuvable" in b.find_element(By.TAG_NAME, "body").text)
    finally:
        browser.get("about:blank")
        stop(proc)


def test_wall_survives_a_server_restart(browser, tmp_path, sqlite_source) -> None:
    config = wall_config(tmp_path, sqlite_source)
    proc, base = serve(config)
    port = base.rsplit(":", 1)[1]
    browser.get(f"{base}/wall?view=ensemble")
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))
    before = browser.find_element(By.CSS_SELECTOR, "#tile-backlog .value").text
    stop(proc)
    wait.until(lambda b: "Connexion perdue depuis" in b.find_element(By.ID, "wall-connection").text)
    assert browser.find_element(By.CSS_SELECTOR, "#tile-backlog .value").text == before  # last values kept
    restarted = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "serve", "--config", str(config), "--port", port],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait.until(lambda b: "hidden" in b.find_element(By.ID, "wall-connection").get_attribute("class"))
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))
        assert browser.find_element(By.CSS_SELECTOR, "#tile-backlog .value").text == before
    finally:
        browser.get("about:blank")
        stop(restarted)


def test_stale_banner_appears_when_a_source_stops_and_leaves_when_it_returns(browser, tmp_path, sqlite_source) -> None:
    import shutil

    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "S1", t, proc="CEET-ABO", events=(("DEP", t),))
    engine.dispose()
    source_file = tmp_path / "source.db"
    ro_url = f"sqlite:///file:{source_file}?mode=ro&uri=true"
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", ro_url)
    config.write_text(config.read_text().replace("every_seconds = 1", "every_seconds = 1\nmax_backoff_seconds = 1"))
    proc, base = serve(config)
    try:
        browser.get(f"{base}/wall?view=ensemble")
        wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
        wait.until(lambda b: "src ● il y a" in b.find_element(By.ID, "wall-sources").text)
        shutil.move(source_file, tmp_path / "away.db")  # the source stops answering
        wait.until(lambda b: "en panne" in b.find_element(By.ID, "wall-banner").text)
        assert "« src »" in browser.find_element(By.ID, "wall-banner").text
        assert browser.find_element(By.CSS_SELECTOR, "#tile-backlog .value").text == "1"  # still shown, dimmed
        screenshot(browser, "wall-source-down")
        shutil.move(tmp_path / "away.db", source_file)  # and comes back
        wait.until(lambda b: "hidden" in b.find_element(By.ID, "wall-banner").get_attribute("class"))
        assert "stale" not in browser.find_element(By.ID, "wall").get_attribute("class")
    finally:
        browser.get("about:blank")
        stop(proc)


def test_alert_takeover_jumps_to_alertes_when_a_procedure_newly_breaches(browser, tmp_path, sqlite_source) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "T1", t, proc="CEET-ABO", events=(("DEP", t),))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)
    proc, base = serve(config)
    try:
        browser.get(f"{base}/wall?views=ensemble,structures&period=600&screen=salle-test")
        wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
        wait.until(
            lambda b: (
                b.find_element(By.ID, "view-ensemble").is_displayed() and b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value")
            )
        )
        # the screen has seen the current breaches: its heartbeat reports the data version it shows
        WebDriverWait(browser, 60, poll_frequency=1).until(lambda b: _shown_version(base, "salle-test") is not None)
        # Deposited months ago, entered in the source now: past any legal delay, a new breach for MIN-EXP.
        entered = naive(2026, 11, 21, 9)
        add_case(engine, "T2", entered, deposited=naive(2026, 1, 5, 9), proc="MIN-EXP", events=(("DEP", entered),))
        wait.until(lambda b: b.find_element(By.ID, "view-alertes").is_displayed())
        assert "Nouveaux dépassements : MIN-EXP" in browser.find_element(By.ID, "view-alertes").text
        assert browser.find_element(By.ID, "wall-view-title").text == "Alertes"
        # The overview, patched in place while hidden, counts the new case too.
        assert browser.find_element(By.CSS_SELECTOR, "#tile-backlog .value").get_attribute("textContent") == "2"
        screenshot(browser, "wall-takeover")
        screens = json.loads(urllib.request.urlopen(f"{base}/api/screens", timeout=10).read())["screens"]
        assert [(s["name"], s["silent"]) for s in screens] == [("salle-test", False)]  # its heartbeat arrived
    finally:
        browser.get("about:blank")
        stop(proc)


def _shown_version(base: str, screen: str) -> int | None:
    """The data version a screen last reported in its heartbeat, or None before its first one."""
    screens = json.loads(urllib.request.urlopen(f"{base}/api/screens", timeout=10).read())["screens"]
    return next((s.get("data_version") for s in screens if s["name"] == screen), None)
