"""Golden records (一人一档): each value of a person with its source, the conflicts
between sources, uncertain matches for a steward, and the resolution runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.governance.models.records import SourceRecord
from eduplus.governance.models.sources import DataItem
from eduplus.people.models import Person
from eduplus.regions.models import Region
from eduplus.schools.models import School

# Data items whose winning source row each golden record remembers (一数一源 trail).
PROVENANCE_ITEMS = tuple(DataItem.values)
# The text items a golden record holds itself (the person's own are on people.Person).
GOLDEN_TEXT_ITEMS = (
    "class_name",
    "address",
    "guardian_phone",
    "aid_status",
    "health_result",
    "subject",
    "title",
)


class GoldenRecord(models.Model):
    """The golden record of one person (一人一档): the values that do not live on
    ``people.Person`` itself, and for every data item the source row its value came
    from (``src_<item>``: a SourceRecord id, whose batch, source and row it names).

    One row per person, written set-based by the resolution run.
    """

    person = models.OneToOneField(
        Person,
        verbose_name=_("人员"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="golden",
    )
    person_type = models.CharField(_("人员类别"), max_length=8, default="student")
    # Indexed by golden_region_idx, which leads with it.
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # No index of its own: golden records are listed by region and person (stewards act
    # for a region; no school role reads them), and it cost a resolution of 2 million
    # persons 2.5 s to build.
    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    grade = models.PositiveSmallIntegerField(_("年级"), null=True, blank=True)
    class_name = models.CharField(_("班级"), max_length=32, blank=True)
    address = models.CharField(_("家庭住址"), max_length=255, blank=True)
    guardian_phone = models.CharField(_("监护人电话"), max_length=20, blank=True)
    aid_status = models.CharField(_("资助状态"), max_length=32, blank=True)
    health_result = models.CharField(_("体质健康等级"), max_length=16, blank=True)
    subject = models.CharField(_("任教学科"), max_length=32, blank=True)
    title = models.CharField(_("职称"), max_length=32, blank=True)
    record_count = models.PositiveIntegerField(_("来源记录数"), default=0)
    source_count = models.PositiveSmallIntegerField(_("来源系统数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), null=True, blank=True)
    src_name = models.BigIntegerField(null=True, blank=True)
    src_id_number = models.BigIntegerField(null=True, blank=True)
    src_birth_date = models.BigIntegerField(null=True, blank=True)
    src_gender = models.BigIntegerField(null=True, blank=True)
    src_ethnicity = models.BigIntegerField(null=True, blank=True)
    src_school = models.BigIntegerField(null=True, blank=True)
    src_grade = models.BigIntegerField(null=True, blank=True)
    src_class_name = models.BigIntegerField(null=True, blank=True)
    src_address = models.BigIntegerField(null=True, blank=True)
    src_phone = models.BigIntegerField(null=True, blank=True)
    src_guardian_phone = models.BigIntegerField(null=True, blank=True)
    src_aid_status = models.BigIntegerField(null=True, blank=True)
    src_health_result = models.BigIntegerField(null=True, blank=True)
    src_subject = models.BigIntegerField(null=True, blank=True)
    src_title = models.BigIntegerField(null=True, blank=True)

    scope_fields = ScopeFields(
        region="region_id", school="school_id", person="person_id", personal=True
    )
    objects = ScopedManager()

    class Meta:
        verbose_name = _("主数据记录")
        verbose_name_plural = _("主数据记录")
        ordering = ["person_id"]
        indexes = [models.Index(fields=["region", "person"], name="golden_region_idx")]

    def __str__(self) -> str:
        return f"golden {self.person_id}"

    def source_record_id(self, item: str) -> int | None:
        value = getattr(self, f"src_{item}")
        return int(value) if value is not None else None


class ValueConflict(models.Model):
    """Sources disagree on an item of a person; the authoritative one won."""

    # Indexed by value_conflict_once, which leads with it.
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    item = models.CharField(_("数据项"), max_length=32, choices=DataItem.choices)
    chosen_value = models.CharField(_("采用值"), max_length=255)
    # [{"source": code, "batch": id, "row": n, "value": text}, …]
    values = models.JSONField(_("各来源取值"), default=list)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detected_at = models.DateTimeField(_("发现时间"), auto_now=True)

    scope_fields = ScopeFields(region="region_id", person="person_id", personal=True)
    objects = ScopedManager()

    class Meta:
        verbose_name = _("数据冲突")
        verbose_name_plural = _("数据冲突")
        ordering = ["-detected_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "item"], name="value_conflict_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}.{self.item}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("待审核")
    MERGED = "merged", _("确认同一人")
    SPLIT = "split", _("确认不同人")


class MatchReview(models.Model):
    """An uncertain pair of source records. A steward's decision (merge or split) is
    applied on every later resolution run: merged pairs always link, split never do."""

    left = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("匹配概率"))
    status = models.CharField(
        _("状态"), max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id", personal=True)
    objects = ScopedManager()

    class Meta:
        verbose_name = _("匹配审核")
        verbose_name_plural = _("匹配审核")
        ordering = ["status", "-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="match_review_pair_once"),
            models.CheckConstraint(
                condition=Q(left__lt=models.F("right")),
                name="match_review_ordered_pair",
                violation_error_message=_("记录对须按编号排序"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.left_id}~{self.right_id}"


class ResolutionRun(models.Model):
    """One run of identity resolution (full or incremental), with its figures."""

    mode = models.CharField(_("方式"), max_length=16, default="incremental")
    backend = models.CharField(_("计算引擎"), max_length=16, default="duckdb")
    status = models.CharField(_("状态"), max_length=16, default="running")
    records = models.PositiveIntegerField(_("记录数"), default=0)
    new_records = models.PositiveIntegerField(_("新记录数"), default=0)
    pairs = models.PositiveBigIntegerField(_("候选对"), default=0)
    persons_created = models.PositiveIntegerField(_("新建人员"), default=0)
    persons_linked = models.PositiveIntegerField(_("关联人员"), default=0)
    review_items = models.PositiveIntegerField(_("待审核对"), default=0)
    conflicts = models.PositiveIntegerField(_("数据冲突"), default=0)
    splink_seconds = models.FloatField(_("Splink 用时（秒）"), default=0)
    total_seconds = models.FloatField(_("总用时（秒）"), default=0)
    failure = models.TextField(_("失败原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("身份解析运行")
        verbose_name_plural = _("身份解析运行")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"run #{self.pk}"
