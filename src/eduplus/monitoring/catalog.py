"""The shipped catalogue: indicators, the policy documents and targets of 河南 and 山东,
and the campus assessment standards. Loaded by migration 0002 (and ``catalog_load``),
editable afterwards as data.

Targets follow ROADMAP.md ("Policy targets the indicators must carry"); each cites the
document and clause that sets it. Documents: ``000`` 河南省 2020 年全省教育系统网络安全
和信息化工作要点; ``003`` 河南省加快教育新型基础设施建设专项行动方案（2023-2025年）;
``001`` 山东省教育信息化"十四五"规划.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# 中小学 (primary and secondary, teaching points included) by 办学类型.
K12 = ["211", "218", "311", "312", "341", "342", "345", "514"]
K12_NO_TP = [t for t in K12 if t != "218"]
VOCATIONAL = ["365"]
HIGHER = ["411", "415", "421"]

DOCUMENTS: list[dict[str, Any]] = [
    {
        "code": "henan-2020-work-points",
        "province": "41",
        "title": "2020年全省教育系统网络安全和信息化工作要点",
        "issuer": "河南省教育厅",
        "issued": dt.date(2020, 4, 10),
        "doc_number": "",
    },
    {
        "code": "henan-2023-2025-infrastructure",
        "province": "41",
        "title": "河南省加快教育新型基础设施建设专项行动方案（2023-2025年）",
        "issuer": "河南省教育厅等部门",
        "issued": dt.date(2023, 1, 1),
        "doc_number": "",
    },
    {
        "code": "shandong-14th-five-year",
        "province": "37",
        "title": "山东省教育信息化“十四五”规划",
        "issuer": "山东省教育厅",
        "issued": dt.date(2021, 12, 1),
        "doc_number": "",
    },
]

# code, name, English name, numerator, denominator, their meanings, filters, description
INDICATORS: list[dict[str, Any]] = [
    {
        "code": "fibre",
        "name": "中小学（含教学点）光纤接入率",
        "name_en": "Schools (incl. teaching points) with fibre access",
        "numerator": "count(fibre)",
        "denominator": "count()",
        "numerator_label": "光纤接入的学校数",
        "denominator_label": "填报学校数",
        "filters": {"school_types": K12},
    },
    {
        "code": "bandwidth_100",
        "name": "出口带宽达到100Mbps的学校比例",
        "name_en": "Schools with outbound bandwidth of 100 Mbps or more",
        "numerator": "count(bandwidth_mbps >= 100)",
        "denominator": "count()",
        "numerator_label": "出口带宽≥100Mbps的学校数",
        "denominator_label": "填报学校数",
        "filters": {"school_types": K12},
    },
    {
        "code": "multimedia_ratio",
        "name": "多媒体教室占普通教室比例",
        "name_en": "Multimedia classrooms per ordinary classroom",
        "numerator": "sum(multimedia_classrooms)",
        "denominator": "sum(ordinary_classrooms)",
        "numerator_label": "多媒体教室数",
        "denominator_label": "普通教室数",
        "filters": {"school_types": K12},
    },
    {
        "code": "teacher_space",
        "name": "教师教学（教研）空间应用率",
        "name_en": "Teachers using their teaching/research space",
        "numerator": "sum(teachers_space_active)",
        "denominator": "sum(teachers_total)",
        "numerator_label": "使用空间的教师数",
        "denominator_label": "教师总数",
        "filters": {"school_types": K12},
    },
    {
        "code": "student_space",
        "name": "三年级以上学生学习空间应用率",
        "name_en": "Students of grade 3 and up using their learning space",
        "numerator": "sum(students_g3_space_active)",
        "denominator": "sum(students_g3_total)",
        "numerator_label": "使用空间的三年级及以上学生数",
        "denominator_label": "三年级及以上学生数",
        "filters": {"school_types": K12},
    },
    {
        "code": "space_regular",
        "name": "常态化利用空间开展教学的师生比例",
        "name_en": "Teachers and students teaching and learning regularly through spaces",
        "numerator": "sum(teachers_space_regular + students_space_regular)",
        "denominator": "sum(teachers_total + students_total)",
        "numerator_label": "常态化利用空间的师生数",
        "denominator_label": "师生总数",
        "filters": {"school_types": K12},
    },
    {
        "code": "digital_campus",
        "name": "中小学数字校园达标率",
        "name_en": "Primary and secondary schools meeting the digital-campus standard",
        "numerator": "count(digital_campus_compliant)",
        "denominator": "count()",
        "numerator_label": "数字校园达标学校数",
        "denominator_label": "填报学校数",
        "filters": {"school_types": K12_NO_TP},
    },
    {
        "code": "smart_campus_k12",
        "name": "中小学和中职学校智慧校园达标率",
        "name_en": "Smart-campus compliance, K-12 and secondary vocational",
        "numerator": "count(smart_campus_compliant)",
        "denominator": "count()",
        "numerator_label": "智慧校园达标学校数",
        "denominator_label": "填报学校数",
        "filters": {"school_types": K12_NO_TP + VOCATIONAL},
    },
    {
        "code": "smart_campus_higher",
        "name": "高校智慧校园达标率",
        "name_en": "Smart-campus compliance, higher education",
        "numerator": "count(smart_campus_compliant)",
        "denominator": "count()",
        "numerator_label": "智慧校园达标高校数",
        "denominator_label": "填报高校数",
        "filters": {"school_types": HIGHER},
    },
    {
        "code": "wireless",
        "name": "无线网络全覆盖学校比例",
        "name_en": "Schools with full wireless coverage",
        "numerator": "count(wireless_full)",
        "denominator": "count()",
        "numerator_label": "无线网络全覆盖学校数",
        "denominator_label": "填报学校数",
        "filters": {"school_types": K12 + VOCATIONAL},
    },
    {
        "code": "all_optical",
        "name": "全光校园网学校比例",
        "name_en": "Schools with an all-optical campus network",
        "numerator": "count(all_optical)",
        "denominator": "count()",
        "numerator_label": "建成全光校园网学校数",
        "denominator_label": "填报学校数",
        "filters": {"school_types": K12 + VOCATIONAL},
    },
    {
        "code": "ipv6",
        "name": "网站和系统支持IPv6访问的学校比例",
        "name_en": "Schools whose sites and systems are reachable over IPv6",
        "numerator": "count(ipv6)",
        "denominator": "count()",
        "numerator_label": "支持IPv6的学校数",
        "denominator_label": "填报学校数",
        "filters": {},
    },
    {
        "code": "three_classrooms_tp",
        "name": "农村教学点“三个课堂”覆盖率",
        "name_en": "Rural teaching points covered by the three classrooms",
        "numerator": "count(three_classrooms)",
        "denominator": "count()",
        "numerator_label": "“三个课堂”覆盖的农村教学点数",
        "denominator_label": "填报的农村教学点数",
        "filters": {"teaching_points": "only", "urban_rural": "rural"},
    },
]

# indicator, province, year, target %, document, clause
TARGETS: list[tuple[str, str, int, int, str, str]] = [
    ("fibre", "41", 2020, 100, "henan-2020-work-points", "9. 加快改善中小学校园信息化环境"),
    ("bandwidth_100", "41", 2020, 100, "henan-2020-work-points", "二(三)；9"),
    ("multimedia_ratio", "41", 2020, 95, "henan-2020-work-points", "二(三)"),
    ("teacher_space", "41", 2020, 90, "henan-2020-work-points", "二(五)"),
    ("student_space", "41", 2020, 80, "henan-2020-work-points", "二(五)"),
    ("digital_campus", "41", 2020, 40, "henan-2020-work-points", "9"),
    ("multimedia_ratio", "41", 2025, 100, "henan-2023-2025-infrastructure", "(五)"),
    ("smart_campus_k12", "41", 2025, 30, "henan-2023-2025-infrastructure", "(五)"),
    ("smart_campus_higher", "41", 2025, 60, "henan-2023-2025-infrastructure", "(五)"),
    ("wireless", "41", 2025, 100, "henan-2023-2025-infrastructure", "(四)"),
    ("all_optical", "41", 2025, 100, "henan-2023-2025-infrastructure", "(四)"),
    ("ipv6", "41", 2025, 100, "henan-2023-2025-infrastructure", "(一)"),
    ("space_regular", "37", 2025, 60, "shandong-14th-five-year", "12. 推动网络教学空间升级"),
    ("wireless", "37", 2025, 100, "shandong-14th-five-year", "1. 推进教育网络提质升级"),
    ("all_optical", "37", 2025, 100, "shandong-14th-five-year", "1. 推进教育网络提质升级"),
    ("ipv6", "37", 2025, 100, "shandong-14th-five-year", "1. 推进教育网络提质升级"),
    (
        "three_classrooms_tp",
        "37",
        2025,
        100,
        "shandong-14th-five-year",
        "9. 深入建设应用“三个课堂”",
    ),
]

# The standards: code, name, kind, school types, pass score, items (code, name, weight).
STANDARDS: list[dict[str, Any]] = [
    {
        "code": "digital-campus-k12",
        "name": "中小学数字校园建设规范（评估细则）",
        "kind": "digital",
        "school_types": K12_NO_TP,
        "pass_score": 60,
        "items": [
            ("network", "网络基础设施", "校园网、出口带宽、无线覆盖", 25),
            ("classrooms", "多媒体教学环境", "多媒体教室、教师终端", 20),
            ("resources", "数字教育资源", "资源建设与共享应用", 15),
            ("applications", "应用服务", "教学、管理、评价应用", 20),
            ("security", "网络安全", "等级保护、制度与应急", 10),
            ("support", "保障机制", "组织、经费、培训", 10),
        ],
    },
    {
        "code": "smart-campus",
        "name": "智慧校园建设评估标准",
        "kind": "smart",
        "school_types": [],
        "pass_score": 70,
        "items": [
            ("infrastructure", "智能基础设施", "全光网络、物联感知、IPv6", 20),
            ("teaching", "智慧教学", "空间常态化应用、三个课堂", 25),
            ("management", "智慧管理", "数据治理、一网通办", 20),
            ("evaluation", "智慧评价", "过程性评价、成长档案", 15),
            ("security", "网络与数据安全", "等级保护、数据分类分级", 10),
            ("literacy", "师生数字素养", "培训与认证", 10),
        ],
    },
]


def catalog_load(
    *, Region: Any, PolicyDocument: Any, Indicator: Any, IndicatorTarget: Any,
    CampusStandard: Any, CampusStandardItem: Any,
) -> int:  # fmt: skip
    """Create what is missing; never overwrite what an administrator has changed."""
    written = 0
    provinces = set(Region.objects.filter(level=1).values_list("code", flat=True))
    docs = {}
    for d in DOCUMENTS:
        if d["province"] not in provinces:
            continue
        defaults = {k: v for k, v in d.items() if k not in ("code", "province")}
        docs[d["code"]], created = PolicyDocument.objects.get_or_create(
            code=d["code"], defaults={**defaults, "province_id": d["province"]}
        )
        written += created
    indicators = {}
    for order, i in enumerate(INDICATORS, start=1):
        indicators[i["code"]], created = Indicator.objects.get_or_create(
            code=i["code"],
            defaults={**{k: v for k, v in i.items() if k != "code"}, "order": order * 10},
        )
        written += created
    for code, province, year, value, doc, clause in TARGETS:
        if province not in provinces:
            continue
        _t, created = IndicatorTarget.objects.get_or_create(
            indicator=indicators[code],
            province_id=province,
            year=year,
            defaults={"value": value, "document": docs[doc], "clause": clause},
        )
        written += created
    for s in STANDARDS:
        standard, created = CampusStandard.objects.get_or_create(
            code=s["code"],
            defaults={
                "name": s["name"],
                "kind": s["kind"],
                "school_types": s["school_types"],
                "pass_score": s["pass_score"],
            },
        )
        written += created
        if created:
            for order, (code, name, description, weight) in enumerate(s["items"], start=1):
                CampusStandardItem.objects.create(
                    standard=standard,
                    code=code,
                    name=name,
                    description=description,
                    weight=weight,
                    order=order,
                )
                written += 1
    return written
