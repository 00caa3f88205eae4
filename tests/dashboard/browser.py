"""Headless Chromium from the system's packages, driven by Selenium through /usr/bin/chromedriver: the
driver's path is given, so Selenium Manager never runs and nothing is downloaded."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
T = TypeVar("T")


def chromium() -> Iterator:
    """A headless Chromium session; skipped where the packages are missing, except in CI (.ci/run installs
    them), where a missing browser fails."""
    if not (CHROMEDRIVER.exists() and CHROMIUM.exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are not installed (.ci/run installs them)")
        pytest.skip("needs Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


async def run(call: Callable[..., T], *args: object) -> T:
    """A blocking browser call off the event loop, so the dashboard in this loop can answer it."""
    return await asyncio.to_thread(call, *args)


async def wait_until(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until `check()` (run off the loop) held, or an AssertionError after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await run(check):
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")
