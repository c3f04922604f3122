"""The app under its Content-Security-Policy in a real browser: the login page, the explorer and the wall work,
and the console shows no error (a blocked script or style would be reported there as a CSP violation)."""

from __future__ import annotations

import subprocess
import sys

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import ROOT, explorer_config, log_in, screenshot, serve, stop


def _errors(browser) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_login_explorer_and_wall_work_under_the_csp_with_a_clean_console(browser, tmp_path, sqlite_source) -> None:
    config = explorer_config(tmp_path, sqlite_source)
    added = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "screens", "add", "hall-csp", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    token = added.stdout.strip().splitlines()[1]
    proc, base = serve(config)
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.get(base + "/healthz")
        browser.get_log("browser")  # forget earlier tests' messages (the browser is shared)
        log_in(browser, base, "marc", "/explorer")
        assert _errors(browser) == []  # the login page itself
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row"))
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-bars .main-svg"))
        policy = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/explorer', {credentials: 'same-origin'}).then(r => done(r.headers.get('Content-Security-Policy')));"
        )
        assert "script-src 'self' 'sha256-" in policy and "frame-ancestors 'none'" in policy
        screenshot(browser, "csp-explorer")
        assert _errors(browser) == []
        browser.delete_all_cookies()
        browser.get(f"{base}/wall?view=ensemble&screen=hall-csp&token={token}")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#tile-backlog .value"))
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#wall-view-title"))
        screenshot(browser, "csp-wall")
        assert _errors(browser) == []
        # a script injected into the page is refused by the policy (what the CSP is for)
        blocked = browser.execute_script(
            "const s = document.createElement('script'); s.textContent = 'window.__injected = 1';"
            "document.body.appendChild(s); return window.__injected === undefined;"
        )
        assert blocked
    finally:
        browser.get("about:blank")
        stop(proc)
