"""Governance pages: the source registry (来源系统) and the authoritative source of
every data item (一数一源), with the import template of each source.

Reading them needs ``DATA_VIEW``; changing them is the data steward's (``DATA_STEWARD``),
audited with the values before and after.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.governance import importing
from eduplus.governance.models import DataItem, ItemAuthority, SourceKind, SourceSystem

RESERVED_CODES = frozenset({"new", "authorities"})


class SourceForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("来源代码"),
        max_length=32,
        help_text=gettext_lazy("小写字母、数字或连字符，如 xueji；创建后不可修改"),
    )
    name = forms.CharField(label=gettext_lazy("名称"), max_length=64)
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=SourceKind.choices)
    person_type = forms.ChoiceField(
        label=gettext_lazy("人员类别"),
        choices=[("student", gettext_lazy("学生")), ("teacher", gettext_lazy("教师"))],
    )
    owner = forms.CharField(label=gettext_lazy("责任部门"), max_length=64, required=False)
    description = forms.CharField(
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    items = forms.MultipleChoiceField(
        label=gettext_lazy("提供的数据项（导入模板的列）"),
        choices=DataItem.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("请至少选择一个数据项")},
    )
    active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().lower()
        if code in RESERVED_CODES:
            raise ValidationError(_("“%(code)s”是保留字，请换一个来源代码") % {"code": code})
        if SourceSystem.objects.filter(code=code).exists():
            raise ValidationError(_("来源代码“%(code)s”已存在") % {"code": code})
        return code

    def clean_items(self) -> list[str]:
        chosen = set(self.cleaned_data["items"])
        return [item for item in DataItem.values if item in chosen]


def _source(source_code: str) -> SourceSystem:
    source = SourceSystem.objects.filter(code=source_code).first()
    if source is None:
        raise Http404("no such source")
    return source


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)


@require_action(Action.DATA_VIEW)
def source_list(request: HttpRequest) -> HttpResponse:
    sources = SourceSystem.objects.annotate(
        batch_count=Count("batches", distinct=True),
        last_import=Max("batches__finished_at"),
    ).order_by("code")
    authorities = {a.item: a for a in ItemAuthority.objects.select_related("source", "updated_by")}
    rows = [(value, label, authorities.get(value)) for value, label in DataItem.choices]
    return render(
        request,
        "governance/sources_list.html",
        {
            "sources": sources,
            "authority_rows": rows,
            "active_sources": [s for s in sources if s.active],
            "can_edit": user_can(request.user, Action.DATA_STEWARD),
            "item_labels": dict(DataItem.choices),
        },
    )


@require_action(Action.DATA_VIEW)
def source_detail(request: HttpRequest, source_code: str) -> HttpResponse:
    source = _source(source_code)
    batches = []
    if user_can(request.user, Action.DATA_IMPORT):
        from eduplus.governance.models import ImportBatch

        batches = list(
            ImportBatch.objects.visible_to(request.user)
            .filter(source=source)
            .select_related("region")
            .order_by("-id")[:10]
        )
    return render(
        request,
        "governance/sources_detail.html",
        {
            "source": source,
            "item_labels": dict(DataItem.choices),
            "authoritative": list(
                ItemAuthority.objects.filter(source=source).values_list("item", flat=True)
            ),
            "batches": batches,
            "can_edit": user_can(request.user, Action.DATA_STEWARD),
            "can_import": user_can(request.user, Action.DATA_IMPORT),
        },
    )


@require_action(Action.DATA_STEWARD)
def source_create(request: HttpRequest) -> HttpResponse:
    form = SourceForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        code = data.pop("code")
        try:
            source = importing.source_create(actor=request.user, code=code, request=request, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已创建来源系统“%(name)s”") % {"name": source.name})
            return redirect("governance:source_detail", source_code=source.code)
    return render(request, "governance/sources_form.html", {"form": form, "source": None})


@require_action(Action.DATA_STEWARD)
def source_edit(request: HttpRequest, source_code: str) -> HttpResponse:
    source = _source(source_code)
    initial = {
        "name": source.name,
        "kind": source.kind,
        "person_type": source.person_type,
        "owner": source.owner,
        "description": source.description,
        "items": list(source.items or []),
        "active": source.active,
    }
    form = SourceForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            importing.source_update(
                source=source, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已保存来源系统“%(name)s”") % {"name": source.name})
            return redirect("governance:source_detail", source_code=source.code)
    return render(request, "governance/sources_form.html", {"form": form, "source": source})


@require_POST
@require_action(Action.DATA_STEWARD)
def authority_update(request: HttpRequest) -> HttpResponse:
    """一数一源: one POST with the authoritative source of every item that changed."""
    sources = {s.code: s for s in SourceSystem.objects.all()}
    current = dict(ItemAuthority.objects.values_list("item", "source__code"))
    changed = errors = 0
    for item, label in DataItem.choices:
        code = request.POST.get(f"item-{item}", "")
        if not code or code == current.get(item):
            continue
        source = sources.get(code)
        if source is None:
            messages.error(request, _("%(item)s：来源系统不存在") % {"item": label})
            errors += 1
            continue
        try:
            importing.authority_set(item=item, source=source, actor=request.user, request=request)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, f"{label}：{message}")
            errors += 1
        else:
            changed += 1
    if changed:
        messages.success(
            request,
            _("已更新 %(n)d 个数据项的权威来源；下次身份解析起，主数据按新的权威来源取值。")
            % {"n": changed},
        )
    elif not errors:
        messages.info(request, _("权威来源没有变化"))
    return redirect("governance:sources")


@require_action(Action.DATA_VIEW)
def source_template(request: HttpRequest, source_code: str) -> HttpResponse:
    """The .xlsx import template of a source (headers, code table, notes)."""
    source = _source(source_code)
    data = importing.source_template_xlsx(source)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    from urllib.parse import quote

    name = quote(f"导入模板-{source.name}-{source.code}.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


urlpatterns: list[URLPattern] = [
    path("sources/", source_list, name="sources"),
    path("sources/new/", source_create, name="source_create"),
    path("sources/authorities/", authority_update, name="authorities"),
    path("sources/<slug:source_code>/", source_detail, name="source_detail"),
    path("sources/<slug:source_code>/edit/", source_edit, name="source_edit"),
    path("sources/<slug:source_code>/template/", source_template, name="source_template"),
]
