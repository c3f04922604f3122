"""/alertes in a real browser: on the room's desk screen and on a director's phone, taking an alert in charge
in one tap from the phone."""

from __future__ import annotations

import textwrap

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import explorer_config, log_in, screenshot, serve, stop

ALERTS = """
[alerts]
enabled = true
evaluate_every_seconds = 2
[[alerts.contacts]]
name = "salle"
[[alerts.rules]]
name = "stock-par-structure"
metric = "backlog"
scope = "service"
op = ">"
threshold = 0
severity = "critical"
contacts = ["salle"]
"""


def _no_sideways_scroll(browser) -> bool:  # type: ignore[no-untyped-def]
    return browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_alerts_on_a_desk_screen_and_taken_in_charge_from_a_phone(browser, tmp_path, sqlite_source) -> None:
    config = explorer_config(tmp_path, sqlite_source)
    config.write_text(config.read_text() + textwrap.dedent(ALERTS))
    proc, base = serve(config)
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.set_window_size(1920, 1080)
        log_in(browser, base, "marc", "/alertes")
        wait.until(lambda b: b.find_elements(By.ID, "alerts-page"))

        def firing(b):  # type: ignore[no-untyped-def]
            cards = b.find_elements(By.CSS_SELECTOR, ".alert-card.firing")
            if len(cards) < 2:  # CEET and the mines direction hold the fixture's open cases
                b.refresh()  # the collector's first evaluation may come a few seconds after the page
                return False
            return cards

        cards = wait.until(firing)
        assert len(cards) == 2
        assert all("Non pris en charge" in c.text for c in cards)
        assert "CRITIQUE" in cards[0].text.upper()
        screenshot(browser, "alertes-1080")

        browser.set_window_size(390, 844)
        browser.refresh()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".alert-card.firing .ack-button"))
        assert _no_sideways_scroll(browser)
        card = browser.find_elements(By.CSS_SELECTOR, ".alert-card.firing")[0]
        title = card.find_element(By.TAG_NAME, "h3").text
        card.find_element(By.CSS_SELECTOR, "input.ack-comment, .ack-comment input").send_keys("équipe envoyée")
        button = card.find_element(By.CSS_SELECTOR, ".ack-button")
        assert button.size["height"] >= 40  # a thumb's target
        button.click()
        wait.until(lambda b: "prise en charge par marc" in b.find_element(By.ID, "alerts-message").text)

        def taken(b):  # type: ignore[no-untyped-def]
            for c in b.find_elements(By.CSS_SELECTOR, ".alert-card.firing"):
                if c.find_element(By.TAG_NAME, "h3").text == title:
                    return "Pris en charge par marc — « équipe envoyée »" in c.text
            return False

        wait.until(taken)
        assert _no_sideways_scroll(browser)
        screenshot(browser, "alertes-phone")
    finally:
        browser.set_window_size(1920, 1080)
        stop(proc)
