"""Input forms of the aggregation pages; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from eduplus.aggregation.services import SourceInput


class SourceForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    base_url = forms.CharField(
        label=_("订阅地址"),
        max_length=500,
        help_text=_(
            "对方平台的资源订阅地址，例如 https://edu.example.cn/aggregation/feed/v1/resources"
        ),
    )
    token = forms.CharField(
        label=_("访问令牌"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("由对方平台的“订阅令牌”页面签发；修改来源时留空表示不变"),
    )
    region_code = forms.CharField(
        label=_("所属区域（区划代码）"),
        max_length=6,
        help_text=_("汇聚的资源归属的区域；未受信任来源的资源由该区域的县级审核人员审核"),
    )
    school_code = forms.CharField(
        label=_("承接学校（学校标识码）"),
        max_length=10,
        help_text=_("汇聚的资源登记在该学校名下，须位于所属区域内"),
    )
    trusted = forms.BooleanField(
        label=_("受信任来源（汇聚后直接发布，不经县级审核）"), required=False
    )
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def to_input(self) -> SourceInput:
        d = self.cleaned_data
        return SourceInput(
            name=d["name"],
            base_url=d["base_url"],
            region_code=d["region_code"],
            school_code=d["school_code"],
            trusted=d["trusted"],
            enabled=d["enabled"],
            token=d.get("token") or "",
        )


class TokenForm(forms.Form):
    subscriber = forms.CharField(
        label=_("订阅方"),
        max_length=100,
        help_text=_("使用该令牌的平台或单位名称，例如：某市教育资源平台"),
    )
    note = forms.CharField(label=_("备注"), max_length=255, required=False)
