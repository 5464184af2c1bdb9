"""Governance pages: import batches (数据导入).

The list with the upload form, a batch with its counters, live progress (htmx polls
the progress fragment while the worker runs), the rejected and suspicious rows with
their reasons, the error report, the column mapping and the rollback. Personal data is
masked on every page; the full ID numbers are one audited POST away for the roles that
may see them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from eduplus.core.audit import audit_record
from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import deny, require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object, scope_for
from eduplus.governance import importing, normalize
from eduplus.governance.models import (
    BatchStatus,
    ImportBatch,
    RecordStatus,
    SourceRecord,
    SourceSystem,
)
from eduplus.governance.tasks import batch_enqueue
from eduplus.regions.models import Region

# Uploads beyond this are refused with a reason (the command line has no limit).
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
ROWS_PER_PAGE = 50


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(
        label=gettext_lazy("来源系统"),
        queryset=SourceSystem.objects.filter(active=True).order_by("code"),
        empty_label=gettext_lazy("请选择来源系统"),
        error_messages={"required": gettext_lazy("请选择来源系统")},
    )
    file = forms.FileField(
        label=gettext_lazy("数据文件"),
        help_text=gettext_lazy("CSV（UTF-8 或 GBK）、Excel .xlsx / .xls"),
        error_messages={
            "required": gettext_lazy("请选择要上传的文件"),
            "empty": gettext_lazy("上传的文件是空的"),
        },
    )
    region = forms.ChoiceField(label=gettext_lazy("导入区域"), required=False)

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in regions}
        region_field = self.fields["region"]
        assert isinstance(region_field, forms.ChoiceField)
        region_field.choices = [(r.code, r.name) for r in regions]
        if len(regions) <= 1:
            self.fields["region"].widget = forms.HiddenInput()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("文件超过 %(n)d MB，请用命令行 eduplus data import 导入")
                % {"n": MAX_UPLOAD_BYTES // 2**20}
            )
        return upload

    def clean_region(self) -> Region:
        code = self.cleaned_data.get("region") or next(iter(self.regions), "")
        region = self.regions.get(code)
        if region is None:
            raise ValidationError(_("请选择您管辖范围内的区域"))
        return region


def _import_regions(user: Any) -> list[Region]:
    """The regions the user imports for: their personal region grants."""
    codes = sorted(scope_for(user).region_codes)
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def _batches(user: Any) -> QuerySet[ImportBatch]:
    return (
        ImportBatch.objects.visible_to(user)
        .select_related("source", "region", "created_by")
        .order_by("-id")
    )


@require_action(Action.DATA_IMPORT)
def batch_list(request: HttpRequest) -> HttpResponse:
    regions = _import_regions(request.user)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, regions=regions)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch, created = importing.batch_create(
                    source=form.cleaned_data["source"],
                    file_name=upload.name,
                    data=upload.read(),
                    region=form.cleaned_data["region"],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                if batch.status == BatchStatus.QUEUED:
                    batch_enqueue(batch)
                if created:
                    messages.success(
                        request,
                        _(
                            "文件已上传，正在后台导入；本页显示进度，完成后列出每一条被拒绝或存疑的行。"
                        ),
                    )
                else:
                    messages.info(
                        request,
                        _(
                            "同一来源的同一文件已导入过（批次 #%(pk)s），"
                            "本次未重复导入，数据没有变化。"
                        )
                        % {"pk": batch.pk},
                    )
                return redirect("governance:batch_detail", batch_pk=batch.pk)
    else:
        form = UploadForm(regions=regions)
    source = request.GET.get("source", "")
    page = paginate(
        request,
        _batches(request.user).filter(source__code=source) if source else _batches(request.user),
        per_page=20,
    )
    return render(
        request,
        "governance/imports_list.html",
        {
            "form": form,
            "page": page,
            "source": source,
            "sources": SourceSystem.objects.order_by("code"),
            "qs": querystring_without_page(request),
            "can_upload": bool(regions),
        },
    )


def _batch(request: HttpRequest, batch_pk: int) -> ImportBatch:
    return access_object(
        request.user,
        ImportBatch.objects.select_related("source", "region", "created_by"),
        pk=batch_pk,
        request=request,
    )


ROW_FILTERS = {
    "problems": (RecordStatus.REJECTED, RecordStatus.SUSPICIOUS),
    "rejected": (RecordStatus.REJECTED,),
    "suspicious": (RecordStatus.SUSPICIOUS,),
    "all": (RecordStatus.ACCEPTED, RecordStatus.SUSPICIOUS, RecordStatus.REJECTED),
}


def _detail(request: HttpRequest, batch: ImportBatch, *, reveal: bool) -> HttpResponse:
    show = request.GET.get("show", "problems")
    if show not in ROW_FILTERS:
        show = "problems"
    rows = (
        SourceRecord.objects.visible_to(request.user)
        .filter(batch=batch, status__in=ROW_FILTERS[show])
        .only(
            "id",
            "row_number",
            "record_key",
            "status",
            "reasons",
            "name",
            "id_number",
            "id_valid",
            "birth_date",
            "gender",
            "school_code",
            "grade",
        )
        .order_by("row_number")
    )
    page = paginate(request, rows, per_page=ROWS_PER_PAGE)
    if reveal:
        audit_record(
            actor=request.user,
            action="person.reveal_id_number",
            request=request,
            target_type="governance.importbatch",
            target_id=str(batch.pk),
            target_repr=batch.file_name,
            details={"page": page.number, "rows": len(page.object_list), "show": show},
        )
    editable = batch.status in (BatchStatus.FAILED, BatchStatus.ROLLED_BACK)
    mapping_rows: list[tuple[int, str, str]] = []
    header_row = None
    if editable:  # every column of the file, to choose from
        layout = importing.batch_mapping_layout(batch)
        if layout is not None:
            header_row = layout.row
            mapping_rows = [
                (index, header, layout.items.get(index, ""))
                for index, header in enumerate(layout.headers)
            ]
    elif batch.status == BatchStatus.DONE:  # the mapping the import used
        mapping_rows = [
            (index, header, item) for index, (header, item) in enumerate(batch.mapping.items())
        ]
    return render(
        request,
        "governance/imports_detail.html",
        {
            "batch": batch,
            "progress": importing.progress_read(batch),
            "stale": importing.batch_is_stale(batch),
            "page": page,
            "show": show,
            "qs": querystring_without_page(request),
            "reveal": reveal,
            "may_reveal": user_can(request.user, Action.PERSON_VIEW_ID_NUMBER),
            "mapping_rows": mapping_rows,
            "mapping_row_number": header_row,
            "mapping_editable": editable,
            "item_choices": [("", _("（不导入）"))]
            + [(item, _(normalize.ITEM_LABELS[item])) for item in normalize.MAPPABLE_ITEMS],
            "item_labels": {k: _(v) for k, v in normalize.ITEM_LABELS.items()},
        },
    )


@require_action(Action.DATA_IMPORT)
def batch_detail(request: HttpRequest, batch_pk: int) -> HttpResponse:
    return _detail(request, _batch(request, batch_pk), reveal=False)


@require_POST
@require_action(Action.DATA_IMPORT)
def batch_reveal(request: HttpRequest, batch_pk: int) -> HttpResponse:
    """The same rows with full ID numbers; every reveal is audited."""
    batch = _batch(request, batch_pk)
    if not user_can(request.user, Action.PERSON_VIEW_ID_NUMBER):
        raise deny(request, Action.PERSON_VIEW_ID_NUMBER)
    return _detail(request, batch, reveal=True)


@require_action(Action.DATA_IMPORT)
def batch_progress(request: HttpRequest, batch_pk: int) -> HttpResponse:
    """The progress fragment the batch page polls; a finished run reloads the page."""
    batch = _batch(request, batch_pk)
    response = render(
        request,
        "governance/_progress.html",
        {
            "batch": batch,
            "progress": importing.progress_read(batch),
            "stale": importing.batch_is_stale(batch),
        },
    )
    finished = batch.status not in (BatchStatus.QUEUED, BatchStatus.RUNNING)
    if finished and request.GET.get("poll") and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@require_action(Action.DATA_IMPORT)
def batch_report(request: HttpRequest, batch_pk: int) -> FileResponse:
    """The error report (.xlsx): every rejected or suspicious row, original columns
    plus 行号 and 原因. Personal data: the download is audited."""
    batch = _batch(request, batch_pk)
    report = importing.error_report_file(batch)
    audit_record(
        actor=request.user,
        action="governance.batch.report_download",
        request=request,
        target_type="governance.importbatch",
        target_id=str(batch.pk),
        target_repr=batch.file_name,
        details={"rejected": batch.rows_rejected, "suspicious": batch.rows_suspicious},
    )
    stem = batch.file_name.rsplit(".", 1)[0]
    return FileResponse(
        report.open("rb"),
        as_attachment=True,
        filename=f"错误报告-批次{batch.pk}-{stem}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_POST
@require_action(Action.DATA_IMPORT)
def batch_rollback_view(request: HttpRequest, batch_pk: int) -> HttpResponse:
    batch = _batch(request, batch_pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("请勾选“确认回滚”后再提交"))
        return redirect("governance:batch_detail", batch_pk=batch.pk)
    try:
        importing.batch_rollback(batch=batch, actor=request.user, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("批次已回滚：其 %(n)s 条来源记录已删除；主数据将在下次身份解析时重新归并。")
            % {"n": batch.rows_read},
        )
    return redirect("governance:batch_detail", batch_pk=batch.pk)


@require_POST
@require_action(Action.DATA_IMPORT)
def batch_mapping(request: HttpRequest, batch_pk: int) -> HttpResponse:
    """Save the column mapping and import the file again with it."""
    batch = _batch(request, batch_pk)
    layout = importing.batch_mapping_layout(batch)
    if layout is None:
        messages.error(request, _("上传的文件已不存在，请重新上传"))
        return redirect("governance:batch_detail", batch_pk=batch.pk)
    mapping: dict[str, str] = {}
    for index, header in enumerate(layout.headers):
        value = request.POST.get(f"col-{index}")
        if value is None:
            continue
        if value and value not in normalize.MAPPABLE_ITEMS:
            messages.error(request, _("列“%(h)s”的数据项无效") % {"h": header})
            return redirect("governance:batch_detail", batch_pk=batch.pk)
        mapping[header] = value
    if not any(mapping.values()):
        messages.error(request, _("请至少为“姓名”等列选择对应的数据项"))
        return redirect("governance:batch_detail", batch_pk=batch.pk)
    try:
        batch = importing.batch_requeue(
            batch=batch, actor=request.user, mapping=mapping, request=request
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        batch_enqueue(batch)
        messages.success(request, _("已保存列映射，正在按新的映射重新导入。"))
    return redirect("governance:batch_detail", batch_pk=batch.pk)


@require_POST
@require_action(Action.DATA_IMPORT)
def batch_retry(request: HttpRequest, batch_pk: int) -> HttpResponse:
    """Import a failed, rolled-back or interrupted batch again."""
    batch = _batch(request, batch_pk)
    try:
        batch = importing.batch_requeue(batch=batch, actor=request.user, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        batch_enqueue(batch)
        messages.success(request, _("已重新提交导入，将在后台运行。"))
    return redirect("governance:batch_detail", batch_pk=batch.pk)


def batch_url(batch: ImportBatch) -> str:
    return reverse("governance:batch_detail", kwargs={"batch_pk": batch.pk})


urlpatterns: list[URLPattern] = [
    path("batches/", batch_list, name="batches"),
    path("batches/<int:batch_pk>/", batch_detail, name="batch_detail"),
    path("batches/<int:batch_pk>/reveal/", batch_reveal, name="batch_reveal"),
    path("batches/<int:batch_pk>/progress/", batch_progress, name="batch_progress"),
    path("batches/<int:batch_pk>/report/", batch_report, name="batch_report"),
    path("batches/<int:batch_pk>/rollback/", batch_rollback_view, name="batch_rollback"),
    path("batches/<int:batch_pk>/mapping/", batch_mapping, name="batch_mapping"),
    path("batches/<int:batch_pk>/retry/", batch_retry, name="batch_retry"),
]
