"""Writing to the audit log. Every module records through :func:`audit_record`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eduplus.core.models import AuditEntry

if TYPE_CHECKING:
    from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # REMOTE_ADDR is the peer; a proxy's X-Forwarded-For is trusted only when configured.
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: Any,
    action: str,
    result: str = "success",
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    username: str = "",
) -> AuditEntry:
    """Append one entry. ``actor`` may be None (anonymous, or a failed login)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if request is not None and actor is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    return AuditEntry.objects.create(
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else username)[:150],
        action=action,
        result=result,
        target_type=target_type[:64],
        target_id=str(target_id)[:64],
        target_repr=str(target_repr)[:255],
        source_ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""),
        details=details or {},
    )
