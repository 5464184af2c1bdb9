"""Exports (CSV with BOM, XLSX), the JSON API, the `eduplus reports` command and the demo."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from eduplus.core.models import AuditEntry
from eduplus.reporting import services
from eduplus.reporting.demo import DEMO_TITLE, seed_demo
from eduplus.reporting.models import ReportTask, Submission
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db

RAW = {
    "ordinary_rooms": ["30"],
    "multimedia_rooms": ["12"],
    "bandwidth": ["100.5"],
    "wifi": ["1"],
    "platforms": ["a", "c"],
    "access": ["2"],
}


@pytest.fixture
def province_task(world):  # type: ignore[no-untyped-def]
    task = f.report_task(world.province_officer)
    for county in (world.a, world.b):
        services.submission_save(
            actor=county.users["school_admin"],
            submission=task.submissions.get(school=county.school),
            raw=RAW,
            submit=True,
        )
    return task


def rows_of_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_export_is_scoped_and_readable(world, login, client, province_task):
    login(world.a.users["county_officer"])
    response = client.get(f"/reports/tasks/{province_task.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of_csv(response.content)
    head = rows[0]
    assert head[:7] == [
        "学校标识码",
        "学校名称",
        "区划代码",
        "所在地",
        "状态",
        "提交时间",
        "是否逾期",
    ]
    assert "普通教室数（间） [ordinary_rooms]" in head
    names = [r[1] for r in rows[1:]]
    assert names == ["甲哨兵实验小学", "甲哨兵村教学点"]  # county A only
    first = dict(zip(head, rows[1], strict=True))
    assert first["状态"] == "待县级审核" and first["是否逾期"] == "否"
    assert first["出口带宽（Mbps） [bandwidth]"] == "100.5"
    assert first["应用平台 [platforms]"] == "国家平台；校管系统"
    assert first["无线全覆盖 [wifi]"] == "是"
    assert first["接入方式 [access]"] == "无线"
    assert AuditEntry.objects.filter(
        action="report.export", target_id=str(province_task.pk)
    ).exists()


def test_xlsx_export_has_numbers_excel_can_sum(world, login, client, province_task):
    login(world.province_officer)
    response = client.get(f"/reports/tasks/{province_task.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 5  # header + four schools of the province
    head = rows[0]
    col = head.index("普通教室数（间） [ordinary_rooms]")
    assert [r[col] for r in rows[1:] if r[col] is not None] == [30, 30]
    band = head.index("出口带宽（Mbps） [bandwidth]")
    assert Decimal(str(next(r[band] for r in rows[1:] if r[band] is not None))) == Decimal("100.5")


def test_api_lists_tasks_and_submissions_in_scope(world, login, client, province_task):
    county_task = f.report_world(world.b).task
    login(world.a.users["county_officer"])
    body = client.get("/api/reports/tasks").json()
    assert [t["id"] for t in body["items"]] == [province_task.pk]
    assert body["items"][0]["origin_region_code"] == "41"
    subs = client.get(f"/api/reports/tasks/{province_task.pk}/submissions").json()
    assert {s["name"]: s["status"] for s in subs["items"]} == {
        "甲哨兵实验小学": "submitted",
        "甲哨兵村教学点": "pending",
    }
    assert client.get(f"/api/reports/tasks/{county_task.pk}/submissions").status_code == 404
    filtered = client.get(
        f"/api/reports/tasks/{province_task.pk}/submissions?status=unreported"
    ).json()
    assert [s["name"] for s in filtered["items"]] == ["甲哨兵村教学点"]
    client.logout()
    login(world.a.users["school_admin"])
    assert client.get("/api/reports/tasks").status_code == 403


def test_cli_lists_and_exports(world, province_task, tmp_path, capsys):
    call_command("reports", "list")
    out = capsys.readouterr().out
    assert "2026年度信息化报送" in out and "\t4\t2\t0" in out
    target = tmp_path / "task.csv"
    call_command("reports", "export", str(province_task.pk), "--out", str(target))
    rows = rows_of_csv(target.read_bytes())
    assert len(rows) == 5
    xlsx = tmp_path / "task.xlsx"
    call_command("reports", "export", str(province_task.pk), "--out", str(xlsx))
    assert load_workbook(xlsx).active.max_row == 5
    with pytest.raises(CommandError, match="任务不存在"):
        call_command("reports", "export", "999999", "--out", str(target))
    with pytest.raises(CommandError, match=r"\.csv"):
        call_command("reports", "export", str(province_task.pk), "--out", str(tmp_path / "x.txt"))


def test_demo_copes_without_accounts(db):
    messages: list[str] = []
    assert seed_demo(province="41", seed=1, say=messages.append) == 0
    assert not ReportTask.objects.exists()


def test_demo_task_has_submissions_in_every_state_and_reseeds_cleanly(world):
    a = world.a
    for i in range(7):
        f.SchoolFactory(name=f"中原区第{i}小学", region=f.region("410102"))
    f.user_with_role("county_officer", region="410102", username="county")
    f.user_with_role("school_admin", school=a.school, username="school")
    rows = seed_demo(province="41", seed=7, say=lambda m: None)
    assert rows > 10
    task = ReportTask.objects.get(title=DEMO_TITLE)
    assert task.region_id == "410102" and task.form.is_locked
    statuses = set(task.submissions.values_list("status", flat=True))
    assert statuses == {"pending", "draft", "submitted", "returned", "approved"}
    assert task.submissions.filter(is_late=True).exists()
    mine = task.submissions.get(school=a.school)
    assert mine.status == "returned" and mine.return_reason
    assert not task.submissions.filter(school__region_id="410202").exists()
    first = sorted(task.submissions.values_list("school_id", "status"))
    seed_demo(province="41", seed=7, say=lambda m: None)
    again = ReportTask.objects.get(title=DEMO_TITLE)
    assert sorted(again.submissions.values_list("school_id", "status")) == first
    assert Submission.objects.filter(task__title=DEMO_TITLE).count() == len(first)
