"""The quality pages as users meet them: scorecard, drill-down, failing records one
click away (masked unless the role needs them), rule management, scope and roles."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from eduplus.core.models import AuditEntry
from eduplus.governance import quality as q
from eduplus.governance.models import QualityResult, QualityRule
from eduplus.governance.tests.quality_fixtures import ID_LI, ID_WANG, build_quality_world
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def qworld() -> Any:
    return build_quality_world()


@pytest.fixture
def steward() -> Any:
    return f.user_with_role("data_steward", region="41", username="steward-q")


@pytest.fixture
def county_a() -> Any:
    return f.user_with_role("county_officer", region="410102", username="county-a-q")


def body(response: Any) -> str:
    return response.content.decode()


def test_home_opens_the_users_region(qworld, steward, login):
    client = login(steward)
    response = client.get("/data/quality/")
    assert response.status_code == 302
    assert response["Location"] == "/data/quality/r/41/"


def test_first_visit_computes_and_shows_the_scorecard(qworld, steward, login):
    client = login(steward)
    assert not QualityResult.objects.exists()
    page = body(client.get("/data/quality/r/41/"))
    assert QualityResult.objects.exists()
    for text in ("数据质量评分", "综合评分", "完整性", "有效性", "唯一性", "一致性", "及时性",
                 "中小学生学籍信息管理系统", "学生资助管理信息系统", "郑州市", "开封市",
                 "同一批次内身份证件号不重复", "本级（未落到下级区域）"):  # fmt: skip
        assert text in page, text
    # every dimension cell of a table row is one click from its failing records
    assert 'href="/data/quality/r/4102/failures/?dimension=uniqueness"' in page
    unique = QualityRule.objects.get(code="id-unique")
    assert f'href="/data/quality/r/41/rules/{unique.pk}/failures/"' in page


def test_empty_state_says_what_to_do(steward, county_a, login):
    client = login(steward)
    page = body(client.get("/data/quality/r/41/"))
    assert "还没有数据质量结果" in page and "请先导入来源系统的数据" in page
    client.logout()
    page = body(login(county_a).get("/data/quality/r/410102/"))
    assert "数据管理员导入来源系统数据后" in page


def test_county_drill_down_lists_schools(qworld, steward, login):
    client = login(steward)
    page = body(client.get("/data/quality/r/410202/"))
    assert "按学校" in page and "质检第二小学" in page
    assert "质检第一小学" not in page
    school = qworld.school_b.pk
    assert f"/data/quality/r/410202/failures/?school={school}&amp;dimension=uniqueness" in page


def test_source_filter_narrows_the_scorecard(qworld, steward, login):
    client = login(steward)
    client.get("/data/quality/r/41/")
    page = body(client.get("/data/quality/r/41/?source=zizhu"))
    assert "学生资助管理信息系统" in page
    assert 'data-source="xueji"' not in page
    page = body(client.get("/data/quality/r/41/?source=nope&batch=abc"))
    assert "未知的来源系统：nope" in page
    assert "批次不存在或不在您的管辖范围内" in page


def test_failing_records_of_a_rule_with_full_values_for_the_steward(qworld, steward, login):
    client = login(steward)
    q.quality_compute()
    rule = QualityRule.objects.get(code="id-unique")
    url = f"/data/quality/r/41/rules/{rule.pk}/failures/"
    masked = body(client.get(url))
    assert ID_WANG not in masked and 'data-testid="reveal"' in masked
    response = client.post(url)  # the explicit, audited reveal
    page = body(response)
    assert response.status_code == 200
    rows = re.findall(r'data-record="(\d+)"', page)
    assert sorted(map(int, rows)) == sorted([qworld.records["r5"].pk, qworld.records["r6"].pk])
    assert ID_WANG in page and "陈静" in page and "在本批次中重复" in page
    assert qworld.xueji.file_name in page
    entry = AuditEntry.objects.filter(action="governance.quality_failures").latest("id")
    assert entry.details["unmasked"] is True
    assert sorted(entry.details["ids"]) == sorted(map(int, rows))


def test_failing_records_are_masked_for_an_officer(qworld, county_a, login):
    client = login(county_a)
    q.quality_compute()
    response = client.get("/data/quality/r/410102/failures/?dimension=consistency")
    page = body(response)
    assert response.status_code == 200
    assert "李*" in page and "李娜" not in page
    assert ID_LI not in page and ID_LI[-4:] in page
    assert "出生日期 2011-08 与证件号不一致" in page and "性别 男 与证件号不一致" in page
    entry = AuditEntry.objects.filter(action="governance.quality_failures").latest("id")
    assert entry.details["unmasked"] is False


def test_other_regions_answer_404_and_their_records_stay_absent(qworld, county_a, login):
    client = login(county_a)
    q.quality_compute()
    rule = QualityRule.objects.get(code="id-unique")
    assert client.get("/data/quality/r/410202/").status_code == 404
    assert client.get("/data/quality/r/4102/failures/").status_code == 404
    assert client.get(f"/data/quality/r/410202/rules/{rule.pk}/failures/").status_code == 404
    assert client.get("/data/quality/r/41/").status_code == 404
    # tampering with the query string does not reach county B's rows either
    page = body(
        client.get(f"/data/quality/r/410102/rules/{rule.pk}/failures/?school={qworld.school_b.pk}")
    )
    assert "学校不存在或不在您的管辖范围内" in page
    assert "没有不合格的记录" in page and ID_WANG[-4:] not in page
    page = body(client.get("/data/quality/r/410102/"))
    assert "质检第二小学" not in page and "开封市" not in page
    assert AuditEntry.objects.filter(action="permission.denied").count() >= 3


def test_roles_without_the_action_get_403(qworld, login):
    admin = f.user_with_role("school_admin", school=qworld.school_a)
    client = login(admin)
    assert client.get("/data/quality/").status_code == 403
    assert client.get("/data/quality/r/410102/").status_code == 403
    assert client.get("/data/quality/rules/").status_code == 403


def test_officers_cannot_manage_rules(qworld, county_a, login):
    client = login(county_a)
    rule = QualityRule.objects.get(code="id-unique")
    assert client.get("/data/quality/rules/").status_code == 200
    assert client.get("/data/quality/rules/new/").status_code == 403
    assert client.get(f"/data/quality/rules/{rule.pk}/edit/").status_code == 403
    assert client.post(f"/data/quality/rules/{rule.pk}/active/", {"active": "0"}).status_code == 403
    assert client.post("/data/quality/compute/").status_code == 403
    rule.refresh_from_db()
    assert rule.active


def test_steward_deactivates_a_rule_and_the_scorecard_changes(qworld, steward, login):
    client = login(steward)
    page = body(client.get("/data/quality/r/410202/"))
    assert "同一批次内身份证件号不重复" in page
    rule = QualityRule.objects.get(code="id-unique")
    response = client.post(f"/data/quality/rules/{rule.pk}/active/", {"active": "0"}, follow=True)
    assert "已停用规则" in body(response)
    page = body(client.get("/data/quality/r/410202/"))
    assert 'data-rule="id-unique"' not in page
    assert AuditEntry.objects.filter(action="quality.rule_deactivate").exists()


def test_steward_creates_and_edits_rules_with_clear_errors(qworld, steward, login):
    client = login(steward)
    form = {"code": "fresh-90", "name": "90天内更新", "dimension": "timeliness",
            "item": "name", "check_kind": "fresh", "weight": "2", "description": ""}  # fmt: skip
    page = body(client.post("/data/quality/rules/new/", form))
    assert "缺少参数" in page  # no max_age_days
    assert not QualityRule.objects.filter(code="fresh-90").exists()
    page = body(client.post("/data/quality/rules/new/", {**form, "check_kind": "valid_id"}))
    assert "只能用于" in page
    response = client.post("/data/quality/rules/new/", {**form, "max_age_days": "90"}, follow=True)
    assert "已创建规则" in body(response)
    rule = QualityRule.objects.get(code="fresh-90")
    assert rule.params == {"max_age_days": 90}
    assert QualityResult.objects.filter(rule=rule).exists()
    # edit: the code stays, the parameter changes, bad input keeps the rule as it was
    page = body(client.post(f"/data/quality/rules/{rule.pk}/edit/", {**form, "max_age_days": "0"}))
    assert "errorlist" in page
    rule.refresh_from_db()
    assert rule.params == {"max_age_days": 90}
    client.post(f"/data/quality/rules/{rule.pk}/edit/", {**form, "max_age_days": "30", "code": "x"})
    rule.refresh_from_db()
    assert rule.code == "fresh-90" and rule.params == {"max_age_days": 30}
    assert AuditEntry.objects.filter(action="quality.rule_change", target_id="fresh-90").exists()


def test_steward_recomputes(qworld, steward, login):
    client = login(steward)
    response = client.post("/data/quality/compute/", follow=True)
    assert "已重新计算数据质量" in body(response)
    assert q.latest_computation() is not None


def test_api_scores_are_scoped(qworld, steward, county_a, login):
    q.quality_compute()
    client = login(steward)
    data = client.get("/api/data/quality/regions/410202").json()
    assert data["overall"]["failed"] == 3
    assert {d["key"] for d in data["dimensions"]} >= {"completeness", "uniqueness"}
    client.logout()
    client = login(county_a)
    assert client.get("/api/data/quality/regions/410202").status_code == 404
    assert client.get("/api/data/quality/regions/410102").status_code == 200


def test_reverse_names():
    assert (
        reverse("governance:quality_region", kwargs={"region_code": "41"}) == "/data/quality/r/41/"
    )
    assert reverse("governance:quality_rule_failures", kwargs={"region_code": "41", "rule_pk": 3})


def test_scorecard_and_failure_queries_do_not_grow_with_rows(
    qworld, steward, login, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from eduplus.governance.tests.quality_fixtures import make_batch

    client = login(steward)
    q.quality_compute()
    pages = ["/data/quality/r/41/", "/data/quality/r/410102/", "/data/quality/r/41/failures/"]
    before = {}
    for url in pages:
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        before[url] = len(few.captured_queries)
    for n in range(3):
        make_batch(
            "tizhi",
            [dict(name=f"新增{n}{i}", id_number="", school=qworld.school_a,
                  school_code=qworld.school_a.code, region=qworld.school_a.region)
             for i in range(20)],
        )  # fmt: skip
    q.quality_compute()
    for url in pages:
        with django_assert_max_num_queries(before[url]):
            assert client.get(url).status_code == 200


def test_unknown_school_row_links_to_its_own_records(qworld, steward, login):
    client = login(steward)
    page = body(client.get("/data/quality/r/41/"))
    link = "/data/quality/r/41/failures/?unplaced=1&amp;dimension=validity"
    assert link in page
    page = body(client.get(link.replace("&amp;", "&")))
    rows = re.findall(r'data-record="(\d+)"', page)
    assert rows == [str(qworld.records["r7"].pk)]
    assert "不在代码表中" in page and "学校未知" in page
