"""Monitoring API: a region's indicators against their targets, a school's facts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from eduplus.core.api import require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.monitoring import selectors as sel
from eduplus.monitoring.models import facts_field_names
from eduplus.regions.models import Region
from eduplus.schools.models import School

router = Router(tags=["monitoring"])


class IndicatorStatusOut(Schema):
    indicator: str
    name: str
    numerator: float | None
    denominator: float | None
    value: float | None
    target: float | None
    target_year: int | None
    document: str | None
    clause: str | None
    met: bool | None


class RegionIndicatorsOut(Schema):
    region_code: str
    region_name: str
    year: int | None
    years: list[int]
    indicators: list[IndicatorStatusOut]


def _status_out(s: sel.Status) -> dict[str, Any]:
    return {
        "indicator": s.indicator.code,
        "name": s.indicator.name,
        "numerator": s.numerator,
        "denominator": s.denominator,
        "value": None if s.value is None else round(s.value, 4),
        "target": s.target_value,
        "target_year": s.target.year if s.target else None,
        "document": s.target.document.title if s.target else None,
        "clause": s.target.clause if s.target else None,
        "met": s.met,
    }


@router.get("/regions/{region_code}/indicators", response=RegionIndicatorsOut)
def region_indicators(
    request: HttpRequest, region_code: str, year: int | None = None
) -> dict[str, Any]:
    require(request, Action.MONITORING_VIEW)
    region = access_object(request.user, Region, code=region_code, request=request)
    years = sel.value_years(request.user)
    if year is not None and year not in years:
        raise HttpError(404, "no values for that year")
    chosen = year if year is not None else (years[0] if years else None)
    statuses = sel.region_statuses(request.user, region, chosen) if chosen else []
    return {
        "region_code": region.code,
        "region_name": region.name,
        "year": chosen,
        "years": years,
        "indicators": [_status_out(s) for s in statuses],
    }


class FactsOut(Schema):
    year: int
    source: str
    values: dict[str, Any]


@router.get("/schools/{school_pk}/facts", response=list[FactsOut])
def school_facts(request: HttpRequest, school_pk: int) -> list[dict[str, Any]]:
    require(request, Action.MONITORING_VIEW)
    school = access_object(request.user, School, pk=school_pk, request=request)
    names = facts_field_names()
    return [
        {
            "year": f.year,
            "source": f.source,
            "values": {
                n: (
                    str(v)
                    if (v := getattr(f, n)) is not None and not isinstance(v, (bool, int))
                    else v
                )
                for n in names
            },
        }
        for f in sel.school_facts_years(request.user, school)
    ]
