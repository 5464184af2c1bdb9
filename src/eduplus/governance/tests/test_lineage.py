"""The lineage graph (溯源图谱): nodes and edges from OpenLineage run events, the layered
layout, focus on one dataset, the page, the JSON export, and the monitoring hook."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eduplus.governance import catalog as cat
from eduplus.governance.lineage import lineage_emit
from eduplus.governance.models import LineageEvent
from eduplus.governance.tests.quality_fixtures import build_quality_world
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def qworld() -> Any:
    return build_quality_world()


@pytest.fixture
def steward() -> Any:
    return f.user_with_role("data_steward", region="41", username="steward-l")


@pytest.fixture
def events(qworld: Any) -> dict[str, str]:
    x, z = f"batch:{qworld.xueji.pk}", f"batch:{qworld.zizhu.pk}"
    lineage_emit(
        job_name="governance.import", inputs=["file:xueji.csv", "source:xueji"], outputs=[x]
    )
    lineage_emit(job_name="governance.import", inputs=["source:zizhu"], outputs=[z])
    for _ in range(2):  # the same run twice: drawn once, from the latest event
        lineage_emit(
            job_name="governance.resolve",
            inputs=[x, z],
            outputs=["golden:students", "golden:teachers"],
        )
    lineage_emit(
        job_name="monitoring.indicators_compute",
        inputs=["golden:students", "golden:teachers", "monitoring:facts"],
        outputs=["indicator:bandwidth"],
    )
    lineage_emit(job_name="governance.broken", inputs=["source:tizhi"],
                 outputs=[f"batch:{qworld.running.pk}"], event_type="FAIL")  # fmt: skip
    cat.catalog_sync()
    return {"x": x, "z": z}


def test_graph_nodes_edges_and_layers(events, steward):
    runs = cat.lineage_runs(steward)
    assert len(runs) == 4  # duplicates collapsed, FAIL ignored
    graph = cat.lineage_graph(runs)
    nodes = {n["id"]: n for n in graph.nodes}
    x, z = events["x"], events["z"]
    assert set(nodes) == {
        "file:xueji.csv", "source:xueji", "source:zizhu", x, z,
        "golden:students", "golden:teachers", "monitoring:facts", "indicator:bandwidth",
    }  # fmt: skip
    column = {code: n["x"] for code, n in nodes.items()}
    assert column["file:xueji.csv"] == column["source:xueji"] < column[x] == column[z]
    assert column[x] < column["golden:students"] < column["indicator:bandwidth"]
    edges = {(e["source"], e["target"]): e["label"] for e in graph.links}
    assert edges[("source:xueji", x)] == "governance.import"
    assert edges[(x, "golden:students")] == "governance.resolve"
    assert edges[("golden:teachers", "indicator:bandwidth")] == "monitoring.indicators_compute"
    assert len(edges) == 2 + 1 + 4 + 3
    assert nodes["source:xueji"]["name"] == "中小学生学籍信息管理系统"
    assert nodes["monitoring:facts"]["name"] == "学校信息化基础数据"
    assert len({n["category"] for n in graph.nodes}) == 6


def test_focus_keeps_upstream_and_downstream_only(events, steward):
    graph = cat.lineage_graph(cat.lineage_runs(steward), focus=events["x"])
    ids = {n["id"] for n in graph.nodes}
    assert ids == {
        "file:xueji.csv", "source:xueji", events["x"], "golden:students", "golden:teachers",
        "indicator:bandwidth",
    }  # fmt: skip
    assert [n["id"] for n in graph.nodes if n["focus"]] == [events["x"]]
    assert cat.lineage_graph(cat.lineage_runs(steward), focus="nothing:here").nodes == []


def test_batches_outside_the_scope_are_left_out(events):
    county = f.user_with_role("county_officer", region="410102")
    runs = cat.lineage_runs(county)
    codes = {c for r in runs for c in (*r.inputs, *r.outputs)}
    assert events["x"] not in codes and events["z"] not in codes
    assert "golden:students" in codes
    assert "file:xueji.csv" not in codes  # the file of an import the county may not see
    exported = cat.lineage_export(county)
    names = {d["name"] for e in exported for d in (*e["inputs"], *e["outputs"])}
    assert events["x"] not in names and "file:xueji.csv" not in names
    assert "golden:students" in names


def test_page_draws_the_graph_and_lists_the_events(events, steward, login):
    client = login(steward)
    response = client.get("/data/lineage/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "数据血缘图谱" in page and "血缘事件" in page
    assert "governance.resolve" in page and "学生主数据" in page
    assert 'id="lineage-chart"' in page and "eduplus/governance.js" in page
    data = json.loads(
        page.split('id="lineage-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert {n["id"] for n in data["nodes"]} >= {events["x"], "indicator:bandwidth"}
    focused = client.get(f"/data/lineage/?dataset={events['z']}").content.decode()
    assert "source:zizhu" in focused and "file:xueji.csv" not in focused
    unknown = client.get("/data/lineage/?dataset=batch:424242").content.decode()
    assert "没有关于数据集 batch:424242 的血缘记录" in unknown


def test_empty_state_explains_when_lineage_appears(steward, login):
    page = login(steward).get("/data/lineage/").content.decode()
    assert "还没有血缘记录" in page and "首次导入" in page
    assert "echarts.min.js" not in page


def test_events_json_exports_openlineage_payloads(events, steward, login):
    client = login(steward)
    response = client.get("/data/lineage/events.json?download=1")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert len(data) == LineageEvent.objects.count() == 6
    first = data[0]
    assert first["eventType"] == "COMPLETE" and first["job"]["name"] == "governance.import"
    assert first["inputs"][0] == {"namespace": "eduplus", "name": "file:xueji.csv"}
    assert {"run", "eventTime", "producer", "schemaURL", "outputs"} <= set(first)
    assert client.get("/api/data/lineage/events").json() == data


def test_roles_without_data_view_get_403(qworld, login):
    client = login(f.user_with_role("school_admin", school=qworld.school_a))
    assert client.get("/data/lineage/").status_code == 403
    assert client.get("/data/lineage/events.json").status_code == 403


def test_indicator_computation_records_lineage(db):
    from eduplus.monitoring.models import Indicator
    from eduplus.monitoring.services import indicators_compute

    indicators_compute(year=2025)
    event = LineageEvent.objects.get(job_name="monitoring.indicators_compute")
    assert "golden:students" in event.inputs and "monitoring:facts" in event.inputs
    active = Indicator.objects.filter(active=True).values_list("code", flat=True)
    assert set(event.outputs) == {f"indicator:{c}" for c in active}
