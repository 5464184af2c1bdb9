"""The source registry and 一数一源: who may read, who may change, and the audit trail."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from eduplus.core.models import AuditEntry
from eduplus.governance import importing
from eduplus.governance.models import ImportBatch, ItemAuthority, SourceSystem
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_steward(steward: Any, login: Any) -> Any:
    return login(steward)


def page(response: Any) -> str:
    return response.content.decode()


def test_the_steward_sees_sources_and_authorities_and_can_edit(as_steward: Any) -> None:
    response = as_steward.get("/data/sources/")
    assert response.status_code == 200
    body = page(response)
    for code in ("xueji", "zizhu", "tizhi", "renshi"):
        assert f"/data/sources/{code}/" in body
    assert 'name="item-address"' in body and "保存权威来源" in body
    assert "登记来源系统" in body


def test_an_officer_reads_but_cannot_change(login: Any, client: Any) -> None:
    officer = f.user_with_role("city_officer", region="4101", username="gov-city")
    login(officer)
    body = page(client.get("/data/sources/"))
    assert "中小学生学籍信息管理系统" in body
    assert 'name="item-address"' not in body and "登记来源系统" not in body
    assert client.get("/data/sources/xueji/").status_code == 200
    assert client.get("/data/sources/xueji/template/").status_code == 200
    assert client.get("/data/sources/new/").status_code == 403
    assert client.get("/data/sources/xueji/edit/").status_code == 403
    assert client.post("/data/sources/authorities/", {"item-address": "xueji"}).status_code == 403
    assert ItemAuthority.objects.get(item="address").source.code == "zizhu"


def test_a_teacher_sees_no_source_pages(login: Any, client: Any) -> None:
    school = f.SchoolFactory()
    teacher = f.user_with_role("teacher", school=school, username="gov-teacher")
    login(teacher)
    assert client.get("/data/sources/").status_code == 403
    assert client.get("/data/sources/xueji/").status_code == 403


def test_an_unknown_source_is_not_found(as_steward: Any) -> None:
    assert as_steward.get("/data/sources/nope/").status_code == 404
    assert as_steward.get("/data/sources/nope/template/").status_code == 404


def test_creating_a_source_is_validated_and_audited(as_steward: Any, steward: Any) -> None:
    data = {
        "code": "jiankang",
        "name": "学生健康档案系统",
        "kind": "health",
        "person_type": "student",
        "owner": "体卫艺处",
        "items": ["name", "id_number", "school", "health_result"],
        "active": "on",
    }
    response = as_steward.post("/data/sources/new/", data)
    assert response.status_code == 302 and response.url == "/data/sources/jiankang/"
    source = SourceSystem.objects.get(code="jiankang")
    assert source.items == ["name", "id_number", "school", "health_result"]
    entry = AuditEntry.objects.get(action="governance.source.create")
    assert entry.actor == steward and entry.details["after"]["name"] == "学生健康档案系统"
    again = page(as_steward.post("/data/sources/new/", data))
    assert "来源代码“jiankang”已存在" in again
    reserved = page(as_steward.post("/data/sources/new/", {**data, "code": "new"}))
    assert "保留字" in reserved
    nothing = page(as_steward.post("/data/sources/new/", {**data, "code": "x2", "items": []}))
    assert "请至少选择一个数据项" in nothing


def test_editing_a_source_records_before_and_after(as_steward: Any) -> None:
    url = "/data/sources/tizhi/edit/"
    assert "修改来源系统" in page(as_steward.get(url))
    response = as_steward.post(
        url,
        {
            "name": "体质健康数据系统",
            "kind": "health",
            "person_type": "student",
            "owner": "体育卫生与艺术教育处",
            "items": ["name", "id_number", "school", "health_result"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    source = SourceSystem.objects.get(code="tizhi")
    assert source.name == "体质健康数据系统"
    entry = AuditEntry.objects.get(action="governance.source.update")
    assert entry.details["before"]["name"] == "国家学生体质健康标准数据管理系统"
    assert entry.details["after"]["name"] == "体质健康数据系统"
    assert "owner" not in entry.details["after"]  # only what changed


def test_a_source_with_batches_keeps_its_person_type(steward: Any) -> None:
    source = SourceSystem.objects.get(code="xueji")
    ImportBatch.objects.create(
        source=source, file_name="a.csv", file_sha256="a" * 64, region=f.region("41")
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="不能修改人员类别"):
        importing.source_update(source=source, actor=steward, person_type="teacher")


def test_changing_an_authority_is_audited_with_before_and_after(
    as_steward: Any, steward: Any
) -> None:
    response = as_steward.post("/data/sources/authorities/", {"item-address": "xueji"}, follow=True)
    assert "已更新 1 个数据项的权威来源" in page(response)
    authority = ItemAuthority.objects.get(item="address")
    assert authority.source.code == "xueji" and authority.updated_by == steward
    entry = AuditEntry.objects.get(action="governance.authority.update")
    assert entry.details == {"item": "address", "before": "zizhu", "after": "xueji"}
    same = as_steward.post("/data/sources/authorities/", {"item-address": "xueji"}, follow=True)
    assert "权威来源没有变化" in page(same)
    assert AuditEntry.objects.filter(action="governance.authority.update").count() == 1
    SourceSystem.objects.filter(code="renshi").update(active=False)
    refused = as_steward.post("/data/sources/authorities/", {"item-address": "renshi"}, follow=True)
    assert "已停用的来源系统不能作为权威来源" in page(refused)


def test_the_template_download(as_steward: Any) -> None:
    response = as_steward.get("/data/sources/renshi/template/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    header = [c.value for c in workbook["数据"][1]]
    assert header[0] == "记录号" and "任教学科" in header and "职称" in header
