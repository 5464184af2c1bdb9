"""The one signal receiver: resources events recorded as xAPI statements.

Recording only (no domain logic): the resources module sends ``resource_event`` after
its change committed; a failure to record must never break the user's action, so it is
logged and swallowed.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def record_resource_event(
    sender: Any, *, user: Any = None, verb: str = "", resource: Any = None,
    extra: dict[str, Any] | None = None, **kwargs: Any,
) -> None:  # fmt: skip
    from django.db import transaction

    from eduplus.spaces.services import resource_event_record

    try:
        with transaction.atomic():  # a savepoint: a failure leaves the caller's work intact
            resource_event_record(user=user, verb=verb, resource=resource, extra=extra)
    except Exception:  # recording is best-effort; the event itself has happened
        logger.exception("could not record resource event %s", verb)
