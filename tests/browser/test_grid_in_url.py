"""The case grid in a real browser (issue 16): its filters and sorts go into the URL, the list's title and the
exports (title = grid = export), a reload or a copied link opens it as it was, and at 1366×768 and 1600×1000 the
case number (pinned), « Jours ouvrés », « Échéance » and « Agent » are on screen without scrolling the grid."""

from __future__ import annotations

import csv
import io
import re

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import browser_fetch, explorer_config, log_in, serve, stop

SHOWN = ("case_id", "business_days", "due_date", "agent")
#: Each column's header box against the grid's visible box, and the rows the grid's model holds.
MEASURE = """
const grid = document.querySelector('#explorer-grid .ag-root-wrapper').getBoundingClientRect();
const out = {};
for (const col of arguments[0]) {
  const h = document.querySelector(`#explorer-grid .ag-header-cell[col-id="${col}"]`);
  const r = h ? h.getBoundingClientRect() : null;
  out[col] = !!r && r.width > 0 && r.left >= grid.left - 0.5 && r.right <= grid.right + 0.5 && r.right <= window.innerWidth;
}
return out;
"""
ROWS = "return dash_ag_grid.getApi('explorer-grid').getDisplayedRowCount()"


def _title(browser) -> str:  # type: ignore[no-untyped-def]
    return browser.find_element(By.CLASS_NAME, "list-title").text


def test_grid_filters_go_into_the_url_the_title_and_the_export(browser, tmp_path, sqlite_source) -> None:
    proc, base = serve(explorer_config(tmp_path, sqlite_source))
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        for width, height in ((1366, 768), (1600, 1000)):
            browser.set_window_size(width, height)
            log_in(browser, base, "marc", "/explorer?dossiers=deposes")
            wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
            shown = browser.execute_script(MEASURE, list(SHOWN))
            assert all(shown.values()), (width, shown)
        total = int(re.search(r": (\d+)", _title(browser)).group(1))  # type: ignore[union-attr]
        # a filter and a sort set in the grid, as a user does from its menus
        browser.execute_script(
            "const api = dash_ag_grid.getApi('explorer-grid');"
            "api.setFilterModel({agent: {filterType: 'text', type: 'equals', filter: 'agent1'}});"
            "api.applyColumnState({state: [{colId: 'business_days', sort: 'desc'}], defaultState: {sort: null}});"
        )
        wait.until(lambda b: "filtre=agent%3Aegal%3Aagent1" in b.current_url and "tri=-jours_ouvres" in b.current_url)
        wait.until(lambda b: "(filtres de la liste)" in _title(b))  # the page rebuilt from the new URL
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        shown_rows = browser.execute_script(ROWS)
        assert 0 < shown_rows < total
        assert f": {shown_rows} sur {total} (filtres de la liste)" in _title(browser)
        agents = browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-center-cols-container .ag-row [col-id=agent]")
        assert {e.text for e in agents} == {"agent1"}
        # the export lists the same cases, and says how they were chosen
        href = browser.find_element(By.ID, "export-csv").get_attribute("href")
        assert "filtre=agent%3Aegal%3Aagent1" in href
        status, text = browser_fetch(browser, href)
        assert status == 200
        lines = text.lstrip("\ufeff").splitlines()
        table = list(csv.DictReader(io.StringIO("\n".join(line for line in lines if not line.startswith("#"))), delimiter=";"))
        assert len(table) == shown_rows and {r["Agent"] for r in table} == {"agent1"}
        assert "# Filtres de la liste : Agent égal à « agent1 »" in lines
        days = [int(r["Jours ouvrés"]) for r in table]
        assert days == sorted(days, reverse=True)
        # a reload (or the link, copied) opens the grid as it was
        browser.refresh()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        assert browser.execute_script(ROWS) == shown_rows
        model = browser.execute_script("return dash_ag_grid.getApi('explorer-grid').getFilterModel()")
        assert model["agent"]["filter"] == "agent1"
        assert "filtre=agent" in browser.current_url
        # the case opened from this list leads back to it
        browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a")[0].click()
        wait.until(lambda b: b.find_elements(By.ID, "case-page"))
        ensemble = browser.find_element(By.CSS_SELECTOR, ".breadcrumbs a").get_attribute("href")
        assert "dossiers=deposes" in ensemble and "filtre=agent" in ensemble
    finally:
        browser.get("about:blank")
        stop(proc)
