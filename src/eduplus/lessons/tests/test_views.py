"""Pages and API of 一师一优课: scope (403/404), the flow through real requests, exports,
and pinned query counts on the list pages."""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eduplus.core.models import AuditEntry
from eduplus.lessons import services
from eduplus.lessons.models import Activity, ActivityStatus, Lesson
from eduplus.lessons.tests import factories as lf
from eduplus.regions.models import Region

pytestmark = pytest.mark.django_db


def test_other_county_activity_answers_404_like_a_missing_one(setup, login, client):
    b = setup.world.b
    other = lf.activity(b.users["county_officer"], region=Region.objects.get(code="410202"))
    login(setup.officer)
    assert client.get(f"/lessons/activities/{setup.activity.pk}/").status_code == 200
    before = AuditEntry.objects.filter(action="permission.denied").count()
    assert client.get(f"/lessons/activities/{other.pk}/").status_code == 404
    assert client.get("/lessons/activities/999999/").status_code == 404
    assert AuditEntry.objects.filter(action="permission.denied").count() == before + 1
    assert (
        client.post(f"/lessons/activities/{other.pk}/act/", {"op": "start_scoring"}).status_code
        == 404
    )
    assert Activity.objects.get(pk=other.pk).status == ActivityStatus.OPEN


def test_roles_without_the_action_get_403(setup, login, client):
    login(setup.world.a.users["student"])
    assert client.get("/lessons/activities/new/").status_code == 403
    assert client.get(f"/lessons/activities/{setup.activity.pk}/my-lesson/").status_code == 403
    assert client.get("/lessons/").status_code == 200  # explains, offers the showcase
    login(setup.author)
    assert client.get(f"/lessons/activities/{setup.activity.pk}/").status_code == 403


def test_teacher_lesson_is_hidden_from_other_teachers_until_selected(setup, login, client):
    lesson = lf.submitted(setup.author, setup.activity)
    login(setup.author2)
    assert client.get(f"/lessons/lessons/{lesson.pk}/").status_code == 404
    assert client.get(f"/lessons/lessons/{lesson.pk}/file/?part=design").status_code == 404
    login(setup.author)
    page = client.get(f"/lessons/lessons/{lesson.pk}/")
    assert page.status_code == 200 and "勾股定理" in page.content.decode()
    got = client.get(f"/lessons/lessons/{lesson.pk}/file/?part=design")
    assert got.status_code == 200 and b"".join(got.streaming_content).startswith(b"%PDF")


def run_to_published(setup):
    lesson = lf.submitted(setup.author, setup.activity)
    for user in setup.experts[:3]:
        services.expert_appoint(actor=setup.officer, user=user, activity=setup.activity)
    services.activity_start_scoring(actor=setup.officer, activity=setup.activity)
    for user in setup.experts[:3]:
        services.lesson_score(actor=user, lesson=lesson, points=lf.full_points(setup.activity, 0.9),
                              comment="好课")  # fmt: skip
    services.activity_close_scoring(actor=setup.officer, activity=setup.activity)
    services.activity_select(actor=setup.officer, activity=setup.activity, lesson_ids=[lesson.pk])
    return lesson


def test_page_flow_and_showcase_and_exports(setup, login, client):
    lesson = lf.submitted(setup.author, setup.activity)
    login(setup.officer)
    url = f"/lessons/activities/{setup.activity.pk}/act/"
    client.post(url, {"op": "start_scoring"})
    assert Activity.objects.get(pk=setup.activity.pk).status == ActivityStatus.OPEN  # no experts
    for user in setup.experts[:3]:
        client.post(url, {"op": "add_expert", "username": user.username})
    client.post(url, {"op": "start_scoring"})
    assert Activity.objects.get(pk=setup.activity.pk).status == ActivityStatus.SCORING
    for user in setup.experts[:3]:
        login(user)
        queue = client.get("/lessons/review/").content.decode()
        assert "勾股定理" in queue
        sheet = client.get(f"/lessons/review/?lesson={lesson.pk}").content.decode()
        assert "教学设计" in sheet
        fields = {f"c{i}": str(c["weight"] - 1) for i, c in enumerate(setup.activity.rubric)}
        got = client.post("/lessons/review/", {"lesson": lesson.pk, "comment": "好", **fields})
        assert got.status_code == 302
    login(setup.officer)
    client.post(url, {"op": "close_scoring"})
    client.post(url, {"op": "select", "lesson": [lesson.pk]})
    lesson.refresh_from_db()
    assert lesson.selected and lesson.final_score == 96
    csv = client.get(f"/lessons/activities/{setup.activity.pk}/export/")
    text = csv.content.decode("utf-8-sig")
    assert "勾股定理" in text and "96.00" in text and "县优" in text
    xlsx = client.get(f"/lessons/activities/{setup.activity.pk}/export/?format=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert any("勾股定理" in str(c.value) for row in sheet.iter_rows() for c in row)
    # The showcase is public within the province: another school's teacher, a student.
    for user in (setup.author2, setup.world.a.users["student"], setup.world.b.users["teacher"]):
        login(user)
        assert "勾股定理" in client.get("/lessons/showcase/").content.decode()
        assert client.get(f"/lessons/lessons/{lesson.pk}/").status_code == 200
    login(setup.world.a.users["student"])
    data = client.get("/api/lessons/showcase").json()
    assert [i["title"] for i in data["items"]] == ["勾股定理"] and data["items"][0][
        "honour"
    ] == "县优"


def test_other_province_does_not_see_the_showcase(setup, world, login, client):
    run_to_published(setup)
    login(world.other_province_officer)
    assert "勾股定理" not in client.get("/lessons/showcase/").content.decode()


def test_api_queue_is_blind_and_scores(setup, login, client):
    lesson = lf.submitted(setup.author, setup.activity)
    for user in setup.experts[:2]:
        services.expert_appoint(actor=setup.officer, user=user, activity=setup.activity)
    services.activity_start_scoring(actor=setup.officer, activity=setup.activity)
    services.lesson_score(actor=setup.experts[0], lesson=lesson,
                          points=lf.full_points(setup.activity), comment="满分")  # fmt: skip
    login(setup.experts[1])
    queue = client.get("/api/lessons/review/queue").json()
    assert queue[0]["my_total"] is None and "100" not in json.dumps(queue)
    body = {"kind": "lesson", "id": lesson.pk, "points": {"教学设计": 31}, "comment": "x"}
    bad = client.post("/api/lessons/review/scores", body, content_type="application/json")
    assert bad.status_code == 422
    body["points"] = lf.full_points(setup.activity, 0.5)
    ok = client.post("/api/lessons/review/scores", body, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["total"] == 50
    login(setup.author2)
    nope = client.post("/api/lessons/review/scores", body, content_type="application/json")
    assert nope.status_code == 404
    assert Lesson.objects.get(pk=lesson.pk).scores.count() == 2


def _more_rows(setup, n=8):
    """n more teachers with selected lessons in the published activity, n more scoring
    lessons in the expert's queue, n more activities."""
    from eduplus.testing import factories as f

    model = Lesson.objects.filter(activity=setup.activity).first()
    scoring = Activity.objects.get(title="评审中活动")
    for i in range(n):
        school = f.SchoolFactory(region=f.region("410102"), name=f"加测{i}小学")
        person = f.PersonFactory(name=f"加测教师{i}")
        f.TeacherFactory(school=school, person=person)
        teacher = f.user_with_role("teacher", school=school, person=person)
        for act, selected in ((setup.activity, True), (scoring, False)):
            copy = Lesson.objects.get(pk=model.pk)
            copy.pk = None
            copy.activity, copy.author, copy.school = act, teacher, school
            copy.title, copy.selected = f"加测课{i}", selected
            copy.save()
        lf.activity(setup.officer, region=Region.objects.get(code="410102"), title=f"加测活动{i}")


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("officer", "/lessons/"),
        ("officer", "activity"),
        ("author", "/lessons/"),
        ("author", "/lessons/showcase/"),
        ("expert", "/lessons/review/"),
    ],
)
def test_list_page_queries_do_not_grow(
    setup, login, client, django_assert_max_num_queries, who, path
):
    user = {"officer": setup.officer, "author": setup.author, "expert": setup.experts[0]}[who]
    run_to_published(setup)
    services.expert_appoint(actor=setup.officer, user=setup.experts[0],
                            activity=(act := lf.activity(setup.officer,
                                                         region=Region.objects.get(code="410102"),
                                                         title="评审中活动")))  # fmt: skip
    lf.submitted(setup.author2, act, "评审中课")
    services.activity_start_scoring(actor=setup.officer, activity=act)
    url = f"/lessons/activities/{setup.activity.pk}/" if path == "activity" else path
    login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _more_rows(setup)
    with django_assert_max_num_queries(30) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) <= len(few.captured_queries), "\n".join(
        q["sql"][:150] for q in many.captured_queries
    )


def test_the_panel_of_an_activity_and_of_a_round_is_changed_through_the_pages(setup, login, client):
    rnd = lf.lesson_objects(setup.world.a)["round"]
    expert = setup.experts[0]
    login(setup.officer)
    for url, panel in (
        (f"/lessons/activities/{setup.activity.pk}/act/", setup.activity.experts),
        (f"/lessons/rounds/{rnd.pk}/act/", rnd.experts),
    ):
        client.post(url, {"op": "add_expert", "username": expert.username})
        member = panel.get(user=expert)
        page = client.post(url, {"op": "remove_expert", "expert": 999999}, follow=True)
        assert "专家组中没有该专家" in page.content.decode()
        assert panel.filter(pk=member.pk).exists()
        page = client.post(url, {"op": "remove_expert", "expert": member.pk}, follow=True)
        assert "已移出专家组" in page.content.decode()
        assert not panel.filter(user=expert).exists()
