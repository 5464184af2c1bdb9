"""Asking whether a user may perform an action (declared in core.roles)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from eduplus.core.audit import audit_record

F = TypeVar("F", bound=Callable[..., HttpResponseBase])


def user_can(user: Any, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return action in user.allowed_actions()


def deny(request: HttpRequest, action: str) -> PermissionDenied:
    """Audit a refused action and return the exception to raise."""
    audit_record(
        actor=request.user,
        action="permission.denied",
        result="denied",
        target_type="action",
        target_id=action,
        target_repr=request.path[:255],
        request=request,
    )
    return PermissionDenied(action)


def require_action(action: str) -> Callable[[F], F]:
    """View decorator: login required, then the action; refusals are audited (403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_can(request.user, action):
                raise deny(request, action)
            return view(request, *args, **kwargs)

        wrapper.required_action = action  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
