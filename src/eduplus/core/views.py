"""Home page per role, the audit log (audit administrator only), health check."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

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
