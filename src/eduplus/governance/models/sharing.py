"""Data sharing (数据共享): requests, their review, and the scoped tokens they issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.regions.models import Region


class ShareStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    REVOKED = "revoked", _("已撤销")


class ShareRequest(models.Model):
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.CharField(_("申请单位"), max_length=128)
    dataset = models.CharField(_("数据集"), max_length=64)
    # Field names of the dataset, and which of them are asked for unmasked.
    fields = models.JSONField(_("字段"), default=list)
    unmasked_fields = models.JSONField(_("申请明文的字段"), default=list, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("区域范围"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.TextField(_("用途"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ShareStatus.choices, default=ShareStatus.PENDING
    )
    # What the reviewer approved (may be narrower than asked).
    approved_fields = models.JSONField(_("批准字段"), default=list, blank=True)
    approved_unmasked = models.JSONField(_("批准明文字段"), default=list, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="share_period_ordered",
                violation_error_message=_("截止日期不能早于开始日期"),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.organisation}"


class ShareToken(models.Model):
    """A bearer token issued on approval. Only its SHA-256 is stored."""

    request = models.ForeignKey(ShareRequest, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(_("令牌前缀"), max_length=12)
    token_sha256 = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("过期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("使用次数"), default=0)

    class Meta:
        verbose_name = _("共享令牌")
        verbose_name_plural = _("共享令牌")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.prefix}…"
