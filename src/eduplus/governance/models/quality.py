"""Data quality rules as data (质量规则) and their set-based results."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.governance.models.records import ImportBatch
from eduplus.governance.models.sources import DataItem, SourceSystem
from eduplus.regions.models import Region
from eduplus.schools.models import School


class QualityDimension(models.TextChoices):
    COMPLETENESS = "completeness", _("完整性")
    VALIDITY = "validity", _("有效性")
    UNIQUENESS = "uniqueness", _("唯一性")
    CONSISTENCY = "consistency", _("一致性")
    TIMELINESS = "timeliness", _("及时性")


class QualityCheck(models.TextChoices):
    """The checks a rule can apply; each compiles to one set-based SQL predicate."""

    NOT_BLANK = "not_blank", _("不为空")
    VALID_ID = "valid_id", _("证件号有效")
    CODE_KNOWN = "code_known", _("代码在代码表中")
    UNIQUE_IN_BATCH = "unique_in_batch", _("批次内不重复")
    ID_MATCHES_BIRTH = "id_matches_birth", _("出生日期与证件号一致")
    ID_MATCHES_GENDER = "id_matches_gender", _("性别与证件号一致")
    AGREES_WITH_GOLDEN = "agrees_with_golden", _("与主数据一致")
    FRESH = "fresh", _("数据在时限内更新")


class QualityRule(models.Model):
    code = models.SlugField(_("规则代码"), max_length=48, unique=True)
    name = models.CharField(_("规则名称"), max_length=128)
    dimension = models.CharField(_("维度"), max_length=16, choices=QualityDimension.choices)
    item = models.CharField(_("数据项"), max_length=32, choices=DataItem.choices)
    check_kind = models.CharField(_("检查方式"), max_length=32, choices=QualityCheck.choices)
    # Check parameters, e.g. {"max_age_days": 365} for FRESH.
    params = models.JSONField(_("参数"), default=dict, blank=True)
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    active = models.BooleanField(_("启用"), default=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("质量规则")
        verbose_name_plural = _("质量规则")
        ordering = ["dimension", "code"]

    def __str__(self) -> str:
        return self.name


class QualityResult(models.Model):
    """How many records a rule checked and how many failed, for one computation, per
    source, batch, county and school."""

    computed_at = models.DateTimeField(_("计算时间"), db_index=True)
    rule = models.ForeignKey(QualityRule, on_delete=models.CASCADE, related_name="results")
    source = models.ForeignKey(SourceSystem, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    checked = models.PositiveIntegerField(_("检查数"))
    failed = models.PositiveIntegerField(_("不合格数"))

    scope_fields = ScopeFields(region="region_id", school="school_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("质量结果")
        verbose_name_plural = _("质量结果")
        indexes = [
            models.Index(fields=["computed_at", "region"], name="quality_run_region_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(failed__lte=models.F("checked")),
                name="quality_failed_le_checked",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.failed}/{self.checked}"
