"""The headless Chromium that every browser test drives (Debian's, through Playwright)."""

from __future__ import annotations

import pytest

from labdriver import CHROMIUM_ARGS, chromium_path


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skips, saying what is missing, when either is absent."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Browser tests need the Python package playwright: pip install playwright")
    executable = chromium_path()
    if executable is None:
        pytest.skip("Browser tests need Chromium: apt-get install -y chromium (or set CNNCOURSE_CHROMIUM)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
