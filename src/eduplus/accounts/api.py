from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja import Router, Schema

from eduplus.accounts.models import User
from eduplus.core.roles import Role

router = Router(tags=["accounts"])


class RoleOut(Schema):
    role: str
    label: str
    region_code: str | None
    school_id: int | None


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[RoleOut]
    actions: list[str]


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    user = cast(User, request.user)  # session auth guarantees an account
    roles = [
        {"role": r, "label": str(Role(r).label), "region_code": reg, "school_id": sch}
        for r, reg, sch in user.role_assignments.values_list("role", "region_id", "school_id")
    ]
    return {
        "username": user.get_username(),
        "display_name": user.display_name,
        "roles": roles,
        "actions": sorted(user.allowed_actions()),
    }
