"""Input forms of the resources pages. Business rules live in the services; these only
parse what the browser sends."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from eduplus.resources.models import (
    ATTACHABLE_KINDS,
    COMMENT_MAX_CHARS,
    COMPLAINT_MAX_CHARS,
    CatalogNode,
    ComplaintCategory,
    Licence,
    NodeKind,
    ResourceType,
    ReviewCheck,
    Topic,
)
from eduplus.resources.services import Metadata
from eduplus.resources.uploads import TYPE_RULES, human_size, max_size

_DURATION = re.compile(r"^\s*(\d{1,4})(?:\s*[:：]\s*(\d{1,2}))?\s*$")


def node_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Volumes with their chapters and sections, grouped by 学段 学科 版本 年级 册."""
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    names: dict[str, str] = {}
    for pk, path, kind, name in CatalogNode.objects.order_by("path").values_list(
        "id", "path", "kind", "name"
    ):
        names[path] = name
        if kind not in ATTACHABLE_KINDS:
            continue
        if kind == NodeKind.VOLUME:
            parts = path.split("/")
            label = " ".join(names.get("/".join(parts[: i + 1]), "") for i in range(len(parts)))
            groups.append((label, [(pk, str(_("（整册）")))]))
        elif groups:
            indent = "　" if kind == NodeKind.CHAPTER else "　　"
            groups[-1][1].append((pk, indent + name))
    return groups


def accept_attribute() -> str:
    return ",".join(sorted({f".{ext}" for exts, _limit in TYPE_RULES.values() for ext in exts}))


def type_help() -> str:
    return "；".join(
        f"{ResourceType(t).label}：{'、'.join(exts)}，≤{human_size(max_size(t))}"
        for t, (exts, _limit) in TYPE_RULES.items()
    )


class MetadataForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=128)
    resource_type = forms.ChoiceField(label=_("资源类型"), choices=ResourceType.choices)
    node = forms.TypedChoiceField(
        label=_("教材章节"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("选择到“册”或具体章节；专题教育资源可不选"),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("专题教育"),
        queryset=Topic.objects.order_by("position", "id"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("简介"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("教学目标、适用课时、使用建议等，也会被搜索到"),
    )
    licence = forms.ChoiceField(label=_("授权方式"), choices=Licence.choices)
    duration = forms.CharField(
        label=_("时长"),
        required=False,
        max_length=10,
        help_text=_("微课视频填写，如 8:30（分:秒）；MP4 文件可自动识别"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = [("", "—"), *node_choices()]  # type: ignore[attr-defined]

    def clean_duration(self) -> int | None:
        raw = self.cleaned_data.get("duration", "")
        if not raw:
            return None
        m = _DURATION.match(raw)
        if not m:
            raise forms.ValidationError(_("请按“分:秒”填写，如 8:30"))
        minutes, seconds = int(m.group(1)), int(m.group(2) or 0)
        if seconds >= 60:
            raise forms.ValidationError(_("秒数应小于60"))
        return minutes * 60 + seconds

    def metadata(self) -> Metadata:
        data = self.cleaned_data
        node_id = data.get("node")
        return Metadata(
            title=data["title"],
            resource_type=data["resource_type"],
            description=data.get("description", ""),
            node=CatalogNode.objects.filter(pk=node_id).first() if node_id else None,
            topics=list(data.get("topics") or []),
            licence=data["licence"],
            duration_seconds=data.get("duration"),
        )


class UploadForm(MetadataForm):
    file = forms.FileField(label=_("文件"), allow_empty_file=True)
    school = forms.TypedChoiceField(label=_("所属学校"), coerce=int, required=False)

    field_order = ["file", "title", "resource_type", "node", "topics", "description"]

    def __init__(self, *args: Any, schools: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = accept_attribute()
        self.fields["file"].help_text = type_help()
        schools = schools or []
        self.fields["school"].choices = [(s.pk, s.name) for s in schools]  # type: ignore[attr-defined]
        if len(schools) <= 1:
            self.fields["school"].widget = forms.HiddenInput()


class SchoolReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("approve", _("通过，提交县级审核")), ("return", _("退回修改"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("意见或退回原因"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


CHECK_CHOICES = [("pass", _("通过")), ("fail", _("不通过"))]


class CountyReviewForm(forms.Form):
    """三审: each check passed or failed (with a reason); a rating when all pass."""

    quality = forms.TypedChoiceField(
        label=_("质量评级"),
        coerce=int,
        initial=3,
        choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")],
        help_text=_("发布时生效，影响搜索排序"),
    )
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for check in ReviewCheck:
            self.fields[f"{check.value}"] = forms.ChoiceField(
                label=check.label, choices=CHECK_CHOICES, widget=forms.RadioSelect
            )
            self.fields[f"{check.value}_reason"] = forms.CharField(
                label=_("未通过原因"), required=False, max_length=300
            )
        self.order_fields([f for c in ReviewCheck for f in (c.value, f"{c.value}_reason")])

    def check_rows(self) -> list[tuple[Any, Any]]:
        return [(self[c.value], self[f"{c.value}_reason"]) for c in ReviewCheck]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("下架原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


# ------------------------------------------------------------- engagement (互动)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("我的评分"),
        coerce=int,
        choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")],
        widget=forms.RadioSelect,
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("发表评论"),
        max_length=COMMENT_MAX_CHARS,
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": COMMENT_MAX_CHARS, "placeholder": _("说说你的使用体会")}
        ),
        help_text=_("评论经审核后向其他用户显示，不超过 500 字。"),
    )


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(label=_("举报类型"), choices=ComplaintCategory.choices)
    text = forms.CharField(
        label=_("举报理由"),
        max_length=COMPLAINT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": COMPLAINT_MAX_CHARS}),
    )


class CommentModerationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("approve", _("通过")), ("reject", _("不通过"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("不通过原因"), required=False, max_length=300)


class ComplaintHandlingForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("处理结论"),
        choices=[("uphold", _("举报成立并下架")), ("dismiss", _("举报不成立"))],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(label=_("处理意见"), required=False, max_length=300)
