"""Browser test of a resource's whole life with engagement: a teacher uploads courseware,
the school administrator approves it, the county officer publishes it after the three
checks (三审), a student finds it with a two-character query, rates it (评分) and
comments (评论), the moderator approves the comment and everyone sees it. Headless system
Chromium (Playwright) against the live server; screenshots of every step land in
var/screenshots/ (and in $EDUPLUS_SHOTS_DIR when set)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from eduplus.resources.models import Comment, Rating, Resource
from eduplus.resources.tests.factories import pdf_bytes
from eduplus.testing.database import (  # noqa: F401 - autouse fixtures
    flushable_database,
    shared_database_restored,
)
from eduplus.testing.factories import DEMO_PASSWORD
from tests.browser_util import Shots, submit_login

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.usefixtures("async_unsafe_allowed"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

TITLE = "勾股定理 探究课件（浏览器）"


class _Shots(Shots):
    """Also copy each screenshot to $EDUPLUS_SHOTS_DIR (for looking at them by hand)."""

    def __call__(self, page: Any, label: str) -> Path:
        path = super().__call__(page, label)
        extra = os.environ.get("EDUPLUS_SHOTS_DIR")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(extra) / path.name), full_page=True)
        return path


def as_user(browser: Any, live_server: Any, user: Any) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    submit_login(page, user.username, DEMO_PASSWORD)
    return page


def test_upload_review_publish_find_rate_comment_and_moderate(
    world, live_server, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    from eduplus.resources.catalog import ensure_catalog
    from eduplus.resources.models import CatalogNode

    ensure_catalog()
    node = CatalogNode.objects.get(path="junior/math/renjiao/8/down/c2/s1")
    a = world.a
    shot = _Shots("resources")

    # 1. The teacher uploads a courseware file.
    page = as_user(browser, live_server, a.users["teacher"])
    page.goto(f"{live_server.url}/resources/upload/")
    expect(page.locator("h1")).to_have_text("上传资源")
    page.set_input_files(
        "#id_file",
        files=[
            {"name": "勾股定理.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("勾股")}
        ],
    )
    page.fill("#id_title", TITLE)
    page.select_option("#id_resource_type", "courseware")
    # The catalog is chosen level by level (resources.js); the form field underneath:
    page.evaluate(f"document.querySelector('select[name=node]').value = '{node.pk}'")
    page.fill("#id_description", "赵爽弦图拼图活动，适合八年级下册。")
    shot(page, "upload")
    page.get_by_role("button", name="上传并提交审核").click()
    expect(page.locator("ul.messages")).to_contain_text("上传成功")
    expect(page.locator("h1")).to_contain_text("待学校审核")
    resource = Resource.objects.get(title=TITLE)
    page.context.close()

    # 2. The school administrator approves it.
    page = as_user(browser, live_server, a.users["school_admin"])
    page.goto(f"{live_server.url}/resources/review/school/")
    page.get_by_role("link", name="审核", exact=True).first.click()
    page.check("input[name=decision][value=approve]")
    shot(page, "school-review")
    page.get_by_role("button", name="提交审核结论").click()
    expect(page.locator("ul.messages")).to_contain_text("学校审核已完成")
    page.context.close()

    # 3. The county officer publishes it after the three checks.
    page = as_user(browser, live_server, a.users["county_officer"])
    page.goto(f"{live_server.url}/resources/{resource.pk}/review/county/")
    for check in ("political", "scientific", "normative"):
        page.check(f"input[name={check}][value=pass]")
    page.select_option("#id_quality", "4")
    shot(page, "county-review")
    page.get_by_role("button", name="提交审核结论").click()
    expect(page.locator("ul.messages")).to_contain_text("资源已发布")
    page.context.close()

    # 4. A student finds it with a two-character query, rates it and comments.
    page = as_user(browser, live_server, a.users["student"])
    page.goto(f"{live_server.url}/resources/")
    expect(page.get_by_test_id("recommended")).to_contain_text(TITLE)
    shot(page, "search-landing-recommended")
    page.fill("input[name=q]", "勾股")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_test_id("results")).to_contain_text(TITLE)
    expect(page.get_by_test_id("results")).to_contain_text("暂无评分")
    shot(page, "search-results")
    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/resources/{resource.pk}/$"))
    expect(page.get_by_test_id("no-comments")).to_contain_text("还没有评论")
    # The PDF preview loads in a frame; click once the page has settled.
    page.wait_for_load_state("load")
    score = page.locator("input[name=score][value='4']")
    score.click()
    expect(score).to_be_checked()
    page.get_by_role("button", name="提交评分").click()
    expect(page.locator("ul.messages")).to_contain_text("感谢评分")
    expect(page.get_by_test_id("rating")).to_contain_text("你的评分：4 星")
    expect(page.get_by_test_id("rating-summary")).to_contain_text("4.0")
    page.fill("#id_body", "拼图活动很直观，<b>我看懂了</b>！")
    page.get_by_role("button", name="提交评论").click()
    expect(page.locator("ul.messages")).to_contain_text("评论已提交")
    mine = page.get_by_test_id("comment")
    expect(mine).to_contain_text("拼图活动很直观，<b>我看懂了</b>！")  # shown as text
    expect(mine.get_by_test_id("comment-state")).to_have_text("待审核")
    shot(page, "student-rated-and-commented")
    page.context.close()
    assert Rating.objects.get().score == 4

    # 5. Others do not see the pending comment; the moderator approves it.
    page = as_user(browser, live_server, a.users["teacher"])
    page.goto(f"{live_server.url}/resources/{resource.pk}/")
    expect(page.get_by_test_id("comments")).not_to_contain_text("拼图活动很直观")
    page.context.close()

    # A complaint (举报) waits in the same queue.
    page = as_user(browser, live_server, a.users["parent"])  # no resource.rate: no form
    page.goto(f"{live_server.url}/resources/{resource.pk}/")
    expect(page.get_by_test_id("complaint")).to_have_count(0)
    page.context.close()
    page = as_user(browser, live_server, a.users["student"])
    page.goto(f"{live_server.url}/resources/{resource.pk}/")
    page.get_by_text("举报该资源").click()
    page.select_option("#id_category", "scientific")
    page.fill("#id_text", "第2页勾股数写错了")
    page.get_by_role("button", name="提交举报").click()
    expect(page.locator("ul.messages")).to_contain_text("举报已提交")
    page.context.close()

    page = as_user(browser, live_server, a.users["school_admin"])
    page.goto(f"{live_server.url}/resources/moderation/")
    expect(page.get_by_test_id("open-complaints")).to_contain_text("第2页勾股数写错了")
    expect(page.locator("h1")).to_have_text("评论审核与举报处理")
    row = page.locator(f"tr[data-comment='{Comment.objects.get().pk}']")
    expect(row).to_contain_text("拼图活动很直观")
    shot(page, "moderation-queue")
    row.locator("input[value=approve]").check()
    row.get_by_role("button", name="提交").click()
    expect(page.locator("ul.messages")).to_contain_text("评论审核已完成")
    expect(page.get_by_test_id("no-pending-comments")).to_be_visible()
    complaint_row = page.get_by_test_id("open-complaints").locator("tr").nth(1)
    complaint_row.locator("input[value=dismiss]").check()
    complaint_row.locator("input[name=resolution]").fill("经核实无误")
    complaint_row.get_by_role("button", name="提交").click()
    expect(page.locator("ul.messages")).to_contain_text("举报已处理")
    expect(page.get_by_test_id("no-open-complaints")).to_be_visible()
    shot(page, "moderation-empty")
    page.goto(f"{live_server.url}/resources/stats/")
    expect(page.get_by_test_id("stats")).to_contain_text(a.school.name)
    shot(page, "stats")
    page.context.close()

    # The city officer drills down city → county → school in the usage statistics.
    page = as_user(browser, live_server, a.users["city_officer"])
    page.goto(f"{live_server.url}/resources/stats/")
    expect(page.get_by_test_id("stats")).to_contain_text("中原区")
    shot(page, "stats-city")
    page.get_by_role("link", name="中原区").click()
    expect(page.get_by_test_id("stats")).to_contain_text(a.school.name)
    expect(page.get_by_test_id("stats-crumbs")).to_contain_text("郑州市")
    shot(page, "stats-county")
    page.context.close()

    page = as_user(browser, live_server, a.users["teacher"])
    page.goto(f"{live_server.url}/resources/{resource.pk}/")
    comment = page.get_by_test_id("comment")
    expect(comment).to_contain_text("拼图活动很直观")
    expect(comment.get_by_test_id("comment-state")).to_have_count(0)
    shot(page, "comment-shown")
    page.goto(f"{live_server.url}/resources/ranking/")
    expect(page.get_by_test_id("ranking")).to_contain_text(TITLE)
    shot(page, "ranking")
    page.context.close()
