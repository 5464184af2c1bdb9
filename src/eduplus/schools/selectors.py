"""Reads of the school registry, scoped to a user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from eduplus.core.scoping import region_subtree_q
from eduplus.schools.codes import RURAL_CODES, TOWN_CODES, URBAN_CODES, SchoolType
from eduplus.schools.models import School, SchoolClass


@dataclass(frozen=True)
class SchoolFilters:
    q: str = ""
    region: str = ""
    school_type: str = ""
    urban_rural: str = ""  # a code, or the groups "urban" / "town" / "rural"
    teaching_points: str = ""  # "" all, "only", "exclude"


def school_list(user: Any, filters: SchoolFilters | None = None) -> QuerySet[School]:
    filters = filters or SchoolFilters()
    qs = School.objects.visible_to(user).select_related("region", "region__parent", "parent_school")
    text = filters.q.strip()
    if text:
        qs = qs.filter(Q(name__contains=text) | Q(code__startswith=text))
    if filters.region:
        qs = qs.filter(region_subtree_q("region_id", filters.region))
    if filters.school_type:
        qs = qs.filter(school_type=filters.school_type)
    groups = {"urban": URBAN_CODES, "town": TOWN_CODES, "rural": RURAL_CODES}
    if filters.urban_rural in groups:
        qs = qs.filter(urban_rural__in=sorted(groups[filters.urban_rural]))
    elif filters.urban_rural:
        qs = qs.filter(urban_rural=filters.urban_rural)
    if filters.teaching_points == "only":
        qs = qs.filter(school_type=SchoolType.TEACHING_POINT)
    elif filters.teaching_points == "exclude":
        qs = qs.exclude(school_type=SchoolType.TEACHING_POINT)
    return qs.order_by("region_id", "code")


def school_totals(user: Any, region_code: str | None = None) -> dict[str, int]:
    qs = School.objects.visible_to(user)
    if region_code:
        qs = qs.filter(region_subtree_q("region_id", region_code))
    row = qs.aggregate(
        schools=Count("id", filter=~Q(school_type=SchoolType.TEACHING_POINT)),
        teaching_points=Count("id", filter=Q(school_type=SchoolType.TEACHING_POINT)),
        students=Sum("student_count"),
        teachers=Sum("teacher_count"),
        classes=Sum("class_count"),
    )
    return {k: int(v or 0) for k, v in row.items()}


def school_type_breakdown(user: Any, region_code: str | None = None) -> list[dict[str, Any]]:
    qs = School.objects.visible_to(user)
    if region_code:
        qs = qs.filter(region_subtree_q("region_id", region_code))
    labels = dict(SchoolType.choices)
    rows = qs.values("school_type").annotate(n=Count("id"), pupils=Sum("student_count"))
    return sorted(
        (
            {
                "code": r["school_type"],
                "label": labels.get(r["school_type"], r["school_type"]),
                "count": r["n"],
                "students": r["pupils"] or 0,
            }
            for r in rows
        ),
        key=lambda r: r["code"],
    )


def school_classes(user: Any, school: School) -> QuerySet[SchoolClass]:
    return (
        SchoolClass.objects.visible_to(user)
        .filter(school=school)
        .annotate(student_total=Count("students"))
        .order_by("grade", "number")
    )
