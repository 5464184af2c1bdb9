"""Pages: the right roles, scope answers, query counts, and public pages without login."""

from __future__ import annotations

import datetime as dt

import pytest

from eduplus.inspections import services
from eduplus.inspections.models import InspectionPlan, PlanStatus
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


def drawn_and_published(setup, *, results: bool = True) -> InspectionPlan:
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    services.plan_publish(actor=setup.officer, plan=plan)
    targets = list(plan.targets.order_by("position"))
    if results:
        services.result_record(
            actor=setup.officer, target=targets[0], inspected_on=dt.date(2026, 4, 1),
            findings="公开的发现", conclusion="pass",
        )  # fmt: skip
        services.result_publish(actor=setup.officer, target=targets[0])
        services.result_record(
            actor=setup.officer, target=targets[1], inspected_on=dt.date(2026, 4, 2),
            findings="未公开的发现", conclusion="fail", rectification="未公开的整改",
            rectification_deadline=dt.date(2026, 5, 2),
        )  # fmt: skip
    return plan


def test_officer_creates_and_draws_a_plan_through_the_pages(setup, client, login):
    login(setup.officer)
    response = client.post(
        "/inspections/plans/new/",
        {
            "title": "页面新建的计划",
            "subject": "网络安全",
            "region": "410102",
            "pool": setup.pool.pk,
            "teaching_points": "exclude",
            "school_count": 2,
            "inspectors_per_school": 1,
        },
    )
    plan = InspectionPlan.objects.get(title="页面新建的计划")
    assert response.status_code == 302 and response["Location"].endswith(f"/{plan.pk}/")
    page = client.get(f"/inspections/plans/{plan.pk}/").content.decode()
    assert "候选学校" in page and "随机抽取" in page
    client.post(f"/inspections/plans/{plan.pk}/draw/")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAWN
    page = client.get(f"/inspections/plans/{plan.pk}/").content.decode()
    assert plan.seed in page and "公开抽查名单" in page
    # A second draw is refused with a message; nothing changes.
    response = client.post(f"/inspections/plans/{plan.pk}/draw/", follow=True)
    assert "不能重新抽取" in response.content.decode()
    assert plan.targets.count() == 2


def test_plan_form_refuses_both_count_and_percentage(setup, client, login):
    login(setup.officer)
    response = client.post(
        "/inspections/plans/new/",
        {"title": "两者都填", "subject": "x", "region": "410102", "pool": setup.pool.pk,
         "teaching_points": "include", "school_count": 2, "school_percent": 10,
         "inspectors_per_school": 1},
    )  # fmt: skip
    assert response.status_code == 200
    assert "应填且只填一项" in response.content.decode()


def test_a_draw_without_enough_inspectors_shows_why(setup, client, login):
    login(setup.officer)
    setup.pool.inspectors.exclude(home_region_id="410102").update(active=False)
    page = client.get(f"/inspections/plans/{setup.plan.pk}/").content.decode()
    assert "可派检查人员不足" in page
    response = client.post(f"/inspections/plans/{setup.plan.pk}/draw/", follow=True)
    assert "检查人员不足" in response.content.decode()


@pytest.mark.parametrize("role", ["school_admin", "teacher", "student", "parent"])
def test_school_roles_are_refused(setup, client, login, role):
    login(setup.world.a.users[role])
    assert client.get("/inspections/").status_code == 403
    assert client.get(f"/inspections/plans/{setup.plan.pk}/").status_code == 403


def test_another_county_sees_the_plan_as_missing(setup, client, login):
    login(setup.world.b.users["county_officer"])
    assert client.get(f"/inspections/plans/{setup.plan.pk}/").status_code == 404
    assert "中原区网络安全抽查" not in client.get("/inspections/").content.decode()
    client.logout()
    login(setup.world.province_officer)
    assert "中原区网络安全抽查" in client.get("/inspections/").content.decode()


def test_anonymous_is_sent_to_login(setup, client):
    response = client.get("/inspections/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "path", ["/inspections/", "/inspections/pools/", "pool", "plan", "/inspections/public/"]
)
def test_list_pages_do_not_grow_with_rows(
    setup, client, login, django_assert_max_num_queries, path
):
    drawn_and_published(setup)
    login(setup.world.province_officer)
    url = {"pool": f"/inspections/pools/{setup.pool.pk}/",
           "plan": f"/inspections/plans/{setup.plan.pk}/"}.get(path, path)  # fmt: skip
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    for k in range(8):
        f.InspectorFactory(pool=setup.pool, home_region=f.region("410105"), name=f"加测{k}")
        f.SchoolFactory(region=f.region("410102"))
        extra = f.InspectionPlanFactory(
            region=setup.plan.region, pool=setup.pool, school_count=1, inspectors_per_school=1
        )
        services.plan_draw(actor=None, plan=extra)
        services.plan_publish(actor=None, plan=extra)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_public_pages_show_published_data_only(setup, client):
    draft = f.InspectionPlanFactory(region=setup.plan.region, pool=setup.pool, title="草稿计划")
    plan = drawn_and_published(setup)
    unpublished = f.InspectionPlanFactory(
        region=setup.plan.region, pool=setup.pool, title="未公开计划", school_count=1
    )
    services.plan_draw(actor=None, plan=unpublished)
    listing = client.get("/inspections/public/").content.decode()
    assert "中原区网络安全抽查" in listing
    assert "草稿计划" not in listing and "未公开计划" not in listing
    for other in (draft, unpublished):
        assert client.get(f"/inspections/public/plans/{other.pk}/").status_code == 404
        assert client.get(f"/inspections/public/plans/{other.pk}/inputs.json").status_code == 404
    page = client.get(f"/inspections/public/plans/{plan.pk}/").content.decode()
    assert plan.seed in page
    for target in plan.targets.select_related("school"):
        assert target.school.name in page and target.school.code in page
    assert "外县检查员" in page
    assert "公开的发现" in page
    assert "未公开的发现" not in page and "未公开的整改" not in page
    assert "走查" not in page
    # No personal data of the world: no ID numbers, no people.
    for person in (setup.world.a.student.person, setup.world.a.teacher.person):
        assert person.name not in page
        if person.id_number:
            assert person.id_number not in page
    inputs = client.get(f"/inspections/public/plans/{plan.pk}/inputs.json").json()
    assert inputs == plan.inputs


def test_public_verify_reruns_a_published_draw(setup, client):
    plan = drawn_and_published(setup, results=False)
    page = client.get(f"/inspections/public/verify/?plan={plan.pk}").content.decode()
    assert 'data-testid="verify-ok"' in page
    response = client.post("/inspections/public/verify/", {"inputs": "{not json"})
    assert "不是有效的 JSON" in response.content.decode()
    import json

    response = client.post("/inspections/public/verify/", {"inputs": json.dumps(plan.inputs)})
    body = response.content.decode()
    assert "抽取完成" in body
    for target in plan.targets.select_related("school"):
        assert target.school.code in body


def test_public_verify_does_not_verify_an_unpublished_plan(setup, client):
    services.plan_draw(actor=setup.officer, plan=setup.plan)
    page = client.get(f"/inspections/public/verify/?plan={setup.plan.pk}").content.decode()
    assert "没有该编号的已公开计划" in page
    assert setup.plan.title not in page


def test_result_form_and_publish(setup, client, login):
    plan = drawn_and_published(setup, results=False)
    target = plan.targets.order_by("position").first()
    login(setup.officer)
    response = client.post(
        f"/inspections/targets/{target.pk}/result/",
        {"inspected_on": "2026-04-03", "findings": "发现问题", "conclusion": "basic"},
    )
    assert response.status_code == 200 and "须填写整改要求" in response.content.decode()
    response = client.post(
        f"/inspections/targets/{target.pk}/result/",
        {"inspected_on": "2026-04-03", "findings": "发现问题", "conclusion": "basic",
         "rectification": "限期整改", "rectification_deadline": "2026-05-03"},
    )  # fmt: skip
    assert response.status_code == 302
    client.post(f"/inspections/targets/{target.pk}/publish/")
    assert "限期整改" in client.get(f"/inspections/public/plans/{plan.pk}/").content.decode()


def test_export_and_api(setup, client, login):
    plan = drawn_and_published(setup)
    login(setup.officer)
    csv_text = client.get(f"/inspections/plans/{plan.pk}/export.csv").content.decode("utf-8-sig")
    assert "外县检查员" in csv_text and "合格" in csv_text
    listing = client.get("/api/inspections/plans").json()
    assert [p["title"] for p in listing["items"]] == [plan.title]
    detail = client.get(f"/api/inspections/plans/{plan.pk}").json()
    assert detail["seed"] == plan.seed and len(detail["targets"]) == 3
    client.logout()
    login(setup.world.b.users["county_officer"])
    assert client.get(f"/api/inspections/plans/{plan.pk}").status_code == 404
    assert client.get("/api/inspections/plans").json()["count"] == 0


def test_pool_pages_add_and_deactivate_inspectors(setup, client, login):
    login(setup.officer)
    response = client.post(
        f"/inspections/pools/{setup.pool.pk}/",
        {"name": "新检查员", "organisation": "金水区教育局", "home_region": "410105"},
    )
    assert response.status_code == 302
    inspector = setup.pool.inspectors.get(name="新检查员")
    response = client.post(
        f"/inspections/pools/{setup.pool.pk}/",
        {"name": "坏县区", "organisation": "x", "home_region": "4101"},
    )
    assert "县级区划代码" in response.content.decode()
    client.post(f"/inspections/inspectors/{inspector.pk}/", {"active": "0"})
    inspector.refresh_from_db()
    assert not inspector.active
