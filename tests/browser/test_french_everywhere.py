"""French whatever the browser's language (issue 16): an English-speaking Chromium opens the explorer, a case page
and the workload view, and what it shows is read back, texts drawn by the libraries included (AG Grid's pager and
filter menu, the dropdowns, Plotly's axes, the date fields). No English UI word and no US number or date may appear.
"""

from __future__ import annotations

import re
import time

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import explorer_config, log_in, serve, stop

#: English words our pages never use, whole words, case as the libraries write them.
ENGLISH = (
    "Search", "No options", "No Options", "of", "to", "Blank", "Not blank", "Filter", "Filter...", "Equals", "Contains",
    "Loading", "Loading...", "Select", "Clear", "Start Date", "End Date", "Select Date", "Page Size", "Next", "Previous",
    "Jan", "Feb", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    "January", "February", "March", "April", "June", "July", "August", "September", "October", "November", "December",
    "Mo", "Tu", "We", "Th", "Su", "Previous month", "Next month", "Decrease value", "Increase value",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
)  # fmt: skip
_ENGLISH = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
US_NUMBER = re.compile(r"\d,\d{3}(?!\d)")
US_DATE = re.compile(r"\b(0?[1-9]|1[0-2])/(1[3-9]|2\d|3[01])/\d{4}\b")  # month first: a day past 12 in second place

#: Every text a user sees or hears: the rendered text, SVG text (Plotly), placeholders, titles and aria labels.
COLLECT = """
const out = [document.body.innerText, document.title];
for (const e of document.querySelectorAll('svg text')) { if (e.getBoundingClientRect().width > 0) out.push(e.textContent); }
for (const e of document.querySelectorAll('[placeholder], [aria-label], [title], [data-title]')) {
  if (e.closest('[hidden]')) continue;
  for (const a of ['placeholder', 'aria-label', 'title', 'data-title']) { if (e.getAttribute(a)) out.push(e.getAttribute(a)); }
}
return out.join('\\n');
"""


CLOSED_AT = "#explorer-grid .ag-header-cell[col-id='closed_at']"


def english_in(text: str) -> list[str]:
    """The English words, US numbers and US dates in ``text``."""
    return sorted({m.group(0) for pattern in (_ENGLISH, US_NUMBER, US_DATE) for m in pattern.finditer(text)})


def test_the_checker_sees_english_and_us_formats() -> None:
    """The detector itself: it must be able to fail."""
    assert english_in("Page 1 of 3,540") == ["3,540", "of"]
    assert english_in("Sep 6 2026 · 11/29/2026 · No options found · Search...") == ["11/29/2026", "No options", "Search", "Sep"]
    assert english_in("Page 1 sur 3 540 · 29/11/2026 · 6 sept. 2026 · Maritime · agent0 · dossiers à risque") == []


def _texts(browser) -> str:  # type: ignore[no-untyped-def]
    return str(browser.execute_script(COLLECT))


def test_an_english_browser_sees_only_french(english_browser, tmp_path, sqlite_source) -> None:
    browser = english_browser
    proc, base = serve(explorer_config(tmp_path, sqlite_source))
    assert browser.execute_script("return navigator.language").startswith("en")  # the premise: an English browser
    try:
        try:
            _walk(browser, base)
        except TimeoutException:  # an interaction raced a page rebuild on a loaded machine: once more from the start
            _walk(browser, base)  # (a wrong text is an AssertionError: never retried)
    finally:
        browser.get("about:blank")
        stop(proc)


def _walk(browser, base: str) -> None:  # type: ignore[no-untyped-def]
    """The explorer, its calendar, a dropdown, the grid's filter menu, a case page and the workload, as an English
    browser shows them: no English UI word, no US number or date."""
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    browser.set_window_size(1366, 768)
    log_in(browser, base, "marc", "/explorer?periode=perso&du=2026-11-01&au=2026-11-28")
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-trend .xtick text"))
    assert browser.execute_script("return document.documentElement.lang") == "fr"
    seen = [_texts(browser)]
    assert "Page 1 sur 1" in seen[0] or "sur" in seen[0]
    assert browser.find_element(By.ID, "explorer-from").get_attribute("value") == "01/11/2026"  # JJ/MM/AAAA
    # the date field's calendar: weeks from Monday, French day names and buttons
    browser.execute_script("document.getElementById('explorer-from').focus()")
    ActionChains(browser).send_keys(Keys.ARROW_DOWN).perform()
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".dash-datepicker-content"))
    calendar = browser.execute_script("return document.querySelector('.dash-datepicker-content').innerText").split()
    assert calendar.index("lu") < calendar.index("di"), calendar  # the week starts on Monday
    seen.append(_texts(browser))
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    # a dropdown opened and searched for nothing it holds
    def opened(b) -> bool:  # type: ignore[no-untyped-def]
        # focus and Enter again while the page may still be settling after the calendar closed
        if not b.find_elements(By.CSS_SELECTOR, ".dash-dropdown-search, input[type=search]"):
            b.execute_script("document.getElementById('explorer-service').focus()")
            ActionChains(b).send_keys(Keys.ENTER).perform()
            time.sleep(0.5)
        return bool(b.find_elements(By.CSS_SELECTOR, ".dash-dropdown-search, input[type=search]"))

    wait.until(opened)
    seen.append(_texts(browser))
    ActionChains(browser).send_keys("zzzz").perform()
    wait.until(lambda b: "Aucun choix" in _texts(b))
    seen.append(_texts(browser))
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    # the grid's filter menu on « Clos le »: French, and no « vide / non vide » that would do nothing
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.CSS_SELECTOR, CLOSED_AT))
    buttons = browser.find_elements(By.CSS_SELECTOR, f"{CLOSED_AT} .ag-header-cell-filter-button")
    assert buttons
    browser.execute_script("arguments[0].click()", buttons[0])
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".ag-filter, .ag-menu"))
    menu = _texts(browser)
    seen.append(menu)
    options = browser.execute_script(
        "return [...document.querySelectorAll('.ag-filter .ag-picker-field-display, .ag-filter option, .ag-list-item')]"
        ".map(e => e.textContent)"
    )
    assert not any("vide" in o.lower() or "blank" in o.lower() for o in options), options
    # a case page (its timeline's dates) and the workload view
    browser.get(base + "/explorer/case/src/X01")
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".case .js-plotly-plot .xtick text"))
    ticks = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".case .js-plotly-plot .xtick text")]
    assert any(re.search(r"nov\.|déc\.|oct\.", t) for t in ticks), ticks  # French months on the axis
    seen.append(_texts(browser))
    browser.get(base + "/explorer?vue=charge")
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-workload .ag-row"))
    seen.append(_texts(browser))
    found = {page: english_in(text) for page, text in enumerate(seen) if english_in(text)}
    assert not found, found
