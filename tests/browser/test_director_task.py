"""The director's task (issue 16) in Chromium at two laptop sizes: from /explorer, one click on the bars (sorted by
breaches) reaches the structure with the most breaches, then its worst procedure, then its oldest breached case;
at each step the bars, the tiles, the list's title and the CSV export say the same number."""

from __future__ import annotations

import csv
import io
import json

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from domain.french import fr_number
from tests.factories import add_case, naive
from tests.support import explorer_config, log_in, screenshot, serve, stop

MINES = "Direction générale des mines et de la géologie"


def _breach_mostly_at_the_mines(engine) -> None:  # type: ignore[no-untyped-def]
    """Beside explorer_config's cases: CEET gets the biggest backlog (recent, on time), the mines the most
    breaches (MIN-EXP, 10 business days, submitted in October), so sorting by backlog or by name would fail."""
    for i in range(30):
        add_case(
            engine,
            f"B{i:02d}",
            naive(2026, 11, 26 + i % 5, 9),
            proc="CEET-BT",
            reg="Plateaux",
            events=(("DEP", naive(2026, 11, 26 + i % 5, 9)),),
        )
    for i in range(20):
        t = naive(2026, 10, 5 + i, 10)
        add_case(engine, f"M{i:02d}", t, proc="MIN-EXP", reg=("Savanes", "Kara")[i % 2], officer="agent9", events=(("DEP", t),))
    for i in range(6):
        t = naive(2026, 11, 27, 11)
        add_case(engine, f"R{i:02d}", t, proc="MIN-PR", reg="Centrale", events=(("DEP", t),))


def fetch(browser, path: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """GET with the browser's own session (cookies), from inside the page (as test_explorer_page does)."""
    status, body = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text().then(t => done([r.status, t])));",
        path,
    )
    return status, body


def _bars(browser) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    """(group, backlog, breached) of the structure/procedure bars, top first, as plotly drew them."""
    return [
        tuple(row)
        for row in browser.execute_script(
            "const gd = document.querySelector('#explorer-bars .js-plotly-plot');"
            "return gd.data[0].customdata.map((g, i) => [g, gd.data[0].x[i], gd.data[1].x[i]]);"
        )
    ]


def _click_top_bar(browser) -> None:  # type: ignore[no-untyped-def]
    bar = browser.find_elements(By.CSS_SELECTOR, "#explorer-bars .trace.bars")[0].find_elements(By.CSS_SELECTOR, ".point path")[0]
    ActionChains(browser).move_to_element(bar).click().perform()


def _tile(browser, population: str) -> int:  # type: ignore[no-untyped-def]
    # the default population (en cours) is not written in the URL: its tile is the first
    selector = "a.xtile" if population == "en_cours" else f"a.xtile[href*='dossiers={population}']"
    tile = browser.find_element(By.CSS_SELECTOR, f"#explorer-tiles {selector}")
    return int(tile.find_element(By.CLASS_NAME, "tile-value").text.replace("\u202f", ""))


def _export(browser) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    status, text = fetch(browser, browser.find_element(By.ID, "export-csv").get_attribute("href"))
    assert status == 200
    lines = [line for line in text.lstrip("\ufeff").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"))


def _titles_clear_of_the_modebar(browser) -> None:  # type: ignore[no-untyped-def]
    """No chart title runs under its mode bar (the modebar shows on hover: every chart is hovered in turn)."""
    for graph in browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"):
        ActionChains(browser).move_to_element(graph).perform()
        boxes = browser.execute_script(
            "const g = arguments[0], m = g.querySelector('.modebar'), t = g.querySelector('.gtitle');"
            "if (!m || !t) return null; const a = m.getBoundingClientRect(), b = t.getBoundingClientRect();"
            "return [a.left, a.top, a.right, a.bottom, b.left, b.top, b.right, b.bottom];",
            graph,
        )
        if boxes:
            m_left, m_top, m_right, m_bottom, t_left, t_top, t_right, t_bottom = boxes
            overlap = m_left < t_right and t_left < m_right and m_top < t_bottom and t_top < m_bottom
            assert not overlap, boxes


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_director_finds_the_worst_structure_procedure_and_case(browser, tmp_path, sqlite_source, size) -> None:
    _breach_mostly_at_the_mines(sqlite_source[1])
    proc, base = serve(explorer_config(tmp_path, sqlite_source))
    wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(*size)
        log_in(browser, base, "marc", "/explorer")
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#explorer-bars .trace.bars")) == 2)
        # 1. /explorer: the structures, most breaches first; the bars add up to the tile
        document = json.loads(fetch(browser, "/api/kpis?days=30")[1])
        by_service = document["by_service"]
        worst = max(by_service, key=lambda s: by_service[s]["breached_open"])
        assert worst == MINES and max(by_service, key=lambda s: by_service[s]["backlog"]) != worst  # the data's point
        bars = _bars(browser)
        assert bars[0][0] == worst
        assert [b for _, _, b in bars] == sorted((b for _, _, b in bars), reverse=True)
        assert sum(b for _, _, b in bars) == _tile(browser, "hors_delai") == document["overall"]["breached_open"]
        assert "hors délai" in browser.find_element(By.ID, "explorer-bars").text  # the share is written, not only drawn
        _titles_clear_of_the_modebar(browser)
        screenshot(browser, f"director-1-ensemble-{size[0]}")
        # 2. one click: the worst structure, its procedures most breaches first
        _click_top_bar(browser)
        wait.until(lambda b: "service=" in b.current_url)
        wait.until(lambda b: "Par procédure" in b.find_element(By.ID, "explorer-bars").text)
        bars = _bars(browser)
        assert sum(b for _, _, b in bars) == _tile(browser, "hors_delai") == by_service[worst]["breached_open"]
        assert sum(w for _, w, _ in bars) == _tile(browser, "en_cours")
        assert (
            f"Dossiers en cours : {fr_number(_tile(browser, 'en_cours'))}"
            in browser.find_element(By.CLASS_NAME, "list-title").text
        )
        assert len(_export(browser)) == _tile(browser, "en_cours")
        worst_procedure, _, breached = bars[0]
        assert worst_procedure == "MIN-EXP" and breached == max(b for _, _, b in bars)
        # 3. its worst procedure: the siblings stay, the chosen one highlighted
        _click_top_bar(browser)
        wait.until(lambda b: f"procedure={worst_procedure}" in b.current_url)
        wait.until(lambda b: worst_procedure in b.find_element(By.ID, "explorer-breadcrumbs").text)
        wait.until(  # the procedure's page drew its bars, the chosen one in bold
            lambda b: b.execute_script(
                "const gd = document.querySelector('#explorer-bars .js-plotly-plot');"
                "return !!gd && !!gd.data && gd.data[0].y.some(label => label.startsWith('<b>'));"
            )
        )
        siblings = _bars(browser)
        assert {g for g, _, _ in siblings} == {g for g, _, _ in bars} and len(siblings) > 1
        chosen = next(row for row in siblings if row[0] == worst_procedure)
        assert chosen[2] == _tile(browser, "hors_delai") == breached
        # the processing chart draws the procedure's one legal delay
        notes = browser.find_element(By.ID, "explorer-processing").text
        assert "délai légal" in notes and "10 j ouvrés" in notes
        # 4. its breached cases, oldest first: the tile lists them; title, grid and export agree
        browser.find_element(By.CSS_SELECTOR, "#explorer-tiles a.xtile[href*='dossiers=hors_delai']").click()
        wait.until(lambda b: "dossiers=hors_delai" in b.current_url)
        wait.until(lambda b: "Dossiers hors délai" in b.find_element(By.CLASS_NAME, "list-title").text)
        assert f": {fr_number(breached)}" in browser.find_element(By.CLASS_NAME, "list-title").text
        table = _export(browser)
        assert len(table) == breached and {r["Procédure"] for r in table} == {worst_procedure}
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row a"))
        first = browser.find_elements(By.CSS_SELECTOR, "#explorer-grid .ag-row[row-index='0'] a")[0]
        oldest = table[0]["Dossier"]  # the export lists the oldest submission first, as the grid does
        assert first.text == oldest == "M00"
        screenshot(browser, f"director-2-procedure-{size[0]}")
        first.click()
        wait.until(lambda b: b.find_elements(By.ID, "case-page"))
        assert f"Dossier {oldest}" in browser.find_element(By.TAG_NAME, "h1").text
        assert "hors délai" in browser.find_element(By.ID, "case-page").text
    finally:
        browser.get("about:blank")
        browser.get_log("browser")  # a failure's messages stay here, not in the next test's log
        stop(proc)
