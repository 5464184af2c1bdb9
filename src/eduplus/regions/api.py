from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from eduplus.core.api import require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.regions.models import Region
from eduplus.regions.selectors import region_children_with_counts

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent_id: str | None


class RegionStatsOut(Schema):
    region: RegionOut
    schools: int
    teaching_points: int
    students: int
    teachers: int


@router.get("/{region_code}", response=RegionOut)
def region_get(request: HttpRequest, region_code: str) -> Region:
    require(request, Action.REGION_VIEW)
    return access_object(request.user, Region, code=region_code, request=request)


@router.get("/{region_code}/children", response=list[RegionStatsOut])
def region_children(request: HttpRequest, region_code: str) -> list[dict]:  # type: ignore[type-arg]
    require(request, Action.REGION_VIEW)
    region = access_object(request.user, Region, code=region_code, request=request)
    return region_children_with_counts(request.user, region)
