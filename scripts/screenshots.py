"""Screenshots of the running demo as each role sees it (headless Debian Chromium).

    make demo &   # in another terminal
    uv run python scripts/screenshots.py [--base http://127.0.0.1:8000] [--lang en]

Writes var/screenshots/demo-<account>-<page>.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from eduplus.testing.browser import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "Eduplus@2026"  # noqa: S105 - the documented demo password
PAGES = {
    "province": [
        "/",
        "/regions/41/",
        "/regions/4101/",
        "/schools/",
        "/people/students/",
        "/monitoring/r/41/",
        "/monitoring/r/41/indicator/?code=multimedia_ratio",
        "/monitoring/indicators/",
    ],
    "county": [
        "/",
        "/regions/410102/",
        "/schools/?ur=rural",
        "/people/teachers/",
        "/monitoring/r/410102/",
        "/monitoring/import/",
    ],
    "school": ["/", "/people/students/", "/monitoring/"],
    "teacher": ["/", "/people/students/"],
    "student": ["/"],
    "parent": ["/"],
    "sysadmin": ["/", "/accounts/", "/schools/import/"],
    "secadmin": ["/", "/security/"],
    "auditor": ["/", "/audit/"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--lang", default="zh-hans")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    out = Path(__file__).resolve().parent.parent / "var" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for account, paths in PAGES.items():
            if args.only and account not in args.only.split(","):
                continue
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{args.base}/login/")
            if args.lang != "zh-hans":
                page.select_option("select[data-lang-switch]", args.lang)
                page.wait_for_load_state()
            page.fill("#id_username", account)
            page.fill("#id_password", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            for path in paths:
                page.goto(f"{args.base}{path}")
                slug = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "")
                slug = slug or "home"
                target = out / f"demo-{args.lang}-{account}-{slug}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
