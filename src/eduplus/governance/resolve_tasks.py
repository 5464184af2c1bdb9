"""Identity resolution as a background job (django-tasks)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks import task

from eduplus.governance.resolution import resolve


@task()
def resolve_task(full: bool = False, actor_id: int | None = None) -> int:
    from eduplus.accounts.models import User

    actor: Any = User.objects.filter(pk=actor_id).first() if actor_id else None
    run = resolve(full=full, actor=actor)
    # The scorecard and the catalog follow the data they describe.
    from eduplus.governance.quality import quality_compute

    quality_compute(actor=actor)
    return run.pk


def resolve_later(*, full: bool = False, actor: Any = None) -> None:
    """Enqueue a resolution run once the current transaction commits."""
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
    transaction.on_commit(lambda: resolve_task.enqueue(full=full, actor_id=actor_id))


def auto_resolve_enabled() -> bool:
    return bool(getattr(settings, "GOVERNANCE_AUTO_RESOLVE", True))
