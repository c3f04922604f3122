"""The explorer from the keyboard alone (issue 16): from the filters, a few Tab presses reach the case grid (chart
toolbars are out of the tab order), Enter on a case cell opens the case, the « Aller à la liste » skip link lands
on the list, and a filter changed from the keyboard keeps the focus where it was while the page is rebuilt."""

from __future__ import annotations

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import explorer_config, log_in, serve, stop

MAX_TABS = 10
#: Where the focus is: the element's id, or the id of the nearest element that has one, and whether it is in the grid.
WHERE = """
const e = document.activeElement;
const owner = e.closest('[id]');
return {id: e.id, owner: owner ? owner.id : '', grid: !!e.closest('#explorer-grid'), col: e.getAttribute('col-id'),
        text: (e.innerText || '').slice(0, 40)};
"""


def _where(browser) -> dict:  # type: ignore[no-untyped-def]
    return browser.execute_script(WHERE)  # type: ignore[no-any-return]


def _press(browser, *keys: str) -> None:  # type: ignore[no-untyped-def]
    ActionChains(browser).send_keys(*keys).perform()


def test_the_explorer_works_from_the_keyboard(browser, tmp_path, sqlite_source) -> None:
    proc, base = serve(explorer_config(tmp_path, sqlite_source))
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(1366, 768)
        log_in(browser, base, "marc", "/explorer")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-trend .modebar-btn"))
        # from the last filter, the grid in at most MAX_TABS presses
        browser.execute_script("document.getElementById('explorer-step').focus()")
        assert _where(browser)["id"] == "explorer-step"
        presses = 0
        while not _where(browser)["grid"] and presses <= MAX_TABS:
            _press(browser, Keys.TAB)
            presses += 1
        assert _where(browser)["grid"], (presses, _where(browser))
        assert presses <= MAX_TABS
        # down to the first case, Enter opens it
        _press(browser, Keys.ARROW_DOWN)
        wait.until(lambda b: _where(b)["col"] == "case_id" and _where(b)["text"])
        case_id = _where(browser)["text"].strip()
        _press(browser, Keys.ENTER)
        wait.until(lambda b: b.find_elements(By.ID, "case-page"))
        assert f"/explorer/case/src/{case_id}" in browser.current_url
        assert f"Dossier {case_id}" in browser.find_element(By.TAG_NAME, "h1").text
        # the skip link: first Tab on the page after the navigation, Enter lands on the list's first case
        browser.get(base + "/explorer?dossiers=deposes")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        skip = browser.find_element(By.CSS_SELECTOR, "a.skip-link")
        assert skip.text == "" or "Aller à la liste" in skip.get_attribute("textContent")
        browser.execute_script("arguments[0].focus()", skip)
        assert skip.is_displayed()  # shown when focused
        _press(browser, Keys.ENTER)
        wait.until(lambda b: _where(b)["grid"] and _where(b)["col"] == "case_id")
        # a filter changed from the keyboard: the page is rebuilt from the URL, the focus stays on that filter
        browser.execute_script("document.getElementById('explorer-region').focus()")
        _press(browser, Keys.ENTER)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "[role=option]"))
        _press(browser, "Kara")  # the dropdown's search field has the focus
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "[role=option]")) == 1)
        _press(browser, Keys.ARROW_DOWN)
        _press(browser, Keys.ENTER)
        wait.until(lambda b: "region=Kara" in b.current_url)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        wait.until(lambda b: _where(b)["owner"] == "explorer-region" or _where(b)["id"] == "explorer-region")
        # a grid filter typed then applied with Enter: the menu stays open while typing, the filter goes into the
        # URL and the list's title, and the focus comes back to its column's header
        browser.get(base + "/explorer?dossiers=deposes")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        button = "#explorer-grid .ag-header-cell[col-id=agent] .ag-header-cell-filter-button"
        browser.execute_script("arguments[0].click()", browser.find_element(By.CSS_SELECTOR, button))
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".ag-filter input[type=text]"))
        browser.execute_script("arguments[0].focus()", browser.find_element(By.CSS_SELECTOR, ".ag-filter input[type=text]"))
        _press(browser, "age")
        assert "filtre=" not in browser.current_url and browser.find_elements(By.CSS_SELECTOR, ".ag-filter input[type=text]")
        _press(browser, "nt1", Keys.ENTER)
        wait.until(lambda b: "filtre=agent%3Acontient%3Aagent1" in b.current_url)
        wait.until(lambda b: "(filtres de la liste)" in b.find_element(By.CLASS_NAME, "list-title").text)
        wait.until(lambda b: _where(b)["col"] == "agent" and _where(b)["grid"])
    finally:
        browser.get("about:blank")
        stop(proc)
