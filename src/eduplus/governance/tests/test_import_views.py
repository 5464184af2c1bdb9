"""The import pages and API as a data steward uses them, and as others may not."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from eduplus.core import idnumber
from eduplus.core.models import AuditEntry
from eduplus.governance import importing
from eduplus.governance.models import BatchStatus, ImportBatch, SourceRecord, SourceSystem
from eduplus.governance.tests.conftest import CODE_A1, CODE_B1, csv_bytes
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db

ID1 = idnumber.make("410102", __import__("datetime").date(2016, 3, 5), 1, 1)
ID2 = idnumber.make("410102", __import__("datetime").date(2016, 5, 6), 2, 2)
WRONG2 = ID2[:-1] + ("0" if ID2[-1] != "0" else "1")
HEADER = ["记录号", "姓名", "性别", "身份证件号", "出生日期", "学校标识码", "年级"]
ROWS = [
    ["R1", "张三", "男", ID1, "2016-03-05", CODE_A1, "4"],
    ["R2", "李四", "女", WRONG2, "2016-05-06", CODE_A1, "4"],
    ["R3", "", "男", "", "2016-01-01", CODE_A1, "4"],
    ["R4", "王五", "男", "", "2016-01-01", "2141999999", "4"],
]


@pytest.fixture(autouse=True)
def no_resolution(settings: Any) -> None:
    settings.GOVERNANCE_AUTO_RESOLVE = False


@pytest.fixture
def as_steward(steward: Any, login: Any, gov_schools: Any) -> Any:
    return login(steward)


def page(response: Any) -> str:
    return response.content.decode()


def upload(client: Any, data: bytes, *, name: str = "学籍.csv", source: str = "xueji") -> Any:
    src = SourceSystem.objects.get(code=source)
    return client.post("/data/batches/", {"source": src.pk, "file": SimpleUploadedFile(name, data)})


def imported(tmp_path: Path, rows: list[list[str]] | None = None, **kwargs: Any) -> ImportBatch:
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(HEADER, ROWS if rows is None else rows))
    return importing.batch_import_file(source_code="xueji", path=path, **kwargs)


def test_a_steward_uploads_a_file_and_sees_every_problem_row_explained(
    as_steward: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = as_steward
    empty = client.get("/data/batches/")
    assert empty.status_code == 200
    assert "还没有导入批次" in page(empty) and "上传并导入" in page(empty)
    assert "/data/sources/xueji/template/" in page(empty)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_bytes(HEADER, ROWS, encoding="gbk"))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == f"/data/batches/{batch.pk}/"
    assert batch.status == BatchStatus.DONE and batch.task_id
    detail = page(client.get(response.url))
    assert "文件已上传，正在后台导入" in detail
    assert "读取 = 接受 + 拒绝，无一遗漏" in detail
    for text in ("缺少姓名", "学校标识码在学校库中不存在：2141999999", "身份证件号校验位错误"):
        assert text in detail
    assert "R1" not in detail  # accepted rows are not listed by default
    assert idnumber.mask(WRONG2) in detail and WRONG2 not in detail  # masked on GET
    assert "下载错误报告（3 行，Excel）" in detail
    everything = page(client.get(response.url + "?show=all"))
    assert "R1" in everything and ID1 not in everything
    listing = page(client.get("/data/batches/"))
    assert f"#{batch.pk} 学籍.csv" in listing


def test_the_same_file_uploaded_again_is_not_imported_twice(
    as_steward: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = csv_bytes(HEADER, ROWS)
    with django_capture_on_commit_callbacks(execute=True):
        upload(as_steward, data)
    count = SourceRecord.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(as_steward, data, name="另一个名字.csv")
    batch = ImportBatch.objects.get()
    assert response.url == f"/data/batches/{batch.pk}/"
    assert "本次未重复导入" in page(as_steward.get(response.url))
    assert SourceRecord.objects.count() == count


def test_upload_form_errors_are_explained(as_steward: Any) -> None:
    response = as_steward.post("/data/batches/", {})
    assert "请选择来源系统" in page(response) and "请选择要上传的文件" in page(response)
    src = SourceSystem.objects.get(code="xueji")
    empty = as_steward.post(
        "/data/batches/", {"source": src.pk, "file": SimpleUploadedFile("a.csv", b"")}
    )
    assert "上传的文件是空的" in page(empty)
    src.active = False
    src.save()
    closed = upload(as_steward, b"x")
    assert closed.status_code == 200 and not ImportBatch.objects.exists()


def test_a_file_that_cannot_be_read_shows_why_and_the_mapping_fixes_it(
    as_steward: Any, django_capture_on_commit_callbacks: Any
) -> None:
    header = ["学生名字", "证件", "学校"]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(as_steward, csv_bytes(header, [["张三", ID1, CODE_A1]]))
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED
    detail = page(as_steward.get(response.url))
    assert "导入失败，没有写入任何记录" in detail and "找不到表头" in detail
    assert 'name="col-0"' in detail and "保存映射并重新导入" in detail
    with django_capture_on_commit_callbacks(execute=True):
        as_steward.post(
            f"/data/batches/{batch.pk}/mapping/",
            {"col-0": "name", "col-1": "id_number", "col-2": "school"},
        )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.rows_accepted == 1
    assert SourceRecord.objects.get().name == "张三"


def test_retry_reruns_a_failed_batch(
    as_steward: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    batch = imported(tmp_path)
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED)
    SourceRecord.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_steward.post(f"/data/batches/{batch.pk}/retry/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and SourceRecord.objects.count() == 4


def test_reveal_shows_full_id_numbers_and_is_audited(as_steward: Any, tmp_path: Path) -> None:
    batch = imported(tmp_path)
    response = as_steward.post(f"/data/batches/{batch.pk}/reveal/?show=all")
    assert response.status_code == 200
    assert WRONG2 in page(response) and ID1 in page(response)
    entry = AuditEntry.objects.get(action="person.reveal_id_number")
    assert entry.target_id == str(batch.pk) and entry.details["rows"] == 4


def test_progress_fragment_and_reload_when_done(as_steward: Any, tmp_path: Path) -> None:
    batch = imported(tmp_path)
    url = f"/data/batches/{batch.pk}/progress/"
    fragment = as_steward.get(url)
    assert 'data-status="done"' in page(fragment) and "HX-Refresh" not in fragment.headers
    polled = as_steward.get(url + "?poll=1", HTTP_HX_REQUEST="true")
    assert polled.headers["HX-Refresh"] == "true"
    running = ImportBatch.objects.create(
        source=batch.source, file_name="b.csv", file_sha256="f" * 64, region=batch.region
    )
    importing._Tracker(running.pk, None)("writing", 50_000, 200_000)
    ImportBatch.objects.filter(pk=running.pk).update(status=BatchStatus.RUNNING)
    live = as_steward.get(f"/data/batches/{running.pk}/progress/?poll=1", HTTP_HX_REQUEST="true")
    body = page(live)
    assert "HX-Refresh" not in live.headers
    assert 'hx-trigger="every 1s"' in body and "写入来源记录" in body
    assert 'value="25"' in body and "50,000 / 200,000" in body


def test_the_error_report_download_is_audited(as_steward: Any, tmp_path: Path) -> None:
    batch = imported(tmp_path)
    response = as_steward.get(f"/data/batches/{batch.pk}/report/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*HEADER, "行号", "原因"]
    assert [r[0] for r in rows[1:]] == ["R2", "R3", "R4"]
    assert AuditEntry.objects.filter(action="governance.batch.report_download").count() == 1


def test_rollback_needs_confirmation(as_steward: Any, tmp_path: Path) -> None:
    batch = imported(tmp_path)
    url = f"/data/batches/{batch.pk}/rollback/"
    refused = as_steward.post(url, follow=True)
    assert "请勾选“确认回滚”" in page(refused)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    done = as_steward.post(url, {"confirm": "yes"}, follow=True)
    assert "批次已回滚" in page(done) and "本批次已回滚" in page(done)
    assert not SourceRecord.objects.exists()


def test_list_page_queries_do_not_grow_with_batches(
    as_steward: Any, tmp_path: Path, django_assert_max_num_queries: Any
) -> None:
    source = SourceSystem.objects.get(code="xueji")
    for n in range(15):
        ImportBatch.objects.create(
            source=source, file_name=f"{n}.csv", file_sha256=f"{n:064d}", region=f.region("41")
        )
    with django_assert_max_num_queries(20):
        assert as_steward.get("/data/batches/").status_code == 200


# ------------------------------------------------------------------ who may not


def test_roles_without_the_import_action_are_refused(
    login: Any, gov_schools: Any, tmp_path: Path, client: Any
) -> None:
    batch = imported(tmp_path)
    officer = f.user_with_role("county_officer", region="410102", username="gov-county")
    login(officer)
    for url in (
        "/data/batches/",
        f"/data/batches/{batch.pk}/",
        f"/data/batches/{batch.pk}/report/",
    ):
        assert client.get(url).status_code == 403
    assert client.post(f"/data/batches/{batch.pk}/rollback/", {"confirm": "yes"}).status_code == 403
    assert client.get("/api/data/batches").status_code == 403
    client.logout()
    assert client.get("/data/batches/").status_code == 302  # to the login page


def test_a_steward_of_another_province_sees_nothing_of_this_one(
    login: Any, gov_schools: Any, tmp_path: Path, client: Any
) -> None:
    batch = imported(tmp_path)
    other = f.user_with_role("data_steward", region="42", username="gov-hubei")
    login(other)
    listing = page(client.get("/data/batches/"))
    assert "a.csv" not in listing and "还没有导入批次" in listing
    for url in (
        f"/data/batches/{batch.pk}/",
        f"/data/batches/{batch.pk}/progress/",
        f"/data/batches/{batch.pk}/report/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/data/batches/{batch.pk}/rollback/", {"confirm": "yes"}).status_code == 404
    assert client.post(f"/data/batches/{batch.pk}/reveal/").status_code == 404
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert AuditEntry.objects.filter(action="permission.denied").exists()
    api = client.get(f"/api/data/batches/{batch.pk}")
    assert api.status_code == 404
    assert client.get("/api/data/batches").json()["count"] == 0


def test_the_api_answers_status_progress_and_counters(as_steward: Any, tmp_path: Path) -> None:
    batch = imported(tmp_path)
    listing = as_steward.get("/api/data/batches").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == batch.pk
    one = as_steward.get(f"/api/data/batches/{batch.pk}").json()
    assert one["status"] == "done" and one["source"] == "xueji"
    assert (one["rows_read"], one["rows_accepted"], one["rows_rejected"]) == (4, 2, 2)
    assert one["rows_suspicious"] == 1 and one["has_error_report"] is True
    assert one["progress"]["percent"] == 100 and one["progress"]["phase"] == "done"
    assert as_steward.get("/api/data/batches?status=failed").json()["count"] == 0
    assert as_steward.get("/api/data/batches/999999").status_code == 404
    assert CODE_B1  # the fixture's other county school exists for scope tests
