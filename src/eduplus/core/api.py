"""Shared API pieces: session auth with CSRF, action checks, the scoped 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import SessionAuth

from eduplus.core.audit import audit_record
from eduplus.core.permissions import user_can


class ScopedSessionAuth(SessionAuth):
    """Django session login; unsafe methods need the CSRF token (ninja checks it)."""


session_auth = ScopedSessionAuth()


def require(request: HttpRequest, action: str) -> None:
    if not user_can(request.user, action):
        audit_record(
            actor=request.user,
            action="permission.denied",
            result="denied",
            target_type="action",
            target_id=action,
            target_repr=request.path[:255],
            request=request,
        )
        raise HttpError(403, "forbidden")


def page_params(page: int, size: int) -> tuple[int, int]:
    page = max(1, page)
    size = min(max(1, size), 200)
    return (page - 1) * size, size


def paged(qs: Any, page: int, size: int) -> dict[str, Any]:
    offset, size = page_params(page, size)
    return {
        "count": qs.count(),
        "page": max(1, page),
        "size": size,
        "items": list(qs[offset : offset + size]),
    }
