"""Imports as background jobs (django-tasks): the upload view enqueues, the worker
(``eduplus db_worker``) runs :func:`eduplus.governance.importing.batch_run`."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

from eduplus.governance.models import BatchStatus, ImportBatch

logger = logging.getLogger(__name__)


@task()
def batch_import_task(batch_id: int) -> str:
    """Run one queued batch; answers its status (a batch no longer queued is left alone)."""
    from eduplus.governance.importing import batch_run

    batch = ImportBatch.objects.filter(pk=batch_id).select_related("source").first()
    if batch is None:
        logger.warning("import task: batch %s no longer exists", batch_id)
        return "missing"
    if batch.status != BatchStatus.QUEUED:
        return str(batch.status)
    return str(batch_run(batch=batch).status)


def _enqueue(batch_id: int) -> None:
    result = batch_import_task.enqueue(batch_id)
    ImportBatch.objects.filter(pk=batch_id).update(task_id=str(result.id)[:64])


def batch_enqueue(batch: ImportBatch) -> None:
    """Enqueue the batch's import once the current transaction commits."""
    batch_id = batch.pk
    transaction.on_commit(lambda: _enqueue(batch_id))
