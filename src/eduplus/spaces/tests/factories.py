"""Objects of the spaces module for tests and the scope walk (one per county, reused)."""

from __future__ import annotations

from typing import Any

from eduplus.spaces.models import (
    GroupMembership,
    LrsClient,
    MemberRole,
    TeachingGroup,
)


def teaching_group(county: Any) -> TeachingGroup:
    """A school-wide group created by the county's teacher (who is its owner)."""
    teacher = county.users["teacher"]
    group, created = TeachingGroup.objects.get_or_create(
        school=county.school,
        name=f"{county.school.name}数学教研组",
        defaults={"region_id": county.school.region_id, "created_by": teacher},
    )
    if created:
        GroupMembership.objects.create(group=group, user=teacher, role=MemberRole.OWNER)
    return group


def lrs_client(county: Any, *, secret: str = "s3cret-for-tests") -> LrsClient:  # noqa: S107
    from django.contrib.auth.hashers import make_password

    client, _created = LrsClient.objects.get_or_create(
        name=f"{county.code} 测试应用",
        region_id=county.code,
        defaults={"secret_hash": make_password(secret), "created_by": "test"},
    )
    return client
