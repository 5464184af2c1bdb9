"""Informatization monitoring (信息化监测) models.

* :class:`SchoolFacts`: one school's informatization facts for one year (bandwidth,
  fibre, wireless, classrooms, IPv6, campus assessment, learning-space activity), with
  every correction kept in :class:`SchoolFactsRevision` and evidence files attached.
* :class:`CampusStandard` / :class:`CampusStandardItem` / :class:`CampusAssessment`:
  the digital-campus and smart-campus standards as data (items and weights), and a
  school's scored assessment against one.
* :class:`Indicator`, :class:`PolicyDocument`, :class:`IndicatorTarget`: indicators as
  data, DHIS2 style (numerator and denominator expressions over the facts, a factor,
  filters on the schools counted), and targets per province and year, each linked to
  the clause of the policy document that sets it.
* :class:`IndicatorValue`: computed values for every region level and every school
  (``monitoring.services.indicators_compute``), with numerator and denominator kept so
  that anyone can recompute the percentage.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.regions.models import Region
from eduplus.schools.models import School

MIN_YEAR = 2000
MAX_YEAR = 2100


def year_validators() -> list[Any]:
    return [MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]


class FactsSource(models.TextChoices):
    ENTERED = "entered", _("学校填报")
    IMPORTED = "imported", _("批量导入")
    CORRECTED = "corrected", _("管理部门更正")
    ASSESSED = "assessed", _("校园评估")
    DEMO = "demo", _("演示数据")


class SchoolFacts(models.Model):
    """学校信息化基础数据: one school, one year. Empty (None) means not reported."""

    school = models.ForeignKey(
        School, verbose_name=_("学校"), on_delete=models.CASCADE, related_name="facts"
    )
    year = models.PositiveSmallIntegerField(_("年度"), validators=year_validators())
    # Denormalised from school.region so that a region's facts are an index range.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")

    bandwidth_mbps = models.PositiveIntegerField(_("出口带宽（Mbps）"), null=True, blank=True)
    fibre = models.BooleanField(_("光纤接入"), null=True, blank=True)
    wireless_full = models.BooleanField(_("无线网络全覆盖"), null=True, blank=True)
    all_optical = models.BooleanField(_("全光校园网"), null=True, blank=True)
    multimedia_classrooms = models.PositiveIntegerField(_("多媒体教室数"), null=True, blank=True)
    ordinary_classrooms = models.PositiveIntegerField(_("普通教室数"), null=True, blank=True)
    teacher_terminals = models.PositiveIntegerField(_("教师终端数"), null=True, blank=True)
    ipv6 = models.BooleanField(_("网站和系统支持IPv6访问"), null=True, blank=True)
    digital_campus_score = models.DecimalField(
        _("数字校园评估得分"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    digital_campus_compliant = models.BooleanField(_("数字校园达标"), null=True, blank=True)
    smart_campus_score = models.DecimalField(
        _("智慧校园评估得分"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    smart_campus_compliant = models.BooleanField(_("智慧校园达标"), null=True, blank=True)
    # Learning-space activity (网络学习空间), imported until that module provides it.
    teachers_total = models.PositiveIntegerField(_("教师总数"), null=True, blank=True)
    teachers_space_active = models.PositiveIntegerField(
        _("开通并使用空间的教师数"), null=True, blank=True
    )
    teachers_space_regular = models.PositiveIntegerField(
        _("常态化利用空间教学的教师数"), null=True, blank=True
    )
    students_total = models.PositiveIntegerField(_("学生总数"), null=True, blank=True)
    students_g3_total = models.PositiveIntegerField(_("三年级及以上学生数"), null=True, blank=True)
    students_g3_space_active = models.PositiveIntegerField(
        _("使用空间的三年级及以上学生数"), null=True, blank=True
    )
    students_space_regular = models.PositiveIntegerField(
        _("常态化利用空间学习的学生数"), null=True, blank=True
    )
    three_classrooms = models.BooleanField(
        _("三个课堂覆盖"), null=True, blank=True, help_text=_("专递课堂、名师课堂或名校网络课堂")
    )

    source = models.CharField(
        _("来源"), max_length=16, choices=FactsSource.choices, default=FactsSource.ENTERED
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.CharField(_("更新人"), max_length=150, blank=True)

    scope_fields = ScopeFields(region="region_id", school="school_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("学校信息化基础数据")
        verbose_name_plural = _("学校信息化基础数据")
        ordering = ["school_id", "-year"]
        indexes = [models.Index(fields=["year", "region"], name="facts_year_region_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year"],
                name="facts_one_row_per_school_year",
                violation_error_message=_("该学校本年度已有信息化基础数据"),
            ),
            models.CheckConstraint(
                condition=models.Q(multimedia_classrooms__isnull=True)
                | models.Q(ordinary_classrooms__isnull=True)
                | models.Q(multimedia_classrooms__lte=models.F("ordinary_classrooms")),
                name="facts_multimedia_within_ordinary",
                violation_error_message=_("多媒体教室数不能超过普通教室数"),
            ),
            models.CheckConstraint(
                condition=models.Q(teachers_space_active__isnull=True)
                | models.Q(teachers_total__isnull=True)
                | models.Q(teachers_space_active__lte=models.F("teachers_total")),
                name="facts_teacher_space_within_total",
                violation_error_message=_("使用空间的教师数不能超过教师总数"),
            ),
            models.CheckConstraint(
                condition=models.Q(students_g3_space_active__isnull=True)
                | models.Q(students_g3_total__isnull=True)
                | models.Q(students_g3_space_active__lte=models.F("students_g3_total")),
                name="facts_student_space_within_total",
                violation_error_message=_("使用空间的学生数不能超过三年级及以上学生数"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.year}"


class SchoolFactsRevision(models.Model):
    """One change to a school's facts: what was, what became, who, when and why."""

    facts = models.ForeignKey(SchoolFacts, on_delete=models.CASCADE, related_name="revisions")
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)
    changed_by = models.CharField(_("修改人"), max_length=150, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=FactsSource.choices)
    reason = models.CharField(_("修改原因"), max_length=255, blank=True)
    before = models.JSONField(_("修改前"), default=dict)
    after = models.JSONField(_("修改后"), default=dict)

    class Meta:
        verbose_name = _("信息化数据修改记录")
        verbose_name_plural = _("信息化数据修改记录")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.facts_id} @ {self.changed_at:%Y-%m-%d %H:%M}"


class FactsEvidence(models.Model):
    """A supporting file (佐证材料) for a school's facts of one year."""

    facts = models.ForeignKey(SchoolFacts, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to="evidence/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("大小"))
    description = models.CharField(_("说明"), max_length=255, blank=True)
    uploaded_by = models.CharField(_("上传人"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facts", "sha256"],
                name="evidence_once_per_facts",
                violation_error_message=_("同一文件已上传"),
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class CampusKind(models.TextChoices):
    DIGITAL = "digital", _("数字校园")
    SMART = "smart", _("智慧校园")


class CampusStandard(models.Model):
    """A campus assessment standard (数字校园/智慧校园建设标准): items and weights as data."""

    code = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类别"), max_length=16, choices=CampusKind.choices)
    # School types the standard applies to (empty: every type).
    school_types = models.JSONField(_("适用办学类型"), default=list, blank=True)
    pass_score = models.DecimalField(_("达标分数"), max_digits=5, decimal_places=1)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("校园评估标准")
        verbose_name_plural = _("校园评估标准")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, school_type: str) -> bool:
        return not self.school_types or school_type in self.school_types


class CampusStandardItem(models.Model):
    standard = models.ForeignKey(CampusStandard, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("代码"), max_length=48)
    name = models.CharField(_("评估项"), max_length=128)
    description = models.CharField(_("评估要点"), max_length=255, blank=True)
    # Points this item contributes at full marks; the items of a standard sum to 100.
    weight = models.DecimalField(_("权重（分）"), max_digits=5, decimal_places=1)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("评估项")
        verbose_name_plural = _("评估项")
        ordering = ["standard_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="campus_item_unique"),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0),
                name="campus_item_weight_positive",
                violation_error_message=_("权重必须大于0"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampusAssessment(models.Model):
    """A school's assessment against a standard for a year: each item scored 0–100 %."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="campus_assessments")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"), validators=year_validators())
    standard = models.ForeignKey(CampusStandard, on_delete=models.PROTECT, related_name="+")
    # {item code: percentage of the item achieved, 0–100}
    scores = models.JSONField(_("各项得分率"), default=dict)
    total = models.DecimalField(_("总分"), max_digits=5, decimal_places=1)
    compliant = models.BooleanField(_("达标"))
    assessed_by = models.CharField(_("评估人"), max_length=150, blank=True)
    assessed_at = models.DateTimeField(_("评估时间"), auto_now=True)

    scope_fields = ScopeFields(region="region_id", school="school_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("校园评估")
        verbose_name_plural = _("校园评估")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "standard"], name="campus_assessment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.year} {self.standard_id}"


class PolicyDocument(models.Model):
    """A policy document that sets targets (政策文件), cited by its clauses."""

    code = models.CharField(_("代码"), max_length=48, unique=True)
    # The province whose department issued it; empty for national documents (教育部).
    province = models.ForeignKey(
        Region,
        verbose_name=_("省份"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": 1},
    )
    title = models.CharField(_("标题"), max_length=255)
    issuer = models.CharField(_("发文机关"), max_length=128)
    issued = models.DateField(_("发布日期"), null=True, blank=True)
    doc_number = models.CharField(_("文号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("政策文件")
        verbose_name_plural = _("政策文件")
        ordering = ["-issued", "code"]

    def __str__(self) -> str:
        return self.title


class Indicator(models.Model):
    """An indicator as data (DHIS2 style): ``factor × numerator / denominator`` over the
    facts of the schools that pass ``filters`` in a year.

    Expressions (``monitoring.expressions``): ``count()``, ``count(fibre)``,
    ``count(bandwidth_mbps >= 100)``, ``sum(multimedia_classrooms)``,
    ``sum(teachers_space_regular + students_space_regular)``.
    Filters: ``{"school_types": [...], "exclude_school_types": [...],
    "urban_rural": "urban" | "rural", "teaching_points": "only" | "exclude"}``.
    """

    code = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("指标名称"), max_length=128)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    description = models.TextField(_("说明"), blank=True)
    numerator = models.CharField(_("分子"), max_length=255)
    denominator = models.CharField(_("分母"), max_length=255)
    numerator_label = models.CharField(_("分子含义"), max_length=128)
    denominator_label = models.CharField(_("分母含义"), max_length=128)
    factor = models.PositiveIntegerField(_("系数"), default=100)
    unit = models.CharField(_("单位"), max_length=8, default="%")
    filters = models.JSONField(_("统计范围"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("监测指标")
        verbose_name_plural = _("监测指标")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The English name in the English interface (names are data, not msgids)."""
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def scope_text(self) -> str:
        from eduplus.monitoring.expressions import describe_filters

        return describe_filters(self.filters or {})

    def clean(self) -> None:
        from eduplus.monitoring.expressions import validate_indicator

        validate_indicator(self)


class IndicatorTarget(models.Model):
    """The target of an indicator for a province and year, from a policy clause.

    In force for a year Y: the target of the latest target year ≤ Y; before the first
    target year, the first one (``monitoring.selectors.targets_in_force``).
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    province = models.ForeignKey(
        Region,
        verbose_name=_("省份"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": 1},
    )
    year = models.PositiveSmallIntegerField(_("目标年度"), validators=year_validators())
    value = models.DecimalField(_("目标值"), max_digits=6, decimal_places=2)
    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策依据"), on_delete=models.PROTECT, related_name="targets"
    )
    clause = models.CharField(_("条款"), max_length=255)

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        ordering = ["indicator_id", "province_id", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "province", "year"],
                name="target_one_per_indicator_province_year",
                violation_error_message=_("该指标在该省份该年度已有目标"),
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0),
                name="target_not_negative",
                violation_error_message=_("目标值不能为负数"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.province_id} {self.year}: {self.value}"


class ValueLevel(models.IntegerChoices):
    PROVINCE = 1, _("省级")
    CITY = 2, _("市级")
    COUNTY = 3, _("县级")
    SCHOOL = 4, _("学校")


class IndicatorValue(models.Model):
    """A computed value: one indicator, one year, one region (any level) or one school.

    ``area`` is the region code the row belongs to (the region itself, or the school's
    region), so the scoping primitive reaches region and school rows alike.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField(choices=ValueLevel.choices)
    area = models.CharField(max_length=6)
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.CASCADE, related_name="indicator_values"
    )
    numerator = models.FloatField()
    denominator = models.FloatField()
    value = models.FloatField(null=True)  # None when the denominator is 0
    computed_at = models.DateTimeField()

    scope_fields = ScopeFields(region="area", school="school_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("指标值")
        verbose_name_plural = _("指标值")
        indexes = [
            models.Index(fields=["indicator", "year", "level", "area"], name="ivalue_lookup_idx"),
            models.Index(fields=["year", "area", "level"], name="ivalue_area_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "level", "area"],
                condition=models.Q(school__isnull=True),
                name="ivalue_one_per_region",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "school"],
                condition=models.Q(school__isnull=False),
                name="ivalue_one_per_school",
            ),
            models.CheckConstraint(
                condition=models.Q(level=4, school__isnull=False)
                | models.Q(level__lt=4, school__isnull=True),
                name="ivalue_school_rows_have_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.year} {self.area} {self.value}"


def facts_field_names() -> list[str]:
    """The facts a school reports (every column but keys and bookkeeping)."""
    skip = {"id", "school", "year", "region", "source", "updated_at", "updated_by"}
    return [f.name for f in SchoolFacts._meta.concrete_fields if f.name not in skip]


def evidence_upload_limit() -> int:
    return int(getattr(settings, "EDUPLUS_EVIDENCE_MAX_BYTES", 20 * 2**20))


def facts_field(name: str) -> models.Field[Any, Any]:
    field = SchoolFacts._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field
