"""A task's submissions as a table: CSV (UTF-8 with BOM, so Excel opens it) and XLSX.

One row per school; the form's fields as columns after the school, status and
timing columns. The rows are whatever queryset the caller passes: the pages and the
API pass ``Submission.objects.visible_to(user)``; the operator's CLI the whole task.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.reporting.models import FieldKind, ReportField, ReportTask, Submission
from eduplus.reporting.values import display_value


def export_header(fields: list[ReportField]) -> list[str]:
    head = [
        _("学校标识码"),
        _("学校名称"),
        _("区划代码"),
        _("所在地"),
        _("状态"),
        _("提交时间"),
        _("是否逾期"),
    ]
    for f in fields:
        unit = f"（{f.unit}）" if f.unit else ""
        head.append(f"{f.label}{unit} [{f.code}]")
    return head


def export_rows(task: ReportTask, submissions: QuerySet[Submission]) -> Iterator[list[Any]]:
    fields = list(task.form.fields.order_by("position", "id"))
    yield export_header(fields)
    qs = submissions.select_related("school", "region").order_by("region_id", "school__code")
    for sub in qs.iterator(chunk_size=1000):
        submitted = (
            timezone.localtime(sub.submitted_at).strftime("%Y-%m-%d %H:%M")
            if sub.submitted_at
            else ""
        )
        row: list[Any] = [
            sub.school.code,
            sub.school.name,
            sub.region_id,
            sub.region.name,
            sub.status_label,
            submitted,
            (_("是") if sub.is_late else _("否")) if sub.submitted_at else "",
        ]
        values = sub.values or {}
        for f in fields:
            v = values.get(f.code)
            if f.is_numeric and v is not None:
                # Numbers stay numbers (exact decimals), so Excel can sum them.
                row.append(int(v) if f.kind == FieldKind.INTEGER else Decimal(str(v)))
            else:
                row.append(display_value(f, v))
        yield row


def write_csv(task: ReportTask, submissions: QuerySet[Submission], out: Any) -> int:
    """Write to a text stream; returns the number of data rows."""
    writer = csv.writer(out)
    n = -1
    for row in export_rows(task, submissions):
        writer.writerow(row)
        n += 1
    return n


def csv_bytes(task: ReportTask, submissions: QuerySet[Submission]) -> bytes:
    buffer = io.StringIO()
    write_csv(task, submissions, buffer)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(task: ReportTask, submissions: QuerySet[Submission]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_("填报数据")[:31])
    bold = Font(bold=True)

    for i, row in enumerate(export_rows(task, submissions)):
        if i == 0:
            cells = []
            for value in row:
                cell = WriteOnlyCell(ws, value=value)
                cell.font = bold
                cells.append(cell)
            ws.append(cells)
            continue
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_file(task: ReportTask, submissions: QuerySet[Submission], path: Path) -> int:
    """CSV or XLSX by the file's suffix; returns the number of data rows."""
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(xlsx_bytes(task, submissions))
        return submissions.count()
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        return write_csv(task, submissions, fh)
