"""The data catalog: datasets per source, batch, golden table and indicator, with owner,
classification, fields and freshness; pages, filters and scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from eduplus.governance import catalog as cat
from eduplus.governance.lineage import lineage_emit
from eduplus.governance.models import Dataset, GoldenRecord
from eduplus.governance.tests.quality_fixtures import build_quality_world
from eduplus.monitoring.models import Indicator
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def qworld() -> Any:
    return build_quality_world()


@pytest.fixture
def steward() -> Any:
    return f.user_with_role("data_steward", region="41", username="steward-c")


def test_sync_builds_every_dataset(qworld):
    GoldenRecord.objects.create(person=qworld.person_zhang, person_type="student")
    count = cat.catalog_sync()
    codes = set(Dataset.objects.values_list("code", flat=True))
    assert count == len(codes)
    indicators = {f"indicator:{c}" for c in Indicator.objects.values_list("code", flat=True)}
    assert indicators and indicators <= codes
    assert {"source:xueji", "source:zizhu", "source:tizhi", "source:renshi"} <= codes
    assert {"golden:students", "golden:teachers"} <= codes
    assert {f"batch:{qworld.xueji.pk}", f"batch:{qworld.zizhu.pk}"} <= codes
    assert f"batch:{qworld.running.pk}" not in codes  # not finished

    xueji = Dataset.objects.get(code="source:xueji")
    assert xueji.kind == "source" and xueji.owner == "基础教育处"
    assert xueji.classification == "children"
    assert xueji.row_count == 7  # accepted rows of its finished batches
    assert xueji.updated_at == qworld.xueji.finished_at
    labels = {f["name"]: (f["label"], f["classification"]) for f in xueji.fields}
    assert labels["name"] == ("姓名", "children")
    assert labels["school"] == ("学校", "public")
    assert Dataset.objects.get(code="source:renshi").classification == "sensitive"

    students = Dataset.objects.get(code="golden:students")
    assert students.kind == "golden" and students.row_count == 1
    assert students.classification == "children"
    assert "guardian_phone" in {f["name"] for f in students.fields}
    assert Dataset.objects.get(code="golden:teachers").row_count == 0

    some = Indicator.objects.order_by("code").first()
    assert some is not None
    indicator = Dataset.objects.get(code=f"indicator:{some.code}")
    assert indicator.classification == "public" and indicator.kind == "indicator"
    assert indicator.name == some.name

    batch = Dataset.objects.get(code=f"batch:{qworld.xueji.pk}")
    assert batch.row_count == 7 and "拒绝 1 行" in batch.description
    assert {"header": "姓名", "name": "name"}.items() <= batch.fields[0].items()


def test_sync_is_idempotent_and_drops_rolled_back_batches(qworld):
    first = cat.catalog_sync()
    assert cat.catalog_sync() == first
    qworld.zizhu.status = "rolled_back"
    qworld.zizhu.save()
    cat.catalog_sync()
    assert not Dataset.objects.filter(code=f"batch:{qworld.zizhu.pk}").exists()


def test_freshness_and_staleness(qworld):
    cat.catalog_sync()
    assert cat.is_stale(Dataset.objects.get(code="source:zizhu"))  # 400 days old
    assert not cat.is_stale(Dataset.objects.get(code="source:xueji"))
    assert not cat.is_stale(Dataset.objects.get(code="source:renshi"))  # never imported


def test_catalog_page_syncs_on_first_visit_and_filters(qworld, steward, login):
    client = login(steward)
    assert not Dataset.objects.exists()
    page = client.get("/data/catalog/").content.decode()
    assert Dataset.objects.exists()
    assert "数据目录" in page and "中小学生学籍信息管理系统" in page and "学生主数据" in page
    assert "儿童个人信息" in page and "过期" in page
    page = client.get("/data/catalog/?kind=golden").content.decode()
    assert "学生主数据" in page and "中小学生学籍信息管理系统" not in page
    page = client.get("/data/catalog/?classification=sensitive").content.decode()
    assert "教师管理信息系统" in page and "中小学生学籍信息管理系统" not in page
    page = client.get("/data/catalog/?q=学籍").content.decode()
    assert "中小学生学籍信息管理系统" in page and "学生主数据" not in page
    page = client.get("/data/catalog/?q=没有这个").content.decode()
    assert "没有符合条件的数据集" in page
    page = client.get("/data/catalog/?kind=bogus").content.decode()
    assert "未知的数据集类别" in page


def test_empty_catalog_explains(steward, login):
    Dataset.objects.all().delete()
    client = login(steward)
    page = client.get("/data/catalog/?kind=batch").content.decode()
    assert "没有符合条件的数据集" in page


def test_detail_round_trips_codes_with_a_colon(qworld, steward, login):
    url = reverse("governance:catalog_detail", kwargs={"dataset_code": "golden:students"})
    assert url == "/data/catalog/golden:students/"
    lineage_emit(
        job_name="governance.resolve",
        inputs=[f"batch:{qworld.xueji.pk}"],
        outputs=["golden:students", "golden:teachers"],
    )
    lineage_emit(
        job_name="monitoring.indicators_compute",
        inputs=["golden:students", "monitoring:facts"],
        outputs=["indicator:x"],
    )
    client = login(steward)
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "学生主数据" in page and "人员编号" in page and "监护人电话" in page
    assert f"batch:{qworld.xueji.pk}" in page and "governance.resolve" in page  # upstream
    assert "indicator:x" in page and "monitoring.indicators_compute" in page  # downstream
    assert client.get("/data/catalog/golden:nothing/").status_code == 404


def test_stale_dataset_page_says_so(qworld, steward, login):
    client = login(steward)
    page = client.get("/data/catalog/source:zizhu/").content.decode()
    assert "过期" in page and "超过一年未更新" in page
    page = client.get("/data/catalog/source:xueji/").content.decode()
    assert "及时" in page


def test_batches_are_scoped_to_their_region(qworld, login):
    county = f.user_with_role("county_officer", region="410102")
    cat.catalog_sync()
    client = login(county)
    page = client.get("/data/catalog/").content.decode()
    assert "中小学生学籍信息管理系统" in page
    assert f"batch:{qworld.xueji.pk}" not in page  # imported at province level
    assert client.get(f"/data/catalog/batch:{qworld.xueji.pk}/").status_code == 404
    assert client.get("/data/catalog/batch:abc/").status_code == 404
    assert client.get("/data/catalog/source:xueji/").status_code == 200


def test_roles_without_data_view_get_403(qworld, login):
    client = login(f.user_with_role("teacher", school=qworld.school_a))
    assert client.get("/data/catalog/").status_code == 403
    assert client.get("/data/catalog/source:xueji/").status_code == 403
    assert client.post("/data/catalog/sync/").status_code == 403


def test_steward_syncs_on_demand(qworld, steward, login):
    client = login(steward)
    response = client.post("/data/catalog/sync/", follow=True)
    assert "数据目录已更新" in response.content.decode()


def test_api_lists_the_scoped_catalog(qworld, steward, login):
    client = login(steward)
    data = client.get("/api/data/catalog?kind=batch").json()
    assert {d["code"] for d in data} == {f"batch:{qworld.xueji.pk}", f"batch:{qworld.zizhu.pk}"}
    zizhu = next(d for d in data if d["code"] == f"batch:{qworld.zizhu.pk}")
    assert zizhu["stale"] is True
