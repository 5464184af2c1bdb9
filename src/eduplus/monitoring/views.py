"""Monitoring pages: region dashboards with drill-down, an indicator's breakdown (the
counts behind every percentage), a school's facts with history and evidence, facts
entry and import, campus assessment, the indicator catalogue."""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.permissions import deny, require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object, scope_for
from eduplus.monitoring import selectors as sel
from eduplus.monitoring.expressions import FIELDS
from eduplus.monitoring.models import (
    CampusStandard,
    FactsEvidence,
    FactsSource,
    Indicator,
    IndicatorTarget,
    PolicyDocument,
    SchoolFacts,
    facts_field,
    facts_field_names,
)
from eduplus.monitoring.services import (
    INDICATOR_FIELDS,
    FactsImportError,
    campus_assess,
    document_create,
    evidence_add,
    facts_import,
    facts_save,
    indicator_save,
    indicators_compute,
    parse_fact,
    target_delete,
    target_save,
)
from eduplus.regions.models import Region, RegionLevel
from eduplus.regions.selectors import region_breadcrumb, region_root_for
from eduplus.schools.codes import SchoolType
from eduplus.schools.models import School


def _year(request: HttpRequest, years: list[int]) -> int | None:
    text = request.GET.get("year", "")
    if text.isdigit() and int(text) in years:
        return int(text)
    return years[0] if years else None


@require_action(Action.MONITORING_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    """Officers start at their region; a school administrator at their school."""
    root = region_root_for(request.user)
    if root is not None:
        return redirect("monitoring:region", region_code=root.code)
    school_ids = sorted(scope_for(request.user).school_ids)
    school = (
        School.objects.visible_to(request.user)
        .filter(parent_school__isnull=True, pk__in=school_ids)
        .first()
    )
    if school is not None:
        return redirect("monitoring:school", school_pk=school.pk)
    raise Http404("no region or school in scope")


def _tiles(
    user: Any, region: Region, year: int, statuses: list[sel.Status]
) -> list[dict[str, Any]]:
    """The schematic tile map: each sub-region with how many targets it meets."""
    if region.level >= RegionLevel.COUNTY:
        return []
    with_target = [s for s in statuses if s.target is not None]
    children = list(Region.objects.visible_to(user).filter(parent=region).order_by("code"))
    values = sel.children_values(user, region, year)
    met: dict[str, int] = {c.code: 0 for c in children}
    known: dict[str, int] = {c.code: 0 for c in children}
    for child in children:
        for status in with_target:
            value = values.get(child.code, {}).get(status.indicator.pk)
            if value is not None:
                known[child.code] += 1
                if round(value, 1) >= float(status.target.value):  # type: ignore[union-attr]
                    met[child.code] += 1
    tiles = []
    for child in children:
        n = known[child.code]
        share = met[child.code] / n if n else None
        band = (
            "none"
            if share is None
            else ("good" if share >= 0.999 else "mid" if share >= 0.6 else "low")
        )
        tiles.append({"region": child, "met": met[child.code], "known": n, "band": band})
    return tiles


@require_action(Action.MONITORING_VIEW)
def region_dashboard(request: HttpRequest, region_code: str) -> HttpResponse:
    region = access_object(request.user, Region, code=region_code, request=request)
    years = sel.value_years(request.user)
    year = _year(request, years)
    context: dict[str, Any] = {
        "region": region,
        "breadcrumb": region_breadcrumb(request.user, region),
        "years": years,
        "year": year,
        "can_import": user_can(request.user, Action.FACTS_IMPORT),
    }
    if year is None:
        return render(request, "monitoring/region.html", context)
    statuses = sel.region_statuses(request.user, region, year)
    trend = sel.region_trend(request.user, region)
    with_target = [s for s in statuses if s.target is not None]
    focus_code = request.GET.get("indicator", "")
    focus = next((s for s in statuses if s.indicator.code == focus_code), None)
    if focus is None:
        missed = [s for s in with_target if s.met is False]
        focus = (
            missed[0]
            if missed
            else (with_target[0] if with_target else (statuses[0] if statuses else None))
        )
    parts = sel.subregion_parts(request.user, region, year, focus.indicator) if focus else []
    lagging, lagging_total = (
        sel.lagging_schools(request.user, region, year, focus.indicator, focus.target_value)
        if focus
        else ([], 0)
    )
    chart = {
        "years": sorted(years),
        "series": [
            {
                "code": s.indicator.code,
                "name": s.indicator.display_name,
                "target": s.target_value,
                "values": [trend.get(s.indicator.pk, {}).get(y) for y in sorted(years)],
            }
            for s in statuses
        ],
        "ranking": {
            "indicator": focus.indicator.display_name if focus else "",
            "target": focus.target_value if focus else None,
            "names": [p.name for p in parts][:40],
            "values": [None if p.value is None else round(p.value, 1) for p in parts][:40],
        },
        "focus": focus.indicator.code if focus else "",
    }
    context.update(
        {
            "statuses": statuses,
            "met": sum(1 for s in with_target if s.met),
            "missed": sum(1 for s in with_target if s.met is False),
            "no_target": sum(1 for s in statuses if s.target is None),
            "focus": focus,
            "parts": parts,
            "lagging": lagging,
            "lagging_total": lagging_total,
            "tiles": _tiles(request.user, region, year, statuses),
            "coverage": sel.region_coverage(request.user, region, year),
            "chart": chart,
        }
    )
    return render(request, "monitoring/region.html", context)


@require_action(Action.MONITORING_VIEW)
def indicator_detail(request: HttpRequest, region_code: str) -> HttpResponse:
    """The counts behind one indicator's value: sub-regions (or schools) with numerator
    and denominator, so anyone can recompute it; downloadable as CSV."""
    region = access_object(request.user, Region, code=region_code, request=request)
    years = sel.value_years(request.user)
    year = _year(request, years)
    catalog = sel.indicators()
    code = request.GET.get("code", "")
    indicator = next((i for i in catalog if i.code == code), None)
    if indicator is None and code:
        raise Http404("unknown indicator")
    indicator = indicator or (catalog[0] if catalog else None)
    if indicator is None or year is None:
        return render(
            request,
            "monitoring/region.html",
            {"region": region, "breadcrumb": region_breadcrumb(request.user, region), "years": []},
        )
    statuses = {s.indicator.pk: s for s in sel.region_statuses(request.user, region, year)}
    status = statuses[indicator.pk]
    parts = sel.subregion_parts(request.user, region, year, indicator)
    target = status.target_value
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{region.code}-{indicator.code}-{year}.csv"'
        )
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(["code", "name", "numerator", "denominator", "value", "target", "met"])
        for p in parts:
            met = "" if p.value is None or target is None else int(round(p.value, 1) >= target)
            value = "" if p.value is None else f"{p.value:.2f}"
            writer.writerow(
                [
                    p.code,
                    p.name,
                    f"{p.numerator:g}",
                    f"{p.denominator:g}",
                    value,
                    "" if target is None else f"{target:g}",
                    met,
                ]
            )
        audit_record(
            actor=request.user,
            action="monitoring.export",
            target_type="monitoring.indicator",
            target_id=indicator.code,
            target_repr=f"{region.code} {year}",
            request=request,
        )
        return response
    trend = sel.region_trend(request.user, region).get(indicator.pk, {})
    lagging, lagging_total = sel.lagging_schools(
        request.user, region, year, indicator, target, limit=50
    )
    return render(
        request,
        "monitoring/indicator.html",
        {
            "region": region,
            "breadcrumb": region_breadcrumb(request.user, region),
            "indicator": indicator,
            "status": status,
            "parts": parts,
            "years": years,
            "year": year,
            "lagging": lagging,
            "lagging_total": lagging_total,
            "trend": [(y, trend.get(y)) for y in sorted(years)],
            "targets": IndicatorTarget.objects.filter(
                indicator=indicator, province_id=region.code[:2]
            )
            .select_related("document")
            .order_by("year"),
            "chart": {
                "years": sorted(years),
                "values": [trend.get(y) for y in sorted(years)],
                "target": target,
                "name": indicator.display_name,
            },
        },
    )


@require_action(Action.MONITORING_VIEW)
def school_dashboard(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access_object(
        request.user,
        School.objects.select_related("region", "parent_school"),
        pk=school_pk,
        request=request,
    )
    facts_rows = list(sel.school_facts_years(request.user, school).prefetch_related("evidence"))
    years = sorted({*sel.value_years(request.user), *(f.year for f in facts_rows)}, reverse=True)
    year = _year(request, years)
    current = next((f for f in facts_rows if f.year == year), None)
    revisions = _revision_rows(list(current.revisions.all()[:20])) if current is not None else []
    region = school.region
    return render(
        request,
        "monitoring/school.html",
        {
            "school": school,
            "breadcrumb": region_breadcrumb(request.user, region),
            "years": years,
            "year": year,
            "statuses": sel.school_statuses(request.user, school, year) if year else [],
            "facts_rows": facts_rows,
            "current": current,
            "field_rows": _field_rows(facts_rows),
            "revisions": revisions,
            "can_edit": user_can(request.user, Action.FACTS_EDIT),
            "standards": [
                s
                for s in CampusStandard.objects.filter(active=True)
                if s.applies_to(school.school_type)
            ],
        },
    )


def _shown(value: Any) -> str:
    if value is True:
        return str(_("是"))
    if value is False:
        return str(_("否"))
    return "—" if value is None else str(value)


def _revision_rows(revisions: list[Any]) -> list[dict[str, Any]]:
    labels = {n: facts_field(n).verbose_name for n in facts_field_names()}
    return [
        {
            "revision": r,
            "changes": [
                (labels.get(k, k), _shown(r.before.get(k)) if r.before else "", _shown(v))
                for k, v in r.after.items()
            ],
        }
        for r in revisions
    ]


def _field_rows(facts_rows: list[SchoolFacts]) -> list[dict[str, Any]]:
    rows = []
    for name in facts_field_names():
        field = facts_field(name)
        values = []
        for facts in facts_rows:
            values.append(_shown(getattr(facts, name)))
        rows.append({"label": field.verbose_name, "values": values})
    return rows


def _year_param(request: HttpRequest) -> int:
    text = (request.POST.get("year") or request.GET.get("year") or "").strip()
    if not text.isdigit():
        raise Http404("year")
    return int(text)


@require_action(Action.FACTS_EDIT)
def facts_edit(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access_object(request.user, School, pk=school_pk, request=request)
    try:
        year = _year_param(request)
    except Http404:
        year = (sel.value_years(request.user) or [2025])[0]
    facts = SchoolFacts.objects.filter(school=school, year=year).first()
    names = facts_field_names()
    errors: dict[str, str] = {}
    general: list[str] = []
    submitted: dict[str, str] = {}
    if request.method == "POST":
        values: dict[str, Any] = {}
        for name in names:
            submitted[name] = request.POST.get(name, "")
            try:
                values[name] = parse_fact(name, submitted[name])
            except ValueError as exc:
                errors[name] = str(exc)
        reason = request.POST.get("reason", "").strip()
        if facts is not None and not reason:
            errors["reason"] = _("修改已有数据须说明原因")
        upload = request.FILES.get("evidence")
        if not errors:
            source = (
                FactsSource.ENTERED
                if user_can(request.user, Action.REPORT_FILL)
                else FactsSource.CORRECTED
            )
            try:
                # Facts and their evidence together: a refused file saves nothing.
                with transaction.atomic():
                    saved = facts_save(
                        school=school,
                        year=year,
                        values=values,
                        actor=request.user,
                        source=source,
                        reason=reason,
                        request=request,
                    )
                    if upload is not None:
                        evidence_add(
                            facts=saved,
                            upload=upload,
                            description=request.POST.get("evidence_note", ""),
                            actor=request.user,
                            request=request,
                        )
                    indicators_compute(year=year, school=school)
            except ValidationError as exc:
                general = list(exc.messages)
            else:
                messages.success(request, _("已保存 %(year)s 年度信息化数据") % {"year": year})
                return redirect(f"{reverse('monitoring:school', args=[school.pk])}?year={year}")
    else:
        for name in names:
            value = getattr(facts, name) if facts is not None else None
            submitted[name] = (
                ""
                if value is None
                else ("1" if value is True else "0" if value is False else str(value))
            )
    fields = []
    for name in names:
        field = facts_field(name)
        fields.append(
            {
                "name": name,
                "label": field.verbose_name,
                "help": field.help_text,
                "kind": "bool" if field.get_internal_type() == "BooleanField" else "number",
                "value": submitted.get(name, ""),
                "error": errors.get(name, ""),
            }
        )
    return render(
        request,
        "monitoring/facts_edit.html",
        {
            "school": school,
            "year": year,
            "facts": facts,
            "fields": fields,
            "errors": errors,
            "general": general,
            "reason": request.POST.get("reason", ""),
            "breadcrumb": region_breadcrumb(request.user, school.region),
        },
        status=400 if (errors or general) else 200,
    )


@require_action(Action.FACTS_EDIT)
def campus_assess_view(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access_object(request.user, School, pk=school_pk, request=request)
    standards = [
        s
        for s in CampusStandard.objects.filter(active=True).prefetch_related("items")
        if s.applies_to(school.school_type)
    ]
    code = request.POST.get("standard") or request.GET.get("standard") or ""
    standard = next((s for s in standards if s.code == code), standards[0] if standards else None)
    try:
        year = _year_param(request)
    except Http404:
        year = (sel.value_years(request.user) or [2025])[0]
    errors: list[str] = []
    if request.method == "POST" and standard is not None:
        scores = {
            item.code: request.POST.get(f"item_{item.code}", "") for item in standard.items.all()
        }
        try:
            assessment = campus_assess(
                school=school,
                year=year,
                standard=standard,
                scores=scores,
                actor=request.user,
                request=request,
            )
            indicators_compute(year=year, school=school)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            verdict = _("达标") if assessment.compliant else _("未达标")
            messages.success(
                request, _("评估已保存：总分 %(t)s，%(v)s") % {"t": assessment.total, "v": verdict}
            )
            return redirect(f"{reverse('monitoring:school', args=[school.pk])}?year={year}")
    return render(
        request,
        "monitoring/assess.html",
        {
            "school": school,
            "year": year,
            "standards": standards,
            "standard": standard,
            "errors": errors,
            "posted": request.POST,
            "breadcrumb": region_breadcrumb(request.user, school.region),
        },
        status=400 if errors else 200,
    )


@require_action(Action.MONITORING_VIEW)
def evidence_download(request: HttpRequest, school_pk: int) -> HttpResponseBase:
    school = access_object(request.user, School, pk=school_pk, request=request)
    evidence_id = request.GET.get("id", "")
    if not evidence_id:
        files = FactsEvidence.objects.filter(facts__school=school).select_related("facts")
        return render(
            request,
            "monitoring/evidence.html",
            {
                "school": school,
                "files": files.order_by("-facts__year", "-id"),
                "breadcrumb": region_breadcrumb(request.user, school.region),
            },
        )
    if not evidence_id.isdigit():
        raise Http404("evidence")
    evidence = FactsEvidence.objects.filter(pk=int(evidence_id), facts__school=school).first()
    if evidence is None:
        raise Http404("evidence")
    audit_record(
        actor=request.user,
        action="facts.evidence_read",
        target_type="monitoring.factsevidence",
        target_id=str(evidence.pk),
        target_repr=evidence.original_name,
        request=request,
    )
    return FileResponse(
        evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name
    )


TEMPLATE_HEADERS = [
    "school_code",
    "year",
    "bandwidth_mbps",
    "fibre",
    "wireless_full",
    "all_optical",
    "multimedia_classrooms",
    "ordinary_classrooms",
    "teacher_terminals",
    "ipv6",
    "digital_campus_compliant",
    "smart_campus_compliant",
    "teachers_total",
    "teachers_space_active",
    "teachers_space_regular",
    "students_total",
    "students_g3_total",
    "students_g3_space_active",
    "students_space_regular",
    "three_classrooms",
]


@require_action(Action.FACTS_IMPORT)
def facts_import_view(request: HttpRequest) -> HttpResponse:
    if request.GET.get("template"):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="facts-template.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(TEMPLATE_HEADERS)
        writer.writerow(
            [
                "学校标识码（10位）",
                "2025",
                "100",
                "1",
                "1",
                "0",
                "20",
                "24",
                "30",
                "1",
                "1",
                "0",
                "40",
                "38",
                "25",
                "900",
                "600",
                "520",
                "400",
                "0",
            ]
        )
        return response
    report = None
    error = ""
    year_text = request.POST.get("year", "").strip()
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("请选择要导入的文件（CSV、xlsx 或 xls）")
        elif year_text and not year_text.isdigit():
            error = _("年度应为四位数字")
        else:
            try:
                report = facts_import(
                    source=upload,
                    filename=upload.name,
                    year=int(year_text) if year_text else None,
                    actor=request.user,
                    request=request,
                )
            except FactsImportError as exc:
                error = str(exc)
            else:
                if report.created or report.updated:
                    for y in report.years:
                        indicators_compute(year=y)
    return render(
        request,
        "monitoring/import.html",
        {"report": report, "error": error, "year": year_text},
        status=400 if error else 200,
    )


@require_action(Action.MONITORING_VIEW)
def indicator_catalog(request: HttpRequest) -> HttpResponse:
    root = region_root_for(request.user)
    province = root.code[:2] if root is not None else settings.EDUPLUS_PROVINCE
    targets = (
        IndicatorTarget.objects.filter(province_id=province)
        .select_related("document", "indicator")
        .order_by("indicator__order", "year")
        if province
        else []
    )
    return render(
        request,
        "monitoring/catalog.html",
        {
            "indicators": sel.indicators()
            if not user_can(request.user, Action.INDICATOR_MANAGE)
            else list(Indicator.objects.order_by("order", "code")),
            "targets": targets,
            "province": province,
            "can_manage": user_can(request.user, Action.INDICATOR_MANAGE),
        },
    )


# -------------------------------------------- managing indicators and targets (省级)


def _manager_province(request: HttpRequest) -> str:
    root = region_root_for(request.user)
    if root is None or root.level != RegionLevel.PROVINCE:
        raise deny(request, Action.INDICATOR_MANAGE)
    return root.code


@require_action(Action.INDICATOR_MANAGE)
def indicator_edit(request: HttpRequest) -> HttpResponse:
    _manager_province(request)
    code = (request.GET.get("code") or request.POST.get("code") or "").strip()
    existing = Indicator.objects.filter(code=code).first() if code else None
    if request.GET.get("code") and existing is None:
        raise Http404("indicator")
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    if request.method == "POST":
        post = request.POST
        filters: dict[str, Any] = {}
        types = [t for t in post.getlist("school_types") if t]
        if types:
            filters["school_types"] = types
        if post.get("urban_rural"):
            filters["urban_rural"] = post["urban_rural"]
        if post.get("teaching_points"):
            filters["teaching_points"] = post["teaching_points"]
        factor_text = post.get("factor", "100").strip()
        order_text = post.get("order", "0").strip()
        data = {
            "name": post.get("name", "").strip(),
            "name_en": post.get("name_en", "").strip(),
            "description": post.get("description", "").strip(),
            "numerator": post.get("numerator", "").strip(),
            "denominator": post.get("denominator", "").strip(),
            "numerator_label": post.get("numerator_label", "").strip(),
            "denominator_label": post.get("denominator_label", "").strip(),
            "factor": int(factor_text) if factor_text.isdigit() else factor_text,
            "unit": post.get("unit", "%").strip(),
            "filters": filters,
            "order": int(order_text) if order_text.isdigit() else 0,
            "active": post.get("active") == "on",
        }
        if not code:
            errors["code"] = [_("请填写指标代码（字母、数字、下划线）")]
        elif existing is None and not re.fullmatch(r"[a-z][a-z0-9_]{1,47}", code):
            errors["code"] = [_("指标代码应以小写字母开头，只含小写字母、数字和下划线")]
        if not isinstance(data["factor"], int) or data["factor"] < 1:
            errors["factor"] = [_("系数应为正整数")]
        if not errors:
            try:
                indicator_save(code=code, values=data, actor=request.user, request=request)
            except ValidationError as exc:
                errors = (
                    exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                )
            else:
                messages.success(
                    request, _("指标已保存；下次计算时生效（eduplus indicators compute）")
                )
                return redirect("monitoring:catalog")
    source = data or (
        {name: getattr(existing, name) for name in INDICATOR_FIELDS}
        if existing
        else {"factor": 100, "unit": "%", "active": True, "filters": {}}
    )
    return render(
        request,
        "monitoring/indicator_edit.html",
        {
            "code": code,
            "existing": existing,
            "v": source,
            "errors": errors,
            "school_types": SchoolType.choices,
            "chosen_types": (source.get("filters") or {}).get("school_types", []),
            "fields_help": sorted(FIELDS),
        },
        status=400 if errors else 200,
    )


@require_action(Action.INDICATOR_MANAGE)
def target_edit(request: HttpRequest) -> HttpResponse:
    province = _manager_province(request)
    target_id = request.GET.get("id") or request.POST.get("id") or ""
    target = None
    if target_id:
        if not target_id.isdigit():
            raise Http404("target")
        target = IndicatorTarget.objects.filter(pk=int(target_id), province_id=province).first()
        if target is None:
            raise Http404("target")
    errors: list[str] = []
    if request.method == "POST":
        if request.POST.get("delete") and target is not None:
            target_delete(target=target, actor=request.user, request=request)
            messages.success(request, _("目标已删除"))
            return redirect("monitoring:catalog")
        indicator = Indicator.objects.filter(code=request.POST.get("indicator", "")).first()
        document = (
            PolicyDocument.objects.filter(Q(province_id=province) | Q(province__isnull=True))
            .filter(code=request.POST.get("document", ""))
            .first()
        )
        year_text = request.POST.get("year", "").strip()
        value_text = request.POST.get("value", "").strip()
        if indicator is None:
            errors.append(_("请选择指标"))
        if document is None:
            errors.append(_("请选择政策依据；没有的话先新增政策文件"))
        if not year_text.isdigit():
            errors.append(_("目标年度应为四位数字"))
        try:
            value = Decimal(value_text)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(_("目标值应为数字"))
        if not request.POST.get("clause", "").strip():
            errors.append(_("请填写条款（政策文件中设定该目标的条目）"))
        if not errors and indicator is not None:
            try:
                target_save(
                    province=province,
                    indicator=indicator,
                    year=int(year_text),
                    value=value,
                    document=document,
                    clause=request.POST["clause"],
                    target=target,
                    actor=request.user,
                    request=request,
                )
            except ValidationError as exc:
                errors = list(exc.messages)
            else:
                messages.success(request, _("目标已保存"))
                return redirect("monitoring:catalog")
    return render(
        request,
        "monitoring/target_edit.html",
        {
            "target": target,
            "indicators": sel.indicators(),
            "documents": PolicyDocument.objects.filter(
                Q(province_id=province) | Q(province__isnull=True)
            ),
            "errors": errors,
            "initial": _target_initial(request, target),
            "province": province,
        },
        status=400 if errors else 200,
    )


def _target_initial(request: HttpRequest, target: IndicatorTarget | None) -> dict[str, str]:
    if request.method == "POST":
        keys = ("indicator", "year", "value", "document", "clause")
        return {k: request.POST.get(k, "") for k in keys}
    if target is None:
        return {}
    return {
        "indicator": target.indicator.code,
        "year": str(target.year),
        "value": f"{target.value.normalize():f}",
        "document": target.document.code,
        "clause": target.clause,
    }


@require_action(Action.INDICATOR_MANAGE)
def document_new(request: HttpRequest) -> HttpResponse:
    province = _manager_province(request)
    errors: list[str] = []
    if request.method == "POST":
        post = request.POST
        issued = None
        if post.get("issued"):
            try:
                issued = dt.date.fromisoformat(post["issued"])
            except ValueError:
                errors.append(_("发布日期格式应为 YYYY-MM-DD"))
        if not errors:
            try:
                document_create(
                    code=post.get("code", ""),
                    title=post.get("title", ""),
                    issuer=post.get("issuer", ""),
                    issued=issued,
                    doc_number=post.get("doc_number", ""),
                    province=province,
                    actor=request.user,
                    request=request,
                )
            except ValidationError as exc:
                errors = [
                    f"{k}: {'；'.join(v)}" if k != "__all__" else "；".join(v)
                    for k, v in exc.message_dict.items()
                ]
            else:
                messages.success(request, _("政策文件已新增，可以在目标中引用"))
                return redirect("monitoring:target_edit")
    return render(
        request,
        "monitoring/document_new.html",
        {"errors": errors, "posted": request.POST},
        status=400 if errors else 200,
    )
