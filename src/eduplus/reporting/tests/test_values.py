"""What a school types, checked field by field (no database needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eduplus.reporting.models import ReportField, ReportRule
from eduplus.reporting.values import clean_values, display_value, raw_from_values


def field(code: str, kind: str, **kw) -> ReportField:  # type: ignore[no-untyped-def]
    return ReportField(code=code, label=code, kind=kind, **kw)


ROOMS = field("rooms", "integer", required=True, min_value=Decimal(0), max_value=Decimal(500))
MEDIA = field("media", "integer", min_value=Decimal(0))
BAND = field("band", "decimal", min_value=Decimal("0.5"), max_value=Decimal(10000))
NAME = field("name", "text", max_length=4)
NOTE = field("note", "text")
WIFI = field("wifi", "boolean")
DAY = field("day", "date")
ACCESS = field("access", "choice", options=[["1", "光纤"], ["2", "无线"]])
PLAT = field("plat", "multichoice", options=[["a", "国家平台"], ["b", "省级平台"], ["c", "校管"]])
ALL = [ROOMS, MEDIA, BAND, NAME, NOTE, WIFI, DAY, ACCESS, PLAT]
RULE = ReportRule(expression="media <= rooms", message="多媒体教室数不能多于普通教室数")


def check(raw: dict[str, list[str]], *, final: bool = True, rules=()):  # type: ignore[no-untyped-def]
    return clean_values(ALL, list(rules), raw, final=final)


def test_good_answers_of_every_type_are_stored_typed():
    got = check(
        {
            "rooms": ["30"],
            "media": ["12"],
            "band": ["100.50"],
            "name": ["王建国"],
            "note": ["  说明  "],
            "wifi": ["是"],
            "day": ["2026/09/01"],
            "access": ["1"],
            "plat": ["c", "a", "a"],
        },
        rules=[RULE],
    )
    assert got.ok, got.errors
    assert got.values == {
        "rooms": 30,
        "media": 12,
        "band": "100.5",
        "name": "王建国",
        "note": "说明",
        "wifi": True,
        "day": "2026-09-01",
        "access": "1",
        "plat": ["a", "c"],  # option order, no repeats
    }
    assert display_value(PLAT, got.values["plat"]) == "国家平台；校管"
    assert display_value(WIFI, False) == "否"
    assert display_value(ACCESS, "2") == "无线"
    assert raw_from_values(ALL, got.values)["wifi"] == "1"


@pytest.mark.parametrize(
    ("code", "typed", "message"),
    [
        ("rooms", "三十", "请输入数字"),
        ("rooms", "1.5", "请输入整数"),
        ("rooms", "-1", "不能小于 0"),
        ("rooms", "501", "不能大于 500"),
        ("rooms", "NaN", "请输入数字"),
        ("band", "abc", "请输入数字"),
        ("band", "0.1", "不能小于 0.5"),
        ("band", "1.123456", "最多保留4位小数"),
        ("name", "一二三四五", "最多 4 个字，当前 5 个字"),
        ("wifi", "也许", "请选择“是”或“否”"),
        ("day", "2026-02-30", "请输入有效日期"),
        ("day", "明天", "请输入有效日期"),
        ("access", "3", "请从选项中选择"),
    ],
)
def test_bad_input_gets_a_chinese_message_on_its_field(code, typed, message):
    got = check({"rooms": ["10"], code: [typed]}, final=False)
    assert not got.ok
    assert list(got.errors) == [code]
    assert message in got.errors[code][0]
    assert got.raw[code] == typed  # echoed back for correction


def test_unknown_option_in_multiple_choice():
    got = check({"plat": ["a", "z"]}, final=False)
    assert got.errors == {"plat": ["请从选项中选择"]}


def test_long_text_without_own_limit_still_has_one():
    got = check({"note": ["字" * 2001]}, final=False)
    assert "最多 2000 个字" in got.errors["note"][0]


def test_required_only_on_submission():
    assert check({}, final=False).ok
    got = check({"rooms": ["  "]}, final=True)
    assert got.errors == {"rooms": ["此项为必填项"]}


def test_rules_checked_on_submission_and_reported_on_each_field_named():
    raw = {"rooms": ["10"], "media": ["11"]}
    assert check(raw, final=False, rules=[RULE]).ok  # drafts may be inconsistent
    got = check(raw, final=True, rules=[RULE])
    assert got.errors[""] == ["多媒体教室数不能多于普通教室数"]
    assert got.errors["media"] == got.errors["rooms"] == ["多媒体教室数不能多于普通教室数"]
    assert check({"rooms": ["10"], "media": ["10"]}, final=True, rules=[RULE]).ok
    # An unanswered optional field: the rule is not checked.
    assert check({"rooms": ["10"]}, final=True, rules=[RULE]).ok
