"""Reads of the region tree, scoped to a user."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from eduplus.core.scoping import region_subtree_q, scope_for
from eduplus.regions.models import CODE_LENGTH, Region, RegionLevel
from eduplus.schools.codes import SchoolType
from eduplus.schools.models import School


def region_root_for(user: Any) -> Region | None:
    """The top region a user browses from: the shortest code in their scope."""
    scope = scope_for(user)
    codes = sorted(scope.region_codes | scope.org_region_codes, key=len)
    if codes:
        return Region.objects.select_related("parent").filter(code=codes[0]).first()
    return None


def region_breadcrumb(user: Any, region: Region) -> list[Region]:
    """Ancestors the user may browse, then the region itself."""
    codes = region.ancestor_codes()
    visible = set(
        Region.objects.visible_to(user).filter(code__in=codes).values_list("code", flat=True)
    )
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in visible and c in by_code]


def region_children_with_counts(user: Any, region: Region) -> list[dict[str, Any]]:
    """Each child region with the counts of schools and people in the user's scope."""
    if region.level == RegionLevel.COUNTY:
        return []
    child_len = CODE_LENGTH[RegionLevel(region.level + 1)]
    children = list(Region.objects.visible_to(user).filter(parent=region).order_by("code"))
    stats = (
        School.objects.visible_to(user)
        .filter(region_subtree_q("region_id", region.code))
        .annotate(prefix=Substr("region_id", 1, child_len))
        .values("prefix")
        .annotate(
            n_schools=Count("id", filter=~Q(school_type=SchoolType.TEACHING_POINT)),
            n_points=Count("id", filter=Q(school_type=SchoolType.TEACHING_POINT)),
            n_students=Sum("student_count"),
            n_teachers=Sum("teacher_count"),
        )
    )
    by_prefix: dict[str, Any] = {row["prefix"]: row for row in stats}
    result = []
    for child in children:
        row = by_prefix.get(child.code, {})
        result.append(
            {
                "region": child,
                "schools": row.get("n_schools") or 0,
                "teaching_points": row.get("n_points") or 0,
                "students": row.get("n_students") or 0,
                "teachers": row.get("n_teachers") or 0,
            }
        )
    return result


def deployment_province() -> Region | None:
    return Region.objects.filter(code=settings.EDUPLUS_PROVINCE).first()


def region_search(user: Any, text: str) -> QuerySet[Region]:
    return Region.objects.visible_to(user).filter(name__contains=text).order_by("code")[:20]  # type: ignore[return-value]
