"""Import batches through the API (session auth, scoped): status, progress, counters.

``GET /api/data/batches`` lists the batches the user may see (newest first, paged);
``GET /api/data/batches/{batch_pk}`` answers one. No personal data: counters only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Schema

from eduplus.core.api import paged, require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.governance.api import router
from eduplus.governance.importing import progress_read
from eduplus.governance.models import ImportBatch


class ProgressOut(Schema):
    phase: str
    label: str
    done: int
    total: int
    percent: int
    heartbeat: dt.datetime | None


class BatchOut(Schema):
    id: int
    source: str
    source_name: str
    region: str
    file_name: str
    file_sha256: str
    status: str
    failure: str
    progress: ProgressOut
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_suspicious: int
    has_error_report: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class BatchPageOut(Schema):
    count: int
    page: int
    size: int
    items: list[BatchOut]


def _out(batch: ImportBatch) -> dict[str, Any]:
    state = progress_read(batch)
    return {
        "id": batch.pk,
        "source": batch.source.code,
        "source_name": batch.source.name,
        "region": batch.region_id,
        "file_name": batch.file_name,
        "file_sha256": batch.file_sha256,
        "status": batch.status,
        "failure": batch.failure,
        "progress": {
            "phase": state.phase,
            "label": state.label,
            "done": state.done,
            "total": state.total,
            "percent": state.percent,
            "heartbeat": state.heartbeat,
        },
        "rows_read": batch.rows_read,
        "rows_accepted": batch.rows_accepted,
        "rows_rejected": batch.rows_rejected,
        "rows_suspicious": batch.rows_suspicious,
        "has_error_report": bool(batch.rows_rejected or batch.rows_suspicious),
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
    }


@router.get("/batches", response=BatchPageOut)
def batch_list(
    request: HttpRequest, source: str = "", status: str = "", page: int = 1, size: int = 50
) -> dict[str, Any]:
    require(request, Action.DATA_IMPORT)
    qs = ImportBatch.objects.visible_to(request.user).select_related("source").order_by("-id")
    if source:
        qs = qs.filter(source__code=source)
    if status:
        qs = qs.filter(status=status)
    result = paged(qs, page, size)
    result["items"] = [_out(b) for b in result["items"]]
    return result


@router.get("/batches/{batch_pk}", response=BatchOut)
def batch_detail(request: HttpRequest, batch_pk: int) -> dict[str, Any]:
    require(request, Action.DATA_IMPORT)
    batch = access_object(
        request.user, ImportBatch.objects.select_related("source"), pk=batch_pk, request=request
    )
    return _out(batch)
