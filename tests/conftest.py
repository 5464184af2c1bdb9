"""Fixtures shared by the browser test modules (headless Debian Chromium)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from eduplus.testing.browser import CHROMIUM, CHROMIUM_ARGS

# Fixtures shared by the browser test modules; import them into a module to use them:
#     from tests.browser_util import async_unsafe_allowed, browser


@pytest.fixture(scope="module")
def async_unsafe_allowed() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    make between browser steps would otherwise trip Django's async-safety check. Set
    only for the modules that ask for it with ``pytest.mark.usefixtures`` (Django reads
    it on every call), not for the whole session."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
