"""Recording lineage (溯源图谱) as OpenLineage run events.

Every job that reads or writes a dataset (an import, a resolution run, an indicator
computation) calls :func:`lineage_emit` once it has finished; dataset codes are those
of the data catalog (``source:xueji``, ``batch:17``, ``golden:persons`` …).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from eduplus.governance.models import LineageEvent

PRODUCER = "https://eduplus.example/governance"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
NAMESPACE = "eduplus"


def _dataset(code: str) -> dict[str, Any]:
    return {"namespace": NAMESPACE, "name": code}


def lineage_emit(
    *,
    job_name: str,
    inputs: list[str],
    outputs: list[str],
    event_type: str = "COMPLETE",
    run_id: uuid.UUID | None = None,
    run_facets: dict[str, Any] | None = None,
) -> LineageEvent:
    """Append one RunEvent: ``job_name`` read ``inputs`` and wrote ``outputs``."""
    when = timezone.now()
    run = run_id or uuid.uuid4()
    payload = {
        "eventType": event_type,
        "eventTime": when.isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": str(run), "facets": run_facets or {}},
        "job": {"namespace": NAMESPACE, "name": job_name, "facets": {}},
        "inputs": [_dataset(c) for c in inputs],
        "outputs": [_dataset(c) for c in outputs],
    }
    return LineageEvent.objects.create(
        event_time=when,
        event_type=event_type,
        run_id=run,
        job_namespace=NAMESPACE,
        job_name=job_name,
        inputs=list(inputs),
        outputs=list(outputs),
        payload=payload,
    )
