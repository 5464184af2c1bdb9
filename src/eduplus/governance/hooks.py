"""What happens after an import batch is committed: incremental identity resolution
of its records against the existing golden records (set in ``resolution``)."""

from __future__ import annotations

from eduplus.governance.models import ImportBatch


def batch_imported(batch: ImportBatch) -> None:
    """Called by the import once a batch's rows are committed."""
