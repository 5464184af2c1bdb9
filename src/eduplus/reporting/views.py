"""Pages of the reporting module (通用信息报送).

Officers: forms (design), tasks (assign, progress by region, reminders, results,
exports), review (sign off or return). Schools: their inbox and the fill-in page.
Every object is fetched through ``access_object`` (404 for missing and forbidden alike).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eduplus.core.audit import audit_record
from eduplus.core.feedback import flash_errors
from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.regions.models import Region
from eduplus.reporting import exports, selectors, services
from eduplus.reporting.forms import (
    FieldAddForm,
    ReportFormCreateForm,
    ReturnForm,
    RuleAddForm,
    TaskAssignForm,
)
from eduplus.reporting.models import FieldKind, ReportTask, Submission, SubmissionStatus
from eduplus.reporting.values import display_value, raw_from_values

REPORT_ACTIONS = (Action.REPORT_DESIGN, Action.REPORT_REVIEW, Action.REPORT_FILL)


def home(request: HttpRequest) -> HttpResponse:
    """Officers land on their tasks, school administrators on their inbox.

    Open to any logged-in user for the route walk's sake (it knows one action per
    route); a user holding none of the report actions gets the 404 a missing page gets.
    """
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if user_can(request.user, Action.REPORT_REVIEW):
        return redirect("reporting:tasks")
    if user_can(request.user, Action.REPORT_FILL):
        return redirect("reporting:inbox")
    audit_record(
        actor=request.user,
        action="permission.denied",
        result="denied",
        target_type="action",
        target_id=Action.REPORT_FILL,
        target_repr=request.path[:255],
        request=request,
    )
    raise Http404("no report action")


# -------------------------------------------------------------------- officers: tasks


@require_action(Action.REPORT_REVIEW)
def task_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:64]
    page = paginate(request, selectors.task_list(request.user, q=q))
    progress = selectors.task_progress(request.user, [t.pk for t in page.object_list])
    rows = [(t, progress.get(t.pk, selectors.Progress())) for t in page.object_list]
    return render(
        request,
        "reporting/tasks.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "qs": querystring_without_page(request),
            "can_design": user_can(request.user, Action.REPORT_DESIGN),
        },
    )


def _task(request: HttpRequest, task_pk: int) -> ReportTask:
    return access_object(
        request.user,
        ReportTask.objects.select_related("form", "region", "created_by"),
        pk=task_pk,
        request=request,
    )


@require_action(Action.REPORT_REVIEW)
def task_detail(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task(request, task_pk)
    region = selectors.resolve_region(request.user, task, request.GET.get("region", ""))
    rows = selectors.rates_by_region(request.user, task, region)
    status = request.GET.get("status", "")
    status = status if status in selectors.STATUS_FILTERS else ""
    q = request.GET.get("q", "")[:64]
    page = paginate(
        request,
        selectors.submission_list(request.user, task, status=status, region=region.code, q=q),
    )
    default_code = selectors.default_region_code(request.user, task)
    crumbs = [
        r
        for r in Region.objects.filter(code__in=region.ancestor_codes()).order_by("code")
        if len(r.code) >= len(default_code)
    ]
    return render(
        request,
        "reporting/task_detail.html",
        {
            "task": task,
            "region": region,
            "crumbs": crumbs,
            "rows": rows,
            "total": selectors.progress_total(rows),
            "page": page,
            "status": status,
            "q": q,
            "qs": querystring_without_page(request),
            "status_choices": [
                ("unreported", _("未报送（含草稿、退回）")),
                ("reported", _("已报送")),
                *SubmissionStatus.choices,
            ],
            "overdue": task.deadline < timezone.localdate(),
        },
    )


@require_POST
@require_action(Action.REPORT_REVIEW)
def task_remind(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task(request, task_pk)
    try:
        n = services.task_remind(
            actor=request.user,
            task=task,
            message=request.POST.get("message", "")[:500],
            request=request,
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        if n:
            messages.success(
                request,
                _("已向 %(n)d 所未报送的学校发送站内提醒（本平台暂无短信、邮件通道）") % {"n": n},
            )
        else:
            messages.info(request, _("所有学校均已报送，无需提醒"))
    return redirect("reporting:task", task_pk=task.pk)


@require_action(Action.REPORT_REVIEW)
def task_results(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task(request, task_pk)
    region = selectors.resolve_region(request.user, task, request.GET.get("region", ""))
    results = selectors.task_results(request.user, task, region)
    by_region = [
        (code, name, n, [sums.get(f.code) for f in results.numeric_fields])
        for code, name, n, sums in results.by_region
    ]
    return render(
        request,
        "reporting/results.html",
        {
            "task": task,
            "region": region,
            "results": results,
            "by_region": by_region,
            "drill": region.level < 3,
        },
    )


def _export(request: HttpRequest, task_pk: int, kind: str) -> HttpResponse:
    task = _task(request, task_pk)
    subs = selectors.submissions_of(request.user, task)
    audit_record(
        actor=request.user,
        action="report.export",
        target_type="reporting.reporttask",
        target_id=str(task.pk),
        target_repr=task.title,
        request=request,
        details={"format": kind},
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    if kind == "xlsx":
        response = HttpResponse(
            exports.xlsx_bytes(task, subs),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(
            exports.csv_bytes(task, subs), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="report-{task.pk}-{stamp}.{kind}"'
    return response


@require_action(Action.REPORT_REVIEW)
def task_export_csv(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _export(request, task_pk, "csv")


@require_action(Action.REPORT_REVIEW)
def task_export_xlsx(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _export(request, task_pk, "xlsx")


# -------------------------------------------------------------------- officers: forms


@require_action(Action.REPORT_DESIGN)
def form_list(request: HttpRequest) -> HttpResponse:
    create = ReportFormCreateForm(request.POST or None)
    if request.method == "POST" and create.is_valid():
        try:
            form = services.form_create(
                actor=request.user,
                title=create.cleaned_data["title"],
                description=create.cleaned_data["description"],
                request=request,
            )
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("表单已创建，请添加字段"))
            return redirect("reporting:form", form_pk=form.pk)
    page = paginate(request, selectors.form_list(request.user))
    return render(request, "reporting/forms.html", {"page": page, "create": create})


def _apply_form_errors(target: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            target.add_error(name if name in target.fields else None, errs)
    else:
        target.add_error(None, exc.messages)


@require_action(Action.REPORT_DESIGN)
def form_detail(request: HttpRequest, form_pk: int) -> HttpResponse:
    form = access_object(
        request.user, selectors.form_detail_queryset(), pk=form_pk, request=request
    )
    op = request.POST.get("op", "") if request.method == "POST" else ""
    field_form = FieldAddForm(request.POST if op == "add_field" else None, prefix="field")
    rule_form = RuleAddForm(request.POST if op == "add_rule" else None, prefix="rule")
    if request.method == "POST":
        try:
            if op == "add_field":
                if field_form.is_valid():
                    data = field_form.cleaned_data
                    services.form_field_add(actor=request.user, form=form, request=request, **data)
                    messages.success(request, _("已添加字段“%(label)s”") % {"label": data["label"]})
                    return redirect("reporting:form", form_pk=form.pk)
            elif op == "add_rule":
                if rule_form.is_valid():
                    services.form_rule_add(
                        actor=request.user, form=form, request=request, **rule_form.cleaned_data
                    )
                    messages.success(request, _("已添加校验规则"))
                    return redirect("reporting:form", form_pk=form.pk)
            elif op in ("delete_field", "delete_rule"):
                try:
                    target_id = int(request.POST.get("id", ""))
                except ValueError:
                    raise ValidationError(_("请选择要删除的项目")) from None
                if op == "delete_field":
                    services.form_field_delete(
                        actor=request.user, form=form, field_id=target_id, request=request
                    )
                else:
                    services.form_rule_delete(
                        actor=request.user, form=form, rule_id=target_id, request=request
                    )
                messages.success(request, _("已删除"))
                return redirect("reporting:form", form_pk=form.pk)
            elif op == "new_version":
                copy = services.form_new_version(actor=request.user, form=form, request=request)
                messages.success(
                    request, _("已创建第 %(v)d 版，可以修改后再发布") % {"v": copy.version}
                )
                return redirect("reporting:form", form_pk=copy.pk)
            else:
                messages.error(request, _("请选择要进行的操作"))
                return redirect("reporting:form", form_pk=form.pk)
        except ValidationError as exc:
            if op == "add_field":
                _apply_form_errors(field_form, exc)
            elif op == "add_rule":
                _apply_form_errors(rule_form, exc)
            else:
                flash_errors(request, exc)
                return redirect("reporting:form", form_pk=form.pk)
    fields = list(form.fields.all())
    return render(
        request,
        "reporting/form_detail.html",
        {
            "form_obj": form,
            "fields": fields,
            "rules": list(form.rules.all()),
            "field_form": field_form,
            "rule_form": rule_form,
            "numeric_codes": [f.code for f in fields if f.is_numeric],
            "tasks": ReportTask.objects.visible_to(request.user).filter(form=form)[:20],
        },
    )


@require_action(Action.REPORT_DESIGN)
def task_create(request: HttpRequest, form_pk: int) -> HttpResponse:
    form = access_object(
        request.user, selectors.form_detail_queryset(), pk=form_pk, request=request
    )
    assign = TaskAssignForm(
        request.POST or None,
        initial={"title": form.title, "period": f"{timezone.localdate():%Y}年度"},
    )
    preview: int | None = None
    if request.method == "POST" and assign.is_valid():
        data = assign.cleaned_data
        targets = services.TaskTargets(
            school_types=tuple(data["school_types"]),
            urban_rural=data["urban_rural"],
            school_codes=tuple(data["school_codes"]),
            exclude_teaching_points=data["exclude_teaching_points"],
        )
        if request.POST.get("preview"):
            preview = services.target_schools(request.user, targets).count()
        else:
            try:
                task = services.task_assign(
                    actor=request.user,
                    form=form,
                    title=data["title"],
                    period=data["period"],
                    deadline=data["deadline"],
                    targets=targets,
                    request=request,
                )
            except ValidationError as exc:
                _apply_form_errors(assign, exc)
            else:
                messages.success(
                    request,
                    _("任务已发布给 %(n)d 所学校；表单已锁定，如需修改请创建新版本")
                    % {"n": task.submissions.count()},
                )
                return redirect("reporting:task", task_pk=task.pk)
    return render(
        request,
        "reporting/task_create.html",
        {"form_obj": form, "assign": assign, "preview": preview},
    )


# ------------------------------------------------------------------ officers: review


def _field_rows(sub: Submission, raw: dict[str, Any], errors: dict[str, list[str]]) -> list[Any]:
    return [
        {
            "field": f,
            "raw": raw.get(f.code, [] if f.kind == FieldKind.MULTICHOICE else ""),
            "errors": errors.get(f.code, []),
            "shown": display_value(f, (sub.values or {}).get(f.code)),
        }
        for f in sub.task.form.fields.all()
    ]


@require_action(Action.REPORT_REVIEW)
def submission_review(request: HttpRequest, submission_pk: int) -> HttpResponse:
    sub = access_object(
        request.user, selectors.submission_detail_queryset(), pk=submission_pk, request=request
    )
    return_form = ReturnForm(request.POST if request.POST.get("op") == "return" else None)
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "sign_off":
                sub = services.submission_sign_off(
                    actor=request.user,
                    submission=sub,
                    note=request.POST.get("note", "")[:500],
                    request=request,
                )
                messages.success(request, _("已审核通过：%(s)s") % {"s": sub.status_label})
                return redirect("reporting:review", submission_pk=sub.pk)
            if op == "return":
                if return_form.is_valid():
                    services.submission_return(
                        actor=request.user,
                        submission=sub,
                        reason=return_form.cleaned_data["reason"],
                        request=request,
                    )
                    messages.success(request, _("已退回学校修改"))
                    return redirect("reporting:review", submission_pk=sub.pk)
            else:
                messages.error(request, _("请选择审核通过或退回修改"))
                return redirect("reporting:review", submission_pk=sub.pk)
        except ValidationError as exc:
            flash_errors(request, exc)
            return redirect("reporting:review", submission_pk=sub.pk)
    return render(
        request,
        "reporting/review.html",
        {
            "sub": sub,
            "task": sub.task,
            "rows": _field_rows(sub, {}, {}),
            "history": selectors.submission_history(sub).select_related(None),
            "can_review": services.can_review(request.user, sub),
            "return_form": return_form,
        },
    )


# ---------------------------------------------------------------------- schools


@require_action(Action.REPORT_FILL)
def inbox(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.inbox(request.user))
    return render(
        request,
        "reporting/inbox.html",
        {"page": page, "today": timezone.localdate(), "qs": querystring_without_page(request)},
    )


@require_action(Action.REPORT_FILL)
def submission_fill(request: HttpRequest, submission_pk: int) -> HttpResponse:
    sub = access_object(
        request.user, selectors.submission_detail_queryset(), pk=submission_pk, request=request
    )
    if not services.can_fill(request.user, sub):
        raise Http404("not the school's administrator")
    fields = list(sub.task.form.fields.all())
    raw: dict[str, Any] = raw_from_values(fields, sub.values or {})
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        posted = {f.code: request.POST.getlist(f"f_{f.code}") for f in fields}
        submit = request.POST.get("op") == "submit"
        try:
            sub = services.submission_save(
                actor=request.user, submission=sub, raw=posted, submit=submit, request=request
            )
        except services.SubmissionInvalid as exc:
            raw, errors = exc.cleaned.raw, exc.cleaned.errors
            messages.error(request, str(exc))
        except ValidationError as exc:
            flash_errors(request, exc)
            return redirect("reporting:fill", submission_pk=sub.pk)
        else:
            if submit:
                text = _("已提交，等待审核")
                if sub.is_late:
                    text += _("（已过截止日期，记为逾期提交）")
                messages.success(request, text)
            else:
                messages.success(request, _("草稿已保存"))
            return redirect("reporting:fill", submission_pk=sub.pk)
    return render(
        request,
        "reporting/fill.html",
        {
            "sub": sub,
            "task": sub.task,
            "rows": _field_rows(sub, raw, errors),
            "form_errors": errors.get("", []),
            "reminders": list(selectors.reminders_of(sub)[:5]),
            "history": selectors.submission_history(sub),
            "overdue": sub.task.deadline < timezone.localdate(),
        },
    )
