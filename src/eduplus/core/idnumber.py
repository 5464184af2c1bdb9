"""Citizen ID numbers (公民身份号码, GB 11643-1999).

18 characters: 6-digit address code (a GB/T 2260 county), 8-digit birth date,
3-digit sequence (odd for men, even for women), and an ISO 7064 MOD 11-2 check
character (0-9 or X). Legacy 15-digit numbers (two-digit year, no check) are upgraded.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")


class IdNumberError(ValueError):
    """Raised with a reason a person can act on."""


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    """Strip spaces, upper-case the X, turn full-width digits into ASCII."""
    text = raw.strip().translate(_FULLWIDTH).replace(" ", "").upper()
    return text


_FULLWIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")


@dataclass(frozen=True)
class IdNumber:
    value: str
    county_code: str
    birth_date: dt.date
    gender: int  # 1 male, 2 female (GB/T 2261.1)
    upgraded: bool = False


def parse(raw: str) -> IdNumber:
    """Validate and decompose an ID number; raise IdNumberError with the reason."""
    text = normalize(raw)
    upgraded = False
    if _ID15.match(text):
        body = text[:6] + "19" + text[6:]
        text = body + check_char(body)
        upgraded = True
    elif not _ID18.match(text):
        raise IdNumberError("身份证件号应为18位（末位可为X）或15位数字")
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise IdNumberError("身份证件号中的出生日期无效") from exc
    if birth.year < 1900 or birth > dt.date.today():
        raise IdNumberError("身份证件号中的出生日期超出合理范围")
    if not upgraded and check_char(text[:17]) != text[17]:
        raise IdNumberError("身份证件号校验位错误")
    gender = 1 if int(text[16]) % 2 else 2
    return IdNumber(text, text[:6], birth, gender, upgraded)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True


SEQUENCES_PER_GENDER = 499


def make(county_code: str, birth: dt.date, sequence: int, gender: int) -> str:
    """Build a valid synthetic number; the sequence code's parity follows the gender.

    Sequences 0..498 give distinct numbers for one county, birth date and gender
    (men 001, 003 … 997; women 002, 004 … 998); larger ones wrap around.
    """
    if gender not in (1, 2):
        raise ValueError("gender must be 1 (male) or 2 (female)")
    code = sequence % SEQUENCES_PER_GENDER * 2 + gender
    body = f"{county_code}{birth:%Y%m%d}{code:03d}"
    return body + check_char(body)


def mask(value: str | None) -> str:
    """410102********123X style: region prefix and last four only."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
