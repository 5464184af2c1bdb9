"""Source systems (数据来源系统) and the one authoritative source per data item (一数一源)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceKind(models.TextChoices):
    STATUS = "status", _("学籍管理")
    AID = "aid", _("学生资助")
    HEALTH = "health", _("体质健康")
    PERSONNEL = "personnel", _("教师人事")
    OTHER = "other", _("其他")


class DataItem(models.TextChoices):
    """The data items of a person record; each has one authoritative source."""

    NAME = "name", _("姓名")
    ID_NUMBER = "id_number", _("身份证件号")
    BIRTH_DATE = "birth_date", _("出生日期")
    GENDER = "gender", _("性别")
    ETHNICITY = "ethnicity", _("民族")
    SCHOOL = "school", _("学校")
    GRADE = "grade", _("年级")
    CLASS_NAME = "class_name", _("班级")
    ADDRESS = "address", _("家庭住址")
    PHONE = "phone", _("联系电话")
    GUARDIAN_PHONE = "guardian_phone", _("监护人电话")
    AID_STATUS = "aid_status", _("资助状态")
    HEALTH_RESULT = "health_result", _("体质健康等级")
    SUBJECT = "subject", _("任教学科")
    TITLE = "title", _("职称")


class SourceSystem(models.Model):
    """A system that sends person records: 学籍, 资助, 体质健康, 人事 …"""

    code = models.SlugField(_("来源代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类别"), max_length=16, choices=SourceKind.choices)
    person_type = models.CharField(
        _("人员类别"),
        max_length=8,
        choices=[("student", _("学生")), ("teacher", _("教师"))],
        default="student",
    )
    owner = models.CharField(_("责任部门"), max_length=64, blank=True)
    description = models.TextField(_("说明"), blank=True)
    # The items this source is expected to deliver (template columns), in order.
    items = models.JSONField(_("数据项"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("来源系统")
        verbose_name_plural = _("来源系统")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ItemAuthority(models.Model):
    """一数一源: the one source whose value wins for a data item when sources disagree."""

    item = models.CharField(_("数据项"), max_length=32, choices=DataItem.choices, unique=True)
    source = models.ForeignKey(
        SourceSystem, verbose_name=_("权威来源"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("数据项权威来源")
        verbose_name_plural = _("数据项权威来源")
        ordering = ["item"]

    def __str__(self) -> str:
        return f"{self.item} ← {self.source_id}"
