"""Input forms of the lessons pages. They only parse what the browser sends; the rules
(periods, rubric, quotas, panels, conflicts of interest) live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from eduplus.lessons.services import DEFAULT_ROUND_RUBRIC, DEFAULT_RUBRIC, PARTS, rubric_text
from eduplus.resources.forms import node_choices
from eduplus.resources.models import CatalogNode, Grade, ResourceType, Stage, Subject
from eduplus.resources.uploads import human_size, max_size

SUBJECT_SUGGESTIONS = (
    "语文", "数学", "英语", "道德与法治", "科学", "物理", "化学", "生物", "历史", "地理",
    "音乐", "美术", "体育与健康", "信息科技", "劳动",
)  # fmt: skip


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=128)
    organiser = forms.ChoiceField(label=_("组织单位（级别）"))
    opens_at = forms.DateTimeField(label=_("晒课开始时间"), widget=DateTimeInput())
    deadline = forms.DateTimeField(label=_("晒课截止时间"), widget=DateTimeInput())
    rubric = forms.CharField(
        label=_("评分标准"),
        widget=forms.Textarea(attrs={"rows": 5}),
        initial=rubric_text(DEFAULT_RUBRIC),
        help_text=_("每行一项：“评分项 分值”，各项分值之和为 100"),
    )
    quota = forms.IntegerField(label=_("优课名额"), min_value=1, max_value=9999, initial=3)
    recommend_quota = forms.IntegerField(
        label=_("向上推荐名额"),
        min_value=0,
        max_value=9999,
        initial=1,
        help_text=_("评为优课后可推荐到上一级活动的数量；省级活动填 0"),
    )
    description = forms.CharField(
        label=_("活动说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, regions: list[Any], schools: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        level_names = {2: _("省级"), 4: _("市级"), 6: _("县级")}
        choices = [
            (f"region:{r.code}", f"{r.display_name}（{level_names.get(len(r.code), '')}）")
            for r in regions
        ] + [(f"school:{s.pk}", f"{s.name}（{_('校级')}）") for s in schools]
        field = self.fields["organiser"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class LessonForm(forms.Form):
    title = forms.CharField(label=_("课题"), max_length=128)
    node = forms.TypedChoiceField(
        label=_("教材章节（可选）"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("选择教材目录中的册、章节或课节后，学段、学科、年级按目录填写"),
    )
    stage = forms.ChoiceField(
        label=_("学段"), choices=[("", "—"), *list(Stage.choices)], required=False
    )
    subject = forms.CharField(label=_("学科"), max_length=16, required=False)
    grade = forms.TypedChoiceField(
        label=_("年级"),
        choices=[("", "—"), *list(Grade.choices)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    chapter = forms.CharField(label=_("章节"), max_length=128, required=False)
    design = forms.FileField(label=_("教学设计（PDF/DOCX）"), required=False)
    courseware = forms.FileField(label=_("课件（PPTX/PDF）"), required=False)
    video = forms.FileField(label=_("课堂实录（MP4）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = [("", "—"), *node_choices()]  # type: ignore[attr-defined]
        for key, part in PARTS.items():
            field = self.fields[key]
            field.widget.attrs["accept"] = ",".join(f".{e}" for e in part.extensions)
            field.help_text = _("不超过 %(size)s") % {
                "size": human_size(max_size(part.resource_type))
            }

    def clean_node(self) -> CatalogNode | None:
        pk = self.cleaned_data.get("node")
        return CatalogNode.objects.filter(pk=pk).first() if pk else None


class RoundForm(forms.Form):
    title = forms.CharField(label=_("遴选名称"), max_length=128)
    region = forms.ChoiceField(label=_("组织区域（级别）"))
    stage = forms.ChoiceField(
        label=_("学段"), choices=[("", _("全部")), *list(Stage.choices)], required=False
    )
    subject = forms.ChoiceField(
        label=_("学科"), choices=[("", _("全部")), *list(Subject.choices)], required=False
    )
    resource_type = forms.ChoiceField(
        label=_("资源类型"), choices=[("", _("全部")), *list(ResourceType.choices)], required=False
    )
    rubric = forms.CharField(
        label=_("评分标准"),
        widget=forms.Textarea(attrs={"rows": 5}),
        initial=rubric_text(DEFAULT_ROUND_RUBRIC),
        help_text=_("每行一项：“评分项 分值”，各项分值之和为 100"),
    )
    quota = forms.IntegerField(label=_("精品名额"), min_value=1, max_value=9999, initial=3)

    def __init__(self, *args: Any, regions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {2: _("省级精品"), 4: _("市级精品"), 6: _("县级精品")}
        field = self.fields["region"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (r.code, f"{r.display_name}（{names.get(len(r.code), '')}）") for r in regions
        ]
