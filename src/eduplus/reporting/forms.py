"""Input forms of the reporting pages (the schools' answers are checked in values.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eduplus.reporting.models import FieldKind
from eduplus.schools.codes import SchoolType, UrbanRural


class ReportFormCreateForm(forms.Form):
    title = forms.CharField(label=_("表单名称"), max_length=128)
    description = forms.CharField(
        label=_("填报说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FieldAddForm(forms.Form):
    code = forms.RegexField(
        label=_("字段代码"),
        max_length=32,
        regex=r"^[a-z][a-z0-9_]*$",
        error_messages={"invalid": _("须以小写字母开头，只含小写字母、数字和下划线")},
        help_text=_("如 ordinary_rooms，用于校验规则和导出"),
    )
    label = forms.CharField(label=_("字段名称"), max_length=128)
    kind = forms.ChoiceField(label=_("类型"), choices=FieldKind.choices)
    required = forms.BooleanField(label=_("必填"), required=False)
    min_value = forms.DecimalField(label=_("最小值"), required=False, max_digits=18)
    max_value = forms.DecimalField(label=_("最大值"), required=False, max_digits=18)
    max_length = forms.IntegerField(label=_("最大长度"), required=False, min_value=1)
    unit = forms.CharField(label=_("单位"), required=False, max_length=16)
    help_text = forms.CharField(label=_("填报提示"), required=False, max_length=255)
    options_text = forms.CharField(
        label=_("选项（代码表）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "1 光纤\n2 无线\n9 其他"}),
        help_text=_("单选、多选题用：每行一个，“编码 名称”"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lo, hi = data.get("min_value"), data.get("max_value")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("max_value", _("最大值不能小于最小值"))
        return data


class RuleAddForm(forms.Form):
    expression = forms.CharField(
        label=_("规则表达式"),
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "multimedia_rooms <= ordinary_rooms"}),
        help_text=_("用字段代码、数字、+ - * 和括号，比较符号 <= < >= > = !=，多个条件用“且”连接"),
    )
    message = forms.CharField(
        label=_("不满足时的提示"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("多媒体教室数不能多于普通教室数")}),
    )


def _split_codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,，;；、]+", text or "") if c]


class TaskAssignForm(forms.Form):
    title = forms.CharField(label=_("任务名称"), max_length=128)
    period = forms.CharField(
        label=_("报送周期"), max_length=32, help_text=_("如：2026年度、2026年秋季学期")
    )
    deadline = forms.DateField(
        label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    school_types = forms.MultipleChoiceField(
        label=_("办学类型"),
        required=False,
        choices=SchoolType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选即全部类型"),
    )
    urban_rural = forms.ChoiceField(
        label=_("城乡"),
        required=False,
        choices=[
            ("", _("全部")),
            ("urban", _("城区")),
            ("town", _("镇区")),
            ("rural", _("乡村")),
            *[(c, f"{c} {label}") for c, label in UrbanRural.choices],
        ],
    )
    exclude_teaching_points = forms.BooleanField(label=_("不含教学点"), required=False)
    school_codes = forms.CharField(
        label=_("指定学校（可选）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2141000001\n2141000002"}),
        help_text=_("填写学校标识码（每行一个，或用逗号分隔），只发给这些学校"),
    )

    def clean_deadline(self) -> dt.date:
        value: dt.date = self.cleaned_data["deadline"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("截止日期不能早于今天"))
        return value

    def clean_school_codes(self) -> list[str]:
        codes = _split_codes(self.cleaned_data.get("school_codes", ""))
        bad = [c for c in codes if not re.fullmatch(r"[0-9]{10}", c)]
        if bad:
            raise forms.ValidationError(
                _("学校标识码应为10位数字：%(codes)s") % {"codes": "、".join(bad[:10])}
            )
        return list(dict.fromkeys(codes))


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
