"""Browser test of the monitoring dashboard: a provincial officer sees every target met
or missed with the numbers behind it, drills down to a school and downloads the
region's report. Headless system Chromium (Playwright) against the live server."""

from __future__ import annotations

import pytest

from eduplus.monitoring.services import facts_save, indicators_compute
from eduplus.testing.database import (  # noqa: F401 - autouse fixtures
    flushable_database,
    shared_database_restored,
)
from eduplus.testing.factories import DEMO_PASSWORD
from tests.browser_util import (
    Shots,
    submit_login,
)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.usefixtures("async_unsafe_allowed"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_province_officer_reads_the_dashboard_drills_down_and_downloads(
    world, live_server, browser
):
    for school, fibre, bandwidth in (
        (world.a.school, True, 1000),
        (world.a.teaching_point, True, 50),
        (world.b.school, False, 20),
        (world.b.teaching_point, True, 100),
    ):
        values = {"fibre": fibre, "bandwidth_mbps": bandwidth}
        facts_save(school=school, year=2025, values=values)
    indicators_compute(year=2025)
    shot = Shots("monitoring")
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    submit_login(page, world.province_officer.username, DEMO_PASSWORD)
    page.get_by_role("link", name="监测").click()
    expect(page.locator("h1")).to_contain_text("河南省 · 教育信息化监测")
    fibre = page.locator('tr[data-indicator="fibre"]')
    expect(fibre).to_have_attribute("data-state", "missed")
    expect(fibre).to_contain_text("75.0%")
    expect(fibre).to_contain_text("≥100%")
    # The trend and ranking charts are drawn (ECharts, served locally).
    expect(page.locator("#trend-chart svg")).to_have_count(1)
    shot(page, "province")
    # The counts behind the percentage.
    fibre.get_by_role("link").click()
    expect(page.locator('[data-testid="formula"]')).to_contain_text("3 ÷ 4")
    shot(page, "fibre-breakdown")
    page.get_by_role("link", name="开封市").click()
    expect(page.locator("h1")).to_contain_text("开封市")
    page.get_by_role("link", name="龙亭区").click()
    expect(page.locator('[data-testid="parts"]')).to_contain_text("乙哨兵实验小学")
    page.locator('[data-testid="parts"]').get_by_role("link", name="乙哨兵实验小学").click()
    expect(page.locator("h1")).to_contain_text("乙哨兵实验小学")
    expect(page.locator('[data-testid="facts"]')).to_contain_text("否")
    shot(page, "school")
    page.goto(f"{live_server.url}/monitoring/r/41/?year=2025")
    with page.expect_download() as download_info:
        page.locator('[data-testid="xlsx"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    # The PDF opens in the browser's viewer (inline): fetch it with the page's session.
    href = page.locator('[data-testid="pdf"]').get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    context.close()
