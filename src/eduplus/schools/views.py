"""School list (search, filters, pagination), detail, export and registry import."""

from __future__ import annotations

import csv
import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.regions.models import Region
from eduplus.regions.selectors import region_breadcrumb
from eduplus.schools.codes import SchoolType, UrbanRural
from eduplus.schools.models import School
from eduplus.schools.selectors import SchoolFilters, school_classes, school_list


def _filters(request: HttpRequest) -> SchoolFilters:
    g = request.GET
    return SchoolFilters(
        q=g.get("q", "")[:64],
        region=g.get("region", "")[:6] if g.get("region", "").isdigit() else "",
        school_type=g.get("type", "") if g.get("type", "") in SchoolType.values else "",
        urban_rural=g.get("ur", "")[:8],
        teaching_points=g.get("tp", "") if g.get("tp", "") in {"only", "exclude"} else "",
    )


@require_action(Action.SCHOOL_VIEW)
def school_list_view(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = paginate(request, school_list(request.user, filters))
    regions = Region.objects.visible_to(request.user).filter(level__lte=3).order_by("code")
    return render(
        request,
        "schools/list.html",
        {
            "page": page,
            "filters": filters,
            "school_types": SchoolType.choices,
            "urban_rural": UrbanRural.choices,
            "region_options": regions.only("code", "name", "level")[:400],
            "qs": querystring_without_page(request),
            "can_export": user_can(request.user, Action.SCHOOL_EXPORT),
        },
    )


@require_action(Action.SCHOOL_VIEW)
def school_detail(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access_object(
        request.user,
        School.objects.select_related("region__parent__parent", "parent_school"),
        pk=school_pk,
        request=request,
    )
    teaching_points = School.objects.visible_to(request.user).filter(parent_school=school)
    return render(
        request,
        "schools/detail.html",
        {
            "school": school,
            "breadcrumb": region_breadcrumb(request.user, school.region),
            "classes": school_classes(request.user, school),
            "teaching_points": teaching_points,
            "can_see_people": user_can(request.user, Action.PERSON_VIEW),
            "can_see_staff": user_can(request.user, Action.STAFF_VIEW),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_action(Action.SCHOOL_EXPORT)
def school_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of every school the user may see under the current filters (UTF-8 BOM for Excel)."""
    from eduplus.schools.registry import EXPORT_HEADER, export_rows

    filters = _filters(request)
    qs = school_list(request.user, filters)
    audit_record(
        actor=request.user,
        action="school.export",
        request=request,
        target_type="schools.school",
        details={"filters": filters.__dict__},
    )
    writer = csv.writer(_Echo())

    def stream():  # type: ignore[no-untyped-def]
        yield "\ufeff" + writer.writerow(EXPORT_HEADER)
        for row in export_rows(qs):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    stamp = dt.date.today().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="schools-{stamp}.csv"'
    return response


@require_action(Action.SCHOOL_IMPORT)
def school_import(request: HttpRequest) -> HttpResponse:
    from eduplus.schools.registry import RegistryImportError, registry_import

    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要导入的文件"))
        else:
            try:
                report = registry_import(
                    source=upload,
                    filename=upload.name,
                    actor=request.user,
                    request=request,
                    dry_run=bool(request.POST.get("dry_run")),
                )
            except RegistryImportError as exc:
                messages.error(request, str(exc))
            else:
                if report.errors or report.warnings:
                    request.session[IMPORT_REPORT_KEY] = _write_problem_report(report)
    return render(request, "schools/import.html", {"report": report, "shown": IMPORT_ERRORS_SHOWN})


IMPORT_REPORT_KEY = "school_import_report"
IMPORT_ERRORS_SHOWN = 200


def _write_problem_report(report: Any) -> str:
    """Keep every error and warning of an import as a CSV the user can download."""
    folder = Path(settings.VAR_DIR) / "import-reports"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.csv"
    with (folder / name).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_("行号"), _("类别"), _("原因")])
        for kind, items in ((_("错误"), report.errors), (_("提示"), report.warnings)):
            for item in items:
                writer.writerow([item.get("row", ""), kind, item.get("reason", "")])
    return name


@require_action(Action.SCHOOL_IMPORT)
def school_import_problems(request: HttpRequest) -> FileResponse:
    """The last import's full list of errors and warnings, for this session only."""
    name = request.session.get(IMPORT_REPORT_KEY, "")
    path = Path(settings.VAR_DIR) / "import-reports" / str(name)
    if not name or not path.is_file():
        raise Http404("no import report")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename="import-problems.csv",
        content_type="text/csv; charset=utf-8",
    )
