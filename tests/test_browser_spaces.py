"""Browser tests of the learning spaces: a student favourites a published resource from
its page (htmx) and finds it in their space; a county officer opens the space usage
rates of their schools. Headless system Chromium (Playwright) against the live server.
Screenshots land in var/screenshots/ (and in EDUPLUS_SHOTS_DIR when set)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from eduplus.resources.tests.factories import public_resource
from eduplus.spaces import services
from eduplus.spaces.models import Favourite
from eduplus.spaces.tests.factories import teaching_group
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


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def keep(path: Any) -> None:
    target = os.environ.get("EDUPLUS_SHOTS_DIR")
    if target:
        os.makedirs(target, exist_ok=True)
        shutil.copy(path, target)


def test_student_favourites_a_published_resource_and_sees_it_in_their_space(
    world, live_server, page
):
    resource = public_resource()
    student = world.a.users["student"]
    shot = Shots("spaces-student")
    page.goto(f"{live_server.url}/login/")
    submit_login(page, student.username, DEMO_PASSWORD)
    page.get_by_role("link", name="我的空间").click()
    expect(page.locator("h1")).to_contain_text("的学习空间")
    expect(page.locator("[data-testid=favourites]")).to_contain_text("还没有收藏")
    keep(shot(page, "empty-space"))

    page.goto(f"{live_server.url}/resources/{resource.pk}/")
    button = page.locator("[data-testid=favourite] button")
    expect(button).to_contain_text("收藏")
    button.click()
    # htmx swaps the form in place: no reload, the button now says so.
    expect(page.locator("[data-testid=favourite] button")).to_contain_text("已收藏")
    expect(page.locator("[data-testid=favourite] button")).to_have_attribute("aria-pressed", "true")
    keep(shot(page, "favourited"))
    assert Favourite.objects.filter(user=student, resource=resource).exists()

    page.get_by_role("link", name="我的空间").click()
    expect(page.locator("[data-testid=favourites]")).to_contain_text(resource.title)
    expect(page.locator("[data-testid=timeline]")).to_contain_text("收藏了")
    assert "乙哨兵" not in page.content()
    keep(shot(page, "space"))
    page.get_by_role("link", name="活动记录").first.click()
    expect(page.locator("[data-testid=activity]")).to_contain_text(resource.title)
    keep(shot(page, "activity"))


def test_county_officer_opens_the_usage_rates_of_their_schools(world, live_server, page):
    services.statement_record(
        user=world.a.users["teacher"], verb="viewed", object_id="https://x.cn/lesson"
    )
    services.statement_record(
        user=world.a.users["student"], verb="viewed", object_id="https://x.cn/lesson"
    )
    shot = Shots("spaces-usage")
    page.goto(f"{live_server.url}/login/")
    submit_login(page, world.a.users["county_officer"].username, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/spaces/usage/")
    expect(page.locator("h1")).to_contain_text("中原区 · 网络学习空间应用率")
    row = page.locator("[data-testid=usage] tbody tr").first
    expect(row).to_contain_text("甲哨兵实验小学")
    expect(row).to_contain_text("1 / 1")
    expect(row).to_contain_text("100.0%")
    expect(row).to_contain_text("1 / 2")
    expect(row).to_contain_text("50.0%")
    totals = page.locator("[data-testid=totals]")
    expect(totals).to_contain_text("100.0%")
    expect(totals).to_contain_text("50.0%")
    assert "乙哨兵" not in page.content()
    keep(shot(page, "county"))
    with page.expect_download() as download:
        page.locator("[data-testid=csv]").click()
    assert re.match(r"space-usage-410102-\d{4}\.csv", download.value.suggested_filename)


def test_teacher_group_page(world, live_server, page):
    """Not a brief requirement, but every page gets looked at: a group with a post."""
    group = teaching_group(world.a)
    services.group_post_create(group=group, user=world.a.users["teacher"], body="下周集体备课。")
    shot = Shots("spaces-group")
    page.goto(f"{live_server.url}/login/")
    submit_login(page, world.a.users["teacher"].username, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/spaces/groups/")
    expect(page.locator("[data-testid=my-groups]")).to_contain_text(group.name)
    keep(shot(page, "groups"))
    page.get_by_role("link", name=group.name).click()
    expect(page.locator("[data-testid=posts]")).to_contain_text("下周集体备课")
    keep(shot(page, "group"))


PAGES = [
    # role, path, heading
    ("teacher", "/spaces/", "的学习空间"),
    ("teacher", "/spaces/favourites/", "我的收藏"),
    ("teacher", "/spaces/activity/", "我的活动记录"),
    ("teacher", "/spaces/groups/", "教研组"),
    ("school_admin", "/spaces/teachers/{teacher}/", "老师的空间"),
    ("school_admin", "/spaces/usage/", "网络学习空间应用率"),
    ("county_officer", "/spaces/lrs-clients/", "学习记录库（LRS）客户端"),
    ("province_officer", "/spaces/usage/", "河南省 · 网络学习空间应用率"),
    ("province_officer", "/spaces/usage/?region=4101", "郑州市 · 网络学习空间应用率"),
]


def test_every_spaces_page_renders_in_chinese_with_next_steps(world, live_server, page):
    """Each page with nothing in it yet: a heading, and an empty state that says what to do."""
    shot = Shots("spaces-pages")
    current = None
    for role, path, heading in PAGES:
        user = world.province_officer if role == "province_officer" else world.a.users[role]
        if user != current:
            page.context.clear_cookies()
            page.goto(f"{live_server.url}/login/")
            submit_login(page, user.username, DEMO_PASSWORD)
            current = user
        response = page.goto(live_server.url + path.format(teacher=world.a.teacher.pk))
        assert response is not None and response.status == 200, path
        expect(page.locator("h1")).to_contain_text(heading)
        assert "乙哨兵" not in page.content() or role == "province_officer"
        keep(shot(page, f"{role}-{path}"))
