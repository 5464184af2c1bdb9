import pytest

from eduplus.core.models import AuditEntry
from eduplus.monitoring.models import Indicator, IndicatorTarget, PolicyDocument

pytestmark = pytest.mark.django_db


def test_province_officer_defines_an_indicator_and_bad_expressions_are_explained(world, login):
    client = login(world.province_officer)
    form = {"code": "gigabit", "name": "千兆学校比例", "numerator": "count(bandwidth_mbps >= 1000)",
            "denominator": "count()", "numerator_label": "千兆学校", "denominator_label": "学校",
            "factor": "100", "unit": "%", "active": "on", "teaching_points": "exclude"}  # fmt: skip
    bad = client.post("/monitoring/indicators/edit/", {**form, "numerator": "count(secret_column)"})
    assert bad.status_code == 400 and "未知的数据项" in bad.content.decode()
    assert not Indicator.objects.filter(code="gigabit").exists()
    assert client.post("/monitoring/indicators/edit/", form).status_code == 302
    indicator = Indicator.objects.get(code="gigabit")
    assert indicator.filters == {"teaching_points": "exclude"}
    page = client.get("/monitoring/indicators/edit/?code=gigabit").content.decode()
    assert "count(bandwidth_mbps &gt;= 1000)" in page
    assert AuditEntry.objects.filter(action="indicator.create", target_id="gigabit").exists()


def test_targets_cite_a_document_and_only_the_own_province(world, login):
    client = login(world.province_officer)
    response = client.post(
        "/monitoring/documents/new/",
        {
            "code": "henan-2026",
            "title": "2026年工作要点",
            "issuer": "河南省教育厅",
            "issued": "2026-03-01",
        },
    )
    assert response.status_code == 302
    doc = PolicyDocument.objects.get(code="henan-2026")
    form = {
        "indicator": "ipv6",
        "year": "2026",
        "value": "100",
        "document": doc.code,
        "clause": "三(一)",
    }
    assert client.post("/monitoring/targets/edit/", {**form, "value": "lots"}).status_code == 400
    assert client.post("/monitoring/targets/edit/", {**form, "clause": ""}).status_code == 400
    assert client.post("/monitoring/targets/edit/", form).status_code == 302
    target = IndicatorTarget.objects.get(indicator__code="ipv6", province_id="41", year=2026)
    assert target.document == doc
    # The same indicator, province and year twice is refused with a reason.
    again = client.post("/monitoring/targets/edit/", form)
    assert again.status_code == 400 and "已有目标" in again.content.decode()
    # A target of another province is not reachable.
    other = IndicatorTarget.objects.filter(province_id="37").first()
    assert client.get(f"/monitoring/targets/edit/?id={other.pk}").status_code == 404
    client.post("/monitoring/targets/edit/", {"id": target.pk, "delete": "1"})
    assert not IndicatorTarget.objects.filter(pk=target.pk).exists()
    assert AuditEntry.objects.filter(action="target.delete").exists()


def test_only_the_province_manages_indicators(world, login):
    for user in (
        world.a.users["city_officer"],
        world.a.users["county_officer"],
        world.a.users["school_admin"],
    ):
        client = login(user)
        assert client.get("/monitoring/indicators/edit/").status_code == 403
        assert client.post("/monitoring/targets/edit/", {"indicator": "ipv6"}).status_code == 403
        page = client.get("/monitoring/indicators/").content.decode()
        assert "新增指标" not in page
        client.logout()


def test_a_target_cannot_cite_another_provinces_document(world, login):
    client = login(world.province_officer)
    page = client.get("/monitoring/targets/edit/").content.decode()
    assert "河南省加快教育新型基础设施建设专项行动方案" in page and "山东省教育信息化" not in page
    form = {"indicator": "ipv6", "year": "2027", "value": "100",
            "document": "shandong-14th-five-year", "clause": "1"}  # fmt: skip
    response = client.post("/monitoring/targets/edit/", form)
    assert response.status_code == 400 and "请选择政策依据" in response.content.decode()
    client.logout()
    hubei = login(world.other_province_officer)
    assert "河南省" not in hubei.get("/monitoring/targets/edit/").content.decode()
