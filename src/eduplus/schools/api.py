from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from eduplus.core.api import paged, require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.schools.models import School
from eduplus.schools.selectors import SchoolFilters, school_list

router = Router(tags=["schools"])


class SchoolOut(Schema):
    id: int
    code: str
    name: str
    school_type: str
    school_type_label: str
    urban_rural: str
    region_code: str
    region_name: str
    parent_school_id: int | None
    student_count: int
    teacher_count: int
    class_count: int

    @staticmethod
    def resolve_school_type_label(obj: School) -> str:
        return str(obj.get_school_type_display())

    @staticmethod
    def resolve_region_code(obj: School) -> str:
        return str(obj.region_id)

    @staticmethod
    def resolve_region_name(obj: School) -> str:
        return obj.region.name


class SchoolPage(Schema):
    count: int
    page: int
    size: int
    items: list[SchoolOut]


class SchoolQuery(Schema):
    q: str = ""
    region: str = ""
    school_type: str = ""
    urban_rural: str = ""
    teaching_points: str = ""
    page: int = 1
    size: int = 50


@router.get("/", response=SchoolPage)
def schools_list(request: HttpRequest, query: Query[SchoolQuery]) -> dict[str, Any]:
    require(request, Action.SCHOOL_VIEW)
    filters = SchoolFilters(
        q=query.q,
        region=query.region if query.region.isdigit() else "",
        school_type=query.school_type,
        urban_rural=query.urban_rural,
        teaching_points=query.teaching_points,
    )
    return paged(school_list(request.user, filters), query.page, query.size)


@router.get("/{school_pk}", response=SchoolOut)
def school_get(request: HttpRequest, school_pk: int) -> School:
    require(request, Action.SCHOOL_VIEW)
    return access_object(
        request.user, School.objects.select_related("region"), pk=school_pk, request=request
    )
