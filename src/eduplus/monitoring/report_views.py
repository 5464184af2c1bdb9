"""XLSX export and the PDF annual development report (年度发展报告) of a region."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.permissions import require_action
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.monitoring import report as reports
from eduplus.monitoring.selectors import value_years
from eduplus.regions.models import Region

# Rendered from a string: the message is the only page these two routes ever show.
_NO_VALUES = """{% extends "base.html" %}{% load i18n %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<h1>{{ title }}</h1>
<div class="empty" data-testid="no-values"><strong>{{ message }}</strong>
<p>{{ hint }}</p><pre><code>{{ command }}</code></pre>
<p><a href="{% url 'monitoring:region' region_code=region.code %}">{{ back }}</a></p></div>
{% endblock %}"""


def _year(request: HttpRequest) -> int | None:
    """``?year=YYYY``, else the newest year with values the user may see."""
    raw = request.GET.get("year", "").strip()
    if raw.isdigit() and len(raw) == 4:
        return int(raw)
    years = value_years(request.user)
    return years[0] if years else None


def _no_values(request: HttpRequest, region: Region, year: int | None) -> HttpResponse:
    shown_year = year if year is not None else _("本")
    context = {
        "region": region,
        "title": _("%(region)s 信息化监测报告") % {"region": region.display_name},
        "message": _("%(region)s %(year)s年度还没有计算出的指标值，暂时无法导出。")
        % {"region": region.display_name, "year": shown_year},
        "hint": _("请先录入或导入学校信息化基础数据，再由管理员运行指标计算："),
        "command": f"eduplus indicators compute --year {year if year is not None else 'YYYY'}",
        "back": _("返回监测首页"),
    }
    template = engines["django"].from_string(_NO_VALUES)
    return HttpResponse(template.render(context, request))


def _build(
    request: HttpRequest, region_code: str, kind: str, lagging_limit: int
) -> reports.RegionReport | HttpResponse:
    region = access_object(
        request.user, Region.objects.select_related("parent"), code=region_code, request=request
    )
    year = _year(request)
    if year is None:
        return _no_values(request, region, None)
    report = reports.region_report(request.user, region, year, lagging_limit=lagging_limit)
    if not report.has_values:
        return _no_values(request, region, year)
    audit_record(
        actor=request.user,
        action="monitoring.export",
        target_type="regions.region",
        target_id=region.code,
        target_repr=f"{region.display_name} {year}",
        request=request,
        details={"format": kind, "year": year},
    )
    return report


def _file(content: bytes, content_type: str, filename: str, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = content_disposition_header(attachment, filename)
    if disposition:
        response["Content-Disposition"] = disposition
    # Scoped figures: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@require_action(Action.MONITORING_VIEW)
def region_xlsx(request: HttpRequest, region_code: str) -> HttpResponse:
    built = _build(request, region_code, "xlsx", reports.XLSX_LAGGING_LIMIT)
    if isinstance(built, HttpResponse):
        return built
    return _file(
        reports.report_xlsx(built),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        reports.report_filename(built, "xlsx"),
        attachment=True,
    )


@require_action(Action.MONITORING_VIEW)
def region_pdf(request: HttpRequest, region_code: str) -> HttpResponse:
    built = _build(request, region_code, "pdf", reports.PDF_LAGGING_LIMIT)
    if isinstance(built, HttpResponse):
        return built
    return _file(
        reports.report_pdf(built),
        "application/pdf",
        reports.report_filename(built, "pdf"),
        attachment=False,
    )
