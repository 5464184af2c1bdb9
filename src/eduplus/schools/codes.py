"""Code tables for schools.

办学类型 (school type) after the Ministry's statistical code table; the first two
digits of a type are the two-digit type prefix of a 学校标识码. 城乡类型 (urban/rural
classification) after the National Bureau of Statistics' 统计用城乡划分代码.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SchoolType(models.TextChoices):
    KINDERGARTEN = "111", _("幼儿园")
    PRIMARY = "211", _("小学")
    TEACHING_POINT = "218", _("小学教学点")
    JUNIOR = "311", _("初级中学")
    NINE_YEAR = "312", _("九年一贯制学校")
    COMPLETE_SECONDARY = "341", _("完全中学")
    SENIOR = "342", _("高级中学")
    TWELVE_YEAR = "345", _("十二年一贯制学校")
    VOCATIONAL = "365", _("中等职业学校")
    UNIVERSITY = "411", _("普通高等学校（本科）")
    COLLEGE = "415", _("普通高等学校（专科）")
    ADULT_HIGHER = "421", _("成人高等学校")
    SPECIAL = "514", _("特殊教育学校")


class UrbanRural(models.TextChoices):
    MAIN_URBAN = "111", _("主城区")
    URBAN_FRINGE = "112", _("城乡结合区")
    TOWN_CENTRE = "121", _("镇中心区")
    TOWN_FRINGE = "122", _("镇乡结合区")
    SPECIAL_AREA = "123", _("特殊区域")
    TOWNSHIP_CENTRE = "210", _("乡中心区")
    VILLAGE = "220", _("村庄")


URBAN_CODES = frozenset({"111", "112"})
TOWN_CODES = frozenset({"121", "122", "123"})
RURAL_CODES = frozenset({"210", "220"})

# Two-digit 学校标识码 prefixes and the types they may carry.
CODE_PREFIX_TYPES: dict[str, frozenset[str]] = {}
for _t in SchoolType.values:
    CODE_PREFIX_TYPES.setdefault(_t[:2], frozenset())
    CODE_PREFIX_TYPES[_t[:2]] = CODE_PREFIX_TYPES[_t[:2]] | {_t}

# Grade range (学段) each type teaches: 0 = kindergarten, 1-6 primary, 7-9 junior,
# 10-12 senior; vocational and higher education use 10-12 and 13-16.
TYPE_GRADES: dict[str, tuple[int, int]] = {
    "111": (0, 0),
    "211": (1, 6),
    "218": (1, 4),
    "311": (7, 9),
    "312": (1, 9),
    "341": (7, 12),
    "342": (10, 12),
    "345": (1, 12),
    "365": (10, 12),
    "411": (13, 16),
    "415": (13, 15),
    "421": (13, 15),
    "514": (1, 9),
}

GRADE_NAMES = {
    0: "幼儿园",
    1: "一年级",
    2: "二年级",
    3: "三年级",
    4: "四年级",
    5: "五年级",
    6: "六年级",
    7: "七年级",
    8: "八年级",
    9: "九年级",
    10: "高一",
    11: "高二",
    12: "高三",
    13: "大一",
    14: "大二",
    15: "大三",
    16: "大四",
}
