# ruff: noqa: S608 - SQL text from code constants, ints and sql_text()-quoted literals
"""Import batches (导入批次) and the source registry (来源系统, 一数一源).

A batch is one file from one source. :func:`batch_create` stores the file under
``GOVERNANCE_DIR/uploads`` by its SHA-256 (the same file from the same source again is
the same batch: nothing changes); :func:`batch_run` reads it, normalises and validates
every row set-based in DuckDB (:mod:`eduplus.governance.normalize`), and writes all
SourceRecord rows — accepted, suspicious and rejected — in one transaction, with the
batch's counters, the lineage event and the audit entry. A failure leaves no rows and a
reason a person can act on.

Progress lives outside that long transaction, in a small JSON file per batch under
``GOVERNANCE_DIR/progress`` (phase, done, total, heartbeat, pid), which the batch page
polls and the command line draws. A batch left ``running`` by a killed process (its
transaction rolled back, so it has no rows) is found by :func:`batches_recover` or by
importing the same file again, and rerun.

Files written per batch: the error report (``reports/batch-<id>-errors.xlsx``: every
rejected or suspicious row in the original columns plus 行号 and 原因) and the columnar
copy the identity resolution reads (``columnar/batch-<id>.parquet``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import hashlib
import io
import itertools
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eduplus.core.audit import audit_record
from eduplus.core.tabular import EXCEL_SUFFIXES, TabularError, detect_encoding, read_rows
from eduplus.governance import bulk, normalize
from eduplus.governance.lineage import lineage_emit
from eduplus.governance.models import (
    BatchStatus,
    DataItem,
    ImportBatch,
    ItemAuthority,
    RecordLink,
    SourceKind,
    SourceRecord,
    SourceSystem,
)
from eduplus.governance.models.records import LIVE_BATCH_STATUSES
from eduplus.governance.resolution import columnar_path
from eduplus.regions.models import Region

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

PROGRESS_EVERY = 50_000  # rows between progress reports while writing
HEADER_SCAN_ROWS = 20  # the header is looked for among the first rows
# A running batch whose heartbeat is older than this is considered abandoned.
STALE_AFTER = dt.timedelta(minutes=10)

PHASE_LABELS: dict[str, str] = {
    "queued": gettext_noop("排队等待"),
    "reading": gettext_noop("读取文件"),
    "normalising": gettext_noop("规范化与校验"),
    "report": gettext_noop("生成错误报告"),
    # Read and checked while the batch before it is written (several files at once).
    "prepared": gettext_noop("等待写入"),
    "writing": gettext_noop("写入来源记录"),
    "done": gettext_noop("完成"),
    "failed": gettext_noop("失败"),
}

RECORD_TABLE = SourceRecord._meta.db_table


class ImportFailure(Exception):
    """The file cannot be imported at all; the message says why and what to do."""


class _Superseded(Exception):
    """The batch was queued again and claimed by another run while this one wrote."""


# ------------------------------------------------------------------------- storage


def governance_dir(*parts: str) -> Path:
    path = Path(settings.GOVERNANCE_DIR).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def error_report_path(batch_id: int) -> Path:
    return Path(settings.GOVERNANCE_DIR) / "reports" / f"batch-{batch_id}-errors.xlsx"


def _store_upload(data: bytes, sha256: str, file_name: str) -> Path:
    suffix = Path(file_name).suffix.lower()[:10]
    if not suffix.replace(".", "").isalnum():
        suffix = ""
    path = governance_dir("uploads", sha256[:2]) / f"{sha256}{suffix}"
    if not path.exists() or path.stat().st_size != len(data):
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------ progress


@dataclass(frozen=True)
class ProgressState:
    phase: str
    done: int
    total: int
    heartbeat: dt.datetime | None
    pid: int | None = None
    host: str = ""

    @property
    def percent(self) -> int:
        if self.phase == "done":
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def label(self) -> str:
        return _(PHASE_LABELS.get(self.phase, self.phase))


def progress_path(batch_id: int) -> Path:
    return Path(settings.GOVERNANCE_DIR) / "progress" / f"batch-{batch_id}.json"


def progress_read(batch: ImportBatch) -> ProgressState:
    """The batch's progress: the live file while it runs, else the batch's own fields."""
    if batch.status in (BatchStatus.RUNNING, BatchStatus.QUEUED):
        try:
            data = json.loads(progress_path(batch.pk).read_text(encoding="utf-8"))
            beat = data.get("heartbeat")
            return ProgressState(
                phase=str(data.get("phase", "")),
                done=int(data.get("done", 0)),
                total=int(data.get("total", 0)),
                heartbeat=dt.datetime.fromisoformat(beat) if beat else None,
                pid=int(data["pid"]) if data.get("pid") else None,
                host=str(data.get("host", "")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            pass
    phase = batch.phase or str(batch.status)
    if batch.status == BatchStatus.QUEUED:
        phase = "queued"
    return ProgressState(
        phase=phase,
        done=batch.progress_done,
        total=batch.progress_total,
        heartbeat=batch.finished_at or batch.started_at,
    )


class _Tracker:
    """Writes the progress file (atomically) and tells the caller's callback.

    Called from the thread that reads the batch and, for heartbeats, from the thread
    writing the batch before it: a lock keeps a heartbeat from undoing a change of
    phase."""

    def __init__(self, batch_id: int, callback: Progress | None) -> None:
        self.path = progress_path(batch_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.callback = callback
        self.phase = ""
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._phase_started = self.started
        self.done = self.total = 0
        self._lock = threading.Lock()
        # The batch read ahead behind this one: it beats with this one.
        self.waiting: _Tracker | None = None

    def beat(self) -> None:
        """A fresh heartbeat for a batch waiting for its turn (queued behind another
        read, or read and waiting for the write before it), so that it is not taken for
        abandoned meanwhile; passed on down the batches waiting behind it."""
        with self._lock:
            if self.phase in ("queued", "prepared"):
                self._write()
        if self.waiting is not None:
            self.waiting.beat()

    def __call__(self, phase: str, done: int, total: int) -> None:
        with self._lock:
            self.done, self.total = done, total
            if phase != self.phase:
                now = time.perf_counter()
                if self.phase:
                    self.timings[self.phase] = round(now - self._phase_started, 3)
                self.phase, self._phase_started = phase, now
            self._write()
        if self.callback is not None:
            self.callback(done, total, phase)
        if self.waiting is not None:
            self.waiting.beat()

    def _write(self) -> None:
        payload = {
            "phase": self.phase,
            "done": self.done,
            "total": self.total,
            "heartbeat": timezone.now().isoformat(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        with suppress(OSError):
            tmp.write_text(json.dumps(payload), encoding="utf-8")
            os.replace(tmp, self.path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def batch_is_stale(batch: ImportBatch, *, stale_after: dt.timedelta = STALE_AFTER) -> bool:
    """A running batch whose process is gone (same host) or silent for too long."""
    if batch.status != BatchStatus.RUNNING:
        return False
    state = progress_read(batch)
    if state.pid and state.host == socket.gethostname() and not _pid_alive(state.pid):
        return True
    beat = state.heartbeat or batch.started_at
    return beat is None or beat < timezone.now() - stale_after


# ------------------------------------------------------------------------- creating


def _validate_mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for header, item in (mapping or {}).items():
        header = str(header).strip()
        item = str(item or "").strip()
        if not header:
            raise ValidationError(_("列映射中的列名不能为空"))
        if item and item not in normalize.MAPPABLE_ITEMS:
            raise ValidationError(
                _("列映射中的数据项“%(item)s”不存在，可用：%(items)s")
                % {"item": item, "items": "、".join(normalize.MAPPABLE_ITEMS)}
            )
        result[header[:100]] = item
    return result


def batch_create(
    *,
    source: SourceSystem,
    file_name: str,
    data: bytes,
    region: Region,
    actor: Any,
    mapping: dict[str, str] | None = None,
    request: HttpRequest | None = None,
) -> tuple[ImportBatch, bool]:
    """Store the file and queue a batch; the same file from the same source again
    answers the existing live batch and ``False`` (nothing changes).

    An existing batch left running by a killed process is queued again (the caller
    runs or enqueues queued batches).
    """
    if not data:
        raise ValidationError(_("文件为空"))
    if not source.active:
        raise ValidationError(_("来源系统“%(name)s”已停用，不能导入") % {"name": source.name})
    mapping = _validate_mapping(mapping)
    file_name = Path(str(file_name or "upload")).name[:255] or "upload"
    sha256 = hashlib.sha256(data).hexdigest()
    existing = _live_batch(source, sha256)
    if existing is not None:
        _requeue_if_abandoned(existing)
        return existing, False
    stored = _store_upload(data, sha256, file_name)
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                source=source,
                file_name=file_name,
                file_sha256=sha256,
                file_size=len(data),
                stored_path=str(stored),
                mapping=mapping,
                region=region,
                status=BatchStatus.QUEUED,
                phase="queued",
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_record(
                actor=actor,
                action="governance.batch.create",
                target_type="governance.importbatch",
                target_id=str(batch.pk),
                target_repr=file_name,
                request=request,
                details={
                    "source": source.code,
                    "region": region.code,
                    "sha256": sha256,
                    "size": len(data),
                    **({"mapping": mapping} if mapping else {}),
                    **({} if request is not None else {"via": "cli"}),
                },
            )
    except IntegrityError:
        existing = _live_batch(source, sha256)
        if existing is None:
            raise
        return existing, False
    return batch, True


def _live_batch(source: SourceSystem, sha256: str) -> ImportBatch | None:
    return (
        ImportBatch.objects.filter(
            source=source, file_sha256=sha256, status__in=LIVE_BATCH_STATUSES
        )
        .order_by("-id")
        .first()
    )


def _requeue_if_abandoned(batch: ImportBatch, *, stale_after: dt.timedelta = STALE_AFTER) -> bool:
    if not batch_is_stale(batch, stale_after=stale_after):
        return False
    requeued = ImportBatch.objects.filter(
        pk=batch.pk, status=BatchStatus.RUNNING, started_at=batch.started_at
    ).update(status=BatchStatus.QUEUED, phase="queued", failure="")
    batch.refresh_from_db()
    if requeued:
        logger.warning("import batch %s was abandoned by its process; queued again", batch.pk)
    return bool(requeued)


def batch_requeue(
    *,
    batch: ImportBatch,
    actor: Any,
    mapping: dict[str, str] | None = None,
    request: HttpRequest | None = None,
) -> ImportBatch:
    """Queue a failed, rolled-back or abandoned batch again (optionally with a new
    column mapping); audited with the mapping before and after.

    The caller runs it (:func:`batch_run`) or enqueues it (``tasks.batch_enqueue``).
    """
    if batch.status == BatchStatus.RUNNING and batch_is_stale(batch):
        _requeue_if_abandoned(batch)
    if batch.status == BatchStatus.QUEUED and mapping is None:
        return batch  # an abandoned run, queued again above
    if batch.status not in (BatchStatus.FAILED, BatchStatus.ROLLED_BACK, BatchStatus.QUEUED):
        raise ValidationError(_("只有失败、已回滚或中断的批次可以重新导入"))
    if not batch.stored_path or not Path(batch.stored_path).is_file():
        raise ValidationError(_("上传的文件已不存在，请重新上传"))
    other = _live_batch(batch.source, batch.file_sha256)
    if other is not None and other.pk != batch.pk:
        raise ValidationError(
            _("同一文件已在批次 #%(pk)s 中导入，请先回滚该批次") % {"pk": other.pk}
        )
    before = dict(batch.mapping or {})
    new_mapping = _validate_mapping(mapping) if mapping is not None else before
    with transaction.atomic():
        updated = ImportBatch.objects.filter(
            pk=batch.pk,
            status__in=(BatchStatus.FAILED, BatchStatus.ROLLED_BACK, BatchStatus.QUEUED),
        ).update(
            status=BatchStatus.QUEUED,
            phase="queued",
            failure="",
            mapping=new_mapping,
            progress_done=0,
            progress_total=0,
            rows_read=0,
            rows_accepted=0,
            rows_rejected=0,
            rows_suspicious=0,
            error_report_path="",
            started_at=None,
            finished_at=None,
        )
        if not updated:
            raise ValidationError(_("批次状态已变化，请刷新页面"))
        audit_record(
            actor=actor,
            action="governance.batch.requeue",
            target_type="governance.importbatch",
            target_id=str(batch.pk),
            target_repr=batch.file_name,
            request=request,
            details={"mapping_before": before, "mapping_after": new_mapping},
        )
    batch.refresh_from_db()
    return batch


# -------------------------------------------------------------------------- reading


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    """The first row of a query, with the result consumed (DuckDB 2 refuses new work on
    a connection with an unfinished result)."""
    rows = con.execute(sql).fetchall()
    return tuple(rows[0]) if rows else None


def _duck(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET temp_directory = '{governance_dir('tmp')}'")
    return con


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample[:4096], delimiters=",\t;，").delimiter
    except csv.Error:
        return ","


def _sample_width(sample: str, delimiter: str) -> int:
    lines = sample.splitlines()[:-1] or sample.splitlines()  # the last may be cut off
    width = 1
    reader = csv.reader(io.StringIO("\n".join(lines[:2000]), newline=""), delimiter=delimiter)
    with suppress(csv.Error):
        for cells in reader:
            width = max(width, len(cells))
    return width


def _load_csv(con: duckdb.DuckDBPyConnection, path: Path, workdir: Path) -> int:
    """Table ``raw`` (c0 … cN and rn, the record's number) from a CSV file; answers the
    column count."""
    data = path.read_bytes()
    if not data:
        raise TabularError(_("文件为空"))
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in data[:4096] and not utf16:
        raise TabularError(
            _("文件不是文本格式的 CSV（含有二进制内容）；请另存为 CSV 或 Excel 后再导入")
        )
    encoding = detect_encoding(data)
    if encoding in ("utf-8", "utf-8-sig"):
        csv_path = path
        sample = data[: 1 << 20].decode("utf-8", errors="ignore")
        if sample.startswith("\ufeff"):
            sample = sample[1:]
    else:
        # DuckDB reads UTF-8 only: GBK / GB18030 / UTF-16 go through a UTF-8 copy.
        text = data.decode(encoding)
        csv_path = workdir / "transcoded.csv"
        csv_path.write_bytes(text.encode("utf-8"))
        sample = text[: 1 << 20]
        del text
    del data
    delimiter = _sniff_delimiter(sample)
    width = _sample_width(sample, delimiter) + 8
    for _attempt in range(4):
        _read_csv(con, csv_path, delimiter, width)
        spare = _one(con, f"SELECT count(c{width - 1}) FROM raw")
        if not spare or not spare[0]:
            break
        width *= 2  # a row wider than the sample's: read again with room to spare
    else:
        raise TabularError(_("文件中有的行列数过多（超过 %(n)d 列）") % {"n": width})
    # Drop the spare columns nobody used (in place: no copy of the file's cells).
    counts = _one(con, "SELECT " + ", ".join(f"count(c{i})" for i in range(width)) + " FROM raw")
    used = max([i + 1 for i, n in enumerate(counts or ()) if n] or [1])
    for i in range(width - 1, used - 1, -1):
        con.execute(f"ALTER TABLE raw DROP COLUMN c{i}")
    # rn, the record's number in the file: the table holds the records in the file's
    # order (DuckDB preserves insertion order), so its row id numbers them; a window
    # row_number() over the read made the parallel read wait for order (2 million
    # rows: 2.3 s against 1.3 s).
    con.execute("ALTER TABLE raw ADD COLUMN rn BIGINT")
    con.execute("UPDATE raw SET rn = rowid + 1")
    return used


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str, width: int) -> None:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    for parallel in ("true", "false"):
        sql = (
            "CREATE OR REPLACE TABLE raw AS SELECT * "
            f"FROM read_csv({normalize.sql_text(str(path))}, header = false, "
            f"delim = {normalize.sql_text(delimiter)}, quote = '\"', escape = '\"', "
            "all_varchar = true, null_padding = true, strict_mode = false, "
            f"auto_detect = false, parallel = {parallel}, columns = {columns})"
        )
        try:
            con.execute(sql)
            return
        except duckdb.Error as exc:
            message = str(exc)
            if parallel == "true" and "parallel" in message:
                continue  # quoted line breaks with ragged rows: read sequentially
            first = message.strip().splitlines()[0] if message.strip() else message
            raise TabularError(_("无法读取 CSV 文件：%(reason)s") % {"reason": first}) from exc


def _load_excel(con: duckdb.DuckDBPyConnection, path: Path, file_name: str) -> int:
    """Table ``raw`` from the first sheet of an .xlsx / .xls file."""
    numbers: list[int] = []
    rows: list[list[str]] = []
    for row in read_rows(path, filename=file_name):
        numbers.append(row.number)
        rows.append(row.cells)
    if not rows:
        raise TabularError(_("Excel 文件的第一个工作表是空的"))
    width = max(1, *(len(r) for r in rows))
    columns: dict[str, pa.Array] = {"rn": pa.array(numbers, type=pa.int64())}
    for i in range(width):
        columns[f"c{i}"] = pa.array(
            [(r[i] or None) if i < len(r) else None for r in rows], type=pa.string()
        )
    del rows
    table = pa.table(columns)
    con.register("excel_rows", table)
    con.execute("CREATE OR REPLACE TABLE raw AS SELECT * FROM excel_rows")
    con.unregister("excel_rows")
    return width


def _is_excel(path: Path, file_name: str) -> bool:
    if Path(file_name).suffix.lower() in EXCEL_SUFFIXES:
        return True
    with path.open("rb") as fh:
        head = fh.read(4)
    return head in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def _load(con: duckdb.DuckDBPyConnection, path: Path, file_name: str, workdir: Path) -> int:
    try:
        if _is_excel(path, file_name):
            return _load_excel(con, path, file_name)
        return _load_csv(con, path, workdir)
    except TabularError:
        raise
    except UnicodeDecodeError as exc:
        raise TabularError(_("无法识别文件编码：%(reason)s") % {"reason": exc}) from exc
    except OSError as exc:
        raise TabularError(_("无法打开文件：%(reason)s") % {"reason": exc}) from exc


def batch_header_rows(batch: ImportBatch) -> tuple[list[tuple[int, list[str]]], int]:
    """The first rows of the batch's file (number, cells) and their width, cheaply:
    for the column-mapping form."""
    path = Path(batch.stored_path)
    if not batch.stored_path or not path.is_file():
        return [], 0
    rows: list[tuple[int, list[str]]] = []
    try:
        if _is_excel(path, batch.file_name):
            for row in read_rows(path, filename=batch.file_name):
                if not row.is_blank():
                    rows.append((row.number, row.cells))
                if len(rows) >= HEADER_SCAN_ROWS:
                    break
        else:
            with path.open("rb") as fh:
                head = fh.read(256 * 1024)
            text = _decode_head(head)
            delimiter = _sniff_delimiter(text)
            lines = text.splitlines()[:200]
            reader = csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=delimiter)
            for number, cells in enumerate(reader, start=1):
                if any(c.strip() for c in cells):
                    rows.append((number, [c.strip() for c in cells]))
                if len(rows) >= HEADER_SCAN_ROWS:
                    break
    except (TabularError, OSError, csv.Error, UnicodeDecodeError):
        return [], 0
    width = max([len(cells) for _n, cells in rows] or [0])
    return rows, width


def _decode_head(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return str(decoder.decode(head, final=False))
        except UnicodeDecodeError:
            continue
    return head.decode("gb18030", errors="replace")


def batch_mapping_layout(batch: ImportBatch) -> normalize.HeaderLayout | None:
    """The batch's header and the item of each column, as the next run would see it
    (the first non-empty row when no header is recognised); None without a file."""
    rows, width = batch_header_rows(batch)
    if not rows:
        return None
    try:
        return normalize.detect_header(
            rows,
            width=width,
            mapping=batch.mapping or None,
            person_type=batch.source.person_type,
        )
    except normalize.HeaderError:
        number, cells = rows[0]
        return normalize.HeaderLayout(row=number, headers=normalize._unique_headers(cells, width))


# ---------------------------------------------------------------------- error report

_XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>'
)
_XLSX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_XLSX_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="错误报告" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_XLSX_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>'
)
_XLSX_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="宋体"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="2">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xml_text(value: str) -> str:
    value = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def _write_error_report(
    con: duckdb.DuckDBPyConnection, headers: list[str], path: Path, workdir: Path
) -> int:
    """The rejected and suspicious rows as .xlsx: the original columns, 行号, 原因.

    The sheet's XML is generated by DuckDB straight to a file and zipped (openpyxl
    writes some 10k rows/s here; a province's error report can hold 100k rows).
    """
    con.execute(
        "CREATE OR REPLACE TEMP MACRO xesc(v) AS replace(replace(replace(replace(replace("
        r"regexp_replace(v, '[\x00-\x08\x0B\x0C\x0E-\x1F]', '', 'g'), '&', '&amp;'), "
        "'<', '&lt;'), '>', '&gt;'), chr(10), '&#10;'), chr(13), '&#13;')"
    )
    all_headers = [*headers, "行号", "原因"]
    letters = [_column_letter(i) for i in range(len(all_headers))]
    body = workdir / "sheet-rows.xml"
    _copy_report_rows(con, headers, body)
    count_row = _one(con, "SELECT count(*) FROM recs WHERE status <> 'accepted'")
    count = int(count_row[0]) if count_row else 0
    header_cells = "".join(
        f'<c r="{letter}1" t="inlineStr" s="1"><is><t>{_xml_text(text)}</t></is></c>'
        for letter, text in zip(letters, all_headers, strict=True)
    )
    widths = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{60 if i == len(all_headers) - 1 else 16}" '
        'customWidth="1"/>'
        for i in range(len(all_headers))
    )
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f"<cols>{widths}</cols><sheetData>"
        f'<row r="1">{header_cells}</row>\n'
    )
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _XLSX_CONTENT_TYPES)
        zf.writestr("_rels/.rels", _XLSX_RELS)
        zf.writestr("xl/workbook.xml", _XLSX_WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _XLSX_WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _XLSX_STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(head.encode("utf-8"))
            if body.exists():
                with body.open("rb") as rows_in:
                    shutil.copyfileobj(rows_in, out, 1 << 20)
            out.write(b"</sheetData></worksheet>")
    os.replace(tmp, path)
    with suppress(OSError):
        body.unlink()
    return count


def _copy_report_rows(con: duckdb.DuckDBPyConnection, headers: list[str], body: Path) -> None:
    values = [f"c{i}" for i in range(len(headers))] + [
        "CAST(rn AS VARCHAR)",
        "CASE WHEN status = 'rejected' THEN '【拒绝】' ELSE '【存疑】' END || "
        "array_to_string(from_json(reasons, '[\"VARCHAR\"]'), '；')",
    ]
    # Cells in order without references (an empty one as <c/>): a third of the size.
    cells = " || ".join(
        f"CASE WHEN coalesce({v}, '') = '' THEN '<c/>' "
        f"WHEN {v} = trim({v}) THEN '<c t=\"inlineStr\"><is><t>' || xesc({v}) "
        "|| '</t></is></c>' "
        f'ELSE \'<c t="inlineStr"><is><t xml:space="preserve">\' || xesc({v}) '
        "|| '</t></is></c>' END"
        for v in values
    )
    columns = ", ".join(f"b.c{i}" for i in range(len(headers)))
    con.execute(
        f"COPY (SELECT '<row r=\"' || i || '\">' || {cells} || '</row>' FROM ("
        "SELECT row_number() OVER (ORDER BY e.rn) + 1 AS i, e.rn AS rn, e.status AS status, "
        f"e.reasons AS reasons, {columns} FROM recs e JOIN base b ON b.rn = e.rn "
        "WHERE e.status <> 'accepted') ORDER BY i) "
        f"TO {normalize.sql_text(str(body))} "
        "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')"
    )


def _file_header_order(batch: ImportBatch) -> list[str]:
    """The header row of the stored upload, in file order (a JSON column on PostgreSQL
    keeps no key order, so the mapping alone cannot give it)."""
    wanted = {h for h in (batch.mapping or {}) if h}
    if not batch.stored_path or not wanted or not Path(batch.stored_path).is_file():
        return []
    from eduplus.core.tabular import TabularError, read_rows

    try:
        for n, row in enumerate(read_rows(batch.stored_path, filename=batch.file_name)):
            if wanted <= set(row.cells):
                return [c for c in row.cells if c]
            if n > 20:
                break
    except TabularError:
        return []
    return []


def error_report_file(batch: ImportBatch) -> Path:
    """The batch's error report, written again from its stored rows when the file is
    gone (or the batch predates it): every rejected or suspicious row."""
    stored = Path(batch.error_report_path) if batch.error_report_path else None
    if stored is not None and stored.is_file():
        return stored
    path = error_report_path(batch.pk)
    rows = (
        SourceRecord.objects.filter(batch=batch)
        .exclude(status="accepted")
        .order_by("row_number")
        .values_list("row_number", "status", "reasons", "raw")
    )
    headers: list[str] = _file_header_order(batch) or [h for h in (batch.mapping or {}) if h]
    body: list[tuple[int, str, list[str], dict[str, Any]]] = []
    for number, status, reasons, raw in rows.iterator(chunk_size=5000):
        raw = raw if isinstance(raw, dict) else {}
        for key in raw:
            if key not in headers:
                headers.append(str(key))
        body.append((number, status, list(reasons or []), raw))
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误报告")
    sheet.append([*headers, "行号", "原因"])
    for number, status, reasons, raw in body:
        flag = "【拒绝】" if status == "rejected" else "【存疑】"
        sheet.append([str(raw.get(h, "")) for h in headers] + [number, flag + "；".join(reasons)])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    workbook.save(tmp)
    os.replace(tmp, path)
    if batch.status == BatchStatus.DONE:
        ImportBatch.objects.filter(pk=batch.pk).update(error_report_path=str(path))
    return path


# -------------------------------------------------------------------------- running


@dataclass
class _Outcome:
    rows_read: int
    accepted: int
    rejected: int
    suspicious: int
    mapping: dict[str, str]
    report: str
    timings: dict[str, float]


def batch_run(*, batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Import a queued batch: parse, normalise, validate and write every row in one
    transaction (all-or-nothing), then tell :mod:`eduplus.governance.hooks`.

    A batch that is not queued (already running elsewhere, done, failed) is answered
    as it is.
    """
    return batches_run([batch], progress=progress)[0]


# Batches read and normalised ahead of the one being written: two, so that the writer
# does not wait when the next file is quicker to write than the one after it is to read
# (3.6 million records in four files: the writer waited 3.7 s with one).
READ_AHEAD = 2


def batches_run(
    batches: Sequence[ImportBatch], *, progress: Progress | None = None
) -> list[ImportBatch]:
    """Import queued batches one after the other, as :func:`batch_run` each, reading
    and normalising the next files (READ_AHEAD of them, one after the other) in a
    second thread while the current one is written (DuckDB on one side, SQLite on the
    other: on two cores, most of the reading hides behind the writing). Each batch
    stays all-or-nothing; one failing does not stop the others. Answers the batches in
    the order given."""
    results: list[ImportBatch] = list(batches)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="eduplus-import") as pool:

        def start(index: int) -> _Started | None:
            batch = results[index]
            if not _claim(batch):
                return None
            tracker = _Tracker(batch.pk, progress)
            tracker("queued", 0, 0)  # until its read begins, behind the ones before it
            workdir = Path(tempfile.mkdtemp(prefix="import-", dir=governance_dir("tmp")))
            detected: dict[str, str] = {}
            batch.source  # noqa: B018 - loaded here: the other thread has no database
            # While another batch is written (all but the first), DuckDB gets one thread
            # and the writer keeps a core.
            threads = 1 if index else None
            schools = list(_school_rows())
            future = pool.submit(_prepare, batch, tracker, workdir, detected, schools, threads)
            return _Started(batch, tracker, workdir, detected, future)

        # The batches started (claimed, read in turn) and not yet written, in order.
        pending: deque[tuple[int, _Started | None]] = deque()
        following = 0  # the next batch to start
        start_error: Exception | None = None

        def top_up(limit: int) -> None:
            nonlocal following, start_error
            while start_error is None and following < len(results) and len(pending) < limit:
                try:
                    pending.append((following, start(following)))
                except Exception as exc:  # raised once the batch being written is settled
                    start_error = exc
                    return
                following += 1
            # Each batch waiting beats with the one before it (not taken for abandoned).
            started = [item for _i, item in pending if item is not None]
            for before, after in itertools.pairwise(started):
                before.tracker.waiting = after.tracker

        top_up(1)
        while pending:
            index, current = pending.popleft()
            if current is None:  # not queued: answered as it is
                top_up(1 + READ_AHEAD)
                continue
            try:
                prepared: _Prepared | None = None
                failure: Exception | None = None
                try:
                    prepared = current.future.result()
                except Exception as exc:  # settled below like a failure of the write
                    failure = exc
                # The next files are read while this one is written.
                top_up(READ_AHEAD)
                if pending and pending[0][1] is not None:
                    current.tracker.waiting = pending[0][1].tracker
                results[index] = _settle(
                    current.batch,
                    current.tracker,
                    current.detected,
                    functools.partial(_write_prepared, current, prepared, failure),
                )
            finally:
                shutil.rmtree(current.workdir, ignore_errors=True)
        if start_error is not None:  # once every batch started is settled
            raise start_error
    return results


@dataclass
class _Started:
    batch: ImportBatch
    tracker: _Tracker
    workdir: Path
    detected: dict[str, str]
    future: Future[_Prepared]


def _write_prepared(
    started: _Started, prepared: _Prepared | None, failure: Exception | None
) -> _Outcome:
    """Write a prepared batch in one transaction (all-or-nothing), or raise why it could
    not be prepared; closes its DuckDB."""
    if prepared is None:
        raise failure or RuntimeError("batch not prepared")
    try:
        return _write_batch(started.batch, started.tracker, started.workdir, prepared)
    finally:
        prepared.con.close()


def _claim(batch: ImportBatch) -> bool:
    """Mark a queued batch running (by this process); False when it is not queued."""
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.QUEUED).update(
        status=BatchStatus.RUNNING,
        phase="reading",
        started_at=timezone.now(),
        finished_at=None,
        failure="",
        progress_done=0,
        progress_total=0,
    )
    batch.refresh_from_db()
    return bool(claimed)


def _settle(
    batch: ImportBatch,
    tracker: _Tracker,
    detected: dict[str, str],
    work: Callable[[], _Outcome],
) -> ImportBatch:
    """Run a claimed batch's import and record how it ended."""
    try:
        outcome = work()
    except _Superseded:
        logger.warning(
            "import batch %s was taken over by another run; this one rolled back", batch.pk
        )
    except ImportFailure as exc:
        _fail(batch, str(exc), tracker, mapping=detected)
    except Exception as exc:  # anything else: nothing was written; say so
        logger.exception("import batch %s failed", batch.pk)
        _fail(
            batch,
            _(
                "导入过程中发生意外错误（%(kind)s：%(error)s），数据未写入。"
                "请重新导入；若再次失败，请联系系统管理员"
            )
            % {"kind": type(exc).__name__, "error": str(exc)[:300]},
            tracker,
            mapping=detected,
        )
    else:
        tracker("done", outcome.rows_read, outcome.rows_read)
        logger.info(
            "import batch %s: %s rows (%s rejected) %s",
            batch.pk,
            outcome.rows_read,
            outcome.rejected,
            outcome.timings,
        )
    batch.refresh_from_db()
    if batch.status == BatchStatus.DONE:
        from eduplus.governance import hooks

        hooks.batch_imported(batch)
    return batch


def _fail(batch: ImportBatch, reason: str, tracker: _Tracker, *, mapping: dict[str, str]) -> None:
    fields: dict[str, Any] = {
        "status": BatchStatus.FAILED,
        "phase": "failed",
        "failure": reason,
        "finished_at": timezone.now(),
        "error_report_path": "",
    }
    if mapping and not batch.mapping:
        fields["mapping"] = mapping
    ImportBatch.objects.filter(
        pk=batch.pk, status=BatchStatus.RUNNING, started_at=batch.started_at
    ).update(**fields)
    for path in (error_report_path(batch.pk), columnar_path(batch.pk)):
        with suppress(OSError):
            path.unlink()
    tracker("failed", 0, 0)
    audit_record(
        actor=batch.created_by,
        action="governance.import",
        result="failure",
        target_type="governance.importbatch",
        target_id=str(batch.pk),
        target_repr=batch.file_name,
        details={"source": batch.source.code, "reason": reason[:500]},
    )


@dataclass
class _Prepared:
    """A batch read, normalised and validated in DuckDB (table ``recs``), not written."""

    con: duckdb.DuckDBPyConnection
    layout: normalize.HeaderLayout
    total: int
    accepted: int
    suspicious: int
    rejected: int
    report: str


def _prepare(
    batch: ImportBatch,
    tracker: _Tracker,
    workdir: Path,
    detected: dict[str, str],
    schools: list[tuple[Any, ...]],
    threads: int | None = None,
) -> _Prepared:
    """Read, normalise and validate the batch's file and write its error report: DuckDB
    and files only, no database (so that it can run in a second thread while another
    batch is written; ``threads`` then leaves the writer its core). ``batch.source``
    must be loaded already."""
    tracker("reading", 0, 0)
    source = batch.source
    path = Path(batch.stored_path)
    if not path.is_file():
        raise ImportFailure(_("上传的文件已不存在（%(name)s），请重新上传") % {"name": path.name})
    con = _duck(threads)
    try:
        try:
            width = _load(con, path, batch.file_name, workdir)
        except TabularError as exc:
            raise ImportFailure(str(exc)) from exc
        cells = ", ".join(f"c{i}" for i in range(width))
        head = con.execute(
            f"SELECT rn, {cells} FROM raw ORDER BY rn LIMIT {HEADER_SCAN_ROWS}"
        ).fetchall()
        try:
            layout = normalize.detect_header(
                [(int(r[0]), list(r[1:])) for r in head],
                width=width,
                mapping=batch.mapping or None,
                person_type=source.person_type,
            )
            detected.update(layout.mapping)
            normalize.require_columns(layout)
        except normalize.HeaderError as exc:
            raise ImportFailure(str(exc)) from exc
        # Every cell empty or spaces; checked cell by cell, so that a row stops being a
        # candidate at its first filled cell (one text of all its cells per row cost a
        # file of 2 million rows 0.8 s, twice).
        blank = "(" + " AND ".join(f"coalesce(trim(c{i}), '') = ''" for i in range(width)) + ")"
        blank_row = _one(con, f"SELECT count(*) FROM raw WHERE rn > {layout.row} AND {blank}")
        # k, the 1-based data row number: a sort of the whole file only when blank rows
        # (skipped) make it differ from the row number.
        k = (
            f"rn - {layout.row}"
            if not blank_row or not blank_row[0]
            else "row_number() OVER (ORDER BY rn)"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE base AS SELECT rn, {k} AS k, "
            + ", ".join(f"c{i}" for i in range(width))
            + f" FROM raw WHERE rn > {layout.row} AND NOT ({blank})"
        )
        con.execute("DROP TABLE raw")
        total_row = _one(con, "SELECT count(*) FROM base")
        total = int(total_row[0]) if total_row else 0
        if total == 0:
            raise ImportFailure(
                _("文件中表头（第 %(row)d 行）以下没有数据行") % {"row": layout.row}
            )
        tracker("normalising", 0, total)
        normalize.install(con)
        normalize.load_schools(con, schools)
        for statement in normalize.normalize_statements(
            layout,
            region_code=batch.region_id,
            person_type=source.person_type,
            today=timezone.localdate(),
        ):
            con.execute(statement)
        counts = dict(con.execute("SELECT status, count(*) FROM recs GROUP BY 1").fetchall())
        accepted = int(counts.get("accepted", 0))
        suspicious = int(counts.get("suspicious", 0))
        rejected = int(counts.get("rejected", 0))
        report = ""
        if suspicious or rejected:
            # Written while the file is read (a report left to the batch's own write,
            # beside its index rebuild, competed there with the files read ahead: 2
            # million rows, 1.6 s → 7 s).
            tracker("report", 0, suspicious + rejected)
            report_file = error_report_path(batch.pk)
            _write_error_report(con, layout.headers, report_file, workdir)
            report = str(report_file)
        # The original cells are in recs (raw) from here on: the batches read ahead
        # hold less memory while they wait.
        con.execute("DROP TABLE base")
    except BaseException:
        con.close()
        raise
    tracker("prepared", 0, total)
    return _Prepared(con, layout, total, accepted, suspicious, rejected, report)


def _write_batch(
    batch: ImportBatch, tracker: _Tracker, workdir: Path, prepared: _Prepared
) -> _Outcome:
    source = batch.source
    con, layout, total, report = prepared.con, prepared.layout, prepared.total, prepared.report
    accepted, suspicious, rejected = prepared.accepted, prepared.suspicious, prepared.rejected
    tracker("writing", 0, total)
    parquet_tmp = workdir / "columnar.parquet"
    big = total >= REBUILD_MIN_ROWS
    unchecked = bulk.sqlite_foreign_keys_unchecked(big)
    with (
        bulk.sqlite_checkpoint_after(big),
        unchecked as references_unchecked,
        transaction.atomic(),
    ):
        base_id = _reserve_ids(total)
        if references_unchecked:
            _check_references(con)
        _write_records(
            con,
            batch,
            layout,
            base_id,
            total,
            tracker,
            meanwhile=lambda: _write_columnar(con, batch, base_id, parquet_tmp),
        )
        now = timezone.now()
        finished = ImportBatch.objects.filter(
            pk=batch.pk, status=BatchStatus.RUNNING, started_at=batch.started_at
        ).update(
            status=BatchStatus.DONE,
            phase="done",
            mapping=layout.mapping,
            rows_read=total,
            rows_accepted=accepted + suspicious,
            rows_rejected=rejected,
            rows_suspicious=suspicious,
            progress_done=total,
            progress_total=total,
            error_report_path=report,
            finished_at=now,
        )
        if not finished:  # taken over by another run meanwhile: roll this one back
            raise _Superseded
        counters = {
            "rows_read": total,
            "rows_accepted": accepted + suspicious,
            "rows_rejected": rejected,
            "rows_suspicious": suspicious,
        }
        lineage_emit(
            job_name="governance.import",
            inputs=[f"source:{source.code}"],
            outputs=[f"batch:{batch.pk}"],
            run_facets={
                **counters,
                "file_name": batch.file_name,
                "file_sha256": batch.file_sha256,
                "region": batch.region_id,
            },
        )
        audit_record(
            actor=batch.created_by,
            action="governance.import",
            target_type="governance.importbatch",
            target_id=str(batch.pk),
            target_repr=batch.file_name,
            details={"source": source.code, **counters},
        )
    columnar = columnar_path(batch.pk)
    columnar.parent.mkdir(parents=True, exist_ok=True)
    with suppress(OSError):
        os.replace(parquet_tmp, columnar)
    tracker("done", total, total)
    return _Outcome(
        rows_read=total,
        accepted=accepted + suspicious,
        rejected=rejected,
        suspicious=suspicious,
        mapping=layout.mapping,
        report=report,
        timings=dict(tracker.timings),
    )


def _check_references(con: duckdb.DuckDBPyConnection) -> None:
    """The schools and regions the rows name still exist (checked once per distinct
    value, inside the write transaction, when SQLite does not check every row). The
    batch and source are this run's own."""
    missing = bulk.missing_places(bulk.places_named(con, "recs"))
    if missing:
        raise ImportFailure(
            _("导入期间有学校或区域被删除（%(v)s），请重新导入")
            % {"v": ", ".join(str(v) for v in missing[:5])}
        )


def _school_rows() -> Iterator[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, code, name, region_id, school_type FROM schools_school")
        while True:
            rows = cursor.fetchmany(20_000)
            if not rows:
                return
            yield from rows


def _reserve_ids(count: int) -> int:
    """The id after which this batch's records are numbered (inside the transaction:
    SQLite's write lock, or an advisory lock on PostgreSQL, keeps it ours)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('governance.import'))")
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(RECORD_TABLE)}")
        row = cursor.fetchone()
        base = int(row[0]) if row else 0
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [RECORD_TABLE])
            seq = cursor.fetchone()
            if seq and seq[0]:
                base = max(base, int(seq[0]))
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [RECORD_TABLE])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                last, called = cursor.fetchone()
                if called:
                    base = max(base, int(last))
                cursor.execute("SELECT setval(%s, %s)", [sequence, base + max(count, 1)])
    return base


# Item columns filled only when the file has the item (else a constant '').
_OPTIONAL_TEXT = (
    "ethnicity",
    "class_name",
    "address",
    "phone",
    "guardian_phone",
    "aid_status",
    "health_result",
    "subject",
    "title",
)


# On SQLite a big batch is written without the table's secondary indexes, which are
# rebuilt (sorted) before the commit (governance.bulk). Measured here: inserting costs
# ~14 µs a row more with the indexes, rebuilding ~5 µs per row of the whole table; so
# the rebuild pays while the table holds less than ~1.5 times the batch's rows (a
# first big import).
REBUILD_MIN_ROWS = 20_000
REBUILD_MAX_RATIO = float(os.environ.get("EDUPLUS_IMPORT_REBUILD_RATIO", "1.5"))


def _write_records(
    con: duckdb.DuckDBPyConnection,
    batch: ImportBatch,
    layout: normalize.HeaderLayout,
    base_id: int,
    total: int,
    tracker: _Tracker,
    meanwhile: Callable[[], None],
) -> None:
    """Every row of ``recs`` into SourceRecord, set-based: DuckDB → CSV → SQLite's
    reader on SQLite, ``COPY`` on PostgreSQL; constant columns stay in the statement,
    not in the rows. Then ``meanwhile`` (DuckDB's work that needs the rows' ids): on
    SQLite in a second thread while the table's indexes are rebuilt."""
    big = total >= REBUILD_MIN_ROWS
    rebuild_indexes = big and bulk.table_rows(RECORD_TABLE) < REBUILD_MAX_RATIO * total
    source = batch.source
    dynamic: list[tuple[str, str]] = [
        ("id", f"{int(base_id)} + k"),
        ("row_number", "rn"),
        ("record_key", "record_key"),
        ("status", "status"),
        ("reasons", "reasons"),
        # An accepted row's original cells go to the columnar copy only (a third of the
        # cost of writing a row here was its cells as JSON).
        ("raw", "CASE WHEN status = 'accepted' THEN '{}' ELSE raw END"),
        ("name", "name"),
        ("id_number", "id_number"),
        ("id_valid", "id_valid"),
        ("birth_date", "birth_date"),
        ("gender", "gender"),
        ("school_code", "school_code"),
        ("school_id", "school_id"),
        ("region_id", "region_id"),
    ]
    constants: dict[str, str] = {
        "batch_id": str(int(batch.pk)),
        "source_id": str(int(source.pk)),
        "person_type": normalize.sql_text(source.person_type),
    }
    if layout.has("grade"):
        dynamic.append(("grade", "grade"))
    else:
        constants["grade"] = "NULL"
    for item in _OPTIONAL_TEXT:
        if layout.has(item) or (item == "guardian_phone" and layout.has("phone")):
            dynamic.append((item, item))
        else:
            constants[item] = "''"
    writing: AbstractContextManager[list[str]] = (
        # All of them, (batch, status) too: kept while a first batch of 2 million rows
        # was written, it cost that write 3 s more than its rebuild (measured twice).
        bulk.sqlite_bulk_tables({RECORD_TABLE: None} if rebuild_indexes else {})
        if big
        else nullcontext([])
    )
    if connection.vendor == "sqlite":
        # DuckDB → CSV → SQLite's vsv reader, no Python tuple per row (governance.bulk).
        selects = ", ".join(expression for _c, expression in dynamic)
        side: bulk.Background | None = None
        try:
            with writing:  # rebuilds the dropped indexes on the way out
                bulk.sqlite_copy(
                    con,
                    f"SELECT {selects} FROM recs",
                    RECORD_TABLE,
                    [column for column, _e in dynamic],
                    constants=constants,
                    progress=lambda done, total: tracker("writing", done, total),
                    chunk_rows=max(PROGRESS_EVERY, bulk.COPY_CHUNK_ROWS),
                    rows_of="recs",
                )
                side = bulk.Background(meanwhile)
        except BaseException:
            if side is not None:
                side.join(raise_error=False)  # the first error is the one to tell
            raise
        if side is not None:
            side.join()
        return
    quote = connection.ops.quote_name
    connection.ensure_connection()
    raw: Any = connection.connection
    if connection.vendor == "postgresql":
        columns = [c for c, _e in dynamic] + list(constants)
        select = ", ".join([e for _c, e in dynamic] + list(constants.values()))
        sql = f"COPY {quote(RECORD_TABLE)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    else:
        columns = [c for c, _e in dynamic] + list(constants)
        select = ", ".join(e for _c, e in dynamic)
        marks = ["%s"] * len(dynamic)
        sql = (
            f"INSERT INTO {quote(RECORD_TABLE)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([*marks, *constants.values()])})"
        )
    reader = con.sql(f"SELECT {select} FROM recs").to_arrow_reader(PROGRESS_EVERY)
    done = 0
    # Rows are converted in a second thread while the previous chunk is written.
    chunks = (
        list(zip(*(column.to_pylist() for column in chunk.columns), strict=True))
        for chunk in reader
    )
    with writing:
        for rows in bulk.prefetched(chunks):
            _write_chunk(raw, sql, rows)
            done += len(rows)
            tracker("writing", done, total)
    meanwhile()


def _write_chunk(raw: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if connection.vendor == "postgresql":
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor = raw.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()


def _write_columnar(
    con: duckdb.DuckDBPyConnection, batch: ImportBatch, base_id: int, path: Path
) -> None:
    """The Parquet copy identity resolution reads (columns of resolution.RECORD_COLUMNS)."""
    con.execute(
        f"COPY (SELECT {int(base_id)} + k AS unique_id, CAST({int(batch.pk)} AS BIGINT) "
        f"AS batch_id, {normalize.sql_text(batch.source.code)} AS source, "
        f"{normalize.sql_text(batch.source.person_type)} AS person_type, name, id_number, "
        "id_valid, birth_date, gender, ethnicity, school_code, school_id, region_id, grade, "
        "class_name, address, phone, guardian_phone, aid_status, health_result, subject, "
        f"title, status, raw FROM recs) TO {normalize.sql_text(str(path))} (FORMAT parquet)"
    )


def record_raw(record: SourceRecord) -> dict[str, str]:
    """The original cells of a record's file row, header → text: kept in the database
    for rejected and suspicious rows, in the batch's columnar copy for accepted ones
    ({} when neither holds them)."""
    if record.raw:
        return dict(record.raw)
    path = columnar_path(record.batch_id)
    if not path.is_file():
        return {}
    con = duckdb.connect()
    try:
        row = con.execute(
            "SELECT raw FROM read_parquet(?) WHERE unique_id = ?", [str(path), int(record.pk)]
        ).fetchone()
    except duckdb.Error:  # a copy written before it held the cells
        return {}
    finally:
        con.close()
    if not row or not row[0]:
        return {}
    value = json.loads(row[0])
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


# ------------------------------------------------------------------------ entry points


def default_region() -> Region:
    code = getattr(settings, "EDUPLUS_PROVINCE", "41")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ImportFailure(
            _("默认区域（省份代码 %(code)s）不存在，请用 --region 指定") % {"code": code}
        )
    return region


def batch_import_file(
    *,
    source_code: str,
    path: str | Path,
    region_code: str | None = None,
    actor: Any = None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportBatch:
    """Create and run a batch synchronously (command line, benchmark, demo seed).

    The region defaults to the deployment's province (``settings.EDUPLUS_PROVINCE``).
    Raises :class:`ImportFailure` when the import cannot start (unknown source or
    region, missing file); a file that cannot be read fails the batch (status failed,
    ``failure`` says why).
    """
    return batch_import_files(
        [(source_code, path)],
        region_code=region_code,
        actor=actor,
        mapping=mapping,
        progress=progress,
    )[0]


def batch_import_files(
    files: Sequence[tuple[str, str | Path]],
    *,
    region_code: str | None = None,
    actor: Any = None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> list[ImportBatch]:
    """Import several files, each ``(source code, path)`` a batch of its own, reading
    the next while the current one is written (:func:`batches_run`). Every file is
    checked before any is imported: :class:`ImportFailure` names the first that cannot
    start, and then nothing is imported. Answers the batches in the order given."""
    requests = [_file_request(code, path, region_code) for code, path in files]
    batches = [_file_batch(*request, actor=actor, mapping=mapping) for request in requests]
    queued = [b for b in batches if b.status == BatchStatus.QUEUED]
    done = {b.pk: b for b in batches_run(queued, progress=progress)}
    return [done.get(b.pk, b) for b in batches]


def _file_request(
    source_code: str, path: str | Path, region_code: str | None
) -> tuple[SourceSystem, Region, Path]:
    source = SourceSystem.objects.filter(code=source_code).first()
    if source is None:
        codes = "、".join(SourceSystem.objects.values_list("code", flat=True))
        raise ImportFailure(
            _("来源系统“%(code)s”不存在；可用的来源：%(codes)s")
            % {"code": source_code, "codes": codes}
        )
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise ImportFailure(_("区划代码 %(code)s 不存在") % {"code": region_code})
    else:
        region = default_region()
    file = Path(path)
    if not file.is_file():
        raise ImportFailure(_("文件不存在：%(path)s") % {"path": file})
    return source, region, file


def _file_batch(
    source: SourceSystem,
    region: Region,
    file: Path,
    *,
    actor: Any,
    mapping: dict[str, str] | None,
) -> ImportBatch:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ImportFailure(_("无法打开文件：%(reason)s") % {"reason": exc}) from exc
    try:
        batch, _created = batch_create(
            source=source,
            file_name=file.name,
            data=data,
            region=region,
            actor=actor,
            mapping=mapping,
        )
    except ValidationError as exc:
        raise ImportFailure("；".join(exc.messages)) from exc
    return batch


def batches_recover(
    *, stale_after: dt.timedelta = STALE_AFTER, enqueue: bool = False
) -> list[ImportBatch]:
    """Rerun batches a killed process left behind.

    A batch ``running`` whose process is gone or silent for ``stale_after`` (its
    transaction rolled back, so it has no rows), and a batch ``queued`` for longer than
    ``stale_after`` (its background task lost), are run again — here, or through the
    task queue with ``enqueue``. Without its stored file a batch is marked failed.
    """
    recovered: list[ImportBatch] = []
    cutoff = timezone.now() - stale_after
    candidates = ImportBatch.objects.filter(
        status__in=(BatchStatus.RUNNING, BatchStatus.QUEUED)
    ).select_related("source")
    for batch in list(candidates):
        if batch.status == BatchStatus.RUNNING:
            if not _requeue_if_abandoned(batch, stale_after=stale_after):
                continue
        elif batch.created_at > cutoff:
            continue
        if not batch.stored_path or not Path(batch.stored_path).is_file():
            ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.QUEUED).update(
                status=BatchStatus.FAILED,
                phase="failed",
                failure=_("导入进程中断，且上传的文件已不存在，请重新上传"),
                finished_at=timezone.now(),
            )
            batch.refresh_from_db()
        elif enqueue:
            from eduplus.governance.tasks import batch_enqueue

            batch_enqueue(batch)
        else:
            batch = batch_run(batch=batch)
        recovered.append(batch)
    return recovered


def batch_rollback(
    *, batch: ImportBatch, actor: Any, request: HttpRequest | None = None
) -> ImportBatch:
    """Delete the batch's records (set-based) and mark it rolled back; audited.

    The golden records built from them are rebuilt by the next resolution run.
    """
    if batch.status != BatchStatus.DONE:
        raise ValidationError(_("只有已完成的批次可以回滚"))
    quote = connection.ops.quote_name
    from eduplus.governance.models import MatchReview

    review_table = quote(MatchReview._meta.db_table)
    records = quote(RECORD_TABLE)
    with transaction.atomic():
        locked = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.DONE).update(
            status=BatchStatus.ROLLED_BACK, phase="rolled_back", finished_at=timezone.now()
        )
        if not locked:
            raise ValidationError(_("批次状态已变化，请刷新页面"))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {review_table} WHERE left_id IN "
                f"(SELECT id FROM {records} WHERE batch_id = %s) OR right_id IN "
                f"(SELECT id FROM {records} WHERE batch_id = %s)",
                [batch.pk, batch.pk],
            )
            cursor.execute(
                f"DELETE FROM {quote(RecordLink._meta.db_table)} WHERE record_id IN "
                f"(SELECT id FROM {records} WHERE batch_id = %s)",
                [batch.pk],
            )
            cursor.execute(f"DELETE FROM {records} WHERE batch_id = %s", [batch.pk])
            deleted = cursor.rowcount
        lineage_emit(
            job_name="governance.rollback",
            inputs=[f"batch:{batch.pk}"],
            outputs=[],
            run_facets={"records_deleted": deleted},
        )
        audit_record(
            actor=actor,
            action="governance.batch.rollback",
            target_type="governance.importbatch",
            target_id=str(batch.pk),
            target_repr=batch.file_name,
            request=request,
            details={"source": batch.source.code, "records_deleted": deleted},
        )
    with suppress(OSError):
        columnar_path(batch.pk).unlink()
    batch.refresh_from_db()
    from eduplus.governance import hooks

    rolled_back = getattr(hooks, "batch_rolled_back", None)
    if callable(rolled_back):
        rolled_back(batch)
    return batch


# ---------------------------------------------------------------- source registry


SOURCE_FIELDS = ("name", "kind", "person_type", "owner", "description", "items", "active")


def _source_values(source: SourceSystem) -> dict[str, Any]:
    return {f: getattr(source, f) for f in ("code", *SOURCE_FIELDS)}


def _clean_items(items: Any) -> list[str]:
    if not isinstance(items, list | tuple):
        raise ValidationError(_("数据项应为列表"))
    cleaned: list[str] = []
    for item in items:
        if item not in DataItem.values:
            raise ValidationError(_("数据项“%(item)s”不存在") % {"item": item})
        if item not in cleaned:
            cleaned.append(item)
    return cleaned


def source_create(
    *, actor: Any, code: str, request: HttpRequest | None = None, **values: Any
) -> SourceSystem:
    """Register a source system (来源系统); audited."""
    unknown = set(values) - set(SOURCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    values["items"] = _clean_items(values.get("items", []))
    values.setdefault("kind", SourceKind.OTHER)
    source = SourceSystem(code=code.strip().lower(), **values)
    source.full_clean()
    with transaction.atomic():
        source.save()
        audit_record(
            actor=actor,
            action="governance.source.create",
            target_type="governance.sourcesystem",
            target_id=source.code,
            target_repr=source.name,
            request=request,
            details={"after": _jsonable(_source_values(source))},
        )
    return source


def source_update(
    *, source: SourceSystem, actor: Any, request: HttpRequest | None = None, **values: Any
) -> SourceSystem:
    """Change a source's description, items or state; audited with before and after.

    The code is its identity (datasets, lineage, exports name it) and does not change;
    a source with batches keeps its person type.
    """
    unknown = set(values) - set(SOURCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    before = _source_values(source)
    if "items" in values:
        values["items"] = _clean_items(values["items"])
    if (
        "person_type" in values
        and values["person_type"] != source.person_type
        and source.batches.exists()
    ):
        raise ValidationError(_("该来源已有导入批次，不能修改人员类别"))
    for name, value in values.items():
        setattr(source, name, value)
    source.full_clean()
    after = _source_values(source)
    if after == before:
        return source
    with transaction.atomic():
        source.save()
        audit_record(
            actor=actor,
            action="governance.source.update",
            target_type="governance.sourcesystem",
            target_id=source.code,
            target_repr=source.name,
            request=request,
            details={
                "before": _jsonable({k: v for k, v in before.items() if after[k] != v}),
                "after": _jsonable({k: v for k, v in after.items() if before[k] != v}),
            },
        )
    return source


def authority_set(
    *, item: str, source: SourceSystem, actor: Any, request: HttpRequest | None = None
) -> ItemAuthority:
    """一数一源: make ``source`` the authoritative source of ``item``; audited."""
    if item not in DataItem.values:
        raise ValidationError(_("数据项“%(item)s”不存在") % {"item": item})
    if not source.active:
        raise ValidationError(_("已停用的来源系统不能作为权威来源"))
    with transaction.atomic():
        authority = ItemAuthority.objects.select_for_update().filter(item=item).first()
        before = authority.source.code if authority is not None else ""
        if authority is not None and authority.source_id == source.pk:
            return authority
        if authority is None:
            authority = ItemAuthority(item=item)
        authority.source = source
        authority.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        authority.save()
        audit_record(
            actor=actor,
            action="governance.authority.update",
            target_type="governance.itemauthority",
            target_id=item,
            target_repr=str(DataItem(item).label),
            request=request,
            details={"item": item, "before": before, "after": source.code},
        )
    return authority


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, default=str))


# --------------------------------------------------------------------- templates


def source_template_xlsx(source: SourceSystem) -> bytes:
    """The import template of a source: its items as Chinese headers (记录号 first),
    text-formatted code columns, a code-table sheet and filling notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    items = [i for i in (source.items or []) if i in normalize.TEMPLATE_HEADERS]
    columns = [normalize.RECORD_KEY, *items]
    if "school" in items:
        columns.insert(columns.index("school") + 1, normalize.SCHOOL_NAME)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "数据"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, item in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=normalize.TEMPLATE_HEADERS[item])
        cell.font = bold
        cell.fill = fill
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 24 if item in ("id_number", "address") else 14
        # Numbers typed into code columns lose leading zeros and digits: keep them text.
        for row in range(2, 1002):
            sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    codes = workbook.create_sheet("代码表")
    codes.append(["民族代码", "民族", "", "性别", "代码", "", "年级", "写法示例"])
    for c in codes[1]:
        c.font = bold
    genders = [("男", "1"), ("女", "2")]
    grades = [
        (0, "幼儿园"),
        *[
            (n, f"{n}年级 / {w}年级")
            for n, w in zip(range(1, 10), "一二三四五六七八九", strict=True)
        ],
        (7, "初一"),
        (8, "初二"),
        (9, "初三"),
        (10, "高一 / 10"),
        (11, "高二 / 11"),
        (12, "高三 / 12"),
    ]
    for index, (code, name) in enumerate(normalize.ETHNICITIES):
        line = [code, name, ""]
        line += list(genders[index]) if index < len(genders) else ["", ""]
        line += [""]
        line += [str(grades[index][0]), grades[index][1]] if index < len(grades) else ["", ""]
        codes.append(line)
    for letter, width in zip("ABCDEFGH", (10, 22, 4, 8, 8, 4, 8, 18), strict=True):
        codes.column_dimensions[letter].width = width
    notes = workbook.create_sheet("填写说明")
    lines = [
        f"{source.name}（{source.code}）导入模板",
        "1. 第一行为表头，请勿修改列名；每行一人。可删除不需要的列，列的顺序不限。",
        "2. 记录号：本来源系统中该条记录的编号；没有时可留空，系统以数据行号代替。",
        "3. 身份证件号：18位（末位可为X）；15位旧号码将自动升级。"
        "请以文本格式填写，避免科学计数法。",
        "4. 出生日期：如 2012-03-05、2012/3/5、20120305、2012年3月5日 均可。",
        "5. 性别：男/女 或 1/2；民族：填写代码或名称（见“代码表”）。",
        "6. 学校标识码：10位；也可只填学校名称（须在本区域内唯一）。",
        "7. 支持 CSV（UTF-8 或 GBK）、.xlsx、.xls；"
        "导入后每一条被拒绝或存疑的行都会在错误报告中说明原因。",
    ]
    for note in lines:
        notes.append([note])
    notes["A1"].font = Font(bold=True, size=13)
    notes.column_dimensions["A"].width = 100
    for row in notes.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
