"""学校标识码: 10 digits = 2-digit school type + 2-digit province + 6-digit sequence."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eduplus.schools.codes import CODE_PREFIX_TYPES

_CODE = re.compile(r"^\d{10}$")
# Provincial GB/T 2260 codes (the 3rd-4th digits); 71/81/82 are Taiwan, HK, Macao.
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


def school_code_problem(code: str) -> str | None:
    """The reason a 学校标识码 is invalid, or None."""
    if not _CODE.match(code or ""):
        return _("学校标识码应为10位数字")
    if code[:2] not in CODE_PREFIX_TYPES:
        return _("学校标识码前两位（办学类型）%(prefix)s 不在代码表中") % {"prefix": code[:2]}
    if code[2:4] not in PROVINCE_CODES:
        return _("学校标识码第3-4位（省份）%(prov)s 不是有效的省级区划代码") % {"prov": code[2:4]}
    if code[4:] == "000000":
        return _("学校标识码后六位顺序号不能全为0")
    return None


def validate_school_code(code: str) -> None:
    problem = school_code_problem(code)
    if problem:
        raise ValidationError(problem, code="invalid_school_code")
