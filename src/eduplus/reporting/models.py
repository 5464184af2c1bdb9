"""Report collection (通用信息报送): forms, tasks, per-school submissions and their history.

- :class:`ReportForm` — a form designed by an officer: typed fields and rules between
  fields. It is locked once a task uses it; a change then makes a new version.
- :class:`ReportTask` — a form assigned to the schools of the officer's region for a
  period (2026年度) with a deadline. It completes at its originating level.
- :class:`Submission` — one school's answer to one task (one row per school, created at
  assignment), signed off level by level: county → city → province.
- :class:`SubmissionEvent` — the history of a submission (saves, submissions, sign-offs,
  returns for correction, reminders).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopedQuerySet, ScopeFields, scope_for
from eduplus.regions.models import LEVEL_BY_LENGTH, Region, RegionLevel
from eduplus.schools.models import School


class FieldKind(models.TextChoices):
    INTEGER = "integer", _("整数")
    DECIMAL = "decimal", _("小数")
    TEXT = "text", _("文本")
    BOOLEAN = "boolean", _("是/否")
    DATE = "date", _("日期")
    CHOICE = "choice", _("单选（代码表）")
    MULTICHOICE = "multichoice", _("多选（代码表）")


NUMERIC_KINDS = frozenset({FieldKind.INTEGER, FieldKind.DECIMAL})
CHOICE_KINDS = frozenset({FieldKind.CHOICE, FieldKind.MULTICHOICE})


class ReportForm(models.Model):
    """A report form (报表). Anchored to the region of the officer who designed it."""

    title = models.CharField(_("表单名称"), max_length=128)
    description = models.TextField(_("填报说明"), blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("上一版本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_versions",
    )
    # Set when the first task uses the form: from then on fields and rules are frozen,
    # so every school of a task answers the same questions.
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设计人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("报送表单")
        verbose_name_plural = _("报送表单")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="report_form_version_positive",
                violation_error_message=_("版本号应从1开始"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class ReportField(models.Model):
    """One typed question of a form. ``code`` names it in rules and exports."""

    form = models.ForeignKey(ReportForm, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField(_("顺序"), default=0)
    code = models.CharField(
        _("字段代码"),
        max_length=32,
        help_text=_("小写字母开头，可含小写字母、数字和下划线，用于校验规则和导出"),
    )
    label = models.CharField(_("字段名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=FieldKind.choices)
    required = models.BooleanField(_("必填"), default=False)
    min_value = models.DecimalField(
        _("最小值"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("最大值"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(_("最大长度"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    help_text = models.CharField(_("填报提示"), max_length=255, blank=True)
    # Code list of a choice field: [[code, label], ...].
    options = models.JSONField(_("选项"), default=list, blank=True)

    class Meta:
        verbose_name = _("表单字段")
        verbose_name_plural = _("表单字段")
        ordering = ["form_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["form", "code"],
                name="report_field_code_unique",
                violation_error_message=_("同一表单中字段代码不能重复"),
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[a-z][a-z0-9_]*$"),
                name="report_field_code_format",
                violation_error_message=_("字段代码须以小写字母开头，只含小写字母、数字和下划线"),
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="report_field_min_le_max",
                violation_error_message=_("最小值不能大于最大值"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} [{self.code}]"

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def option_labels(self) -> dict[str, str]:
        return {str(code): str(label) for code, label in self.options}


class ReportRule(models.Model):
    """A rule between fields, e.g. ``multimedia_rooms <= ordinary_rooms`` (see rules.py)."""

    form = models.ForeignKey(ReportForm, on_delete=models.CASCADE, related_name="rules")
    expression = models.CharField(_("规则表达式"), max_length=255)
    message = models.CharField(_("不满足时的提示"), max_length=255)

    class Meta:
        verbose_name = _("校验规则")
        verbose_name_plural = _("校验规则")
        ordering = ["form_id", "id"]

    def __str__(self) -> str:
        return self.expression


class ReportTaskQuerySet(ScopedQuerySet["ReportTask"]):
    def visible_to(self, user: Any) -> ReportTaskQuerySet:
        """Tasks of the user's region subtree, and tasks reaching a submission the user
        sees (a county officer sees the city's task for their schools; a school its own)."""
        scope = scope_for(user)
        if scope.is_empty:
            return self.none()
        reached = Submission.objects.visible_to(user).values("task_id")
        return self.filter(Q(pk__in=reached) | scope.q_for(ReportTask.scope_fields))


class ReportTask(models.Model):
    """A form assigned to schools for a period, with a deadline (报送任务)."""

    form = models.ForeignKey(
        ReportForm, verbose_name=_("表单"), on_delete=models.PROTECT, related_name="tasks"
    )
    title = models.CharField(_("任务名称"), max_length=128)
    period = models.CharField(_("报送周期"), max_length=32, help_text=_("如：2026年度"))
    deadline = models.DateField(_("截止日期"))
    # The originating region: its level is where sign-off ends (county, city, province).
    region = models.ForeignKey(
        Region, verbose_name=_("发起区域"), on_delete=models.PROTECT, related_name="+"
    )
    target_description = models.CharField(_("报送范围"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id")
    objects = models.Manager.from_queryset(ReportTaskQuerySet)()

    class Meta:
        verbose_name = _("报送任务")
        verbose_name_plural = _("报送任务")
        ordering = ["-deadline", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def origin_level(self) -> int:
        return int(LEVEL_BY_LENGTH[len(self.region_id)])

    @property
    def origin_level_label(self) -> str:
        return str(RegionLevel(self.origin_level).label)


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", _("未填报")
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("审核通过")


# The school may edit in these states; submitted and approved ones are locked.
EDITABLE_STATUSES = frozenset(
    {SubmissionStatus.PENDING, SubmissionStatus.DRAFT, SubmissionStatus.RETURNED}
)
# Counted as 已报送 in the rates and aggregated in the results.
REPORTED_STATUSES = frozenset({SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED})


class Submission(models.Model):
    """One school's answer to one task (填报记录)."""

    task = models.ForeignKey(
        ReportTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="submissions"
    )
    # A named reverse relation, so that `eduplus seed --reset` finds and deletes these
    # rows before the schools (hidden "+" relations are invisible to it).
    school = models.ForeignKey(
        School,
        verbose_name=_("学校"),
        on_delete=models.CASCADE,
        related_name="report_submissions",
    )
    # The school's region at assignment, denormalised for scope and region rollups.
    region = models.ForeignKey(
        Region, verbose_name=_("所在地"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.PENDING,
        db_index=True,
    )
    values = models.JSONField(_("填报内容"), default=dict, blank=True)
    # While submitted: the level whose officer signs next (3 county, 2 city, 1 province).
    review_level = models.PositiveSmallIntegerField(_("待审核级别"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    is_late = models.BooleanField(_("逾期提交"), default=False)
    return_reason = models.CharField(_("退回原因"), max_length=500, blank=True)
    approved_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_fields = ScopeFields(region="region_id", school="school_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("填报记录")
        verbose_name_plural = _("填报记录")
        ordering = ["task_id", "region_id", "school_id"]
        indexes = [models.Index(fields=["task", "region", "status"], name="report_sub_rollup_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "school"],
                name="report_submission_one_per_school",
                violation_error_message=_("该学校已在此任务中"),
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(review_level__isnull=False),
                name="report_submitted_has_review_level",
                violation_error_message=_("待审核的填报须有审核级别"),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "approved"]) | Q(submitted_at__isnull=False),
                name="report_reported_has_submitted_at",
                violation_error_message=_("已提交的填报须有提交时间"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}/{self.school_id}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def status_label(self) -> str:
        if self.status == SubmissionStatus.SUBMITTED and self.review_level:
            return str(_("待%(level)s审核") % {"level": RegionLevel(self.review_level).label})
        return str(self.get_status_display())


class EventKind(models.TextChoices):
    SAVED = "saved", _("保存草稿")
    SUBMITTED = "submitted", _("提交")
    SIGNED_OFF = "signed_off", _("审核通过")
    RETURNED = "returned", _("退回修改")
    REMINDED = "reminded", _("站内提醒")


class SubmissionEvent(models.Model):
    """One step in a submission's history, shown to the school and the officers."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("操作"), max_length=16, choices=EventKind.choices)
    level = models.PositiveSmallIntegerField(_("级别"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=64, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)

    scope_fields = ScopeFields(region="submission__region_id", school="submission__school_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("填报记录历史")
        verbose_name_plural = _("填报记录历史")
        ordering = ["submission_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.kind}"

    @property
    def level_label(self) -> str:
        return str(RegionLevel(self.level).label) if self.level else ""
