"""Writes of the inspections module: pools, inspectors, plans, the draw, results.

Every write validates (``full_clean``), runs in one transaction and records an audit
entry. A drawn plan is locked: its draw cannot be redone, only cancelled with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.scoping import scope_for
from eduplus.core.tabular import TabularError, read_rows
from eduplus.inspections.draw import DrawError, new_seed, result_as_data, run_draw
from eduplus.inspections.models import (
    InspectionAssignment,
    InspectionPlan,
    InspectionResult,
    InspectionTarget,
    Inspector,
    InspectorPool,
    PlanStatus,
)
from eduplus.inspections.selectors import plan_draw_inputs
from eduplus.regions.models import Region
from eduplus.schools.models import School


class PlanLocked(ValidationError):
    """The plan is no longer a draft (drawn or cancelled)."""


def _audit(
    actor: Any,
    action: str,
    obj: Any,
    *,
    request: HttpRequest | None = None,
    result: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type=obj._meta.label_lower,
        target_id=str(obj.pk),
        target_repr=str(obj)[:255],
        request=request,
        result=result,
        details=details,
    )


def _require_region_in_scope(actor: Any, region: Region, field_name: str) -> None:
    """An officer acts within their region subtree (no actor: the operator's CLI)."""
    if actor is None:
        return
    if not scope_for(actor).covers_region(str(region.code)):
        raise ValidationError({field_name: _("所选区域不在您的管辖范围内")})


# -------------------------------------------------------------------------- pools


@transaction.atomic
def pool_create(
    *,
    actor: Any,
    region: Region,
    name: str,
    description: str = "",
    request: HttpRequest | None = None,
) -> InspectorPool:
    _require_region_in_scope(actor, region, "region")
    pool = InspectorPool(region=region, name=name.strip(), description=description.strip())
    pool.full_clean()
    pool.save()
    _audit(actor, "inspection.pool_create", pool, request=request)
    return pool


@transaction.atomic
def inspector_create(
    *,
    actor: Any,
    pool: InspectorPool,
    name: str,
    organisation: str,
    home_region: Region,
    home_school: School | None = None,
    specialty: str = "",
    request: HttpRequest | None = None,
) -> Inspector:
    inspector = Inspector(
        pool=pool,
        name=name.strip(),
        organisation=organisation.strip(),
        home_region=home_region,
        home_school=home_school,
        specialty=specialty.strip(),
    )
    inspector.full_clean()
    inspector.save()
    _audit(actor, "inspection.inspector_create", inspector, request=request)
    return inspector


@transaction.atomic
def inspector_update(
    *,
    actor: Any,
    inspector: Inspector,
    request: HttpRequest | None = None,
    **fields: Any,
) -> Inspector:
    """Change an inspector's details or take them out of the pool (``active=False``).

    Past draws are unaffected: their published inputs keep what was true then.
    """
    allowed = {"name", "organisation", "home_region", "home_school", "specialty", "active"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    before = {k: str(getattr(inspector, k)) for k in fields}
    for key, value in fields.items():
        setattr(inspector, key, value.strip() if isinstance(value, str) else value)
    inspector.full_clean()
    inspector.save()
    _audit(
        actor,
        "inspection.inspector_update",
        inspector,
        request=request,
        details={"before": before, "after": {k: str(getattr(inspector, k)) for k in fields}},
    )
    return inspector


IMPORT_HEADER = ("姓名", "工作单位", "所在县区代码", "所在学校标识码", "专业领域")


@dataclass
class InspectorImportReport:
    rows_read: int = 0
    created: int = 0
    skipped: int = 0  # already in the pool
    errors: list[dict[str, Any]] = field(default_factory=list)


class InspectorImportError(ValueError):
    """The file cannot be imported at all."""


def inspector_import(
    *,
    actor: Any,
    pool: InspectorPool,
    source: str | Path | IO[bytes],
    filename: str | None = None,
    request: HttpRequest | None = None,
) -> InspectorImportReport:
    """Import inspectors from CSV (UTF-8 / GBK) or Excel. Columns, in this order with a
    header row: 姓名, 工作单位, 所在县区代码, 所在学校标识码 (optional), 专业领域 (optional).

    Valid rows are written in one batch; each bad row is reported with its row number.
    """
    report = InspectorImportReport()
    try:
        rows = list(read_rows(source, filename=filename))
    except TabularError as exc:
        raise InspectorImportError(str(exc)) from exc
    rows = [r for r in rows if not r.is_blank()]
    if not rows:
        raise InspectorImportError(_("文件中没有数据"))
    header = [c.strip() for c in rows[0].cells]
    if header[:3] != list(IMPORT_HEADER[:3]):
        raise InspectorImportError(
            _("表头应为：%(h)s（前三列必填）") % {"h": "、".join(IMPORT_HEADER)}
        )
    data = rows[1:]
    report.rows_read = len(data)
    counties = set(Region.objects.filter(level=3).values_list("code", flat=True))
    codes = {(r.cells + [""] * 5)[3].strip() for r in data} - {""}
    schools = {s.code: s for s in School.objects.filter(code__in=sorted(codes))}
    existing = set(Inspector.objects.filter(pool=pool).values_list("name", "organisation"))
    new: list[Inspector] = []
    for row in data:
        name, org, county, school_code, specialty = (c.strip() for c in (row.cells + [""] * 5)[:5])
        problem = ""
        if not name or not org:
            problem = _("姓名和工作单位不能为空")
        elif len(name) > 64 or len(org) > 128:
            problem = _("姓名或工作单位过长")
        elif county not in counties:
            problem = _("所在县区代码 %(c)s 不是县级行政区划代码") % {"c": county}
        elif school_code and school_code not in schools:
            problem = _("学校标识码 %(c)s 不在学校名录中") % {"c": school_code}
        elif (
            school_code
            and len(str(schools[school_code].region_id)) == 6
            and schools[school_code].region_id != county
        ):
            problem = _("学校 %(c)s 不在所填的县区内") % {"c": school_code}
        if problem:
            report.errors.append({"row": row.number, "reason": problem})
            continue
        if (name, org) in existing:
            report.skipped += 1
            continue
        existing.add((name, org))
        new.append(
            Inspector(
                pool=pool,
                name=name,
                organisation=org,
                home_region_id=county,
                home_school=schools.get(school_code),
                specialty=specialty[:64],
            )
        )
    with transaction.atomic():
        Inspector.objects.bulk_create(new, batch_size=500)
        report.created = len(new)
        audit_record(
            actor=actor,
            action="inspection.inspector_import",
            target_type="inspections.inspectorpool",
            target_id=str(pool.pk),
            target_repr=pool.name,
            request=request,
            result="success" if not report.errors else "failure",
            details={
                "rows": report.rows_read,
                "created": report.created,
                "skipped": report.skipped,
                "errors": len(report.errors),
            },
        )
    return report


# -------------------------------------------------------------------------- plans

PLAN_FIELDS = {
    "title",
    "subject",
    "region",
    "pool",
    "school_types",
    "urban_rural",
    "teaching_points",
    "school_count",
    "school_percent",
    "inspectors_per_school",
    "starts_on",
    "ends_on",
}


def _check_plan_scope(actor: Any, plan: InspectionPlan) -> None:
    _require_region_in_scope(actor, plan.region, "region")
    if actor is not None and not scope_for(actor).covers_region(str(plan.pool.region_id)):
        raise ValidationError({"pool": _("所选人员库不在您的管辖范围内")})


@transaction.atomic
def plan_create(*, actor: Any, request: HttpRequest | None = None, **fields: Any) -> InspectionPlan:
    unknown = set(fields) - PLAN_FIELDS
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    plan = InspectionPlan(**fields, created_by=actor if actor is not None else None)
    plan.school_types = sorted(set(plan.school_types or []))
    plan.full_clean()
    _check_plan_scope(actor, plan)
    plan.save()
    _audit(actor, "inspection.plan_create", plan, request=request)
    return plan


@transaction.atomic
def plan_update(
    *, actor: Any, plan: InspectionPlan, request: HttpRequest | None = None, **fields: Any
) -> InspectionPlan:
    plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.is_draft:
        raise PlanLocked(_("计划已抽取或已撤销，不能再修改"))
    unknown = set(fields) - PLAN_FIELDS
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    for key, value in fields.items():
        setattr(plan, key, value)
    plan.school_types = sorted(set(plan.school_types or []))
    plan.full_clean()
    _check_plan_scope(actor, plan)
    plan.save()
    _audit(actor, "inspection.plan_update", plan, request=request)
    return plan


def plan_draw(
    *,
    actor: Any,
    plan: InspectionPlan,
    seed: str | None = None,
    request: HttpRequest | None = None,
) -> InspectionPlan:
    """Draw the schools and their inspectors, publish-ready; the plan is then locked.

    ``seed`` is for tests and the demo; normally 256 fresh bits from ``secrets``. A draw
    that cannot be made raises DrawError (audited as a failure) and changes nothing.
    """
    try:
        with transaction.atomic():
            locked = (
                InspectionPlan.objects.select_for_update().select_related("pool").get(pk=plan.pk)
            )
            if not locked.is_draft:
                raise PlanLocked(_("该计划已抽取或已撤销，不能重新抽取"))
            inputs = plan_draw_inputs(locked, seed=seed or new_seed())
            drawn = run_draw(inputs)
            schools = dict(
                School.objects.filter(code__in=[t.school for t in drawn]).values_list("code", "id")
            )
            targets = InspectionTarget.objects.bulk_create(
                [
                    InspectionTarget(plan=locked, school_id=schools[t.school], position=t.position)
                    for t in drawn
                ]
            )
            if any(t.pk is None for t in targets):  # backends without RETURNING
                targets = list(InspectionTarget.objects.filter(plan=locked).order_by("position"))
            InspectionAssignment.objects.bulk_create(
                [
                    InspectionAssignment(target=target, inspector_id=inspector_id, position=k)
                    for target, t in zip(targets, drawn, strict=True)
                    for k, inspector_id in enumerate(t.inspectors, start=1)
                ]
            )
            locked.status = PlanStatus.DRAWN
            locked.seed = inputs.seed
            locked.algorithm = inputs.algorithm
            locked.inputs = inputs.to_dict()
            locked.drawn_at = timezone.now()
            locked.drawn_by = actor if getattr(actor, "is_authenticated", False) else None
            locked.save()
            _audit(
                actor,
                "inspection.plan_draw",
                locked,
                request=request,
                details={
                    "seed": inputs.seed,
                    "algorithm": inputs.algorithm,
                    "candidates": len(inputs.schools),
                    "inspectors": len(inputs.inspectors),
                    "result": result_as_data(drawn),
                },
            )
            return locked
    except DrawError as exc:
        _audit(
            actor,
            "inspection.plan_draw",
            plan,
            request=request,
            result="failure",
            details={"reason": exc.message},
        )
        raise


@transaction.atomic
def plan_publish(
    *, actor: Any, plan: InspectionPlan, request: HttpRequest | None = None
) -> InspectionPlan:
    """Make the draw public (schools, inspectors, seed and inputs)."""
    plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAWN:
        raise ValidationError(_("只有已抽取的计划可以公开"))
    if plan.published_at is None:
        plan.published_at = timezone.now()
        plan.save(update_fields=["published_at"])
        _audit(actor, "inspection.plan_publish", plan, request=request)
    return plan


@transaction.atomic
def plan_cancel(
    *, actor: Any, plan: InspectionPlan, reason: str, request: HttpRequest | None = None
) -> InspectionPlan:
    """Cancel a plan, drawn or not. The reason is recorded, audited and — for a
    published plan — shown on the public page next to the draw it cancels."""
    plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    reason = reason.strip()
    if plan.status == PlanStatus.CANCELLED:
        raise ValidationError(_("该计划已撤销"))
    if len(reason) < 4:
        raise ValidationError({"reason": _("请填写撤销原因（至少4个字）")})
    previous = plan.status
    plan.status = PlanStatus.CANCELLED
    plan.cancel_reason = reason[:255]
    plan.cancelled_at = timezone.now()
    plan.full_clean()
    plan.save()
    _audit(
        actor,
        "inspection.plan_cancel",
        plan,
        request=request,
        details={"reason": plan.cancel_reason, "previous_status": previous, "seed": plan.seed},
    )
    return plan


# ------------------------------------------------------------------------ results

RESULT_FIELDS = {
    "inspected_on",
    "findings",
    "conclusion",
    "rectification",
    "rectification_deadline",
}


@transaction.atomic
def result_record(
    *,
    actor: Any,
    target: InspectionTarget,
    request: HttpRequest | None = None,
    **fields: Any,
) -> InspectionResult:
    """Record (or correct, until published) the result of one inspected school."""
    unknown = set(fields) - RESULT_FIELDS
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    plan = InspectionPlan.objects.select_for_update().get(pk=target.plan_id)
    if plan.status != PlanStatus.DRAWN:
        raise ValidationError(_("只有已抽取且未撤销的计划可以录入检查结果"))
    result = InspectionResult.objects.filter(target=target).first()
    created = result is None
    if result is None:
        result = InspectionResult(target=target)
    elif result.is_published:
        raise ValidationError(_("检查结果已公开，不能再修改"))
    for key, value in fields.items():
        setattr(result, key, value.strip() if isinstance(value, str) else value)
    if result.conclusion == "pass" and not result.rectification:
        result.rectification_deadline = None
    result.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    result.full_clean()
    result.save()
    _audit(
        actor,
        "inspection.result_record",
        result,
        request=request,
        details={
            "plan": plan.pk,
            "school": target.school_id,
            "conclusion": result.conclusion,
            "created": created,
        },
    )
    return result


@transaction.atomic
def result_publish(
    *, actor: Any, target: InspectionTarget, request: HttpRequest | None = None
) -> InspectionResult:
    plan = InspectionPlan.objects.select_for_update().get(pk=target.plan_id)
    result = InspectionResult.objects.filter(target=target).first()
    if result is None:
        raise ValidationError(_("请先录入检查结果"))
    if plan.status != PlanStatus.DRAWN:
        raise ValidationError(_("计划已撤销，结果不能公开"))
    if plan.published_at is None:
        raise ValidationError(_("请先公开抽查名单，再公开检查结果"))
    if result.published_at is None:
        result.published_at = timezone.now()
        result.save(update_fields=["published_at"])
        _audit(
            actor,
            "inspection.result_publish",
            result,
            request=request,
            details={"plan": plan.pk, "school": target.school_id},
        )
    return result
