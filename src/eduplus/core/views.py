"""Home page per role, the audit log (audit administrator only), health check, and
the page of an unexpected error."""

from __future__ import annotations

import datetime as dt
import logging
import sys

from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.models import AuditEntry, AuditResult
from eduplus.core.pagination import PEOPLE_COUNT_CAP, paginate, querystring_without_page
from eduplus.core.permissions import require_action
from eduplus.core.roles import Action


@require_action(Action.AUDIT_VIEW)
def audit_log(request: HttpRequest) -> HttpResponse:
    qs = AuditEntry.objects.all().order_by("-id")
    username = request.GET.get("user", "").strip()
    action = request.GET.get("action", "").strip()
    result = request.GET.get("result", "").strip()
    day = request.GET.get("date", "").strip()
    if username:
        qs = qs.filter(actor_username=username)
    if action:
        qs = qs.filter(action__startswith=action)
    if result in AuditResult.values:
        qs = qs.filter(result=result)
    day_error = ""
    if day:
        try:
            d = dt.date.fromisoformat(day)
        except ValueError:
            day_error = "日期格式应为 YYYY-MM-DD"
        else:
            start = timezone.make_aware(dt.datetime.combine(d, dt.time.min))
            qs = qs.filter(occurred_at__gte=start, occurred_at__lt=start + dt.timedelta(days=1))
    page = paginate(request, qs, count_cap=PEOPLE_COUNT_CAP)
    actions = sorted(
        {
            "auth.login",
            "auth.logout",
            "auth.lockout",
            "permission.denied",
            "person.view",
            "person.list",
            "person.reveal_id_number",
            "school.import",
            "school.export",
            "account.create",
            "account.role_assign",
            "account.unlock",
        }
    )
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "filters": {"user": username, "action": action, "result": result, "date": day},
            "day_error": day_error,
            "results": AuditResult.choices,
            "actions": actions,
            "qs": querystring_without_page(request),
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


logger = logging.getLogger(__name__)

# Seconds a client is asked to wait when the embedded database is busy writing.
BUSY_RETRY_AFTER = 30


def _database_busy(error: BaseException | None) -> bool:
    """SQLite's answer when another connection held the write lock longer than the
    busy timeout (a big import or resolution committing)."""
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: called by Django inside the ``except`` of an unhandled error.

    Renders without the database (it may be what failed): a busy embedded database
    answers 503 with ``Retry-After``, so that a user who saved something while a big
    import was being written is told to retry rather than shown a bare error; any
    other error answers 500. In Chinese or English, as the rest of the page would be.
    """
    error = sys.exc_info()[1]
    busy = _database_busy(error)
    status = 503 if busy else 500
    if busy:
        logger.warning("database busy: %s %s answered 503", request.method, request.path)
    if request.path.startswith("/api/"):
        message = _("数据库正在写入一批数据，请约半分钟后重试") if busy else _("服务器出错了")
        response: HttpResponse = JsonResponse({"detail": str(message)}, status=status)
    else:
        body = loader.get_template("500.html").render({"busy": busy})
        response = HttpResponse(body, status=status)
    if busy:
        response["Retry-After"] = str(BUSY_RETRY_AFTER)
    return response
