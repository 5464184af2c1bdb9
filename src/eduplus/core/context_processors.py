"""Navigation built from the actions a user holds (never from role names in templates)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eduplus.core.roles import Action

NAV: list[tuple[str, Any, str | None]] = [
    ("home", _("首页"), None),
    ("regions:browse", _("区域"), Action.REGION_VIEW),
    ("schools:list", _("学校"), Action.SCHOOL_VIEW),
    ("people:students", _("学生"), Action.PERSON_VIEW),
    ("people:teachers", _("教师"), Action.PERSON_VIEW),
    ("schools:import", _("名录导入"), Action.SCHOOL_IMPORT),
    ("accounts:list", _("账号管理"), Action.ACCOUNT_MANAGE),
    ("accounts:security", _("安全管理"), Action.ACCOUNT_UNLOCK),
    ("core:audit", _("审计日志"), Action.AUDIT_VIEW),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    actions = user.allowed_actions()
    items = []
    for name, label, action in NAV:
        if action is None or action in actions:
            url = reverse(name)
            active = request.path == url if url == "/" else request.path.startswith(url)
            items.append({"url": url, "label": label, "active": active})
    return {"nav_items": items, "user_actions": actions}
