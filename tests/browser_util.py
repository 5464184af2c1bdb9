"""Helpers for the browser tests: the system Chromium and screenshots. Keeping the
database usable around live-server tests is in ``eduplus.testing.database``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


class Shots:
    """Numbered full-page screenshots of one test under var/screenshots/."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.step = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, label: str) -> Path:
        self.step += 1
        safe = re.sub(r"[^A-Za-z0-9_-]+", "-", label)
        path = SCREENSHOTS / f"{self.prefix}-{self.step:02d}-{safe}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def submit_login(page: Any, username: str, password: str) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
