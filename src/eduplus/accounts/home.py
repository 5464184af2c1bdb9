"""The home page of each role: real counts inside the user's scope (首页).

Lives in accounts because it is the one foundation app allowed to read all the others.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from eduplus.core.audit import audit_record
from eduplus.core.models import AuditEntry
from eduplus.core.roles import OFFICER_ROLES, Role
from eduplus.core.scoping import scope_for


def home_context(request: HttpRequest) -> dict[str, Any]:
    from eduplus.accounts.models import User
    from eduplus.people.selectors import children_of, student_list, teacher_classes
    from eduplus.regions.selectors import region_children_with_counts, region_root_for
    from eduplus.schools.models import School
    from eduplus.schools.selectors import school_totals, school_type_breakdown

    user = request.user
    scope = scope_for(user)
    roles = scope.roles
    ctx: dict[str, Any] = {"roles": roles, "role_labels": [Role(r).label for r in sorted(roles)]}
    if roles & OFFICER_ROLES or Role.SYSTEM_ADMIN in roles:
        root = region_root_for(user)
        ctx["root_region"] = root
        if root is not None:
            ctx["totals"] = school_totals(user, root.code)
            ctx["by_type"] = school_type_breakdown(user, root.code)
            ctx["children"] = region_children_with_counts(user, root)
    if Role.SCHOOL_ADMIN in roles:
        ctx["own_schools"] = list(
            School.objects.visible_to(user)
            .filter(id__in=sorted(scope.school_ids))
            .select_related("region")
        )
    if Role.TEACHER in roles:
        ctx["teacher_classes"] = teacher_classes(user)
    if Role.STUDENT in roles and user.person_id:  # type: ignore[union-attr]
        ctx["own_enrolment"] = student_list(user).filter(person_id=user.person_id).first()  # type: ignore[union-attr]
    if Role.PARENT in roles:
        ctx["children_enrolments"] = children_of(user)
        if ctx["children_enrolments"]:
            audit_record(
                actor=user,
                action="person.list",
                request=request,
                target_type="people.student",
                details={"ids": [s.pk for s in ctx["children_enrolments"]], "via": "home"},
            )
    if Role.SECURITY_ADMIN in roles:
        now = timezone.now()
        ctx["locked_accounts"] = User.objects.filter(locked_until__gt=now).count()
        ctx["failures_today"] = AuditEntry.objects.filter(
            action="auth.login",
            result="failure",
            occurred_at__gte=now.replace(hour=0, minute=0, second=0, microsecond=0),
        ).count()
    if Role.AUDIT_ADMIN in roles:
        now = timezone.now()
        since = now - dt.timedelta(days=1)
        ctx["audit_day"] = AuditEntry.objects.filter(occurred_at__gte=since).count()
        ctx["denials_day"] = AuditEntry.objects.filter(
            occurred_at__gte=since, result="denied"
        ).count()
    if Role.SYSTEM_ADMIN in roles:
        ctx["account_count"] = User.objects.count()
    return ctx


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", home_context(request))
