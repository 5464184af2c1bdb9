"""What happens after an import batch is committed: incremental identity resolution
of its records against the existing golden records, as a background job."""

from __future__ import annotations

from eduplus.governance.models import ImportBatch


def batch_imported(batch: ImportBatch) -> None:
    """Called by the import once a batch's rows are committed."""
    from eduplus.governance.resolve_tasks import auto_resolve_enabled, resolve_later

    if auto_resolve_enabled():
        resolve_later(actor=batch.created_by)


def batch_rolled_back(batch: ImportBatch) -> None:
    """Called after a batch's records were deleted: the golden records built on them
    are rebuilt by a full resolution run in the background."""
    from eduplus.governance.resolve_tasks import auto_resolve_enabled, resolve_later

    if auto_resolve_enabled():
        resolve_later(full=True, actor=batch.created_by)
