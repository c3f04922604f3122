"""/statistiques in Chromium, without login: axe-core finds no WCAG 2.0/2.1 A or AA violation on it (on a laptop
and on a 390 px phone) nor on /login; on the phone each procedure is a card inside the width; every request
stays on this server.

axe-core comes from the axe-selenium-python package (its bundled axe.min.js, read from disk and injected):
nothing is fetched at run time.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import explorer_config, screenshot, serve, stop

#: WCAG 2.0 and 2.1, levels A and AA, as far as the bundled axe-core (3.1.1) knows them: it has no "wcag21a" tag
#: (asking for it makes axe.run reject). The same list as the explorer's accessibility test.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser):  # type: ignore[no-untyped-def]
    from store.engines import create_source_engine
    from tests import factories

    tmp_path = tmp_path_factory.mktemp("public")
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = create_source_engine(url, 5)
    factories.create_source_schema(engine)
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None, hour=9, minute=0, second=0, microsecond=0)
    for i in range(30):  # enough CEET-BT cases in the last 90 days for every figure to show
        submitted = today - dt.timedelta(days=10 + i)
        closed = submitted + dt.timedelta(days=1 + i % 7)
        chan = ("online", "counter")[i % 3 == 0]
        events = (("DEP", submitted), ("OK", closed))
        factories.add_case(engine, f"P{i:02d}", closed, deposited=submitted, chan=chan, events=events)
    config = explorer_config(tmp_path, (url, engine))  # login on, a manager and a viewer; 24 more cases
    config.write_text(config.read_text() + "\n[public]\nenabled = true\n")
    proc, base = serve(config)
    yield base
    stop(proc)
    engine.dispose()


def _axe(browser) -> list[dict]:  # type: ignore[no-untyped-def]
    from axe_selenium_python import Axe

    axe = Axe(browser)
    assert Path(axe.script_url).is_file()  # the bundled copy, on disk
    axe.inject()
    # Axe.run waits forever when axe-core rejects (an unknown tag): this run reports the rejection instead
    results = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}}).then(done, (e) => done({error: String(e)}));",
        WCAG_TAGS,
    )
    assert "error" not in results, results
    assert results["passes"], "axe ran no rule"
    return list(results["violations"])


def _report(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in violations)


def _requested_hosts(browser) -> set[str]:  # type: ignore[no-untyped-def]
    hosts = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            hosts.add(urlsplit(message["params"]["request"]["url"]).netloc)
    return hosts


def _open(browser, url: str) -> None:  # type: ignore[no-untyped-def]
    browser.delete_all_cookies()
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.TAG_NAME, "h1"))


def test_the_public_page_passes_axe_on_a_laptop_and_stays_local(browser, site) -> None:
    browser.get_log("performance")  # forget what earlier tests requested
    _open(browser, site + "/statistiques")
    assert browser.current_url == site + "/statistiques"  # no login on the way
    assert browser.title.startswith("Délais des démarches")
    assert browser.find_elements(By.CSS_SELECTOR, "th[scope='row']")
    body = browser.find_element(By.TAG_NAME, "main").text
    assert "8 dossiers clos sur 10 l'ont été en" in body and "moins de 10 dossiers" in body  # shown and withheld
    assert _requested_hosts(browser) == {urlsplit(site).netloc}  # the page and its stylesheet, from this server only
    violations = _axe(browser)
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, "public-statistiques")
    assert violations == [], _report(violations)


def test_the_public_page_passes_axe_on_a_phone_without_sideways_scrolling(browser, site) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        _open(browser, site + "/statistiques")
        widths = browser.execute_script(
            "const cards = [...document.querySelectorAll('tbody tr')].map((r) => r.getBoundingClientRect());"
            "return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
            " outside: cards.filter((r) => r.left < 0 || r.right > window.innerWidth + 0.5).length, cards: cards.length};"
        )
        assert widths["inner"] == PHONE["width"] and widths["scroll"] <= widths["inner"], widths
        assert widths["cards"] == 29 and widths["outside"] == 0, widths
        label = browser.execute_script(
            "return getComputedStyle(document.querySelector('tbody td'), '::before').content;"
        )  # each figure says what it is on a card
        assert "Délai légal" in label
        violations = _axe(browser)
        browser.execute_script("window.scrollTo(0, document.querySelector('table').getBoundingClientRect().top - 80)")
        screenshot(browser, "public-statistiques-phone")
        assert violations == [], _report(violations)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_skip_link_leads_to_the_content(browser, site) -> None:
    from selenium.webdriver.common.keys import Keys

    _open(browser, site + "/statistiques")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "Aller au contenu" and skip.is_displayed()
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "contenu"


def test_the_login_page_passes_axe(browser, site) -> None:
    _open(browser, site + "/login")
    assert browser.find_elements(By.ID, "login-submit")
    violations = _axe(browser)
    assert violations == [], _report(violations)
