"""Reads of the inspections module. Officers' reads are scoped with ``visible_to``;
the public reads return published rows only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from eduplus.core.scoping import region_subtree_q
from eduplus.inspections.draw import (
    ALGORITHM,
    CandidateInspector,
    CandidateSchool,
    DrawError,
    DrawInputError,
    DrawInputs,
    DrawnTarget,
    run_draw,
    school_count_for,
    uncoverable,
)
from eduplus.inspections.models import (
    InspectionAssignment,
    InspectionPlan,
    InspectionResult,
    InspectionTarget,
    Inspector,
    InspectorPool,
    PlanStatus,
    TeachingPointRule,
)
from eduplus.schools.codes import RURAL_CODES, TOWN_CODES, URBAN_CODES, SchoolType
from eduplus.schools.models import School

URBAN_RURAL_GROUPS = {"urban": URBAN_CODES, "town": TOWN_CODES, "rural": RURAL_CODES}


# ------------------------------------------------------------------ officers' reads


def plan_list(user: Any, *, status: str = "", q: str = "") -> QuerySet[InspectionPlan]:
    qs = (
        InspectionPlan.objects.visible_to(user)
        .select_related("region", "pool")
        .annotate(
            target_total=Count("targets", distinct=True),
            result_total=Count("targets__result", distinct=True),
        )
    )
    if status in PlanStatus.values:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(Q(title__contains=q.strip()) | Q(subject__contains=q.strip()))
    return qs.order_by("-created_at", "-id")


def pool_list(user: Any) -> QuerySet[InspectorPool]:
    return (
        InspectorPool.objects.visible_to(user)
        .select_related("region")
        .annotate(
            inspector_total=Count("inspectors", filter=Q(inspectors__active=True), distinct=True)
        )
        .order_by("region_id", "name")
    )


def pool_inspectors(user: Any, pool: InspectorPool, *, q: str = "") -> QuerySet[Inspector]:
    qs = (
        Inspector.objects.visible_to(user)
        .filter(pool=pool)
        .select_related("home_region", "home_region__parent", "home_school")
    )
    if q.strip():
        qs = qs.filter(Q(name__contains=q.strip()) | Q(organisation__contains=q.strip()))
    return qs.order_by("-active", "home_region_id", "name", "id")


def plan_targets(plan: InspectionPlan) -> QuerySet[InspectionTarget]:
    """The drawn schools of a plan (already fetched through the scoping primitive)."""
    return (
        InspectionTarget.objects.filter(plan=plan)
        .select_related("school", "school__region", "result")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=InspectionAssignment.objects.select_related(
                    "inspector", "inspector__home_region"
                ).order_by("position"),
            )
        )
        .order_by("position")
    )


# ------------------------------------------------------------------------ candidates


def plan_candidates(plan: InspectionPlan) -> QuerySet[School]:
    """Schools matching the plan's filters within its region subtree.

    The same region-prefix logic as ``School.objects.visible_to`` for an officer of the
    plan's region, but independent of who asks: the inputs of a draw depend on the plan
    alone, so anyone re-running it gets the same candidates.
    """
    qs = School.objects.filter(region_subtree_q("region_id", str(plan.region_id)))
    if plan.school_types:
        qs = qs.filter(school_type__in=sorted(plan.school_types))
    if plan.urban_rural in URBAN_RURAL_GROUPS:
        qs = qs.filter(urban_rural__in=sorted(URBAN_RURAL_GROUPS[plan.urban_rural]))
    if plan.teaching_points == TeachingPointRule.EXCLUDE:
        qs = qs.exclude(school_type=SchoolType.TEACHING_POINT)
    elif plan.teaching_points == TeachingPointRule.ONLY:
        qs = qs.filter(school_type=SchoolType.TEACHING_POINT)
    return qs.order_by("code")


def pool_active_inspectors(pool: InspectorPool) -> QuerySet[Inspector]:
    return (
        Inspector.objects.filter(pool=pool, active=True)
        .select_related("home_school", "home_school__parent_school")
        .order_by("id")
    )


def plan_draw_inputs(plan: InspectionPlan, *, seed: str) -> DrawInputs:
    """The exact inputs of a plan's draw, as they will be published."""
    schools = [
        CandidateSchool(code, str(region), parent or "")
        for code, region, parent in plan_candidates(plan).values_list(
            "code", "region_id", "parent_school__code"
        )
    ]
    inspectors = []
    for inspector in pool_active_inspectors(plan.pool):
        home = inspector.home_school
        inspectors.append(
            CandidateInspector(
                id=inspector.pk,
                region=str(inspector.home_region_id),
                school=home.code if home else "",
                school_parent=home.parent_school.code if home and home.parent_school else "",
            )
        )
    count = school_count_for(len(schools), count=plan.school_count, percent=plan.school_percent)
    return DrawInputs(
        seed=seed,
        schools=tuple(schools),
        inspectors=tuple(inspectors),
        school_count=count,
        inspectors_per_school=plan.inspectors_per_school,
        algorithm=ALGORITHM,
        context={
            "plan": plan.pk,
            "region": str(plan.region_id),
            "filters": {
                "school_types": sorted(plan.school_types),
                "urban_rural": plan.urban_rural,
                "teaching_points": plan.teaching_points,
            },
            "school_percent": plan.school_percent,
            "pool": plan.pool_id,
        },
    )


@dataclass
class DrawPreview:
    """What a draw would work from, shown before drawing."""

    candidates: int
    inspectors: int
    school_count: int
    problem: str = ""
    uncoverable: list[tuple[str, int]] = field(default_factory=list)


def plan_draw_preview(plan: InspectionPlan) -> DrawPreview:
    inputs = plan_draw_inputs(plan=plan, seed="0" * 64)
    n = inputs.school_count
    preview = DrawPreview(len(inputs.schools), len(inputs.inspectors), n)
    if not inputs.schools:
        preview.problem = "no_schools"
    elif n > len(inputs.schools):
        preview.problem = "too_few_schools"
    elif not inputs.inspectors:
        preview.problem = "no_inspectors"
    else:
        preview.uncoverable = uncoverable(inputs)
    return preview


# ---------------------------------------------------------------------- verification


@dataclass
class Verification:
    """A re-run of a plan's published draw compared with what was recorded."""

    matches: bool
    error: str = ""
    rerun: list[DrawnTarget] = field(default_factory=list)
    recorded: list[DrawnTarget] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)


def recorded_draw(plan: InspectionPlan) -> list[DrawnTarget]:
    rows = (
        InspectionAssignment.objects.filter(target__plan=plan)
        .order_by("target__position", "position")
        .values_list("target__position", "target__school__code", "inspector_id")
    )
    by_position: dict[int, tuple[str, list[int]]] = {}
    for position, code, inspector_id in rows:
        by_position.setdefault(position, (code, []))[1].append(inspector_id)
    # Targets without assignments still count (they would be a difference).
    for position, code in InspectionTarget.objects.filter(plan=plan).values_list(
        "position", "school__code"
    ):
        by_position.setdefault(position, (code, []))
    return [
        DrawnTarget(position, code, tuple(ids))
        for position, (code, ids) in sorted(by_position.items())
    ]


def compare_draws(rerun: list[DrawnTarget], recorded: list[DrawnTarget]) -> list[str]:
    differences = []
    if len(rerun) != len(recorded):
        differences.append(f"重新抽取得到 {len(rerun)} 所学校，记录为 {len(recorded)} 所")
    for a, b in zip(rerun, recorded, strict=False):
        if a != b:
            differences.append(
                f"第 {a.position} 位：重新抽取 {a.school} {list(a.inspectors)}，"
                f"记录 {b.school} {list(b.inspectors)}"
            )
    return differences


def verify_inputs(data: Any, recorded: list[DrawnTarget] | None = None) -> Verification:
    """Re-run a draw from published inputs; compare with ``recorded`` when given."""
    try:
        inputs = DrawInputs.from_dict(data)
        rerun = run_draw(inputs)
    except DrawInputError as exc:
        return Verification(False, error=str(exc))
    except DrawError as exc:
        return Verification(False, error=exc.message)
    if recorded is None:
        return Verification(True, rerun=rerun)
    differences = compare_draws(rerun, recorded)
    return Verification(not differences, rerun=rerun, recorded=recorded, differences=differences)


def plan_verification(plan: InspectionPlan) -> Verification:
    if not plan.inputs:
        return Verification(False, error="该计划尚未抽取")
    return verify_inputs(plan.inputs, recorded_draw(plan))


# -------------------------------------------------------------------- public reads


def public_plans() -> QuerySet[InspectionPlan]:
    """Plans whose draw has been published (a cancelled one stays, with its reason)."""
    return (
        InspectionPlan.objects.filter(published_at__isnull=False)
        .exclude(status=PlanStatus.DRAFT)
        .select_related("region", "region__parent")
        .annotate(
            target_total=Count("targets", distinct=True),
            published_results=Count(
                "targets__result",
                filter=Q(targets__result__published_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("-published_at", "-id")
    )


def public_targets(plan: InspectionPlan) -> list[dict[str, Any]]:
    """The drawn schools of a published plan: names, codes, inspectors' names and
    organisations, and the result only when published. Nothing else."""
    rows = []
    for target in plan_targets(plan):
        try:
            result = target.result
        except InspectionResult.DoesNotExist:
            result = None
        rows.append(
            {
                "position": target.position,
                "school": target.school,
                "inspectors": [a.inspector for a in target.assignments.all()],
                "result": result if result is not None and result.is_published else None,
            }
        )
    return rows
