"""The data catalog (数据目录): every dataset with owner, classification, fields and
freshness."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DatasetKind(models.TextChoices):
    SOURCE = "source", _("来源系统")
    BATCH = "batch", _("导入批次")
    GOLDEN = "golden", _("主数据")
    INDICATOR = "indicator", _("衍生指标")


class Classification(models.TextChoices):
    PUBLIC = "public", _("公开")
    INTERNAL = "internal", _("内部")
    SENSITIVE = "sensitive", _("敏感")
    CHILDREN = "children", _("儿童个人信息")


class Dataset(models.Model):
    code = models.CharField(_("数据集代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类别"), max_length=16, choices=DatasetKind.choices)
    owner = models.CharField(_("责任部门"), max_length=64)
    classification = models.CharField(
        _("分级"), max_length=16, choices=Classification.choices, default=Classification.INTERNAL
    )
    # [{"name": "id_number", "label": "身份证件号", "classification": "sensitive"}, …]
    fields = models.JSONField(_("字段"), default=list, blank=True)
    description = models.TextField(_("说明"), blank=True)
    row_count = models.PositiveBigIntegerField(_("记录数"), default=0)
    updated_at = models.DateTimeField(_("数据更新时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据集")
        verbose_name_plural = _("数据集")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name
