"""Import batches (导入批次) and the rows they read (来源记录), accepted or rejected."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.governance.models.sources import SourceSystem
from eduplus.people.models import Person
from eduplus.regions.models import Region
from eduplus.schools.models import School


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    ROLLED_BACK = "rolled_back", _("已回滚")


LIVE_BATCH_STATUSES = (BatchStatus.QUEUED, BatchStatus.RUNNING, BatchStatus.DONE)


class PersonType(models.TextChoices):
    STUDENT = "student", _("学生")
    TEACHER = "teacher", _("教师")


class ImportBatch(models.Model):
    """One file imported from one source. All-or-nothing for its valid rows.

    The same file (by SHA-256) imported again from the same source is the same batch:
    the import changes nothing and answers the existing batch.
    """

    source = models.ForeignKey(
        SourceSystem, verbose_name=_("来源系统"), on_delete=models.PROTECT, related_name="batches"
    )
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件摘要"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    stored_path = models.CharField(_("存储路径"), max_length=500, blank=True)
    # Column header → data item, as detected or as given by the steward.
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    # The region the importing steward acts for; the batch is visible within it.
    region = models.ForeignKey(
        Region, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    phase = models.CharField(_("阶段"), max_length=64, blank=True)
    progress_done = models.PositiveBigIntegerField(_("已处理"), default=0)
    progress_total = models.PositiveBigIntegerField(_("总数"), default=0)
    rows_read = models.PositiveIntegerField(_("读取行数"), default=0)
    rows_accepted = models.PositiveIntegerField(_("接受行数"), default=0)
    rows_rejected = models.PositiveIntegerField(_("拒绝行数"), default=0)
    rows_suspicious = models.PositiveIntegerField(_("存疑行数"), default=0)
    error_report_path = models.CharField(_("错误报告"), max_length=500, blank=True)
    failure = models.TextField(_("失败原因"), blank=True)
    task_id = models.CharField(_("后台任务"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "file_sha256"],
                condition=Q(status__in=["queued", "running", "done"]),
                name="batch_same_file_once",
                violation_error_message=_("该文件已从同一来源导入过"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "failed", "rolled_back"])
                | Q(rows_read=models.F("rows_accepted") + models.F("rows_rejected")),
                name="batch_rows_add_up",
                violation_error_message=_("读取行数应等于接受行数与拒绝行数之和"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == BatchStatus.DONE else 0
        return min(100, int(self.progress_done * 100 / self.progress_total))


class RecordStatus(models.TextChoices):
    ACCEPTED = "accepted", _("接受")
    SUSPICIOUS = "suspicious", _("存疑")  # accepted, with warnings a steward should see
    REJECTED = "rejected", _("拒绝")


class SourceRecord(models.Model):
    """One data row of a batch, normalised; rejected rows are kept with their reasons."""

    # No index of their own for batch and region: the composite indexes below lead
    # with them (each index costs every imported row a B-tree insert). None for
    # source and school either: lists filter them within a batch or a region, whose
    # indexes narrow first, and a source or school is not deleted while it has records.
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("批次"),
        on_delete=models.CASCADE,
        related_name="records",
        db_index=False,
    )
    source = models.ForeignKey(
        SourceSystem,
        verbose_name=_("来源系统"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    row_number = models.PositiveIntegerField(_("行号"))
    # The file's 记录号 column when it has one, else the 1-based data row number.
    record_key = models.CharField(_("记录号"), max_length=64)
    status = models.CharField(_("状态"), max_length=16, choices=RecordStatus.choices)
    reasons = models.JSONField(_("原因"), default=list, blank=True)
    # The original cells, header → text, for the error report in the original columns:
    # kept here for rejected and suspicious rows; an accepted row's cells are in the
    # batch's columnar copy (importing.record_raw reads either).
    raw = models.JSONField(_("原始数据"), default=dict)
    person_type = models.CharField(_("人员类别"), max_length=8, choices=PersonType.choices)
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    id_number = models.CharField(_("身份证件号"), max_length=18, blank=True)
    id_valid = models.BooleanField(_("证件号有效"), default=False)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    gender = models.PositiveSmallIntegerField(_("性别"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=2, blank=True)
    school_code = models.CharField(_("学校标识码"), max_length=10, blank=True)
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    grade = models.PositiveSmallIntegerField(_("年级"), null=True, blank=True)
    class_name = models.CharField(_("班级"), max_length=32, blank=True)
    address = models.CharField(_("家庭住址"), max_length=255, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    guardian_phone = models.CharField(_("监护人电话"), max_length=20, blank=True)
    aid_status = models.CharField(_("资助状态"), max_length=32, blank=True)
    health_result = models.CharField(_("体质健康等级"), max_length=16, blank=True)
    subject = models.CharField(_("任教学科"), max_length=32, blank=True)
    title = models.CharField(_("职称"), max_length=32, blank=True)
    # The golden person the record resolved to: RecordLink (``record.link``).

    scope_fields = ScopeFields(region="region_id", school="school_id", personal=True)
    objects = ScopedManager()

    class Meta:
        verbose_name = _("来源记录")
        verbose_name_plural = _("来源记录")
        ordering = ["batch_id", "row_number"]
        # No index on id_number: nothing looks records up by it (the resolution reads
        # the batches' columnar copies; the in-batch uniqueness rule groups by batch
        # first), and it cost an import of 3.6 million rows 5 s to build.
        indexes = [
            models.Index(fields=["batch", "status"], name="srcrec_batch_status_idx"),
            models.Index(fields=["region", "id"], name="srcrec_region_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="srcrec_batch_row"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.record_key}"

    @property
    def linked_person_id(self) -> int | None:
        """The golden person this record resolved to, if any (``select_related("link")``
        saves a query per record)."""
        link = getattr(self, "link", None)  # RelatedObjectDoesNotExist is an AttributeError
        return link.person_id if link is not None else None


class RecordLink(models.Model):
    """The golden person a source record resolved to (一人一档), and how sure the match was.

    Kept apart from the record: a resolution run writes one narrow row per record it
    links instead of rewriting the record's wide row (on SQLite the whole records table,
    millions of rows, went through the write-ahead log again on every full run). A
    record without a link has not been resolved (or a steward split it off).
    """

    record = models.OneToOneField(
        SourceRecord,
        verbose_name=_("来源记录"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="link",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="record_links",
        db_index=False,
    )
    match_probability = models.FloatField(_("匹配概率"), null=True, blank=True)

    class Meta:
        verbose_name = _("记录归属")
        verbose_name_plural = _("记录归属")
        indexes = [models.Index(fields=["person"], name="reclink_person_idx")]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.person_id}"
