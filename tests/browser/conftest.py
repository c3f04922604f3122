"""Headless Debian Chromium driven by Selenium, against the app served on loopback.

The browser and its driver come from Debian's packages (chromium, chromium-driver);
scripts/test.sh installs them when missing. Nothing is downloaded at run time.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import unavailable

ROOT = Path(__file__).resolve().parents[2]
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1920,1080",
]


def _chromium(extra: list[str], prefs: dict[str, object] | None = None) -> object:
    """A headless Chromium with this module's flags, ``extra`` ones and ``prefs`` (skips when it cannot start)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        unavailable("Chromium", FileNotFoundError("chromium et chromium-driver (paquets Debian) sont requis"))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROME_FLAGS, *extra]:
        options.add_argument(flag)
    if prefs:
        options.add_experimental_option("prefs", prefs)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    try:
        return webdriver.Chrome(service=Service(executable_path=driver), options=options)
    except Exception as exc:  # noqa: BLE001 - reported as a missing browser
        unavailable("Chromium", exc)
        raise


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    web = _chromium([])
    yield web
    web.quit()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def english_browser() -> Iterator[object]:
    """A Chromium whose user speaks English (interface and Accept-Language): what our pages show must not follow it."""
    web = _chromium(["--lang=en-US"], {"intl.accept_languages": "en-US,en"})
    yield web
    web.quit()  # type: ignore[attr-defined]
