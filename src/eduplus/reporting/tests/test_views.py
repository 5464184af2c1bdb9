"""The pages, as the right roles, through the real views with the test client."""

from __future__ import annotations

import datetime as dt

import pytest

from eduplus.core.models import AuditEntry
from eduplus.reporting.models import ReportForm, ReportTask, Submission, SubmissionStatus
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db

# Every logged-in request costs about 7 queries before the view (session, user, roles,
# scope, idle-timeout stamp); a list page must stay within this whatever the rows.
MAX_LIST_QUERIES = 20


@pytest.fixture
def as_user(login, client):  # type: ignore[no-untyped-def]
    """Log in as another user (the login page sends a logged-in user away)."""

    def _as(user):  # type: ignore[no-untyped-def]
        client.logout()
        return login(user)

    return _as


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_a_county_officer_runs_a_task_to_completion_with_two_schools_and_one_return(
    world, as_user, client
):
    officer = world.a.users["county_officer"]
    second = f.SchoolFactory(name="甲二小学", region=f.region("410102"))
    second_admin = f.user_with_role("school_admin", school=second, username="a-school-2")

    # 1. The officer designs a form: typed fields and a rule between two of them.
    as_user(officer)
    response = client.post("/reports/forms/", {"title": "学校信息化基础数据"})
    form = ReportForm.objects.get(title="学校信息化基础数据")
    assert response.status_code == 302 and response.url == f"/reports/forms/{form.pk}/"
    url = f"/reports/forms/{form.pk}/"
    for code, label, kind, extra in [
        (
            "ordinary_rooms",
            "普通教室数",
            "integer",
            {"field-required": "on", "field-min_value": "0"},
        ),
        ("multimedia_rooms", "多媒体教室数", "integer", {"field-required": "on"}),
        ("access", "接入方式", "choice", {"field-options_text": "1 光纤\n2 无线"}),
    ]:
        data = {"op": "add_field", "field-code": code, "field-label": label, "field-kind": kind}
        assert client.post(url, {**data, **extra}).status_code == 302
    bad = client.post(url, {"op": "add_rule", "rule-expression": "multimedia_rooms <= nothing"})
    assert "规则引用了不存在或非数值的字段：nothing" in page(bad)
    client.post(
        url,
        {
            "op": "add_rule",
            "rule-expression": "multimedia_rooms <= ordinary_rooms",
            "rule-message": "多媒体教室数不能多于普通教室数",
        },
    )
    assert form.fields.count() == 3 and form.rules.count() == 1

    # 2. ...and assigns it to the primary schools of the county (not the teaching point).
    assign = f"/reports/forms/{form.pk}/assign/"
    assert "发布报送任务" in page(client.get(assign))
    data = {
        "title": "2026年度学校信息化基础数据报送",
        "period": "2026年度",
        "deadline": "2099-12-31",
        "school_types": ["211"],
    }
    assert "将发给 2 所学校" in page(client.post(assign, {**data, "preview": "1"}))
    response = client.post(assign, data)
    task = ReportTask.objects.get()
    assert response.url == f"/reports/tasks/{task.pk}/"
    assert "已锁定" in page(client.get(url))
    body = page(client.get(response.url))
    assert "甲哨兵实验小学" in body and "甲二小学" in body and "0.0%" in body

    # 3. Both schools fill in; a bad value and a broken rule are shown on their fields.
    sub1 = Submission.objects.get(task=task, school=world.a.school)
    sub2 = Submission.objects.get(task=task, school=second)
    as_user(world.a.users["school_admin"])
    inbox = page(client.get("/reports/inbox/"))
    assert "2026年度学校信息化基础数据报送" in inbox and "甲二小学" not in inbox
    fill1 = f"/reports/submissions/{sub1.pk}/"
    response = client.post(
        fill1, {"op": "submit", "f_ordinary_rooms": "三十", "f_multimedia_rooms": "40"}
    )
    assert response.status_code == 200
    assert "请输入数字" in page(response) and "此项为必填项" not in page(response)
    response = client.post(
        fill1, {"op": "submit", "f_ordinary_rooms": "30", "f_multimedia_rooms": "40"}
    )
    assert "多媒体教室数不能多于普通教室数" in page(response)
    assert 'value="40"' in page(response)  # what was typed comes back for correction
    client.post(fill1, {"op": "save", "f_ordinary_rooms": "30"})
    assert Submission.objects.get(pk=sub1.pk).status == SubmissionStatus.DRAFT
    client.post(fill1, {"op": "submit", "f_ordinary_rooms": "30", "f_multimedia_rooms": "20",
                        "f_access": "1"})  # fmt: skip
    assert Submission.objects.get(pk=sub1.pk).status == SubmissionStatus.SUBMITTED
    assert "正在审核" in page(client.get(fill1))
    assert client.get(f"/reports/submissions/{sub2.pk}/").status_code == 404  # not theirs

    as_user(second_admin)
    fill2 = f"/reports/submissions/{sub2.pk}/"
    client.post(fill2, {"op": "submit", "f_ordinary_rooms": "18", "f_multimedia_rooms": "9"})
    assert Submission.objects.get(pk=sub2.pk).status == SubmissionStatus.SUBMITTED

    # 4. The officer returns one for correction and signs off the other.
    as_user(officer)
    review2 = f"/reports/submissions/{sub2.pk}/review/"
    assert "审核通过" in page(client.get(review2))
    response = client.post(review2, {"op": "return", "reason": ""})
    assert "This field is required" in page(response) or "这个字段是必填项" in page(response)
    client.post(review2, {"op": "return", "reason": "多媒体教室数与装备台账不一致"})
    client.post(f"/reports/submissions/{sub1.pk}/review/", {"op": "sign_off", "note": "属实"})
    assert Submission.objects.get(pk=sub1.pk).status == SubmissionStatus.APPROVED
    # A reminder reaches the school with the returned submission.
    response = client.post(f"/reports/tasks/{task.pk}/remind/", follow=True)
    assert "已向 1 所未报送的学校发送站内提醒" in page(response)

    # 5. The school sees the reason and the reminder, corrects and resubmits.
    as_user(second_admin)
    body = page(client.get(fill2))
    assert "多媒体教室数与装备台账不一致" in body and "站内提醒" in body
    client.post(fill2, {"op": "submit", "f_ordinary_rooms": "18", "f_multimedia_rooms": "10"})

    # 6. The officer signs it off: the task is complete, every step in the history.
    as_user(officer)
    client.post(review2, {"op": "sign_off"})
    assert set(Submission.objects.filter(task=task).values_list("status", flat=True)) == {
        "approved"
    }
    body = page(client.get(f"/reports/tasks/{task.pk}/"))
    assert "100.0%" in body
    history = page(client.get(review2))
    for step in ("提交", "退回修改", "站内提醒", "审核通过", "多媒体教室数与装备台账不一致"):
        assert step in history
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"report.form_create", "report.field_add", "report.rule_add", "report.task_assign",
            "report.submit", "report.save_draft", "report.return", "report.sign_off",
            "report.remind"} <= actions  # fmt: skip
    results = page(client.get(f"/reports/tasks/{task.pk}/results/"))
    assert "48" in results  # 30 + 18 ordinary classrooms
    # A signed-off submission cannot be changed through the page either.
    as_user(second_admin)
    client.post(fill2, {"op": "submit", "f_ordinary_rooms": "1", "f_multimedia_rooms": "1"})
    assert Submission.objects.get(pk=sub2.pk).values["ordinary_rooms"] == 18


def test_home_sends_each_role_to_its_page(world, as_user, client):
    as_user(world.a.users["county_officer"])
    assert client.get("/reports/").url == "/reports/tasks/"
    as_user(world.a.users["school_admin"])
    assert client.get("/reports/").url == "/reports/inbox/"
    as_user(world.a.users["teacher"])
    assert client.get("/reports/").status_code == 404


def test_empty_states_say_what_to_do_next(world, as_user, client):
    as_user(world.a.users["county_officer"])
    assert "去设计表单" in page(client.get("/reports/tasks/"))
    assert "还没有表单" in page(client.get("/reports/forms/"))
    as_user(world.a.users["school_admin"])
    assert "暂无报送任务" in page(client.get("/reports/inbox/"))


def test_other_regions_objects_answer_404_like_missing_ones(world, as_user, client):
    rw = f.report_world(world.b)
    as_user(world.a.users["county_officer"])
    for url in (
        f"/reports/tasks/{rw.task.pk}/",
        f"/reports/tasks/{rw.task.pk}/export.csv",
        f"/reports/tasks/{rw.task.pk}/results/",
        f"/reports/forms/{rw.form.pk}/",
        f"/reports/submissions/{rw.school_submission.pk}/review/",
    ):
        assert client.get(url).status_code == 404, url
    assert "乙哨兵" not in page(client.get("/reports/tasks/"))
    as_user(world.a.users["school_admin"])
    assert client.get(f"/reports/submissions/{rw.school_submission.pk}/").status_code == 404
    # Officers cannot fill in; schools cannot review.
    mine = f.report_world(world.a)
    assert (
        client.get(f"/reports/submissions/{mine.school_submission.pk}/review/").status_code == 403
    )
    as_user(world.a.users["county_officer"])
    assert client.get(f"/reports/submissions/{mine.school_submission.pk}/").status_code == 403


def test_overdue_task_is_still_open_and_marked_late(world, as_user, client):
    task = f.report_world(world.a).task
    ReportTask.objects.filter(pk=task.pk).update(deadline=dt.date(2020, 1, 1))
    sub = task.submissions.get(school=world.a.school)
    as_user(world.a.users["school_admin"])
    assert "仍可提交，将记为逾期" in page(client.get(f"/reports/submissions/{sub.pk}/"))
    response = client.post(
        f"/reports/submissions/{sub.pk}/",
        {"op": "submit", "f_ordinary_rooms": "3", "f_multimedia_rooms": "1"},
        follow=True,
    )
    assert "记为逾期提交" in page(response)
    assert Submission.objects.get(pk=sub.pk).is_late


def _more_tasks(world, n: int = 6) -> None:  # type: ignore[no-untyped-def]
    officer = world.a.users["county_officer"]
    for i in range(n):
        f.SchoolFactory(name=f"甲加测{i}小学", region=f.region("410102"))
        f.report_task(officer, title=f"加测任务{i}")


@pytest.mark.parametrize(
    ("actor", "path"),
    [
        ("county_officer", "/reports/tasks/"),
        ("county_officer", "/reports/forms/"),
        ("county_officer", "task"),
        ("county_officer", "results"),
        ("school_admin", "/reports/inbox/"),
    ],
)
def test_list_pages_run_a_bounded_number_of_queries(
    world, as_user, client, django_assert_max_num_queries, actor, path
):
    task = f.report_world(world.a).task
    path = {
        "task": f"/reports/tasks/{task.pk}/",
        "results": f"/reports/tasks/{task.pk}/results/",
    }.get(path, path)
    as_user(world.a.users[actor])
    client.get(path)
    with django_assert_max_num_queries(MAX_LIST_QUERIES) as few:
        assert client.get(path).status_code == 200
    _more_tasks(world)
    with django_assert_max_num_queries(MAX_LIST_QUERIES) as many:
        assert client.get(path).status_code == 200
    assert len(many.captured_queries) <= len(few.captured_queries) + 1
