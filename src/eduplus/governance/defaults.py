"""The shipped source systems, item authorities (一数一源) and quality rules.

Applied by migration 0002 and by ``ensure_defaults()`` (tests restore them after a
flush). Stewards edit them afterwards; applying the defaults never overwrites an edit.
"""

from __future__ import annotations

from typing import Any

# code, name, kind, person type, owner, items delivered (template columns, in order)
SOURCES: list[tuple[str, str, str, str, str, list[str]]] = [
    (
        "xueji",
        "中小学生学籍信息管理系统",
        "status",
        "student",
        "基础教育处",
        [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "ethnicity",
            "school",
            "grade",
            "class_name",
            "address",
            "guardian_phone",
        ],
    ),
    (
        "zizhu",
        "学生资助管理信息系统",
        "aid",
        "student",
        "学生资助管理中心",
        [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "school",
            "grade",
            "address",
            "guardian_phone",
            "aid_status",
        ],
    ),
    (
        "tizhi",
        "国家学生体质健康标准数据管理系统",
        "health",
        "student",
        "体育卫生与艺术教育处",
        [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "school",
            "grade",
            "class_name",
            "health_result",
        ],
    ),
    (
        "renshi",
        "教师管理信息系统",
        "personnel",
        "teacher",
        "教师工作处",
        [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "ethnicity",
            "school",
            "phone",
            "subject",
            "title",
        ],
    ),
]

AUTHORITIES: dict[str, str] = {
    "name": "xueji",
    "id_number": "xueji",
    "birth_date": "xueji",
    "gender": "xueji",
    "ethnicity": "xueji",
    "school": "xueji",
    "grade": "xueji",
    "class_name": "xueji",
    "address": "zizhu",
    "guardian_phone": "xueji",
    "phone": "renshi",
    "aid_status": "zizhu",
    "health_result": "tizhi",
    "subject": "renshi",
    "title": "renshi",
}

# code, name, dimension, item, check, params, weight
QUALITY_RULES: list[tuple[str, str, str, str, str, dict[str, Any], int]] = [
    ("name-complete", "姓名不为空", "completeness", "name", "not_blank", {}, 3),
    ("id-complete", "身份证件号不为空", "completeness", "id_number", "not_blank", {}, 3),
    ("birth-complete", "出生日期不为空", "completeness", "birth_date", "not_blank", {}, 2),
    ("school-complete", "学校标识码不为空", "completeness", "school", "not_blank", {}, 2),
    ("phone-complete", "监护人电话不为空", "completeness", "guardian_phone", "not_blank", {}, 1),
    ("id-valid", "身份证件号格式与校验位正确", "validity", "id_number", "valid_id", {}, 3),
    ("school-known", "学校标识码在学校库中", "validity", "school", "code_known", {}, 2),
    ("ethnicity-known", "民族代码在代码表中", "validity", "ethnicity", "code_known", {}, 1),
    (
        "id-unique",
        "同一批次内身份证件号不重复",
        "uniqueness",
        "id_number",
        "unique_in_batch",
        {},
        2,
    ),
    (
        "birth-consistent",
        "出生日期与身份证件号一致",
        "consistency",
        "birth_date",
        "id_matches_birth",
        {},
        2,
    ),
    (
        "gender-consistent",
        "性别与身份证件号一致",
        "consistency",
        "gender",
        "id_matches_gender",
        {},
        1,
    ),
    ("name-agrees", "姓名与主数据一致", "consistency", "name", "agrees_with_golden", {}, 1),
    ("batch-fresh", "来源数据一年内更新", "timeliness", "name", "fresh", {"max_age_days": 365}, 1),
]


def apply_defaults(apps: Any = None) -> None:
    """Create what is missing; leave what a steward changed as it is."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    source_model = apps.get_model("governance", "SourceSystem")
    authority_model = apps.get_model("governance", "ItemAuthority")
    rule_model = apps.get_model("governance", "QualityRule")
    for code, name, kind, person_type, owner, items in SOURCES:
        source_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "person_type": person_type,
                "owner": owner,
                "items": items,
            },
        )
    sources = {s.code: s for s in source_model.objects.all()}
    for item, code in AUTHORITIES.items():
        if code in sources:
            authority_model.objects.get_or_create(item=item, defaults={"source": sources[code]})
    for code, name, dimension, item, check, params, weight in QUALITY_RULES:
        rule_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "dimension": dimension,
                "item": item,
                "check_kind": check,
                "params": params,
                "weight": weight,
            },
        )


def ensure_defaults() -> None:
    apply_defaults()
