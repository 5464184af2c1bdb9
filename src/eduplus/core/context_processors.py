"""Navigation built from the actions a user holds (never from role names in templates)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import pgettext_lazy

from eduplus.core.roles import Action

NAV: list[tuple[str, Any, str | None]] = [
    ("home", pgettext_lazy("nav", "首页"), None),
    ("regions:browse", pgettext_lazy("nav", "区域"), Action.REGION_VIEW),
    ("schools:list", pgettext_lazy("nav", "学校"), Action.SCHOOL_VIEW),
    ("people:students", pgettext_lazy("nav", "学生"), Action.PERSON_VIEW),
    ("people:teachers", pgettext_lazy("nav", "教师"), Action.STAFF_VIEW),
    ("schools:import", pgettext_lazy("nav", "名录导入"), Action.SCHOOL_IMPORT),
    ("accounts:list", pgettext_lazy("nav", "账号管理"), Action.ACCOUNT_MANAGE),
    ("accounts:security", pgettext_lazy("nav", "安全管理"), Action.ACCOUNT_UNLOCK),
    ("core:audit", pgettext_lazy("nav", "审计日志"), Action.AUDIT_VIEW),
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
