"""一师一优课 in a real browser: a teacher shows a lesson (晒课) with its three parts, the
county officer appoints three experts and opens scoring, each expert scores blind, the
officer closes scoring and selects the lesson, and it appears in 优课展示 as 县优."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eduplus.lessons.models import Lesson
from eduplus.lessons.tests import factories as lf
from eduplus.regions.models import Region
from eduplus.resources.tests.factories import mp4_bytes, pdf_bytes
from eduplus.testing import factories as f
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


def new_page(browser: Any, live_server: Any, username: str) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/login/")
    submit_login(page, username, DEMO_PASSWORD)
    return page


def test_teacher_submits_experts_score_organiser_selects_showcase(world, live_server, browser):
    shot = Shots("lessons")
    a = world.a
    officer = a.users["county_officer"]
    activity = lf.activity(officer, region=Region.objects.get(code="410102"), quota=1)
    expert_school = f.SchoolFactory(region=f.region("410102"), name="中原区专家学校")
    experts = []
    for i in range(3):
        person = f.PersonFactory(name=f"评审专家{i + 1}")
        f.TeacherFactory(school=expert_school, person=person)
        experts.append(
            f.user_with_role("teacher", school=expert_school, person=person, username=f"zj{i + 1}")
        )

    # 1. The teacher shows a lesson.
    teacher = new_page(browser, live_server, a.users["teacher"].username)
    teacher.goto(f"{live_server.url}/lessons/")
    expect(teacher.locator("[data-testid=activities]")).to_contain_text(activity.title)
    shot(teacher, "teacher-activities")
    teacher.get_by_role("link", name="我要晒课").click()
    form = teacher.locator("[data-testid=lesson-form]")
    form.locator("#id_title").fill("勾股定理（第一课时）")
    form.locator("#id_stage").select_option("junior")
    form.locator("#id_subject").fill("数学")
    form.locator("#id_grade").select_option("8")
    form.locator("#id_chapter").fill("第十七章 勾股定理")
    form.locator("#id_design").set_input_files(
        {"name": "教学设计.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    form.locator("#id_courseware").set_input_files(
        {"name": "课件.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    form.locator("#id_video").set_input_files(
        {"name": "课堂实录.mp4", "mimeType": "video/mp4", "buffer": mp4_bytes(2400)}
    )
    shot(teacher, "teacher-form")
    teacher.locator("[data-testid=submit-lesson]").click()
    expect(teacher.locator("main > .messages")).to_contain_text("课例已提交")
    expect(teacher.locator("[data-testid=lesson-status]")).to_have_text("已提交")
    shot(teacher, "teacher-submitted")
    lesson = Lesson.objects.get(activity=activity)
    assert len(lesson.video_sha256) == 64 and lesson.video_seconds == 2400

    # 2. The organiser appoints three experts and opens scoring.
    org = new_page(browser, live_server, officer.username)
    org.goto(f"{live_server.url}/lessons/activities/{activity.pk}/")
    for user in experts:
        org.locator("[data-testid=expert-username]").fill(user.username)
        org.get_by_role("button", name="聘任专家").click()
        expect(org.locator("main > .messages")).to_contain_text("已聘任专家")
    expect(org.locator("[data-testid=panel]")).to_contain_text("zj3")
    shot(org, "organiser-panel")
    org.locator("[data-testid=start-scoring]").click()
    expect(org.locator("main > .messages")).to_contain_text("评审已开始")

    # 3. Each expert scores, blind.
    for k, user in enumerate(experts):
        page = new_page(browser, live_server, user.username)
        page.goto(f"{live_server.url}/lessons/review/")
        queue = page.locator("[data-testid=queue]")
        expect(queue).to_contain_text("待评")
        page.get_by_role("link", name="勾股定理（第一课时）").click()
        sheet = page.locator("[data-testid=score-sheet]")
        for i, weight in enumerate([30, 40, 20, 10]):
            sheet.locator(f"#c{i}").fill(str(weight - k))
        sheet.locator("#comment").fill("目标清晰，技术融合自然")
        if k == 0:
            shot(page, "expert-sheet")
        sheet.locator("[data-testid=save-score]").click()
        expect(page.locator("main > .messages")).to_contain_text("评分已保存")
        expect(page.locator("[data-testid=queue]")).to_contain_text(str(100 - 4 * k))
        # Blind: no other expert's total appears.
        others = [str(100 - 4 * j) for j in range(k)]
        assert not any(re.search(rf"\b{t}\b", page.locator("[data-testid=queue]").inner_text())
                       for t in others)  # fmt: skip
        page.context.close()

    # 4. The organiser closes scoring and selects the lesson (rank 1, quota 1).
    org.goto(f"{live_server.url}/lessons/activities/{activity.pk}/")
    org.locator("[data-testid=close-scoring]").click()
    expect(org.locator("[data-testid=lessons]")).to_contain_text("96.00")
    shot(org, "organiser-ranked")
    org.locator("[data-testid=select]").click()
    expect(org.locator("main > .messages")).to_contain_text("优课已遴选并公布")
    expect(org.locator("[data-testid=lessons]")).to_contain_text("县优")
    shot(org, "organiser-published")

    # 5. It appears in 优课展示, for a student of the province as well.
    student = new_page(browser, live_server, a.users["student"].username)
    student.goto(f"{live_server.url}/lessons/showcase/")
    cards = student.locator("[data-testid=showcase]")
    expect(cards).to_contain_text("勾股定理（第一课时）")
    expect(cards).to_contain_text("县优")
    shot(student, "showcase")
    student.get_by_role("link", name="勾股定理（第一课时）").click()
    expect(student.locator("[data-testid=final-score]")).to_contain_text("96.00")
    shot(student, "lesson-detail")
    for page in (teacher, org, student):
        page.context.close()
