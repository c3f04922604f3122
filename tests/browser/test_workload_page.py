"""The workload view in Chromium at 1366×768 (issue 16): over 90 days the table's « Décisions (total) » column is on
screen, and a click on an agent's bar lists exactly that agent's open cases (title = bar = grid)."""

from __future__ import annotations

import re

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import explorer_config, log_in, serve, stop

TABLE = "explorer-workload-table"
#: Whether each column's header is inside the table's visible box and the window.
MEASURE = """
const grid = document.querySelector('#' + arguments[0] + ' .ag-root-wrapper').getBoundingClientRect();
const out = {};
for (const col of arguments[1]) {
  const h = document.querySelector(`#${arguments[0]} .ag-header-cell[col-id="${col}"]`);
  const r = h ? h.getBoundingClientRect() : null;
  out[col] = !!r && r.width > 0 && r.left >= grid.left - 0.5 && r.right <= grid.right + 0.5 && r.right <= window.innerWidth;
}
return out;
"""


def test_the_total_is_on_screen_and_a_bar_lists_exactly_its_agent_cases(browser, tmp_path, sqlite_source) -> None:
    proc, base = serve(explorer_config(tmp_path, sqlite_source))
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(1366, 768)
        log_in(browser, base, "marc", "/explorer?vue=charge&periode=90j")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, f"#{TABLE} .ag-row a.agent-link"))
        shown = browser.execute_script(MEASURE, TABLE, ["agent", "open", "total"])
        assert all(shown.values()), shown
        weeks = browser.execute_script(
            f"return [...document.querySelectorAll('#{TABLE} .ag-header-cell-text')].map(e => e.textContent)"
        )
        assert any("(partielle," in w for w in weeks), weeks
        assert not browser.find_element(By.ID, "explorer-population").is_displayed()  # no list here: not offered
        # the busiest agent's bar: its name and count as the chart holds them
        agent, count = browser.execute_script(
            "const gd = document.querySelector('#explorer-workload-bars .js-plotly-plot');"
            "return [gd.data[0].customdata[0], gd.data[0].x[0]];"
        )
        assert count > 0
        bar = browser.find_elements(By.CSS_SELECTOR, "#explorer-workload-bars .trace.bars")[0]
        ActionChains(browser).move_to_element(bar.find_elements(By.CSS_SELECTOR, ".point path")[0]).click().perform()
        wait.until(lambda b: "filtre=agent%3Aegal%3A" in b.current_url and "vue=charge" not in b.current_url)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        title = browser.find_element(By.CLASS_NAME, "list-title").text
        listed = int(re.search(r"Dossiers en cours : (\d+) sur (\d+)", title).group(1))  # type: ignore[union-attr]
        assert listed == count
        assert browser.execute_script("return dash_ag_grid.getApi('explorer-grid').getDisplayedRowCount()") == count
        cells = browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-center-cols-container .ag-row [col-id=agent]")
        assert {c.text for c in cells} == {agent}
    finally:
        stop(proc)
