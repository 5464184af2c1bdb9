"""Writes of the reporting module: design, assignment, filling, sign-off, reminders.

Every function validates, writes inside one transaction and records the audit entry.
Refusals are ``django.core.exceptions.ValidationError`` with Chinese messages; invalid
answers of a school raise :class:`SubmissionInvalid` carrying the messages per field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.permissions import user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import scope_for
from eduplus.regions.models import LEVEL_BY_LENGTH, RegionLevel
from eduplus.reporting.models import (
    CHOICE_KINDS,
    EDITABLE_STATUSES,
    NUMERIC_KINDS,
    EventKind,
    FieldKind,
    ReportField,
    ReportForm,
    ReportRule,
    ReportTask,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)
from eduplus.reporting.rules import RuleError, parse_rule
from eduplus.reporting.values import Cleaned, clean_values
from eduplus.schools.codes import RURAL_CODES, TOWN_CODES, URBAN_CODES
from eduplus.schools.models import School

MAX_FIELDS = 200
MAX_OPTIONS = 100


class SubmissionInvalid(Exception):
    """A school's answers failed validation; ``cleaned.errors`` holds them per field."""

    def __init__(self, cleaned: Cleaned) -> None:
        super().__init__(_("填报内容有误，请按提示修改"))
        self.cleaned = cleaned


# ------------------------------------------------------------------------ helpers


def officer_region_code(user: Any) -> str:
    """The region an officer acts for: the widest of their officer regions."""
    codes = sorted(scope_for(user).region_codes, key=lambda c: (len(c), c))
    if not codes or not user_can(user, Action.REPORT_DESIGN):
        raise ValidationError(_("只有教育管理者可以设计表单和发布报送任务"))
    return codes[0]


def _name(user: Any) -> str:
    return str(getattr(user, "display_name", "") or getattr(user, "username", ""))[:64]


def _event(
    submission: Submission, kind: str, actor: Any, *, note: str = "", level: int | None = None
) -> SubmissionEvent:
    return SubmissionEvent.objects.create(
        submission=submission,
        kind=kind,
        level=level,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=_name(actor) if actor is not None else "",
        note=note[:500],
        created_at=timezone.now(),
    )


def _audit(actor: Any, action: str, obj: Any, request: HttpRequest | None, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type=obj._meta.label_lower,
        target_id=str(obj.pk),
        target_repr=str(obj)[:255],
        request=request,
        details=details,
    )


# ------------------------------------------------------------------------- design


@transaction.atomic
def form_create(
    *, actor: Any, title: str, description: str = "", request: HttpRequest | None = None
) -> ReportForm:
    form = ReportForm(
        title=title.strip(),
        description=description.strip(),
        region_id=officer_region_code(actor),
        created_by=actor,
    )
    form.full_clean()
    form.save()
    _audit(actor, "report.form_create", form, request)
    return form


def _ensure_unlocked(form: ReportForm) -> None:
    if form.is_locked:
        raise ValidationError(_("表单已被报送任务使用并锁定，不能修改；如需调整，请创建新版本"))


def parse_options(text: str) -> list[list[str]]:
    """One option a line: "编码 名称" (or "编码=名称"); a line of one word is both."""
    options: list[list[str]] = []
    seen: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"\s*=\s*|\s+", line, maxsplit=1)
        code, label = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[0])
        code = code[:32]
        if code in seen:
            raise ValidationError({"options": _("选项编码重复：%(code)s") % {"code": code}})
        seen.add(code)
        options.append([code, label[:64]])
    if len(options) > MAX_OPTIONS:
        raise ValidationError({"options": _("选项过多（最多 %(n)d 个）") % {"n": MAX_OPTIONS}})
    return options


def _decimal_or_none(text: Any, name: str) -> Decimal | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValidationError({name: _("请输入数字")}) from None
    if not value.is_finite():
        raise ValidationError({name: _("请输入数字")})
    return value


@transaction.atomic
def form_field_add(
    *,
    actor: Any,
    form: ReportForm,
    code: str,
    label: str,
    kind: str,
    required: bool = False,
    min_value: Any = None,
    max_value: Any = None,
    max_length: Any = None,
    unit: str = "",
    help_text: str = "",
    options_text: str = "",
    request: HttpRequest | None = None,
) -> ReportField:
    form = ReportForm.objects.select_for_update().get(pk=form.pk)
    _ensure_unlocked(form)
    if form.fields.count() >= MAX_FIELDS:
        raise ValidationError(_("一个表单最多 %(n)d 个字段") % {"n": MAX_FIELDS})
    if kind not in FieldKind.values:
        raise ValidationError({"kind": _("请选择字段类型")})
    length: int | None = None
    if max_length not in (None, ""):
        try:
            length = int(str(max_length))
        except ValueError:
            raise ValidationError({"max_length": _("请输入整数")}) from None
        if length < 1:
            raise ValidationError({"max_length": _("最大长度至少为1")})
    options = parse_options(options_text) if kind in CHOICE_KINDS else []
    if kind in CHOICE_KINDS and len(options) < 2:
        raise ValidationError({"options": _("选择题至少需要两个选项")})
    numeric = kind in NUMERIC_KINDS
    position = (form.fields.aggregate(m=Max("position"))["m"] or 0) + 1
    f = ReportField(
        form=form,
        position=position,
        code=code.strip(),
        label=label.strip(),
        kind=kind,
        required=required,
        min_value=_decimal_or_none(min_value, "min_value") if numeric else None,
        max_value=_decimal_or_none(max_value, "max_value") if numeric else None,
        max_length=length if kind == FieldKind.TEXT else None,
        unit=unit.strip() if numeric else "",
        help_text=help_text.strip(),
        options=options,
    )
    f.full_clean()
    f.save()
    _audit(actor, "report.field_add", form, request, code=f.code, kind=kind)
    return f


@transaction.atomic
def form_field_delete(
    *, actor: Any, form: ReportForm, field_id: int, request: HttpRequest | None = None
) -> None:
    _ensure_unlocked(form)
    f = form.fields.filter(pk=field_id).first()
    if f is None:
        raise ValidationError(_("字段不存在"))
    used = [r.expression for r in form.rules.all() if f.code in _rule_codes(r.expression)]
    if used:
        raise ValidationError(
            _("字段“%(label)s”被校验规则引用，请先删除规则：%(rules)s")
            % {"label": f.label, "rules": "；".join(used)}
        )
    f.delete()
    _audit(actor, "report.field_delete", form, request, code=f.code)


def _rule_codes(expression: str) -> frozenset[str]:
    try:
        return parse_rule(expression).codes
    except RuleError:
        return frozenset()


@transaction.atomic
def form_rule_add(
    *,
    actor: Any,
    form: ReportForm,
    expression: str,
    message: str = "",
    request: HttpRequest | None = None,
) -> ReportRule:
    _ensure_unlocked(form)
    numeric = form.fields.filter(kind__in=sorted(NUMERIC_KINDS)).values_list("code", flat=True)
    try:
        parse_rule(expression, numeric_codes=list(numeric))
    except RuleError as exc:
        raise ValidationError({"expression": str(exc)}) from None
    rule = ReportRule(
        form=form,
        expression=expression.strip(),
        message=message.strip() or _("不满足校验规则：%(rule)s") % {"rule": expression.strip()},
    )
    rule.full_clean()
    rule.save()
    _audit(actor, "report.rule_add", form, request, expression=rule.expression)
    return rule


@transaction.atomic
def form_rule_delete(
    *, actor: Any, form: ReportForm, rule_id: int, request: HttpRequest | None = None
) -> None:
    _ensure_unlocked(form)
    deleted, _n = form.rules.filter(pk=rule_id).delete()
    if not deleted:
        raise ValidationError(_("规则不存在"))
    _audit(actor, "report.rule_delete", form, request, rule_id=rule_id)


@transaction.atomic
def form_new_version(
    *, actor: Any, form: ReportForm, request: HttpRequest | None = None
) -> ReportForm:
    """A new, unlocked copy of a form (its fields and rules), one version up."""
    latest = (
        ReportForm.objects.filter(Q(pk=form.pk) | Q(previous=form)).aggregate(m=Max("version"))["m"]
        or form.version
    )
    copy = ReportForm.objects.create(
        title=form.title,
        description=form.description,
        region_id=officer_region_code(actor),
        version=latest + 1,
        previous=form,
        created_by=actor,
    )
    ReportField.objects.bulk_create(
        ReportField(
            form=copy,
            position=f.position,
            code=f.code,
            label=f.label,
            kind=f.kind,
            required=f.required,
            min_value=f.min_value,
            max_value=f.max_value,
            max_length=f.max_length,
            unit=f.unit,
            help_text=f.help_text,
            options=f.options,
        )
        for f in form.fields.all()
    )
    ReportRule.objects.bulk_create(
        ReportRule(form=copy, expression=r.expression, message=r.message) for r in form.rules.all()
    )
    _audit(actor, "report.form_version", copy, request, previous=form.pk)
    return copy


# ---------------------------------------------------------------------- assignment


@dataclass(frozen=True)
class TaskTargets:
    """Which schools of the officer's region a task goes to (all when empty)."""

    school_types: tuple[str, ...] = ()
    urban_rural: str = ""  # "urban" / "town" / "rural" or one 城乡类型 code
    school_codes: tuple[str, ...] = ()  # an explicit list of 学校标识码
    exclude_teaching_points: bool = False

    def describe(self) -> str:
        from eduplus.schools.codes import SchoolType, UrbanRural

        parts = []
        if self.school_types:
            labels = dict(SchoolType.choices)
            parts.append("、".join(str(labels.get(t, t)) for t in self.school_types))
        groups = {"urban": _("城区"), "town": _("镇区"), "rural": _("乡村")}
        if self.urban_rural:
            ur = groups.get(self.urban_rural) or dict(UrbanRural.choices).get(self.urban_rural)
            parts.append(str(ur or self.urban_rural))
        if self.exclude_teaching_points:
            parts.append(_("不含教学点"))
        if self.school_codes:
            parts.append(_("指定 %(n)d 所学校") % {"n": len(self.school_codes)})
        return "；".join(parts) or _("全部学校")


def target_schools(actor: Any, targets: TaskTargets) -> QuerySet[School]:
    """The schools a task would reach: always within what the officer may see."""
    qs = School.objects.visible_to(actor)
    if targets.school_types:
        qs = qs.filter(school_type__in=list(targets.school_types))
    groups = {"urban": URBAN_CODES, "town": TOWN_CODES, "rural": RURAL_CODES}
    if targets.urban_rural in groups:
        qs = qs.filter(urban_rural__in=sorted(groups[targets.urban_rural]))
    elif targets.urban_rural:
        qs = qs.filter(urban_rural=targets.urban_rural)
    if targets.exclude_teaching_points:
        qs = qs.exclude(school_type="218")
    if targets.school_codes:
        qs = qs.filter(code__in=list(targets.school_codes))
    return qs.order_by("region_id", "code")


def unknown_school_codes(actor: Any, codes: Sequence[str]) -> list[str]:
    """Codes of an explicit list that name no school the officer may see."""
    found = set(
        School.objects.visible_to(actor).filter(code__in=list(codes)).values_list("code", flat=True)
    )
    return [c for c in codes if c not in found]


@transaction.atomic
def task_assign(
    *,
    actor: Any,
    form: ReportForm,
    title: str,
    period: str,
    deadline: dt.date,
    targets: TaskTargets,
    request: HttpRequest | None = None,
) -> ReportTask:
    """Publish a task: one submission per target school; the form is locked."""
    region_code = officer_region_code(actor)
    if not form.fields.exists():
        raise ValidationError(_("表单还没有字段，请先添加字段"))
    if targets.school_codes:
        unknown = unknown_school_codes(actor, targets.school_codes)
        if unknown:
            raise ValidationError(
                {
                    "school_codes": _("以下学校标识码不在您的管辖范围内或不存在：%(codes)s")
                    % {"codes": "、".join(unknown[:20])}
                }
            )
    schools = list(target_schools(actor, targets).values_list("id", "region_id"))
    if not schools:
        raise ValidationError(_("按所选条件，管辖范围内没有学校，请调整报送范围"))
    task = ReportTask(
        form=form,
        title=title.strip(),
        period=period.strip(),
        deadline=deadline,
        region_id=region_code,
        target_description=targets.describe()[:255],
        created_by=actor,
    )
    task.full_clean()
    task.save()
    if form.locked_at is None:
        ReportForm.objects.filter(pk=form.pk).update(locked_at=timezone.now())
        form.locked_at = timezone.now()
    Submission.objects.bulk_create(
        Submission(task=task, school_id=school_id, region_id=region_id)
        for school_id, region_id in schools
    )
    _audit(actor, "report.task_assign", task, request, schools=len(schools), form=form.pk)
    return task


# ------------------------------------------------------------------------- filling


def _lock_submission(submission: Submission) -> Submission:
    return Submission.objects.select_for_update().select_related("task").get(pk=submission.pk)


def can_fill(user: Any, submission: Submission) -> bool:
    """The school's own administrator (a teaching point's: its central school's)."""
    return user_can(user, Action.REPORT_FILL) and submission.school_id in scope_for(user).school_ids


@transaction.atomic
def submission_save(
    *,
    actor: Any,
    submission: Submission,
    raw: Mapping[str, Sequence[str]],
    submit: bool,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Submission:
    """Save a draft (types checked) or submit (required fields and rules too).

    Submitted and signed-off submissions are locked: only a return for correction
    opens them again. A submission after the deadline is accepted and marked late.
    """
    if not can_fill(actor, submission):
        raise ValidationError(_("只有本校的学校管理员可以填报"))
    sub = _lock_submission(submission)
    if sub.status not in EDITABLE_STATUSES:
        raise ValidationError(_("已提交或已审核通过的填报不能修改；如需修改，请联系审核单位退回"))
    form = sub.task.form
    fields = list(form.fields.all())
    cleaned = clean_values(fields, list(form.rules.all()), raw, final=submit)
    if not cleaned.ok:
        raise SubmissionInvalid(cleaned)
    now = now or timezone.now()
    sub.values = cleaned.values
    if submit:
        first = sub.submitted_at is None
        sub.submitted_at = now
        if first:
            # Lateness is judged by the first submission (a return does not make it late).
            sub.is_late = timezone.localdate(now) > sub.task.deadline
        sub.status = SubmissionStatus.SUBMITTED
        sub.review_level = first_review_level(sub)
        sub.return_reason = ""
    elif sub.status == SubmissionStatus.PENDING:
        sub.status = SubmissionStatus.DRAFT
    sub.save()
    kind = EventKind.SUBMITTED if submit else EventKind.SAVED
    note = _("逾期提交") if submit and sub.is_late else ""
    _event(sub, kind, actor, note=note)
    _audit(
        actor,
        "report.submit" if submit else "report.save_draft",
        sub,
        request,
        task=sub.task_id,
        late=sub.is_late if submit else None,
    )
    return sub


def first_review_level(submission: Submission) -> int:
    """The county signs first; a school placed directly at a city starts at the city."""
    return int(LEVEL_BY_LENGTH.get(len(submission.region_id), RegionLevel.COUNTY))


# ------------------------------------------------------------------------ sign-off


def reviewer_levels(user: Any, submission: Submission) -> set[int]:
    """The levels at which this user may sign the submission (their officer regions)."""
    if not user_can(user, Action.REPORT_REVIEW):
        return set()
    return {
        int(LEVEL_BY_LENGTH[len(code)])
        for code in scope_for(user).region_codes
        if len(code) in LEVEL_BY_LENGTH and submission.region_id.startswith(code)
    }


def can_review(user: Any, submission: Submission) -> bool:
    return (
        submission.status == SubmissionStatus.SUBMITTED
        and submission.review_level in reviewer_levels(user, submission)
    )


@transaction.atomic
def submission_sign_off(
    *,
    actor: Any,
    submission: Submission,
    note: str = "",
    request: HttpRequest | None = None,
) -> Submission:
    """Sign off at the actor's level; at the task's originating level it is approved."""
    sub = _lock_submission(submission)
    if sub.status != SubmissionStatus.SUBMITTED:
        raise ValidationError(_("只有待审核的填报可以审核"))
    level = sub.review_level or RegionLevel.COUNTY
    if level not in reviewer_levels(actor, sub):
        raise ValidationError(
            _("此填报正等待%(level)s审核，您不能审核") % {"level": RegionLevel(level).label}
        )
    if level <= sub.task.origin_level:
        sub.status = SubmissionStatus.APPROVED
        sub.review_level = None
        sub.approved_at = timezone.now()
    else:
        sub.review_level = level - 1
    sub.save()
    _event(sub, EventKind.SIGNED_OFF, actor, note=note.strip(), level=level)
    _audit(actor, "report.sign_off", sub, request, level=level, status=sub.status)
    return sub


@transaction.atomic
def submission_return(
    *,
    actor: Any,
    submission: Submission,
    reason: str,
    request: HttpRequest | None = None,
) -> Submission:
    """Return for correction: the school may edit again and sees the reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因")})
    sub = _lock_submission(submission)
    if sub.status != SubmissionStatus.SUBMITTED:
        raise ValidationError(_("只有待审核的填报可以退回"))
    level = sub.review_level or RegionLevel.COUNTY
    if level not in reviewer_levels(actor, sub):
        raise ValidationError(
            _("此填报正等待%(level)s审核，您不能退回") % {"level": RegionLevel(level).label}
        )
    sub.status = SubmissionStatus.RETURNED
    sub.review_level = None
    sub.return_reason = reason[:500]
    sub.save()
    _event(sub, EventKind.RETURNED, actor, note=reason, level=level)
    _audit(actor, "report.return", sub, request, level=level, reason=reason[:200])
    return sub


# ----------------------------------------------------------------------- reminders


@transaction.atomic
def task_remind(
    *,
    actor: Any,
    task: ReportTask,
    message: str = "",
    request: HttpRequest | None = None,
) -> int:
    """An in-site reminder (站内提醒) to every school in the actor's scope that has not
    submitted; returns how many. There is no SMS or e-mail gateway."""
    if not user_can(actor, Action.REPORT_REVIEW):
        raise ValidationError(_("您没有催报权限"))
    text = message.strip() or _("请于%(date)s前完成“%(title)s”的填报并提交。") % {
        "date": f"{task.deadline:%Y-%m-%d}",
        "title": task.title,
    }
    targets = list(
        Submission.objects.visible_to(actor)
        .filter(task=task, status__in=sorted(EDITABLE_STATUSES))
        .values_list("id", flat=True)
    )
    now = timezone.now()
    SubmissionEvent.objects.bulk_create(
        SubmissionEvent(
            submission_id=sid,
            kind=EventKind.REMINDED,
            actor=actor,
            actor_name=_name(actor),
            note=text[:500],
            created_at=now,
        )
        for sid in targets
    )
    _audit(actor, "report.remind", task, request, schools=len(targets))
    return len(targets)
