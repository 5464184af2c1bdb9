"""Resource aggregation (资源汇聚, 一点接入、全省共享): what this installation publishes
and what it harvests.

- :class:`Installation` — this installation's stable identity in the feed (one row).
- :class:`FeedToken` — a subscriber's bearer token for our feed; only its SHA-256 is kept.
- :class:`HarvestSource` — another platform's feed we harvest, with its cursor.
- :class:`HarvestRun` — one harvest of a source: counters, state and per-entry failures.
- :class:`Origin` — where a harvested resource comes from (the *original* origin, so that
  chains A→B→C never duplicate and loops never re-import).

Owns these tables; writes go through ``services.py`` and ``eduplus.resources.federation``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.regions.models import Region
from eduplus.resources.models import Resource
from eduplus.schools.models import School


class Installation(models.Model):
    """The identity this installation publishes as ``origin.instance`` (one row, pk 1).

    Generated once; ``EDUPLUS_INSTANCE_ID`` overrides the stored value.
    """

    instance_id = models.CharField(_("实例标识"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("本平台实例")
        verbose_name_plural = _("本平台实例")

    def __str__(self) -> str:
        return self.instance_id


class FeedToken(models.Model):
    """A subscriber's token for the published feed (订阅令牌). Only the SHA-256 is stored;
    the token is shown once, when it is issued."""

    subscriber = models.CharField(_("订阅方"), max_length=100)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    # The region of the officer who issued it: who may see and revoke it.
    region = models.ForeignKey(
        Region, verbose_name=_("签发区域"), on_delete=models.PROTECT, related_name="+"
    )
    prefix = models.CharField(_("令牌前缀"), max_length=16)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("使用次数"), default=0)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("订阅令牌")
        verbose_name_plural = _("订阅令牌")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.subscriber} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class HarvestSource(models.Model):
    """Another platform's feed (汇聚来源).

    The token is stored in the clear: core has no encryption helper (SM4/Fernet) yet, so
    the database must be protected like the other secrets of the deployment. It is never
    shown again after it is saved.
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    base_url = models.URLField(
        _("订阅地址"),
        max_length=500,
        help_text=_(
            "对方平台的资源订阅地址，例如 https://edu.example.cn/aggregation/feed/v1/resources"
        ),
    )
    token = models.CharField(_("访问令牌"), max_length=200)
    # Resources are filed under this region (county review, scope) and school (承接学校:
    # every resource belongs to a school).
    region = models.ForeignKey(
        Region, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        School, verbose_name=_("承接学校"), on_delete=models.PROTECT, related_name="+"
    )
    trusted = models.BooleanField(
        _("受信任来源"),
        default=False,
        help_text=_("受信任来源的资源汇聚后直接发布；否则进入县级审核"),
    )
    enabled = models.BooleanField(_("启用"), default=True)
    cursor = models.CharField(_("同步位置"), max_length=200, blank=True)
    last_run_at = models.DateTimeField(_("最近汇聚"), null=True, blank=True)
    last_state = models.CharField(_("最近结果"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("汇聚来源")
        verbose_name_plural = _("汇聚来源")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def last_state_label(self) -> str:
        return str(RunState(self.last_state).label) if self.last_state in RunState.values else ""


class RunState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("成功")
    PARTIAL = "partial", _("部分失败")
    FAILED = "failed", _("失败")


FINISHED_STATES = frozenset({RunState.SUCCEEDED, RunState.PARTIAL, RunState.FAILED})


class HarvestRun(models.Model):
    """One harvest of a source (汇聚记录)."""

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(
        _("状态"), max_length=16, choices=RunState.choices, default=RunState.QUEUED
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    trigger = models.CharField(_("发起方式"), max_length=16, default="page")
    queued_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    cursor_before = models.CharField(_("开始位置"), max_length=200, blank=True)
    cursor_after = models.CharField(_("结束位置"), max_length=200, blank=True)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    skipped_duplicate = models.PositiveIntegerField(_("重复跳过"), default=0)
    skipped_own = models.PositiveIntegerField(_("本平台资源跳过"), default=0)
    withdrawn = models.PositiveIntegerField(_("下架"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)
    # Run-level error (authentication, network, bad JSON) — the page was not processed.
    error = models.CharField(_("错误"), max_length=1000, blank=True)
    # Per-entry failures: [{"origin": "...", "title": "...", "reason": "...", "retry": bool}].
    failures = models.JSONField(_("失败条目"), default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    scope_fields = ScopeFields(region="source__region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("汇聚记录")
        verbose_name_plural = _("汇聚记录")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.source_id} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES


class OriginKind(models.TextChoices):
    HARVESTED = "harvested", _("汇聚导入")
    # The same file was already here (by content hash): linked, never overwritten.
    MATCHED = "matched", _("内容相同，已关联")


class Origin(models.Model):
    """Where a resource comes from (资源来源). For a harvested resource this is the
    *original* origin, which our feed publishes unchanged."""

    resource = models.OneToOneField(
        Resource, on_delete=models.CASCADE, related_name="federation_origin"
    )
    kind = models.CharField(
        _("关联方式"), max_length=16, choices=OriginKind.choices, default=OriginKind.HARVESTED
    )
    origin_instance = models.CharField(_("来源实例"), max_length=64)
    origin_id = models.CharField(_("来源编号"), max_length=64)
    origin_url = models.URLField(_("来源地址"), max_length=500, blank=True)
    origin_school = models.CharField(_("来源学校"), max_length=128, blank=True)
    origin_updated_at = models.DateTimeField(_("来源更新时间"), null=True, blank=True)
    origin_published_at = models.DateTimeField(_("来源发布时间"), null=True, blank=True)
    # Withdrawn here because it was withdrawn upstream (a re-publication upstream restores it).
    withdrawn_upstream = models.BooleanField(_("来源已下架"), default=False)
    source = models.ForeignKey(
        HarvestSource,
        verbose_name=_("汇聚来源"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="origins",
    )
    first_seen_at = models.DateTimeField(_("首次汇聚"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("最近汇聚"))

    scope_fields = ScopeFields(region="resource__region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("资源来源")
        verbose_name_plural = _("资源来源")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin_instance", "origin_id"],
                name="aggregation_origin_unique",
                violation_error_message=_("同一来源资源只能汇聚一次"),
            ),
            models.CheckConstraint(
                condition=~Q(origin_instance="") & ~Q(origin_id=""),
                name="aggregation_origin_not_blank",
                violation_error_message=_("来源实例和来源编号不能为空"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.origin_instance}/{self.origin_id}"
