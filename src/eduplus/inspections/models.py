"""Random inspections (双随机一公开): inspector pools, plans, draws and results.

Every row reaches the region tree through the plan's or the pool's region, so an
officer sees the pools and plans of their region subtree (``scope_fields``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.regions.models import Region
from eduplus.schools.models import School


class InspectorPool(models.Model):
    """检查人员库: the inspectors an officer's region may draw from."""

    name = models.CharField(_("人员库名称"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("管理区域"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("说明"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("检查人员库")
        verbose_name_plural = _("检查人员库")
        ordering = ["region_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name"],
                name="inspector_pool_unique_name",
                violation_error_message=_("该区域已有同名的检查人员库"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Inspector(models.Model):
    """A person who may be drawn to inspect (检查人员). No ID number or phone is kept:
    a name and an organisation are what the public page shows."""

    pool = models.ForeignKey(
        InspectorPool, verbose_name=_("人员库"), on_delete=models.CASCADE, related_name="inspectors"
    )
    name = models.CharField(_("姓名"), max_length=64)
    organisation = models.CharField(_("工作单位"), max_length=128)
    # 回避: an inspector never inspects a school of their own county.
    home_region = models.ForeignKey(
        Region, verbose_name=_("所在县区"), on_delete=models.PROTECT, related_name="+"
    )
    home_school = models.ForeignKey(
        School,
        verbose_name=_("所在学校"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    specialty = models.CharField(_("专业领域"), max_length=64, blank=True)
    active = models.BooleanField(_("在库"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_fields = ScopeFields(region="pool__region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("检查人员")
        verbose_name_plural = _("检查人员")
        ordering = ["pool_id", "home_region_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "name", "organisation"],
                name="inspector_unique_in_pool",
                violation_error_message=_("人员库中已有同一单位的同名人员"),
            ),
            models.CheckConstraint(
                condition=Exact(Length("home_region"), 6),
                name="inspector_home_region_is_county",
                violation_error_message=_("所在县区应为县级行政区划"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.home_region_id and len(str(self.home_region_id)) != 6:
            errors["home_region"] = str(_("所在县区应为县级行政区划"))
        if self.home_school_id and self.home_region_id:
            school_region = str(self.home_school.region_id)  # type: ignore[union-attr]
            if len(school_region) == 6 and school_region != self.home_region_id:
                errors["home_school"] = str(_("所在学校不在所填的县区内"))
        if errors:
            raise ValidationError(errors)


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("待抽取")
    DRAWN = "drawn", _("已抽取")
    CANCELLED = "cancelled", _("已撤销")


class UrbanRuralGroup(models.TextChoices):
    URBAN = "urban", _("城区")
    TOWN = "town", _("镇区")
    RURAL = "rural", _("乡村")


class TeachingPointRule(models.TextChoices):
    INCLUDE = "include", _("含教学点")
    EXCLUDE = "exclude", _("不含教学点")
    ONLY = "only", _("仅教学点")


SUBJECT_SUGGESTIONS = (
    "信息化建设与应用",
    "网络安全",
    "教育装备配备与使用",
    "数据安全与个人信息保护",
    "智慧校园建设",
    "专递课堂与同步课堂",
)


class InspectionPlan(models.Model):
    """抽查计划: what is inspected where, and how many are drawn. Locked once drawn."""

    title = models.CharField(_("计划名称"), max_length=128)
    subject = models.CharField(_("检查事项"), max_length=64)
    region = models.ForeignKey(
        Region, verbose_name=_("抽查区域"), on_delete=models.PROTECT, related_name="+"
    )
    pool = models.ForeignKey(
        InspectorPool, verbose_name=_("检查人员库"), on_delete=models.PROTECT, related_name="plans"
    )
    school_types = models.JSONField(_("办学类型"), default=list, blank=True)
    urban_rural = models.CharField(
        _("城乡类型"), max_length=8, choices=UrbanRuralGroup.choices, blank=True
    )
    teaching_points = models.CharField(
        _("教学点"),
        max_length=8,
        choices=TeachingPointRule.choices,
        default=TeachingPointRule.INCLUDE,
    )
    school_count = models.PositiveIntegerField(_("抽取学校数"), null=True, blank=True)
    school_percent = models.PositiveSmallIntegerField(_("抽取比例（%）"), null=True, blank=True)
    inspectors_per_school = models.PositiveSmallIntegerField(_("每校检查人数"), default=2)
    starts_on = models.DateField(_("检查开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("检查结束日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    # The draw, published as is: anyone re-runs it from these (see inspections.draw).
    seed = models.CharField(_("随机种子"), max_length=64, blank=True)
    algorithm = models.CharField(_("算法版本"), max_length=32, blank=True)
    inputs = models.JSONField(_("抽取输入"), default=dict, blank=True)
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("抽查计划")
        verbose_name_plural = _("抽查计划")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "status"], name="insp_plan_region_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(school_count__isnull=False, school_count__gte=1)
                    & models.Q(school_percent__isnull=True)
                )
                | (
                    models.Q(school_count__isnull=True)
                    & models.Q(school_percent__gte=1, school_percent__lte=100)
                ),
                name="insp_plan_count_or_percent",
                violation_error_message=_("抽取学校数与抽取比例应填且只填一项"),
            ),
            models.CheckConstraint(
                condition=models.Q(inspectors_per_school__gte=1, inspectors_per_school__lte=10),
                name="insp_plan_inspectors_range",
                violation_error_message=_("每校检查人数应在1到10之间"),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="drawn") | ~models.Q(seed=""),
                name="insp_plan_drawn_has_seed",
                violation_error_message=_("已抽取的计划必须公开随机种子"),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="insp_plan_cancel_has_reason",
                violation_error_message=_("撤销计划须填写原因"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def is_drawn(self) -> bool:
        return self.status == PlanStatus.DRAWN

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def count_label(self) -> str:
        if self.school_count:
            return str(_("%(n)d 所") % {"n": self.school_count})
        return str(_("符合条件学校的 %(p)d%%") % {"p": self.school_percent or 0})

    def school_type_labels(self) -> list[str]:
        from eduplus.schools.codes import SchoolType

        labels = dict(SchoolType.choices)
        return [str(labels.get(c, c)) for c in self.school_types]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.school_count) == bool(self.school_percent):
            errors["school_count"] = str(_("抽取学校数与抽取比例应填且只填一项"))
        if self.school_percent is not None and not 1 <= self.school_percent <= 100:
            errors["school_percent"] = str(_("抽取比例应在1%到100%之间"))
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = str(_("结束日期不能早于开始日期"))
        if errors:
            raise ValidationError(errors)


class InspectionTarget(models.Model):
    """One drawn school of a plan, in draw order."""

    plan = models.ForeignKey(
        InspectionPlan, verbose_name=_("抽查计划"), on_delete=models.CASCADE, related_name="targets"
    )
    school = models.ForeignKey(
        School, verbose_name=_("学校"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(_("抽取顺序"))

    scope_fields = ScopeFields(region="plan__region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("抽中学校")
        verbose_name_plural = _("抽中学校")
        ordering = ["plan_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "school"], name="insp_target_unique_school"),
            models.UniqueConstraint(fields=["plan", "position"], name="insp_target_unique_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.position} {self.school_id}"


class InspectionAssignment(models.Model):
    """An inspector drawn for a target school."""

    target = models.ForeignKey(
        InspectionTarget,
        verbose_name=_("抽中学校"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    # CASCADE only for the demo reset: the app never deletes an inspector once drawn
    # (services refuse; the published inputs keep the record either way).
    inspector = models.ForeignKey(
        Inspector, verbose_name=_("检查人员"), on_delete=models.CASCADE, related_name="assignments"
    )
    position = models.PositiveSmallIntegerField(_("顺序"))

    scope_fields = ScopeFields(region="target__plan__region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("检查人员分派")
        verbose_name_plural = _("检查人员分派")
        ordering = ["target_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "inspector"], name="insp_assignment_unique_inspector"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_id}/{self.inspector_id}"


class Conclusion(models.TextChoices):
    PASS = "pass", _("合格")
    BASIC = "basic", _("基本合格")
    FAIL = "fail", _("不合格")


class InspectionResult(models.Model):
    """检查结果 of one inspected school; public once published."""

    target = models.OneToOneField(
        InspectionTarget,
        verbose_name=_("抽中学校"),
        on_delete=models.CASCADE,
        related_name="result",
    )
    inspected_on = models.DateField(_("检查日期"))
    findings = models.TextField(_("检查发现"))
    conclusion = models.CharField(_("检查结论"), max_length=8, choices=Conclusion.choices)
    rectification = models.TextField(_("整改要求"), blank=True)
    rectification_deadline = models.DateField(_("整改期限"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)

    scope_fields = ScopeFields(region="target__plan__region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(conclusion="pass")
                | (~models.Q(rectification="") & models.Q(rectification_deadline__isnull=False)),
                name="insp_result_rectification_required",
                violation_error_message=_("结论为基本合格或不合格时，须填写整改要求和整改期限"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.conclusion}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.conclusion and self.conclusion != Conclusion.PASS:
            if not self.rectification.strip():
                errors["rectification"] = str(_("结论为基本合格或不合格时，须填写整改要求"))
            if self.rectification_deadline is None:
                errors["rectification_deadline"] = str(_("请填写整改期限"))
        if (
            self.rectification_deadline
            and self.inspected_on
            and self.rectification_deadline < self.inspected_on
        ):
            errors["rectification_deadline"] = str(_("整改期限不能早于检查日期"))
        if errors:
            raise ValidationError(errors)
