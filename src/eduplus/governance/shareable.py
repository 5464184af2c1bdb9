"""The datasets that can be shared (数据共享) and read through a share token, with
each field's label and classification. The catalog lists the same fields."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str | Promise
    classification: str  # public / internal / sensitive / children
    # Sensitive fields are masked unless the request was approved for them unmasked.
    maskable: bool = False


@dataclass(frozen=True)
class DatasetDef:
    code: str
    name: str | Promise
    person_type: str
    classification: str
    fields: tuple[FieldDef, ...]

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)


_COMMON = (
    FieldDef("golden_id", _("人员编号"), "internal"),
    FieldDef("name", _("姓名"), "sensitive", maskable=True),
    FieldDef("gender", _("性别"), "internal"),
    FieldDef("birth_date", _("出生日期"), "sensitive", maskable=True),
    FieldDef("id_number", _("身份证件号"), "sensitive", maskable=True),
    FieldDef("ethnicity", _("民族"), "internal"),
    FieldDef("school_code", _("学校标识码"), "public"),
    FieldDef("school_name", _("学校名称"), "public"),
    FieldDef("region_code", _("区划代码"), "public"),
)

SHAREABLE_DATASETS: dict[str, DatasetDef] = {
    d.code: d
    for d in (
        DatasetDef(
            "golden:students",
            _("学生主数据"),
            "student",
            "children",
            (
                *_COMMON,
                FieldDef("grade", _("年级"), "internal"),
                FieldDef("class_name", _("班级"), "internal"),
                FieldDef("address", _("家庭住址"), "children", maskable=True),
                FieldDef("guardian_phone", _("监护人电话"), "children", maskable=True),
                FieldDef("aid_status", _("资助状态"), "children", maskable=True),
                FieldDef("health_result", _("体质健康等级"), "children", maskable=True),
            ),
        ),
        DatasetDef(
            "golden:teachers",
            _("教师主数据"),
            "teacher",
            "sensitive",
            (
                *_COMMON,
                FieldDef("phone", _("联系电话"), "sensitive", maskable=True),
                FieldDef("subject", _("任教学科"), "internal"),
                FieldDef("title", _("职称"), "internal"),
            ),
        ),
    )
}
