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


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        unavailable("Chromium", FileNotFoundError("chromium et chromium-driver (paquets Debian) sont requis"))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    try:
        web = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    except Exception as exc:  # noqa: BLE001 - reported as a missing browser
        unavailable("Chromium", exc)
    yield web
    web.quit()








