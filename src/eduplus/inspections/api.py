"""JSON API of random inspections: plans in scope, and one plan with its draw."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from eduplus.core.api import paged, require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.inspections.models import InspectionPlan, InspectionResult
from eduplus.inspections.selectors import plan_list, plan_targets

router = Router(tags=["inspections"])


class PlanOut(Schema):
    id: int
    title: str
    subject: str
    status: str
    region_code: str
    region_name: str
    school_count: int | None
    school_percent: int | None
    inspectors_per_school: int
    seed: str
    algorithm: str
    drawn_at: str | None
    published_at: str | None

    @staticmethod
    def resolve_region_code(obj: InspectionPlan) -> str:
        return str(obj.region_id)

    @staticmethod
    def resolve_region_name(obj: InspectionPlan) -> str:
        return obj.region.name

    @staticmethod
    def resolve_drawn_at(obj: InspectionPlan) -> str | None:
        return obj.drawn_at.isoformat() if obj.drawn_at else None

    @staticmethod
    def resolve_published_at(obj: InspectionPlan) -> str | None:
        return obj.published_at.isoformat() if obj.published_at else None


class PlanPage(Schema):
    count: int
    page: int
    size: int
    items: list[PlanOut]


class InspectorOut(Schema):
    id: int
    name: str
    organisation: str
    region_code: str


class ResultOut(Schema):
    inspected_on: str
    conclusion: str
    findings: str
    rectification: str
    rectification_deadline: str | None
    published: bool


class TargetOut(Schema):
    position: int
    school_id: int
    school_code: str
    school_name: str
    region_code: str
    inspectors: list[InspectorOut]
    result: ResultOut | None


class PlanDetailOut(PlanOut):
    inputs: dict[str, Any]
    targets: list[TargetOut]

    @staticmethod
    def resolve_targets(obj: InspectionPlan) -> list[dict[str, Any]]:
        return getattr(obj, "targets_out", [])


class PlanQuery(Schema):
    status: str = ""
    q: str = ""
    page: int = 1
    size: int = 50


@router.get("/plans", response=PlanPage)
def plans_list(request: HttpRequest, query: Query[PlanQuery]) -> dict[str, Any]:
    require(request, Action.INSPECTION_MANAGE)
    return paged(plan_list(request.user, status=query.status, q=query.q), query.page, query.size)


def _result(target: Any) -> dict[str, Any] | None:
    try:
        r = target.result
    except InspectionResult.DoesNotExist:
        return None
    return {
        "inspected_on": r.inspected_on.isoformat(),
        "conclusion": r.conclusion,
        "findings": r.findings,
        "rectification": r.rectification,
        "rectification_deadline": (
            r.rectification_deadline.isoformat() if r.rectification_deadline else None
        ),
        "published": r.is_published,
    }


@router.get("/plans/{plan_pk}", response=PlanDetailOut)
def plan_get(request: HttpRequest, plan_pk: int) -> InspectionPlan:
    require(request, Action.INSPECTION_MANAGE)
    plan = access_object(
        request.user, InspectionPlan.objects.select_related("region"), pk=plan_pk, request=request
    )
    targets = [
        {
            "position": t.position,
            "school_id": t.school_id,
            "school_code": t.school.code,
            "school_name": t.school.name,
            "region_code": str(t.school.region_id),
            "inspectors": [
                {
                    "id": a.inspector_id,
                    "name": a.inspector.name,
                    "organisation": a.inspector.organisation,
                    "region_code": str(a.inspector.home_region_id),
                }
                for a in t.assignments.all()
            ],
            "result": _result(t),
        }
        for t in plan_targets(plan)
    ]
    plan.targets_out = targets  # type: ignore[attr-defined]
    return plan
