"""Governance pages: the data quality scorecard (数据质量), its failing records, and the
rules (质量规则) a data steward manages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from eduplus.core.audit import audit_record
from eduplus.core.pagination import PEOPLE_COUNT_CAP, paginate, querystring_without_page
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.governance import quality as q
from eduplus.governance.models import (
    DataItem,
    ImportBatch,
    QualityDimension,
    QualityRule,
    SourceSystem,
)
from eduplus.governance.models.quality import QualityCheck
from eduplus.regions.models import Region
from eduplus.regions.selectors import region_breadcrumb, region_root_for
from eduplus.schools.models import School


def batch_url(batch_id: int) -> str:
    """The batch's page (another area's route); empty while it does not exist."""
    try:
        return reverse("governance:batch_detail", kwargs={"batch_pk": batch_id})
    except NoReverseMatch:
        return ""


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


class Filters:
    """The source / batch / school narrowing of a quality page, checked against scope:
    a bad or out-of-scope value is refused with a message and ignored."""

    def __init__(self, request: HttpRequest, *, with_school: bool = False) -> None:
        g = request.GET
        self.source: SourceSystem | None = None
        self.batch: ImportBatch | None = None
        self.school: School | None = None
        code = g.get("source", "").strip()[:32]
        if code:
            self.source = SourceSystem.objects.filter(code=code).first()
            if self.source is None:
                messages.error(request, _("未知的来源系统：%(v)s，已忽略该条件") % {"v": code})
        raw = g.get("batch", "").strip()
        if raw:
            pk = _int(raw)
            self.batch = (
                ImportBatch.objects.visible_to(request.user).filter(pk=pk).first()
                if pk is not None
                else None
            )
            if self.batch is None:
                messages.error(request, _("批次不存在或不在您的管辖范围内，已忽略该条件"))
        self.unplaced = with_school and g.get("unplaced", "") == "1"
        raw = g.get("school", "").strip()
        if with_school and raw:
            pk = _int(raw)
            self.school = (
                School.objects.visible_to(request.user).filter(pk=pk).first()
                if pk is not None
                else None
            )
            if self.school is None:
                messages.error(request, _("学校不存在或不在您的管辖范围内，已忽略该条件"))

    @property
    def query(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.source is not None:
            out["source"] = self.source.code
        if self.batch is not None:
            out["batch"] = self.batch.pk
        if self.school is not None:
            out["school"] = self.school.pk
        if self.unplaced:
            out["unplaced"] = 1
        return out


def _link(name: str, args: list[Any], query: dict[str, Any]) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


DIMS = QualityDimension.choices


def _dimension_labels() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in DIMS]


# ------------------------------------------------------------------------ scorecard


@require_action(Action.DATA_VIEW)
def quality_home(request: HttpRequest) -> HttpResponse:
    """Officers and stewards start at their region's scorecard."""
    root = region_root_for(request.user)
    if root is None:
        return render(request, "governance/quality_region.html", {"no_region": True})
    return redirect("governance:quality_region", region_code=root.code)


@require_action(Action.DATA_VIEW)
def quality_region(request: HttpRequest, region_code: str) -> HttpResponse:
    region = access_object(request.user, Region, code=region_code, request=request)
    at = q.latest_computation()
    if at is None and q.has_records():
        # The first visit after the first import computes once; later computations run
        # when a steward asks, or when rules change.
        at = q.quality_compute(actor=request.user)
    filters = Filters(request)
    context: dict[str, Any] = {
        "region": region,
        "breadcrumb": region_breadcrumb(request.user, region),
        "computed_at": at,
        "can_steward": user_can(request.user, Action.DATA_STEWARD),
        "can_import": user_can(request.user, Action.DATA_IMPORT),
        "filters": filters,
        "sources": SourceSystem.objects.order_by("code"),
        "dimensions": _dimension_labels(),
    }
    if at is None:
        return render(request, "governance/quality_region.html", context)
    qs = q.results_in_scope(
        request.user,
        region=region,
        computed_at=at,
        source=filters.source,
        batch_id=filters.batch.pk if filters.batch else None,
    )
    base = filters.query
    total = q.score_total(qs)
    by_dim = q.score_by_dimension(qs)

    def cells(row: q.ScoreRow) -> None:
        where = row.region_code or region.code
        query = {**base, **row.query}
        row.cells = [
            (
                label,
                row.dims.get(code, q.Score()),
                _link("governance:quality_failures", [where], {**query, "dimension": code}),
            )
            for code, label in _dimension_labels()
        ]

    sources = q.score_by_source(qs)
    for row in sources:
        cells(row)
        row.url = _link("governance:quality_region", [region.code], {**base, **row.query})
    areas = q.score_by_area(request.user, qs, region)
    for row in areas:
        cells(row)
        if isinstance(row.obj, Region):
            row.url = _link("governance:quality_region", [row.obj.code], base)
    # Sub-regions with nothing checked are listed in one line, not as empty rows.
    quiet = [row for row in areas if not row.score.checked]
    areas = [row for row in areas if row.score.checked]
    batches, batch_total = q.score_by_batch(qs)
    for row in batches:
        cells(row)
        row.url = batch_url(int(row.key))
    rules = q.score_by_rule(qs)
    rule_links = {
        r.rule.pk: _link("governance:quality_rule_failures", [region.code, r.rule.pk], base)
        for r in rules
    }
    trend = q.score_trend(
        request.user,
        region=region,
        source=filters.source,
        batch_id=filters.batch.pk if filters.batch else None,
    )

    def rounded(score: q.Score | None) -> float | None:
        rate = score.rate if score is not None else None
        return None if rate is None else round(rate, 1)

    chart = {
        "times": [timezone.localtime(p.computed_at).strftime("%m-%d %H:%M") for p in trend],
        "series": [{"name": _("总分"), "values": [rounded(p.score) for p in trend]}]
        + [
            {"name": label, "values": [rounded(p.dims.get(code)) for p in trend]}
            for code, label in _dimension_labels()
        ],
    }
    context.update(
        {
            "total": total,
            "dim_scores": [
                (
                    code,
                    label,
                    by_dim.get(code, q.Score()),
                    _link(
                        "governance:quality_failures", [region.code], {**base, "dimension": code}
                    ),
                )
                for code, label in _dimension_labels()
            ],
            "rules": [(r, rule_links[r.rule.pk]) for r in rules],
            "source_rows": sources,
            "area_rows": areas,
            "quiet_areas": quiet,
            "area_is_schools": region.level >= 3,
            "batch_rows": batches,
            "batch_total": batch_total,
            "trend": [
                (p.computed_at, p.score, [p.dims.get(code, q.Score()) for code, _ in DIMS])
                for p in list(reversed(trend))[:10]
            ],
            "chart": chart,
        }
    )
    return render(request, "governance/quality_region.html", context)


@require_POST
@require_action(Action.DATA_STEWARD)
def quality_compute_view(request: HttpRequest) -> HttpResponse:
    at = q.quality_compute(actor=request.user)
    messages.success(
        request,
        _("已重新计算数据质量（%(t)s）")
        % {"t": timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")},
    )
    return redirect("governance:quality")


# ------------------------------------------------------------------ failing records


def _failures(
    request: HttpRequest,
    region: Region,
    rules: list[QualityRule],
    *,
    title: str,
    rule: QualityRule | None = None,
    dimension: str = "",
) -> HttpResponse:
    at = q.latest_computation() or timezone.now()
    filters = Filters(request, with_school=True)
    qs = q.failing_records(
        request.user,
        rules=rules,
        region=region,
        at=at,
        source=filters.source,
        batch_id=filters.batch.pk if filters.batch else None,
        school_id=filters.school.pk if filters.school else None,
        unplaced=filters.unplaced,
    )
    page = paginate(request, qs, count_cap=PEOPLE_COUNT_CAP)
    records = list(page.object_list)
    ids = [r.pk for r in records]
    if len(rules) == 1:
        failed_by = {pk: list(rules) for pk in ids}
    else:
        failed_by = q.rules_failed_by(ids, rules, at=at)
    # Masked by default; a role that needs the full values reveals them (a POST), audited.
    may_reveal = user_can(request.user, Action.PERSON_VIEW_ID_NUMBER)
    unmasked = request.method == "POST" and may_reveal
    golden_items = {r.item for r in rules if r.check_kind == QualityCheck.AGREES_WITH_GOLDEN}
    golden = q.golden_values(records, golden_items)
    school_ids = {int(v["school"]) for v in golden.values() if v.get("school")}
    school_names = dict(School.objects.filter(pk__in=school_ids).values_list("pk", "name"))
    rows = []
    for record in records:
        problems = [
            q.failure_text(
                record,
                failed,
                unmasked=unmasked,
                golden=golden.get(record.linked_person_id or 0),
                school_names=school_names,
            )
            for failed in failed_by.get(record.pk, [])
        ]
        rows.append(
            {
                "record": record,
                "name": q.display_item(record, "name", unmasked=unmasked),
                "id_number": q.display_item(record, "id_number", unmasked=unmasked),
                "school": record.school.name if record.school else record.school_code or "—",
                "problems": problems,
                "batch_url": batch_url(record.batch_id),
            }
        )
    audit_record(
        actor=request.user,
        action="governance.quality_failures",
        request=request,
        target_type="governance.qualityrule",
        target_id=rule.code if rule else (dimension or "all"),
        target_repr=title[:255],
        details={
            "region": region.code,
            "ids": ids,
            "page": page.number,
            "unmasked": unmasked,
            **filters.query,
        },
    )
    return render(
        request,
        "governance/quality_failures.html",
        {
            "region": region,
            "breadcrumb": region_breadcrumb(request.user, region),
            "title": title,
            "rule": rule,
            "rules": rules,
            "dimension": dimension,
            "dimensions": _dimension_labels(),
            "filters": filters,
            "sources": SourceSystem.objects.order_by("code"),
            "page": page,
            "qs": querystring_without_page(request),
            "rows": rows,
            "unmasked": unmasked,
            "may_reveal": may_reveal,
            "computed_at": q.latest_computation(),
            "back": _link("governance:quality_region", [region.code], filters.query),
        },
    )


@require_action(Action.DATA_VIEW)
def quality_failures(request: HttpRequest, region_code: str) -> HttpResponse:
    """Records failing any active rule of a dimension (or of all dimensions)."""
    region = access_object(request.user, Region, code=region_code, request=request)
    dimension = request.GET.get("dimension", "")
    if dimension and dimension not in QualityDimension.values:
        messages.error(request, _("未知的质量维度：%(v)s，已列出全部维度") % {"v": dimension[:32]})
        dimension = ""
    rules = QualityRule.objects.filter(active=True).order_by("dimension", "code")
    if dimension:
        rules = rules.filter(dimension=dimension)
        title = _("%(dim)s不合格记录") % {"dim": QualityDimension(dimension).label}
    else:
        title = _("不合格记录（全部规则）")
    return _failures(request, region, list(rules), title=title, dimension=dimension)


@require_action(Action.DATA_VIEW)
def quality_rule_failures(request: HttpRequest, region_code: str, rule_pk: int) -> HttpResponse:
    region = access_object(request.user, Region, code=region_code, request=request)
    rule = QualityRule.objects.filter(pk=rule_pk).first()
    if rule is None:
        raise Http404("no such rule")
    title = _("不合格记录：%(rule)s") % {"rule": rule.name}
    return _failures(request, region, [rule], title=title, rule=rule)


# -------------------------------------------------------------------------- rules


class RuleForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("规则代码"),
        max_length=48,
        help_text=gettext_lazy("英文字母、数字和连字符，创建后不能修改，如 phone-valid"),
    )
    name = forms.CharField(label=gettext_lazy("规则名称"), max_length=128)
    dimension = forms.ChoiceField(label=gettext_lazy("维度"), choices=QualityDimension.choices)
    item = forms.ChoiceField(label=gettext_lazy("数据项"), choices=DataItem.choices)
    check_kind = forms.ChoiceField(label=gettext_lazy("检查方式"), choices=QualityCheck.choices)
    max_age_days = forms.IntegerField(
        label=gettext_lazy("时限（天）"),
        required=False,
        min_value=1,
        max_value=q.MAX_AGE_DAYS_LIMIT,
        help_text=gettext_lazy("仅用于“数据在时限内更新”：批次完成后超过该天数即为不及时"),
    )
    weight = forms.IntegerField(
        label=gettext_lazy("权重"),
        min_value=q.WEIGHT_RANGE[0],
        max_value=q.WEIGHT_RANGE[1],
        initial=1,
        help_text=gettext_lazy("1–10，越大在评分中占比越高"),
    )
    description = forms.CharField(
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        params: dict[str, Any] = {}
        if data["check_kind"] == QualityCheck.FRESH and data.get("max_age_days") is not None:
            params["max_age_days"] = data["max_age_days"]
        return {
            "name": data["name"],
            "dimension": data["dimension"],
            "item": data["item"],
            "check_kind": data["check_kind"],
            "params": params,
            "weight": data["weight"],
            "description": data.get("description", ""),
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                target = {"params": "max_age_days"}.get(name, name)
                for message in errors:
                    self.add_error(target if target in self.fields else None, message)
        else:
            for message in exc.messages:
                self.add_error(None, message)


@require_action(Action.DATA_VIEW)
def rule_list(request: HttpRequest) -> HttpResponse:
    at = q.latest_computation()
    latest: dict[int, q.Score] = {}
    root = region_root_for(request.user)
    if at is not None and root is not None:
        qs = q.results_in_scope(request.user, region=root, computed_at=at)
        latest = {r.rule.pk: r.score for r in q.score_by_rule(qs)}
    rules = QualityRule.objects.order_by("-active", "dimension", "code")
    return render(
        request,
        "governance/quality_rules.html",
        {
            "rules": [(rule, latest.get(rule.pk)) for rule in rules],
            "can_steward": user_can(request.user, Action.DATA_STEWARD),
            "computed_at": at,
            "root": root,
        },
    )


def _save_and_recompute(request: HttpRequest, rule: QualityRule, message: str) -> HttpResponse:
    q.quality_compute(actor=request.user)
    messages.success(request, message)
    return redirect("governance:quality_rules")


@require_action(Action.DATA_STEWARD)
def rule_new(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = q.quality_rule_save(
                code=form.cleaned_data["code"],
                values=form.values(),
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _save_and_recompute(
                request, rule, _("已创建规则“%(name)s”，并已重新计算数据质量") % {"name": rule.name}
            )
    return render(request, "governance/quality_rule_form.html", {"form": form, "rule": None})


@require_action(Action.DATA_STEWARD)
def rule_edit(request: HttpRequest, rule_pk: int) -> HttpResponse:
    rule = QualityRule.objects.filter(pk=rule_pk).first()
    if rule is None:
        raise Http404("no such rule")
    initial = {
        "name": rule.name,
        "dimension": rule.dimension,
        "item": rule.item,
        "check_kind": rule.check_kind,
        "max_age_days": (rule.params or {}).get("max_age_days"),
        "weight": rule.weight,
        "description": rule.description,
    }
    form = RuleForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            rule = q.quality_rule_save(
                rule=rule, values=form.values(), actor=request.user, request=request
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
            rule.refresh_from_db()
        else:
            return _save_and_recompute(
                request, rule, _("已保存规则“%(name)s”，并已重新计算数据质量") % {"name": rule.name}
            )
    return render(request, "governance/quality_rule_form.html", {"form": form, "rule": rule})


@require_POST
@require_action(Action.DATA_STEWARD)
def rule_active(request: HttpRequest, rule_pk: int) -> HttpResponse:
    rule = QualityRule.objects.filter(pk=rule_pk).first()
    if rule is None:
        raise Http404("no such rule")
    active = request.POST.get("active") == "1"
    q.quality_rule_set_active(rule=rule, active=active, actor=request.user, request=request)
    message = (
        _("已启用规则“%(name)s”，并已重新计算数据质量")
        if active
        else _("已停用规则“%(name)s”，并已重新计算数据质量")
    )
    return _save_and_recompute(request, rule, message % {"name": rule.name})


urlpatterns: list[URLPattern] = [
    path("quality/", quality_home, name="quality"),
    path("quality/compute/", quality_compute_view, name="quality_compute"),
    path("quality/rules/", rule_list, name="quality_rules"),
    path("quality/rules/new/", rule_new, name="quality_rule_new"),
    path("quality/rules/<int:rule_pk>/edit/", rule_edit, name="quality_rule_edit"),
    path("quality/rules/<int:rule_pk>/active/", rule_active, name="quality_rule_active"),
    path("quality/r/<str:region_code>/", quality_region, name="quality_region"),
    path("quality/r/<str:region_code>/failures/", quality_failures, name="quality_failures"),
    path(
        "quality/r/<str:region_code>/rules/<int:rule_pk>/failures/",
        quality_rule_failures,
        name="quality_rule_failures",
    ),
]
