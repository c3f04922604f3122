"""The explorer in a real browser, with authentication on: log in, drill, list, open a case, export, and the refusals."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from domain.french import fr_number
from tests.support import ROOT, browser_fetch, explorer_config, log_in, screenshot, serve, stop

PASSWORD = "mot-de-passe-solide"






fetch = browser_fetch  # GET with the browser's own session (tests.support)


def click_bar(browser, graph: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Click the first trace's bar whose customdata is ``name``."""
    index = browser.execute_script(
        "const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return gd.data[0].customdata.indexOf(arguments[1]);",
        f"#{graph}",
        name,
    )
    assert index >= 0, name
    bar = browser.find_elements(By.CSS_SELECTOR, f"#{graph} .trace.bars")[0].find_elements(By.CSS_SELECTOR, ".point path")[index]
    ActionChains(browser).move_to_element(bar).click().perform()


def test_manager_drills_to_a_case_and_exports(browser, tmp_path, sqlite_source) -> None:
    proc, base = serve(explorer_config(tmp_path, sqlite_source))
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(1600, 1200)
        browser.get_log("performance")  # forget earlier tests' requests (the browser is shared)
        log_in(browser, base, "marc", "/explorer")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-bars .trace.bars .point path"))
        assert browser.current_url == base + "/explorer"
        browser.get_log("browser")
        # 2. a service bar -> its procedures
        click_bar(browser, "explorer-bars", "CEET")
        wait.until(lambda b: "service=CEET" in b.current_url)
        wait.until(lambda b: "Par procédure" in b.find_element(By.ID, "explorer-bars").text)
        assert "Ensemble › CEET" in browser.find_element(By.ID, "explorer-breadcrumbs").text
        # 3. a procedure bar -> its case list
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-bars .trace.bars .point path"))
        click_bar(browser, "explorer-bars", "CEET-BT")
        wait.until(lambda b: "procedure=CEET-BT" in b.current_url)
        wait.until(lambda b: "CEET-BT" in b.find_element(By.ID, "explorer-breadcrumbs").text)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        status, body = fetch(browser, "/api/kpis?days=30&procedure=CEET-BT")
        backlog = json.loads(body)["overall"]["backlog"]
        assert status == 200 and backlog == 6
        assert f"Dossiers en cours : {fr_number(backlog)}" in browser.find_element(By.CLASS_NAME, "list-title").text
        assert browser.find_element(By.CSS_SELECTOR, "#explorer-tiles .xtile .tile-value").text == fr_number(backlog)
        rows = browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-center-cols-container .ag-row")
        assert len(rows) == backlog
        screenshot(browser, "explorer-procedure")
        # 5. export CSV (with the filters) and check its rows
        status, text = fetch(browser, browser.find_element(By.ID, "export-csv").get_attribute("href"))
        assert status == 200
        lines = text.lstrip("\ufeff").splitlines()
        assert "# Procédure : CEET-BT" in lines
        table = list(csv.DictReader(io.StringIO("\n".join(line for line in lines if not line.startswith("#"))), delimiter=";"))
        assert len(table) == backlog and {r["Procédure"] for r in table} == {"CEET-BT"}
        shown = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a")}
        assert shown == {r["Dossier"] for r in table}
        # back goes up one level, forward comes back
        browser.back()
        wait.until(lambda b: "procedure=" not in b.current_url and "service=CEET" in b.current_url)
        wait.until(lambda b: b.find_element(By.ID, "explorer-breadcrumbs").text.endswith("CEET"))
        browser.forward()
        wait.until(lambda b: "procedure=CEET-BT" in b.current_url)
        wait.until(lambda b: "CEET-BT" in b.find_element(By.ID, "explorer-breadcrumbs").text)
        # 4. open a case
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        link = browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a")[0]
        case_id = link.text
        link.click()
        wait.until(lambda b: b.find_elements(By.ID, "case-page"))
        facts = browser.find_element(By.ID, "case-page").text
        assert "Jours ouvrés utilisés" in facts and "Échéance" in facts and "agent" in facts
        assert f"Dossier {case_id}" in browser.find_element(By.TAG_NAME, "h1").text
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".case .js-plotly-plot .trace.bars"))  # the timeline
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        screenshot(browser, "explorer-case")
        # the workload view (managers)
        browser.get(base + "/explorer?vue=charge")
        wait.until(lambda b: b.find_elements(By.ID, "explorer-workload"))
        assert "agent0" in browser.find_element(By.ID, "explorer-workload").text
        time.sleep(1)
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        # a bad URL gets a friendly message
        browser.get(base + "/explorer?service=Atlantide")
        wait.until(lambda b: b.find_elements(By.ID, "explorer-error"))
        assert "service inconnu : « Atlantide »" in browser.find_element(By.ID, "explorer-error").text
        assert "Traceback" not in browser.page_source
        # the overview for screenshots
        browser.get(base + "/explorer?periode=30j")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        time.sleep(1)
        screenshot(browser, "explorer")
        # everything came from this server: the grid, the charts and their fonts are served locally
        requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
        urls = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
        assert any("dash_ag_grid" in u for u in urls), "the grid's code was not loaded from this server"
        assert all(u.startswith((base, "data:", "about:")) for u in urls), sorted(u for u in urls if not u.startswith(base))[:5]
        # log out: the session ends, the explorer asks for a login again
        browser.find_element(By.ID, "logout-button").click()
        wait.until(lambda b: b.find_elements(By.ID, "login-submit"))
        browser.get(base + "/explorer")
        wait.until(lambda b: b.find_elements(By.ID, "login-submit"))
    finally:
        browser.get("about:blank")
        stop(proc)


def test_viewer_cannot_reach_the_explorer(browser, tmp_path, sqlite_source) -> None:
    proc, base = serve(explorer_config(tmp_path, sqlite_source))
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.get(base + "/healthz")
        browser.delete_all_cookies()  # cookies ignore ports: forget earlier tests' sessions
        browser.get(base + "/explorer")
        wait.until(lambda b: b.find_elements(By.ID, "login-submit"))  # not logged in: the login form
        log_in(browser, base, "lea", "/explorer")
        wait.until(lambda b: "Accès refusé" in b.find_element(By.TAG_NAME, "h1").text)
        assert "lecteur" in browser.find_element(By.TAG_NAME, "body").text
        assert fetch(browser, "/explorer/export.csv")[0] == 403
        browser.get(base + "/wall?view=ensemble")  # the wall is theirs
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))
        browser.get(base + "/")
        wait.until(lambda b: b.find_elements(By.ID, "home-page"))
        assert "Explorateur" not in browser.find_element(By.CLASS_NAME, "page-links").text
        log_in(browser, base, "lea", "/")  # a wrong password is refused with a message
        browser.delete_all_cookies()
        browser.get(base + "/login")
        browser.find_element(By.ID, "username").send_keys("lea")
        browser.find_element(By.ID, "password").send_keys("faux")
        browser.find_element(By.ID, "login-submit").click()
        wait.until(lambda b: "incorrect" in b.find_element(By.CLASS_NAME, "login-error").text)
    finally:
        browser.get("about:blank")
        stop(proc)


def test_wall_screen_gets_in_with_its_token_until_revoked(browser, tmp_path, sqlite_source) -> None:
    config = explorer_config(tmp_path, sqlite_source)

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "app.py"), *args, "--config", str(config)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    token = cli("screens", "add", "hall-1").strip().splitlines()[1]
    proc, base = serve(config)
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.get(base + "/healthz")
        browser.delete_all_cookies()
        browser.get(f"{base}/wall?view=ensemble&screen=hall-1&token={token}")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))  # no login form: the token let it in
        assert "token" not in browser.current_url and "screen=hall-1" in browser.current_url  # the token left the URL
        assert "agent0" not in browser.page_source and "agent1" not in browser.page_source  # no personal data on the wall
        # its heartbeat (a CSRF-protected POST) gets through: the screen is listed as active, with its view
        deadline = time.monotonic() + 30
        while "actif, vue" not in (listed := cli("screens", "list")) and time.monotonic() < deadline:
            time.sleep(1)
        assert "hall-1" in listed and "jeton actif" in listed and "actif, vue « Vue d'ensemble »" in listed
        browser.get(f"{base}/wall?view=ensemble&screen=hall-1")  # a reload: the screen cookie keeps it in
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))
        cli("screens", "revoke", "hall-1")
        browser.get(f"{base}/wall?view=ensemble&screen=hall-1")
        wait.until(lambda b: b.find_elements(By.ID, "login-submit"))
        browser.get(f"{base}/wall?view=ensemble&screen=hall-1&token={token}")
        wait.until(lambda b: b.find_elements(By.ID, "login-submit"))
    finally:
        browser.get("about:blank")
        stop(proc)
