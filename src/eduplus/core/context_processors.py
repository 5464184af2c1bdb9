"""Navigation built from the actions a user holds (never from role names in templates)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import pgettext_lazy

from eduplus.core.roles import Action

# (url name, label, the action, or any of several actions, that shows the item)
NAV: list[tuple[str, Any, str | tuple[str, ...] | None]] = [
    ("home", pgettext_lazy("nav", "首页"), None),
    ("regions:browse", pgettext_lazy("nav", "区域"), Action.REGION_VIEW),
    ("schools:list", pgettext_lazy("nav", "学校"), Action.SCHOOL_VIEW),
    ("people:students", pgettext_lazy("nav", "学生"), Action.PERSON_VIEW),
    ("people:teachers", pgettext_lazy("nav", "教师"), Action.STAFF_VIEW),
    ("monitoring:home", pgettext_lazy("nav", "监测"), Action.MONITORING_VIEW),
    (
        "reporting:home",
        pgettext_lazy("nav", "信息报送"),
        (Action.REPORT_DESIGN, Action.REPORT_FILL, Action.REPORT_REVIEW),
    ),
    ("inspections:home", pgettext_lazy("nav", "双随机检查"), Action.INSPECTION_MANAGE),
    ("resources:search", pgettext_lazy("nav", "资源"), Action.RESOURCE_VIEW),
    ("aggregation:home", pgettext_lazy("nav", "资源汇聚"), Action.RESOURCE_HARVEST),
    ("spaces:home", pgettext_lazy("nav", "我的空间"), Action.SPACE_USE),
    (
        "lessons:home",
        pgettext_lazy("nav", "一师一优课"),
        (Action.LESSON_SUBMIT, Action.LESSON_ORGANIZE),
    ),
    (
        "governance:home",
        pgettext_lazy("nav", "数据治理"),
        (Action.DATA_VIEW, Action.DATA_IMPORT, Action.DATA_STEWARD),
    ),
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
        wanted = (action,) if isinstance(action, str) else action
        if wanted is None or any(a in actions for a in wanted):
            url = reverse(name)
            active = request.path == url if url == "/" else request.path.startswith(url)
            items.append({"url": url, "label": label, "active": active})
    return {"nav_items": items, "user_actions": actions}
