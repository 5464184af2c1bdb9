"""Pages of the inspections module (双随机一公开).

Officers' pages require ``inspection.manage`` and read through the scoping primitive
(a plan, pool, inspector or target out of scope answers 404 like a missing one). The
``public_*`` pages need no login and show published plans only.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eduplus.core.audit import audit_record
from eduplus.core.feedback import error_text
from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import require_action
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.inspections import services
from eduplus.inspections.draw import ALGORITHM, DrawError
from eduplus.inspections.forms import (
    CancelForm,
    InspectorForm,
    InspectorImportForm,
    PlanForm,
    PoolForm,
    ResultForm,
)
from eduplus.inspections.models import (
    SUBJECT_SUGGESTIONS,
    InspectionPlan,
    InspectionResult,
    InspectionTarget,
    Inspector,
    InspectorPool,
    PlanStatus,
)
from eduplus.inspections.selectors import (
    plan_draw_preview,
    plan_list,
    plan_targets,
    plan_verification,
    pool_inspectors,
    pool_list,
    public_plans,
    public_targets,
    verify_inputs,
)
from eduplus.regions.models import Region


def _plan(request: HttpRequest, plan_pk: int) -> InspectionPlan:
    return access_object(
        request.user,
        InspectionPlan.objects.select_related("region", "pool", "pool__region"),
        pk=plan_pk,
        request=request,
    )


# --------------------------------------------------------------------------- plans


@require_action(Action.INSPECTION_MANAGE)
def home(request: HttpRequest) -> HttpResponse:
    """The officer's plan list (抽查计划)."""
    status = request.GET.get("status", "")
    q = request.GET.get("q", "")[:64]
    page = paginate(request, plan_list(request.user, status=status, q=q))
    return render(
        request,
        "inspections/home.html",
        {
            "page": page,
            "status": status if status in PlanStatus.values else "",
            "q": q,
            "statuses": PlanStatus.choices,
            "qs": querystring_without_page(request),
            "has_pools": pool_list(request.user).exists(),
        },
    )


def _plan_fields(form: PlanForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "subject": data["subject"],
        "region": data["region"],
        "pool": data["pool"],
        "school_types": list(data["school_types"]),
        "urban_rural": data["urban_rural"] or "",
        "teaching_points": data["teaching_points"],
        "school_count": data["school_count"] or None,
        "school_percent": data["school_percent"] or None,
        "inspectors_per_school": data["inspectors_per_school"],
        "starts_on": data["starts_on"],
        "ends_on": data["ends_on"],
    }


def _plan_form_page(
    request: HttpRequest, form: PlanForm, plan: InspectionPlan | None
) -> HttpResponse:
    return render(
        request,
        "inspections/plan_form.html",
        {"form": form, "plan": plan, "subjects": SUBJECT_SUGGESTIONS},
    )


@require_action(Action.INSPECTION_MANAGE)
def plan_create(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, request=request, **_plan_fields(form))
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("抽查计划已创建。核对候选范围后即可抽取。"))
            return redirect("inspections:plan_detail", plan_pk=plan.pk)
    return _plan_form_page(request, form, None)


@require_action(Action.INSPECTION_MANAGE)
def plan_edit(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = _plan(request, plan_pk)
    if not plan.is_draft:
        messages.error(request, _("计划已抽取或已撤销，不能再修改"))
        return redirect("inspections:plan_detail", plan_pk=plan.pk)
    initial = {
        "title": plan.title,
        "subject": plan.subject,
        "region": plan.region_id,
        "pool": plan.pool_id,
        "school_types": plan.school_types,
        "urban_rural": plan.urban_rural,
        "teaching_points": plan.teaching_points,
        "school_count": plan.school_count,
        "school_percent": plan.school_percent,
        "inspectors_per_school": plan.inspectors_per_school,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
    }
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(
                actor=request.user, plan=plan, request=request, **_plan_fields(form)
            )
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("计划已保存"))
            return redirect("inspections:plan_detail", plan_pk=plan.pk)
    return _plan_form_page(request, form, plan)


@require_action(Action.INSPECTION_MANAGE)
def plan_detail(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = _plan(request, plan_pk)
    context: dict[str, Any] = {"plan": plan, "cancel_form": CancelForm()}
    if plan.is_draft:
        context["preview"] = plan_draw_preview(plan)
    else:
        context["targets"] = list(plan_targets(plan))
        context["recorded"] = sum(1 for t in context["targets"] if _result(t) is not None)
    return render(request, "inspections/plan_detail.html", context)


def _result(target: InspectionTarget) -> InspectionResult | None:
    try:
        return target.result
    except InspectionResult.DoesNotExist:
        return None


@require_action(Action.INSPECTION_MANAGE)
@require_POST
def plan_draw(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = _plan(request, plan_pk)
    try:
        services.plan_draw(actor=request.user, plan=plan, request=request)
    except DrawError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, _("抽取完成，计划已锁定。请核对后“公开抽查名单”，公众即可复核抽取过程。")
        )
    return redirect("inspections:plan_detail", plan_pk=plan.pk)


@require_action(Action.INSPECTION_MANAGE)
@require_POST
def plan_publish(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = _plan(request, plan_pk)
    try:
        services.plan_publish(actor=request.user, plan=plan, request=request)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("抽查名单、随机种子和抽取输入已公开"))
    return redirect("inspections:plan_detail", plan_pk=plan.pk)


@require_action(Action.INSPECTION_MANAGE)
@require_POST
def plan_cancel(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = _plan(request, plan_pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写撤销原因（至少4个字）"))
        return redirect("inspections:plan_detail", plan_pk=plan.pk)
    try:
        services.plan_cancel(
            actor=request.user, plan=plan, reason=form.cleaned_data["reason"], request=request
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("计划已撤销，原因已记录"))
    return redirect("inspections:plan_detail", plan_pk=plan.pk)


@require_action(Action.INSPECTION_MANAGE)
def plan_verify(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = _plan(request, plan_pk)
    return render(
        request,
        "inspections/verify.html",
        {"plan": plan, "verification": plan_verification(plan), "public": False},
    )


@require_action(Action.INSPECTION_MANAGE)
def plan_export(request: HttpRequest, plan_pk: int) -> HttpResponse:
    """The drawn schools, inspectors and results as CSV (UTF-8 BOM for Excel)."""
    plan = _plan(request, plan_pk)
    audit_record(
        actor=request.user,
        action="inspection.plan_export",
        target_type="inspections.inspectionplan",
        target_id=str(plan.pk),
        target_repr=plan.title,
        request=request,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = dt.date.today().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="inspection-{plan.pk}-{stamp}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("顺序"),
            _("学校标识码"),
            _("学校名称"),
            _("所在地"),
            _("检查人员"),
            _("检查日期"),
            _("检查结论"),
            _("整改要求"),
            _("整改期限"),
            _("结果已公开"),
        ]
    )
    for target in plan_targets(plan) if not plan.is_draft else []:
        result = _result(target)
        writer.writerow(
            [
                target.position,
                target.school.code,
                target.school.name,
                target.school.region.name,
                "、".join(
                    f"{a.inspector.name}（{a.inspector.organisation}）"
                    for a in target.assignments.all()
                ),
                result.inspected_on.isoformat() if result else "",
                result.get_conclusion_display() if result else "",
                result.rectification if result else "",
                result.rectification_deadline.isoformat()
                if result and result.rectification_deadline
                else "",
                _("是") if result and result.is_published else _("否"),
            ]
        )
    return response


# ------------------------------------------------------------------------- results


def _target(request: HttpRequest, target_pk: int) -> InspectionTarget:
    return access_object(
        request.user,
        InspectionTarget.objects.select_related("plan", "plan__region", "school", "school__region"),
        pk=target_pk,
        request=request,
    )


@require_action(Action.INSPECTION_MANAGE)
def result_edit(request: HttpRequest, target_pk: int) -> HttpResponse:
    target = _target(request, target_pk)
    result = _result(target)
    initial = (
        {
            "inspected_on": result.inspected_on,
            "findings": result.findings,
            "conclusion": result.conclusion,
            "rectification": result.rectification,
            "rectification_deadline": result.rectification_deadline,
        }
        if result
        else {"inspected_on": dt.date.today()}
    )
    form = ResultForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.result_record(
                actor=request.user, target=target, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("检查结果已保存。核对无误后可点“公开结果”。"))
            return redirect("inspections:plan_detail", plan_pk=target.plan_id)
    assignments = target.assignments.select_related("inspector").order_by("position")
    return render(
        request,
        "inspections/result_form.html",
        {"target": target, "plan": target.plan, "result": result, "form": form,
         "assignments": assignments},
    )  # fmt: skip


@require_action(Action.INSPECTION_MANAGE)
@require_POST
def result_publish(request: HttpRequest, target_pk: int) -> HttpResponse:
    target = _target(request, target_pk)
    try:
        services.result_publish(actor=request.user, target=target, request=request)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("检查结果已公开"))
    return redirect("inspections:plan_detail", plan_pk=target.plan_id)


# --------------------------------------------------------------------------- pools


@require_action(Action.INSPECTION_MANAGE)
def pools(request: HttpRequest) -> HttpResponse:
    form = PoolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            pool = services.pool_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("检查人员库已创建，请添加或导入检查人员"))
            return redirect("inspections:pool_detail", pool_pk=pool.pk)
    return render(
        request, "inspections/pools.html", {"pools": list(pool_list(request.user)), "form": form}
    )


def _pool(request: HttpRequest, pool_pk: int) -> InspectorPool:
    return access_object(
        request.user, InspectorPool.objects.select_related("region"), pk=pool_pk, request=request
    )


@require_action(Action.INSPECTION_MANAGE)
def pool_detail(request: HttpRequest, pool_pk: int) -> HttpResponse:
    pool = _pool(request, pool_pk)
    form = InspectorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.inspector_create(
                actor=request.user, pool=pool, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("已添加检查人员"))
            return redirect("inspections:pool_detail", pool_pk=pool.pk)
    q = request.GET.get("q", "")[:64]
    page = paginate(request, pool_inspectors(request.user, pool, q=q))
    return render(
        request,
        "inspections/pool_detail.html",
        {
            "pool": pool,
            "page": page,
            "q": q,
            "qs": querystring_without_page(request),
            "form": form,
            "import_form": InspectorImportForm(),
            "counties": Region.objects.visible_to(request.user).filter(level=3).order_by("code"),
            "import_header": services.IMPORT_HEADER,
        },
    )


@require_action(Action.INSPECTION_MANAGE)
@require_POST
def pool_import(request: HttpRequest, pool_pk: int) -> HttpResponse:
    pool = _pool(request, pool_pk)
    form = InspectorImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要导入的文件（CSV、xlsx 或 xls）"))
        return redirect("inspections:pool_detail", pool_pk=pool.pk)
    upload = form.cleaned_data["file"]
    try:
        report = services.inspector_import(
            actor=request.user, pool=pool, source=upload, filename=upload.name, request=request
        )
    except services.InspectorImportError as exc:
        messages.error(request, str(exc))
        return redirect("inspections:pool_detail", pool_pk=pool.pk)
    messages.success(
        request,
        _("读取 %(rows)d 行：新增 %(created)d 人，已在库中 %(skipped)d 人，有误 %(errors)d 行")
        % {
            "rows": report.rows_read,
            "created": report.created,
            "skipped": report.skipped,
            "errors": len(report.errors),
        },
    )
    for error in report.errors[:20]:
        messages.error(request, _("第 %(row)s 行：%(reason)s") % error)
    return redirect("inspections:pool_detail", pool_pk=pool.pk)


@require_action(Action.INSPECTION_MANAGE)
def inspector_edit(request: HttpRequest, inspector_pk: int) -> HttpResponse:
    inspector = access_object(
        request.user,
        Inspector.objects.select_related("pool", "home_region", "home_school"),
        pk=inspector_pk,
        request=request,
    )
    initial = {
        "name": inspector.name,
        "organisation": inspector.organisation,
        "home_region": inspector.home_region_id,
        "home_school": inspector.home_school.code if inspector.home_school else "",
        "specialty": inspector.specialty,
    }
    form = InspectorForm(request.POST or None, initial=initial)
    if request.method == "POST" and "active" in request.POST:
        services.inspector_update(
            actor=request.user,
            inspector=inspector,
            request=request,
            active=request.POST["active"] == "1",
        )
        messages.success(
            request, _("已恢复入库") if inspector.active else _("已移出人员库（历史抽取记录保留）")
        )
        return redirect("inspections:pool_detail", pool_pk=inspector.pool_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.inspector_update(
                actor=request.user, inspector=inspector, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("检查人员信息已保存"))
            return redirect("inspections:pool_detail", pool_pk=inspector.pool_id)
    return render(
        request, "inspections/inspector_form.html", {"inspector": inspector, "form": form}
    )


# -------------------------------------------------------------------------- public


def _public_plan(public_plan_pk: int) -> InspectionPlan:
    plan = public_plans().filter(pk=public_plan_pk).first()
    if plan is None:
        raise Http404("not published")
    return plan


def public_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, public_plans(), 20)
    return render(request, "inspections/public_list.html", {"page": page, "qs": ""})


def public_plan(request: HttpRequest, public_plan_pk: int) -> HttpResponse:
    plan = _public_plan(public_plan_pk)
    return render(
        request,
        "inspections/public_plan.html",
        {
            "plan": plan,
            "rows": public_targets(plan),
            "inputs_summary": _inputs_summary(plan),
            "algorithm": ALGORITHM,
        },
    )


def _inputs_summary(plan: InspectionPlan) -> dict[str, Any]:
    inputs = plan.inputs or {}
    return {
        "candidates": len(inputs.get("schools", [])),
        "inspectors": len(inputs.get("inspectors", [])),
        "school_count": inputs.get("school_count"),
        "per_school": inputs.get("inspectors_per_school"),
        "school_codes": [s.get("code", "") for s in inputs.get("schools", [])],
    }


def public_inputs(request: HttpRequest, public_plan_pk: int) -> JsonResponse:
    """The exact published inputs of a draw, to re-run it anywhere."""
    plan = _public_plan(public_plan_pk)
    response = JsonResponse(plan.inputs, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'inline; filename="draw-inputs-{plan.pk}.json"'
    return response


MAX_PASTED_INPUTS = 2_000_000  # characters: a province-wide draw fits comfortably


def public_verify(request: HttpRequest) -> HttpResponse:
    """Re-run a published draw (pick a plan) or any pasted inputs, without login."""
    plans = list(public_plans().exclude(inputs={})[:200])
    context: dict[str, Any] = {"plans": plans, "public": True, "algorithm": ALGORITHM}
    plan_id = request.GET.get("plan", "")
    if plan_id.isdigit():
        plan = public_plans().filter(pk=int(plan_id)).first()
        if plan is not None:
            context["plan"] = plan
            context["verification"] = plan_verification(plan)
        else:
            context["error"] = _("没有该编号的已公开计划")
    elif request.method == "POST":
        text = request.POST.get("inputs", "")[:MAX_PASTED_INPUTS]
        context["pasted"] = text
        try:
            data = json.loads(text)
        except ValueError:
            context["error"] = _("粘贴的内容不是有效的 JSON")
        else:
            context["verification"] = verify_inputs(data)
    return render(request, "inspections/verify.html", context)
