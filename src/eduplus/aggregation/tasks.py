"""Harvests as background jobs (django-tasks): the page queues a run, the worker
(``eduplus db_worker``) executes it; the run page shows its progress."""

from __future__ import annotations

import logging

from django_tasks import task

from eduplus.aggregation.models import HarvestRun, RunState

logger = logging.getLogger(__name__)


@task()
def harvest_task(run_id: int) -> str:
    """Execute one queued run; answers its final state (a run no longer queued is left)."""
    from eduplus.aggregation.harvest import run_harvest

    run = HarvestRun.objects.filter(pk=run_id).first()
    if run is None:
        logger.warning("harvest task: run %s no longer exists", run_id)
        return "missing"
    if run.state != RunState.QUEUED:
        return str(run.state)
    return str(run_harvest(run).state)
