"""Session policy: idle timeout, and a forced password change when it has expired."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record

LAST_SEEN = "eduplus_last_seen"


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            idle = settings.EDUPLUS_IDLE_TIMEOUT_MINUTES * 60
            last = request.session.get(LAST_SEEN)
            if last is not None and idle and now - float(last) > idle:
                audit_record(actor=user, action="auth.session_timeout", request=request)
                logout(request)
                messages.info(request, _("长时间未操作，已自动退出，请重新登录"))
                if request.path.startswith("/api/"):
                    return HttpResponse(status=401)
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            request.session[LAST_SEEN] = now
            from eduplus.accounts.services import password_is_expired

            allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
            if (
                request.path not in allowed
                and not request.path.startswith(("/static/", "/i18n/", "/api/"))
                and password_is_expired(user)  # type: ignore[arg-type]
            ):
                messages.warning(request, _("密码已过期或需要首次修改，请先修改密码"))
                return redirect("accounts:password_change")
        return self.get_response(request)
