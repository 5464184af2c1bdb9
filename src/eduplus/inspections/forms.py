"""Forms of the inspections pages: input parsing only; the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from eduplus.inspections.models import (
    Conclusion,
    InspectorPool,
    TeachingPointRule,
    UrbanRuralGroup,
)
from eduplus.inspections.selectors import pool_list
from eduplus.regions.models import Region
from eduplus.schools.codes import SchoolType
from eduplus.schools.models import School


def _scoped_regions(user: Any) -> Any:
    return Region.objects.visible_to(user).filter(level__lte=3).order_by("code")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        indent = {1: "", 2: "· ", 3: "·· "}.get(obj.level, "")
        return f"{indent}{obj.display_name}（{obj.code}）"


class PoolForm(forms.Form):
    name = forms.CharField(label=_("人员库名称"), max_length=100)
    region = RegionChoiceField(label=_("管理区域"), queryset=Region.objects.none())
    description = forms.CharField(label=_("说明"), max_length=255, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _scoped_regions(user)  # type: ignore[attr-defined]


class InspectorForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    organisation = forms.CharField(label=_("工作单位"), max_length=128)
    home_region = forms.CharField(
        label=_("所在县区代码"),
        max_length=6,
        help_text=_("6位县级区划代码，如 410102。回避规则：不会被派往本县区的学校。"),
    )
    home_school = forms.CharField(
        label=_("所在学校标识码"),
        max_length=10,
        required=False,
        help_text=_("在学校任职的填写；不会被派往本校及其教学点。"),
    )
    specialty = forms.CharField(label=_("专业领域"), max_length=64, required=False)

    def clean_home_region(self) -> Region:
        code = self.cleaned_data["home_region"].strip()
        region = Region.objects.filter(
            code=code, level=3, code__startswith=settings.EDUPLUS_PROVINCE
        ).first()
        if region is None:
            raise forms.ValidationError(_("请填写本省的6位县级区划代码"))
        return region

    def clean_home_school(self) -> School | None:
        code = self.cleaned_data["home_school"].strip()
        if not code:
            return None
        school = School.objects.filter(code=code).first()
        if school is None:
            raise forms.ValidationError(_("学校名录中没有该学校标识码"))
        return school


class InspectorImportForm(forms.Form):
    file = forms.FileField(label=_("人员名单文件"))


class PlanForm(forms.Form):
    title = forms.CharField(label=_("计划名称"), max_length=128)
    subject = forms.CharField(
        label=_("检查事项"),
        max_length=64,
        widget=forms.TextInput(attrs={"list": "subject-suggestions"}),
    )
    region = RegionChoiceField(label=_("抽查区域"), queryset=Region.objects.none())
    pool = forms.ModelChoiceField(label=_("检查人员库"), queryset=InspectorPool.objects.none())
    school_types = forms.MultipleChoiceField(
        label=_("办学类型"),
        choices=SchoolType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示全部类型"),
    )
    urban_rural = forms.ChoiceField(
        label=_("城乡类型"),
        choices=[("", _("全部")), *UrbanRuralGroup.choices],
        required=False,
    )
    teaching_points = forms.ChoiceField(
        label=_("教学点"), choices=TeachingPointRule.choices, initial=TeachingPointRule.INCLUDE
    )
    school_count = forms.IntegerField(label=_("抽取学校数"), min_value=1, required=False)
    school_percent = forms.IntegerField(
        label=_("或抽取比例（%）"), min_value=1, max_value=100, required=False
    )
    inspectors_per_school = forms.IntegerField(
        label=_("每校检查人数"), min_value=1, max_value=10, initial=2
    )
    starts_on = forms.DateField(
        label=_("检查开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("检查结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _scoped_regions(user)  # type: ignore[attr-defined]
        self.fields["pool"].queryset = pool_list(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("school_count")) == bool(data.get("school_percent")):
            raise forms.ValidationError(_("抽取学校数与抽取比例应填且只填一项"))
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=255, min_length=4)


class ResultForm(forms.Form):
    inspected_on = forms.DateField(
        label=_("检查日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    findings = forms.CharField(label=_("检查发现"), widget=forms.Textarea(attrs={"rows": 5}))
    conclusion = forms.ChoiceField(
        label=_("检查结论"), choices=Conclusion.choices, widget=forms.RadioSelect
    )
    rectification = forms.CharField(
        label=_("整改要求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("结论为基本合格或不合格时必填"),
    )
    rectification_deadline = forms.DateField(
        label=_("整改期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
