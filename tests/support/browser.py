"""A real headless browser for the pages a person looks at: Debian's chromium, driven by Selenium
through Debian's chromedriver (both from apt; CI installs them). Tests that need it skip, saying
so, where they are missing."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium import webdriver

CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome")
"""Debian's chromium (GitHub's Ubuntu runners have Google Chrome instead)."""
CHROMEDRIVER = shutil.which("chromedriver") or shutil.which(
    "chromedriver", path=os.environ.get("CHROMEWEBDRIVER", os.defpath)
)

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="SKIPPED the browser tests: chromium and chromium-driver are not installed "
    "(apt-get install chromium chromium-driver; .ci/run installs them)",
)

ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1100",
)


@contextmanager
def chromium() -> Iterator["webdriver.Chrome"]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None
    assert CHROMEDRIVER is not None
    options.binary_location = CHROMIUM  # Debian's: Selenium Manager never downloads one
    for argument in ARGUMENTS:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
