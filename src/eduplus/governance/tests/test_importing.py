# ruff: noqa: S603, S608 - a test's own subprocess and DuckDB query
"""Import batches end to end: files of every kind, all-or-nothing writes, the same file
twice, failures a person can act on, killed imports, rollback, the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from eduplus.core import idnumber
from eduplus.core.models import AuditEntry
from eduplus.governance import bulk, hooks, importing
from eduplus.governance.models import (
    BatchStatus,
    ImportBatch,
    LineageEvent,
    SourceRecord,
    SourceSystem,
)
from eduplus.governance.tests.conftest import CODE_A1, CODE_B1, csv_bytes
from eduplus.testing import factories as f
from eduplus.testing.database import (  # noqa: F401 - autouse, module scope: restores after flushes
    shared_database_restored,
)

pytestmark = pytest.mark.django_db

BIRTH = dt.date(2016, 3, 5)
ID1 = idnumber.make("410102", BIRTH, 1, 1)
ID2 = idnumber.make("410102", dt.date(2016, 5, 6), 2, 2)
ID5 = idnumber.make("410202", dt.date(2015, 9, 1), 5, 1)
WRONG2 = ID2[:-1] + ("0" if ID2[-1] != "0" else "1")
HEADER = ["记录号", "姓名", "性别", "身份证件号", "出生日期", "民族", "学校标识码", "年级", "班级",
          "监护人电话"]  # fmt: skip
ROWS = [
    ["R1", "张三", "男", ID1, "2016-03-05", "汉族", CODE_A1, "四年级", "4班", "13800138000"],
    ["R2", "李 四", "女", WRONG2, "2016/5/6", "回", CODE_A1, "4", "4班", ""],
    ["R3", "", "男", "", "2016-01-01", "汉", CODE_A1, "4", "4班", ""],
    ["R4", "王五", "男", "", "20160101", "汉", "2141999999", "4", "1班", ""],
    ["R5", "赵六", "1", ID5, "2015年9月1日", "01", CODE_B1, "五年级", "2班", ""],
]


@pytest.fixture(autouse=True)
def hook_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the batches handed to the resolution hook (instead of resolving)."""
    calls: list[int] = []
    monkeypatch.setattr(hooks, "batch_imported", lambda batch: calls.append(batch.pk))
    return calls


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def check_sample_batch(batch: ImportBatch) -> None:
    """What every format of the sample must give."""
    assert batch.status == BatchStatus.DONE, batch.failure
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (5, 3, 2)
    assert batch.rows_suspicious == 1
    records = {r.record_key: r for r in SourceRecord.objects.filter(batch=batch)}
    assert len(records) == 5
    r1, r2, r3, r4, r5 = (records[f"R{n}"] for n in range(1, 6))
    assert (r1.status, r1.name, r1.id_number, r1.id_valid) == ("accepted", "张三", ID1, True)
    assert (r1.birth_date, r1.gender, r1.ethnicity, r1.grade) == (BIRTH, 1, "01", 4)
    assert (r1.school_id, r1.region_id, r1.guardian_phone) == (
        r1.school_id,
        "410102",
        "13800138000",
    )
    assert r1.reasons == []
    assert r1.raw == {}  # an accepted row: its cells are in the columnar copy
    raw1 = importing.record_raw(r1)
    assert raw1["姓名"] == "张三" and raw1["记录号"] == "R1"
    assert importing.record_raw(r2) == r2.raw and r2.raw["姓名"] == "李 四"  # as in the file
    assert (r2.status, r2.name, r2.id_valid, r2.id_number) == ("suspicious", "李四", False, WRONG2)
    assert r2.reasons == ["身份证件号校验位错误"]
    assert (r3.status, r3.reasons[0]) == ("rejected", "缺少姓名")
    assert r4.status == "rejected"
    assert r4.reasons[0] == "学校标识码在学校库中不存在：2141999999"
    assert (r4.school_id, r4.region_id) == (None, "41")
    assert (r5.status, r5.region_id, r5.gender) == ("accepted", "410202", 1)


def test_a_csv_with_bom_is_imported_row_by_row_with_lineage_and_audit(
    gov_schools: Any, steward: Any, tmp_path: Path, hook_calls: list[int]
) -> None:
    path = write(tmp_path, "学籍.csv", csv_bytes(HEADER, ROWS, encoding="utf-8-sig"))
    phases: list[str] = []
    batch = importing.batch_import_file(
        source_code="xueji",
        path=path,
        actor=steward,
        progress=lambda done, total, phase: phases.append(phase),
    )
    check_sample_batch(batch)
    assert batch.region_id == "41" and batch.created_by == steward
    assert SourceRecord.objects.get(batch=batch, record_key="R1").row_number == 2
    assert batch.mapping["身份证件号"] == "id_number" and batch.mapping["记录号"] == "record_key"
    assert phases[:2] == ["queued", "reading"] and phases[-1] == "done"
    assert {"normalising", "report", "writing"} <= set(phases)
    assert hook_calls == [batch.pk]
    # The upload is kept by content; progress reached the end.
    assert Path(batch.stored_path).read_bytes() == path.read_bytes()
    state = importing.progress_read(batch)
    assert (state.phase, state.percent) == ("done", 100)
    # Lineage: source → batch, with the counts.
    event = LineageEvent.objects.get(job_name="governance.import")
    assert event.inputs == ["source:xueji"] and event.outputs == [f"batch:{batch.pk}"]
    assert event.payload["run"]["facets"]["rows_rejected"] == 2
    audit = AuditEntry.objects.get(action="governance.import")
    assert audit.actor == steward and audit.details["rows_read"] == 5


def test_the_error_report_holds_every_rejected_or_suspicious_row_in_the_original_columns(
    gov_schools: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "学籍.csv", csv_bytes(HEADER, ROWS))
    batch = importing.batch_import_file(source_code="xueji", path=path)
    report = Path(batch.error_report_path)
    assert report.is_file()
    sheet = load_workbook(report, read_only=True).active
    rows = [[c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [*HEADER, "行号", "原因"]
    assert [r[0] for r in rows[1:]] == ["R2", "R3", "R4"]
    r2 = rows[1]
    assert r2[:10] == ["R2", "李 四", "女", WRONG2, "2016/5/6", "回", CODE_A1, "4", "4班", ""]
    assert r2[10] == "3"
    assert r2[11] == "【存疑】身份证件号校验位错误"
    assert rows[2][11].startswith("【拒绝】缺少姓名")
    # Excel readers that place cells by position agree (python-calamine here).
    from eduplus.core.tabular import read_rows

    calamine = [r.cells for r in read_rows(report)]
    assert calamine[0] == [*HEADER, "行号", "原因"]
    assert calamine[1][:4] == ["R2", "李 四", "女", WRONG2] and calamine[1][10] == "3"
    assert calamine[2][1] == "" and calamine[2][2] == "男"  # an empty cell keeps its place
    # The same report again from the stored rows, when the file is gone.
    report.unlink()
    again = importing.error_report_file(batch)
    rows2 = list(load_workbook(again, read_only=True).active.iter_rows(values_only=True))
    assert [r[0] for r in rows2[1:]] == ["R2", "R3", "R4"]
    assert rows2[1][-1] == "【存疑】身份证件号校验位错误"


def test_the_columnar_copy_matches_the_database(gov_schools: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "学籍.csv", csv_bytes(HEADER, ROWS))
    batch = importing.batch_import_file(source_code="xueji", path=path)
    parquet = importing.columnar_path(batch.pk)
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT unique_id, source, status, name, id_number, birth_date, school_id "
        f"FROM read_parquet('{parquet}') ORDER BY unique_id"
    ).fetchall()
    db = list(
        SourceRecord.objects.filter(batch=batch)
        .order_by("id")
        .values_list("id", "status", "name", "id_number", "birth_date", "school_id")
    )
    assert [(r[0], r[2], r[3], r[4], r[6]) for r in rows] == [
        (i, s, n, idn, sc) for i, s, n, idn, _b, sc in db
    ]
    assert {r[1] for r in rows} == {"xueji"}
    assert rows[0][5] == "2016-03-05"


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030"])
def test_csv_encodings_are_detected(gov_schools: Any, tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, f"资助-{encoding}.csv", csv_bytes(HEADER, ROWS, encoding=encoding))
    check_sample_batch(importing.batch_import_file(source_code="xueji", path=path))


@pytest.mark.parametrize("line_breaks", [0, 15])
def test_a_big_csv_keeps_every_records_number(tmp_path: Path, line_breaks: int) -> None:
    """A file big enough for several buffers of DuckDB's reader keeps its records
    numbered in the file's order: read in parallel (both threads), or sequentially
    when quoted line breaks in cells forbid that."""
    path = tmp_path / "big.csv"
    writer = duckdb.connect()
    writer.execute(
        f"COPY (SELECT i, CASE WHEN {line_breaks} > 0 AND i % 100000 = 7 "
        "THEN 'two' || chr(10) || 'lines' "
        "ELSE repeat('x', 20) END AS note, md5(CAST(i AS VARCHAR)) AS h FROM range(1500000) "
        f"t(i) ORDER BY i) TO '{path}' (FORMAT csv, HEADER false)"
    )
    writer.close()
    con = importing._duck(2)
    try:
        width = importing._load_csv(con, path, tmp_path)
        assert width == 3
        rows = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE rn <> CAST(c0 AS BIGINT) + 1), "
            "count(*) FILTER (WHERE c1 LIKE '%' || chr(10) || '%') FROM raw"
        ).fetchall()
    finally:
        con.close()
    assert rows == [(1_500_000, 0, line_breaks)]


def test_an_xlsx_with_a_title_row_and_excel_cells(gov_schools: Any, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025学年学籍名单"])
    sheet.append([*HEADER])
    for row in ROWS:
        sheet.append(row)
    sheet.cell(row=3, column=5).value = dt.datetime(2016, 3, 5)  # a date cell
    sheet.cell(row=3, column=8).value = 4  # a number cell
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = write(tmp_path, "体质.xlsx", buffer.getvalue())
    batch = importing.batch_import_file(source_code="xueji", path=path)
    check_sample_batch(batch)
    assert SourceRecord.objects.get(batch=batch, record_key="R1").row_number == 3


def test_a_legacy_xls(gov_schools: Any, tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("名单")
    for c, text in enumerate(HEADER):
        sheet.write(0, c, text)
    for r, row in enumerate(ROWS, start=1):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    check_sample_batch(
        importing.batch_import_file(
            source_code="xueji", path=write(tmp_path, "名单.xls", buffer.getvalue())
        )
    )


def test_the_same_file_again_changes_nothing(gov_schools: Any, tmp_path: Path) -> None:
    data = csv_bytes(HEADER, ROWS)
    first = importing.batch_import_file(source_code="xueji", path=write(tmp_path, "a.csv", data))
    ids = list(SourceRecord.objects.order_by("id").values_list("id", flat=True))
    again = importing.batch_import_file(
        source_code="xueji", path=write(tmp_path, "renamed.csv", data)
    )
    assert again.pk == first.pk
    assert list(SourceRecord.objects.order_by("id").values_list("id", flat=True)) == ids
    assert ImportBatch.objects.count() == 1
    source = SourceSystem.objects.get(code="xueji")
    batch, created = importing.batch_create(
        source=source, file_name="x.csv", data=data, region=f.region("41"), actor=None
    )
    assert (batch.pk, created) == (first.pk, False)
    # Another source may send the same bytes: that is another batch.
    other = importing.batch_import_file(source_code="tizhi", path=write(tmp_path, "b.csv", data))
    assert other.pk != first.pk and other.status == BatchStatus.DONE


def test_an_importer_of_one_county_cannot_import_another_countys_school(
    gov_schools: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "a.csv", csv_bytes(HEADER, ROWS))
    batch = importing.batch_import_file(source_code="xueji", path=path, region_code="410102")
    r5 = SourceRecord.objects.get(batch=batch, record_key="R5")
    assert r5.status == "rejected"
    assert r5.reasons[0] == f"学校不在导入人的管辖区域内：{CODE_B1}"
    assert (r5.school_id, r5.region_id) == (None, "410102")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("garbage.csv", b"\x00\x01\x02PK\x00" * 100, "二进制"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "无法读取 Excel 文件"),
        ("notes.csv", "说明\n这个文件没有表头\n".encode(), "找不到表头"),
        ("header-only.csv", csv_bytes(HEADER, []), "没有数据行"),
        ("bad-bytes.csv", "姓名,学校标识码\n".encode() + b"\xff\xfe\xfa\x81\n", "编码"),
    ],
)
def test_a_file_that_cannot_be_read_fails_the_batch_with_a_reason_and_no_rows(
    gov_schools: Any, tmp_path: Path, hook_calls: list[int], name: str, data: bytes, reason: str
) -> None:
    batch = importing.batch_import_file(source_code="xueji", path=write(tmp_path, name, data))
    assert batch.status == BatchStatus.FAILED
    assert reason in batch.failure
    assert not SourceRecord.objects.exists()
    assert hook_calls == []
    assert AuditEntry.objects.filter(action="governance.import", result="failure").exists()


def test_import_refuses_what_it_cannot_start(gov_schools: Any, tmp_path: Path) -> None:
    with pytest.raises(importing.ImportFailure, match="来源系统“nope”不存在"):
        importing.batch_import_file(source_code="nope", path=tmp_path / "x.csv")
    with pytest.raises(importing.ImportFailure, match="文件不存在"):
        importing.batch_import_file(source_code="xueji", path=tmp_path / "missing.csv")
    with pytest.raises(importing.ImportFailure, match="区划代码 99 不存在"):
        importing.batch_import_file(source_code="xueji", path=tmp_path / "x.csv", region_code="99")
    with pytest.raises(importing.ImportFailure, match="文件为空"):
        importing.batch_import_file(source_code="xueji", path=write(tmp_path, "e.csv", b""))


def test_unknown_headers_fail_until_mapped_then_import(
    gov_schools: Any, steward: Any, tmp_path: Path
) -> None:
    header = ["学生名字", "证件", "学校", "备注"]
    rows = [["张三", ID1, CODE_A1, "转入"], ["李四", ID2, CODE_A1, ""]]
    path = write(tmp_path, "odd.csv", csv_bytes(header, rows))
    batch = importing.batch_import_file(source_code="xueji", path=path)
    assert batch.status == BatchStatus.FAILED
    assert "找不到表头" in batch.failure and "列映射" in batch.failure
    layout = importing.batch_mapping_layout(batch)
    assert layout is not None and layout.headers == header
    batch = importing.batch_requeue(
        batch=batch,
        actor=steward,
        mapping={"学生名字": "name", "证件": "id_number", "学校": "school", "备注": ""},
    )
    assert batch.status == BatchStatus.QUEUED
    batch = importing.batch_run(batch=batch)
    assert batch.status == BatchStatus.DONE and batch.rows_accepted == 2
    assert batch.mapping == {"学生名字": "name", "证件": "id_number", "学校": "school"}
    record = SourceRecord.objects.get(batch=batch, record_key="1")
    assert importing.record_raw(record)["备注"] == "转入"
    entry = AuditEntry.objects.get(action="governance.batch.requeue")
    assert entry.details["mapping_after"]["学生名字"] == "name"
    # The command line's --map does the same in one go.
    other = write(tmp_path, "odd2.csv", csv_bytes(header, rows[:1]))
    done = importing.batch_import_file(
        source_code="tizhi",
        path=other,
        mapping={"学生名字": "name", "证件": "id_number", "学校": "school"},
    )
    assert done.status == BatchStatus.DONE and done.rows_accepted == 1


def test_a_failure_in_the_middle_of_the_write_leaves_no_rows_and_a_rerun_completes(
    gov_schools: Any, steward: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[f"R{n}", f"学生{n}", "男", "", "2016-03-05", "汉", CODE_A1, "4", "", ""]
            for n in range(1, 11)]  # fmt: skip
    path = write(tmp_path, "big.csv", csv_bytes(HEADER, rows))
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 3)  # several chunks
    monkeypatch.setattr(bulk, "COPY_CHUNK_ROWS", 3)
    written: list[int] = []

    def failing(done: int, total: int, phase: str) -> None:
        if phase == "writing" and 0 < done < total:  # after a chunk, before the last
            if written:
                raise OSError("disk full")
            written.append(done)

    batch = importing.batch_import_file(
        source_code="xueji", path=path, actor=steward, progress=failing
    )
    assert batch.status == BatchStatus.FAILED
    assert "OSError" in batch.failure and "数据未写入" in batch.failure
    assert written == [3]  # one chunk had been written inside the transaction...
    assert not SourceRecord.objects.exists()  # ...and rolled back with the rest
    assert not importing.columnar_path(batch.pk).exists()
    assert not LineageEvent.objects.exists()
    batch = importing.batch_requeue(batch=batch, actor=steward)
    batch = importing.batch_run(batch=batch)
    assert batch.status == BatchStatus.DONE
    assert SourceRecord.objects.filter(batch=batch).count() == batch.rows_read == 10


def test_a_run_that_was_taken_over_meanwhile_writes_nothing(
    gov_schools: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook_calls: list[int]
) -> None:
    """A slow run declared abandoned and queued again must not add a second copy."""
    real = importing._reserve_ids

    def taken_over(count: int) -> int:  # inside the write transaction, before the rows
        base = real(count)
        ImportBatch.objects.filter(status=BatchStatus.RUNNING).update(
            started_at=timezone.now() + dt.timedelta(seconds=5)
        )
        return base

    monkeypatch.setattr(importing, "_reserve_ids", taken_over)
    batch = importing.batch_import_file(
        source_code="xueji", path=write(tmp_path, "a.csv", csv_bytes(HEADER, ROWS))
    )
    assert batch.status == BatchStatus.RUNNING  # still the other run's
    assert not SourceRecord.objects.exists() and hook_calls == []


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _abandon(batch: ImportBatch, *, pid: int, beat: dt.datetime) -> None:
    """What a killed process leaves: the batch running, its progress file, no rows."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RUNNING, started_at=beat, phase="writing"
    )
    path = importing.progress_path(batch.pk)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "phase": "writing",
                "done": 2,
                "total": 5,
                "heartbeat": beat.isoformat(),
                "pid": pid,
                "host": os.uname().nodename,
            }
        )
    )
    batch.refresh_from_db()


def test_importing_the_same_file_again_reruns_a_batch_whose_process_died(
    gov_schools: Any, tmp_path: Path
) -> None:
    data = csv_bytes(HEADER, ROWS)
    source = SourceSystem.objects.get(code="xueji")
    batch, _ = importing.batch_create(
        source=source, file_name="a.csv", data=data, region=f.region("41"), actor=None
    )
    _abandon(batch, pid=_dead_pid(), beat=timezone.now())
    assert importing.batch_is_stale(batch)
    again = importing.batch_import_file(source_code="xueji", path=write(tmp_path, "a.csv", data))
    assert again.pk == batch.pk
    check_sample_batch(again)


def test_a_running_batch_of_a_live_process_is_left_alone(gov_schools: Any, tmp_path: Path) -> None:
    data = csv_bytes(HEADER, ROWS)
    source = SourceSystem.objects.get(code="xueji")
    batch, _ = importing.batch_create(
        source=source, file_name="a.csv", data=data, region=f.region("41"), actor=None
    )
    _abandon(batch, pid=os.getpid(), beat=timezone.now())
    assert not importing.batch_is_stale(batch)
    assert importing.batches_recover(stale_after=dt.timedelta(minutes=10)) == []
    again = importing.batch_import_file(source_code="xueji", path=write(tmp_path, "a.csv", data))
    assert again.status == BatchStatus.RUNNING  # still the other process's


def test_batches_recover_reruns_silent_batches_and_fails_those_without_a_file(
    gov_schools: Any, tmp_path: Path
) -> None:
    source = SourceSystem.objects.get(code="xueji")
    region = f.region("41")
    silent, _ = importing.batch_create(
        source=source, file_name="a.csv", data=csv_bytes(HEADER, ROWS), region=region, actor=None
    )
    lost, _ = importing.batch_create(
        source=source,
        file_name="b.csv",
        data=csv_bytes(HEADER, ROWS[:2]),
        region=region,
        actor=None,
    )
    long_ago = timezone.now() - dt.timedelta(hours=1)
    _abandon(silent, pid=os.getpid(), beat=long_ago)  # alive but silent for an hour
    _abandon(lost, pid=_dead_pid(), beat=long_ago)
    Path(lost.stored_path).unlink()
    recovered = importing.batches_recover(stale_after=dt.timedelta(minutes=10))
    assert {b.pk for b in recovered} == {silent.pk, lost.pk}
    silent.refresh_from_db()
    lost.refresh_from_db()
    check_sample_batch(silent)
    assert lost.status == BatchStatus.FAILED and "文件已不存在" in lost.failure


def test_recover_command_imports_a_batch_whose_process_died(
    gov_schools: Any, tmp_path: Path
) -> None:
    out = io.StringIO()
    call_command("data", "recover", "--inline", stdout=out)
    assert "没有被中断的导入批次" in out.getvalue()
    source = SourceSystem.objects.get(code="xueji")
    batch, _ = importing.batch_create(
        source=source,
        file_name="a.csv",
        data=csv_bytes(HEADER, ROWS),
        region=f.region("41"),
        actor=None,
    )
    _abandon(batch, pid=_dead_pid(), beat=timezone.now())  # killed a moment ago
    out = io.StringIO()
    call_command("data", "recover", "--inline", stdout=out)
    batch.refresh_from_db()
    check_sample_batch(batch)
    assert f"批次 {batch.pk}（a.csv）" in out.getvalue()
    with pytest.raises(CommandError, match="至少为 1"):
        call_command("data", "recover", "--minutes", "0", stdout=io.StringIO())


def test_rollback_deletes_the_records_and_the_file_can_be_imported_again(
    gov_schools: Any, steward: Any, tmp_path: Path
) -> None:
    data = csv_bytes(HEADER, ROWS)
    batch = importing.batch_import_file(source_code="xueji", path=write(tmp_path, "a.csv", data))
    with pytest.raises(Exception, match="只有已完成的批次可以回滚"):
        importing.batch_rollback(batch=ImportBatch(pk=batch.pk, status="failed"), actor=steward)
    batch = importing.batch_rollback(batch=batch, actor=steward)
    assert batch.status == BatchStatus.ROLLED_BACK
    assert (batch.rows_read, batch.rows_rejected) == (5, 2)  # the history stays
    assert not SourceRecord.objects.exists()
    assert not importing.columnar_path(batch.pk).exists()
    entry = AuditEntry.objects.get(action="governance.batch.rollback")
    assert entry.actor == steward and entry.details["records_deleted"] == 5
    again = importing.batch_import_file(source_code="xueji", path=write(tmp_path, "b.csv", data))
    assert again.pk != batch.pk
    check_sample_batch(again)


def test_big_batches_rebuild_the_indexes_they_dropped(
    gov_schools: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setattr(importing, "REBUILD_MIN_ROWS", 1)

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                [importing.RECORD_TABLE],
            )
            return {r[0] for r in cursor.fetchall()}

    before = indexes()
    assert "srcrec_region_idx" in before
    batch = importing.batch_import_file(
        source_code="xueji", path=write(tmp_path, "a.csv", csv_bytes(HEADER, ROWS))
    )
    check_sample_batch(batch)
    assert indexes() == before


def test_the_template_of_a_source(gov_schools: Any) -> None:
    source = SourceSystem.objects.get(code="xueji")
    workbook = load_workbook(io.BytesIO(importing.source_template_xlsx(source)))
    assert workbook.sheetnames == ["数据", "代码表", "填写说明"]
    header = [c.value for c in workbook["数据"][1]]
    assert header[:4] == ["记录号", "姓名", "身份证件号", "性别"]
    assert "学校标识码" in header and "学校名称" in header and "监护人电话" in header
    codes = [[c.value for c in row] for row in workbook["代码表"].iter_rows(min_row=2)]
    assert codes[0][:2] == ["01", "汉族"] and any(r[1] == "维吾尔族" for r in codes)


# ------------------------------------------------------------------ command line


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("data", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_cli_import_exit_codes_and_report(gov_schools: Any, tmp_path: Path) -> None:
    clean = write(tmp_path, "clean.csv", csv_bytes(HEADER, [ROWS[0], ROWS[4]]))
    code, out, _ = run_cli("import", str(clean), "--source", "xueji", "--no-progress")
    assert code == 0, out
    assert "读取行数：2" in out and "接受行数：2（其中存疑 0）" in out and "拒绝行数：0" in out
    assert "错误报告：无" in out
    messy = write(tmp_path, "messy.csv", csv_bytes(HEADER, ROWS))
    code, out, message = run_cli("import", str(messy), "--source", "xueji", "--no-progress")
    assert code == 1
    assert "读取行数：5" in out and "接受行数：3（其中存疑 1）" in out and "拒绝行数：2" in out
    report = out.split("错误报告：")[1].strip()
    assert Path(report).is_file() and "有 2 行被拒绝" in message and "其余行已导入" in message
    code, out, _ = run_cli("import", str(messy), "--source", "xueji", "--no-progress")
    assert code == 1 and "已从同一来源导入过" in out
    code, _, message = run_cli("import", str(tmp_path / "nope.csv"), "--source", "xueji")
    assert code == 2 and "文件不存在" in message
    garbage = write(tmp_path, "garbage.csv", b"\x00\x01" * 50)
    code, _, message = run_cli("import", str(garbage), "--source", "xueji")
    assert code == 2 and "二进制" in message
    code, _, message = run_cli("import", str(messy), "--source", "xueji", "--map", "姓名")
    assert code == 2 and "列名=数据项" in message


def test_cli_imports_several_files_each_a_batch_and_one_bad_file_stops_nothing(
    gov_schools: Any, tmp_path: Path
) -> None:
    clean = write(tmp_path, "a-clean.csv", csv_bytes(HEADER, [ROWS[0], ROWS[4]]))
    garbage = write(tmp_path, "b-garbage.csv", b"\x00\x01" * 50)
    messy = write(tmp_path, "c-messy.csv", csv_bytes(HEADER, ROWS))
    code, out, message = run_cli(
        "import", str(clean), str(garbage), str(messy), "--source", "xueji", "--no-progress"
    )
    assert code == 2  # the worst outcome: one file could not be imported
    batches = list(ImportBatch.objects.order_by("id"))
    assert [b.file_name for b in batches] == ["a-clean.csv", "b-garbage.csv", "c-messy.csv"]
    assert [b.status for b in batches] == ["done", "failed", "done"]
    assert [b.rows_read for b in batches] == [2, 0, 5]
    assert out.count("读取行数：") == 2 and "读取行数：5" in out
    assert "二进制" in message and f"批次 #{batches[1].pk} 导入失败" in message
    assert SourceRecord.objects.filter(batch=batches[2]).count() == 5
    assert not (
        importing.governance_dir("tmp").exists() and any(importing.governance_dir("tmp").iterdir())
    )

    # A file that cannot start (missing) stops the whole command before any import.
    other = write(tmp_path, "d.csv", csv_bytes(HEADER, [ROWS[1]]))
    code, _, message = run_cli(
        "import", str(other), str(tmp_path / "nope.csv"), "--source", "xueji"
    )
    assert code == 2 and "文件不存在" in message
    assert ImportBatch.objects.count() == 3


def test_batches_run_answers_in_order_and_leaves_batches_not_queued_alone(
    gov_schools: Any, tmp_path: Path
) -> None:
    first = importing.batch_import_file(
        source_code="xueji", path=write(tmp_path, "one.csv", csv_bytes(HEADER, [ROWS[0]]))
    )
    source = SourceSystem.objects.get(code="zizhu")
    queued = [
        importing.batch_create(
            source=source,
            file_name=f"{n}.csv",
            data=csv_bytes(HEADER, [ROWS[n]]),
            region=f.region("41"),
            actor=None,
        )[0]
        for n in (1, 4)
    ]
    done = importing.batches_run([queued[0], first, queued[1]])
    assert [b.pk for b in done] == [queued[0].pk, first.pk, queued[1].pk]
    assert [b.status for b in done] == ["done", "done", "done"]
    assert done[1].finished_at == first.finished_at  # not run again
    assert [b.rows_read for b in done] == [1, 1, 1]
    assert importing.batches_run([]) == []


def test_batches_read_ahead_are_all_written_and_a_bad_one_fails_alone(
    gov_schools: Any, tmp_path: Path
) -> None:
    source = SourceSystem.objects.get(code="xueji")
    files = [
        ("a.csv", csv_bytes(HEADER, [ROWS[0]])),
        ("b.csv", b"\x00\x01" * 50),  # not a CSV: fails while the next ones are read
        ("c.csv", csv_bytes(HEADER, ROWS)),
        ("d.csv", csv_bytes(HEADER, [ROWS[4]])),
        ("e.csv", csv_bytes(HEADER, [ROWS[1], ROWS[4]])),
    ]
    batches = [
        importing.batch_create(
            source=source, file_name=name, data=data, region=f.region("41"), actor=None
        )[0]
        for name, data in files
    ]
    done = importing.batches_run(batches)
    assert [b.status for b in done] == ["done", "failed", "done", "done", "done"]
    assert [b.rows_read for b in done] == [1, 0, 5, 1, 2]
    for batch in done:
        assert SourceRecord.objects.filter(batch=batch).count() == batch.rows_read
        assert importing.progress_read(batch).phase in ("done", "failed")


def test_a_batch_waiting_to_be_written_keeps_beating(
    gov_schools: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = SourceSystem.objects.get(code="xueji")
    batch, _created = importing.batch_create(
        source=source, file_name="w.csv", data=csv_bytes(HEADER, ROWS), region=f.region("41"),
        actor=None,
    )  # fmt: skip
    assert importing._claim(batch)
    tracker = importing._Tracker(batch.pk, None)
    tracker("prepared", 0, 5)
    first = importing.progress_read(batch)
    assert (first.phase, first.total, first.label) == ("prepared", 5, "等待写入")
    later = timezone.now() + dt.timedelta(minutes=30)
    monkeypatch.setattr(importing.timezone, "now", lambda: later)
    tracker.beat()
    assert importing.progress_read(batch).heartbeat == later
    assert not importing.batch_is_stale(batch, stale_after=dt.timedelta(minutes=10))
    # The batch being written beats for the one waiting behind it.
    writer = importing._Tracker(batch.pk + 1000, None)
    writer.waiting = tracker
    later = later + dt.timedelta(minutes=5)
    writer("writing", 10, 100)
    assert importing.progress_read(batch).heartbeat == later
    # …and, through it, for one queued behind it, not yet read (read ahead).
    queued, _created = importing.batch_create(
        source=source, file_name="q.csv", data=csv_bytes(HEADER, ROWS[:2]),
        region=f.region("41"), actor=None,
    )  # fmt: skip
    assert importing._claim(queued)
    behind = importing._Tracker(queued.pk, None)
    behind("queued", 0, 0)
    tracker.waiting = behind
    later = later + dt.timedelta(minutes=5)
    writer("writing", 20, 100)
    assert importing.progress_read(batch).heartbeat == later
    assert importing.progress_read(queued).heartbeat == later
    assert not importing.batch_is_stale(queued, stale_after=dt.timedelta(minutes=10))
    # While the one before it is being read, the queued one still gets the beats.
    tracker("normalising", 3, 5)
    later = later + dt.timedelta(minutes=5)
    writer("writing", 30, 100)
    assert importing.progress_read(batch).phase == "normalising"  # not undone by a beat
    assert importing.progress_read(queued).heartbeat == later
    tracker("writing", 1, 5)
    monkeypatch.setattr(importing.timezone, "now", lambda: later + dt.timedelta(hours=1))
    tracker.beat()  # only a waiting batch is beaten for; a writing one beats itself
    assert importing.progress_read(batch).heartbeat == later


def test_cli_map_and_progress_bar(
    gov_schools: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "odd.csv", csv_bytes(["学生名字", "证件", "学校"], [["张三", ID1, CODE_A1]])
    )
    code, out, message = run_cli(
        "import", str(path), "--source", "xueji",
        "--map", "学生名字=name", "--map", "证件=id_number", "--map", "学校=school",
    )  # fmt: skip
    assert code == 0, message
    assert "接受行数：1" in out
    err = capsys.readouterr().err
    assert "读取文件" in err and "写入来源记录" in err


def test_cli_sources_lists_sources_and_authorities(db: Any) -> None:
    code, out, _ = run_cli("sources", "--items")
    assert code == 0
    assert "xueji" in out and "中小学生学籍信息管理系统" in out
    assert "aid_status" in out and "→ zizhu" in out


# -------------------------------------------------------------- a real kill -9


def foreign_keys_on() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_big_import_checks_references_once_per_value_and_turns_the_checks_back_on(
    committed_db: Any, governance_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a transaction (as in production), a big batch is written with SQLite's
    per-row reference checks off and its schools and regions checked per value."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setattr(importing, "REBUILD_MIN_ROWS", 1)
    school = f.SchoolFactory(code=CODE_A1, name="中原治理实验小学", region=f.region("410102"))
    f.SchoolFactory(code=CODE_B1, name="洛阳治理实验小学", region=f.region("410202"))
    checked: list[bool] = []
    real_check = importing._check_references
    monkeypatch.setattr(
        importing, "_check_references", lambda con: (checked.append(True), real_check(con))
    )
    batch = importing.batch_import_file(
        source_code="xueji", path=write(tmp_path, "a.csv", csv_bytes(HEADER, ROWS))
    )
    check_sample_batch(batch)
    assert checked == [True] and foreign_keys_on()
    assert SourceRecord.objects.filter(batch=batch, school=school).count() == 3

    # A school the normalisation matched is deleted before the write: the batch fails
    # with the reason, writes nothing, and the checks are on again.
    real_rows = importing._school_rows

    def ghost_school() -> Any:
        yield from real_rows()
        yield (999_999, "4101999999", "已撤并的学校", "410102", "211")

    monkeypatch.setattr(importing, "_school_rows", ghost_school)
    rows = [["G1", "钱七", "男", "", "2016-03-05", "汉", "4101999999", "4", "1班", ""]]
    failed = importing.batch_import_file(
        source_code="xueji", path=write(tmp_path, "ghost.csv", csv_bytes(HEADER, rows))
    )
    assert failed.status == BatchStatus.FAILED
    assert "999999" in failed.failure and "请重新导入" in failed.failure
    assert not SourceRecord.objects.filter(batch=failed).exists()
    assert foreign_keys_on()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_kill_9_during_the_write_leaves_no_rows_and_the_file_imports_again(
    committed_db: Any, governance_dir: Path, tmp_path: Path
) -> None:
    f.SchoolFactory(code=CODE_A1, name="中原治理实验小学", region=f.region("410102"))
    n = 120_000
    rows = [[f"R{i}", f"学生{i}", "男", "", "2016-03-05", "汉", CODE_A1, "4", "", ""]
            for i in range(n)]  # fmt: skip
    path = write(tmp_path, "big.csv", csv_bytes(HEADER, rows))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eduplus.settings",
        "EDUPLUS_SQLITE_PATH": str(connection.settings_dict["NAME"]),
        "EDUPLUS_VAR_DIR": str(governance_dir.parent),
        "EDUPLUS_AUTO_RESOLVE": "0",
        "PYTHONPATH": str(Path(importing.__file__).resolve().parents[2]),
    }
    if connection.vendor != "sqlite":
        pytest.skip("the subprocess shares the SQLite test database")
    process = subprocess.Popen(
        [sys.executable, "-m", "eduplus", "data", "import", str(path), "--source", "xueji"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            batch = ImportBatch.objects.first()
            if batch is not None:
                state = importing.progress_read(batch)
                if state.phase == "writing" and state.done > 0:
                    break
            if process.poll() is not None:
                pytest.fail("the import finished before it could be killed")
            time.sleep(0.02)
        else:
            pytest.fail("the import never reached the write")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.RUNNING
    assert not SourceRecord.objects.exists()  # the killed transaction left nothing
    assert importing.batch_is_stale(batch)  # its process is gone
    again = importing.batch_import_file(source_code="xueji", path=path)
    assert again.pk == batch.pk and again.status == BatchStatus.DONE
    assert SourceRecord.objects.count() == again.rows_read == n
