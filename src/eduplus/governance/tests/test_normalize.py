"""Normalisation and validation of imported rows (set-based SQL, run in memory here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eduplus.core import idnumber
from eduplus.governance import normalize
from eduplus.governance.normalize import HeaderError, detect_header, normalize_rows

TODAY = dt.date(2026, 5, 1)
SCHOOLS = [
    (1, "2141990101", "中原治理实验小学", "410102", "211"),
    (2, "3141990102", "中原治理初级中学", "410102", "311"),
    (3, "2141990201", "龙亭治理小学", "410202", "211"),
    (4, "2141990301", "同名小学", "410102", "211"),
    (5, "2141990302", "同名小学", "410103", "211"),
]
BIRTH = dt.date(2016, 3, 5)  # grade 4 in 2025/26
ID = idnumber.make("410102", BIRTH, 3, 1)
HEADER = ["姓名", "性别", "身份证件号", "出生日期", "学校标识码", "年级"]


def one(row: list[Any], *, header: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("schools", SCHOOLS)
    kwargs.setdefault("today", TODAY)
    return normalize_rows(header or HEADER, [row], **kwargs)[0]


def good(**changes: Any) -> list[Any]:
    values = {
        "name": "张三",
        "gender": "男",
        "id": ID,
        "birth": "2016-03-05",
        "school": "2141990101",
        "grade": "4",
    }
    values.update(changes)
    return list(values.values())


# ------------------------------------------------------------------------- header


def test_header_is_found_below_title_rows_and_chinese_headers_map_automatically() -> None:
    rows = [
        (1, ["2025学年学生名单（某某小学）", "", ""]),
        (2, ["", "", ""]),
        (3, ["序号", "学生姓名", "身份证号码", "出生年月", "学校代码", "班级名称", "家长电话"]),
    ]
    layout = detect_header(rows, width=7)
    assert layout.row == 3
    assert layout.mapping == {
        "学生姓名": "name",
        "身份证号码": "id_number",
        "出生年月": "birth_date",
        "学校代码": "school",
        "班级名称": "class_name",
        "家长电话": "guardian_phone",
    }


def test_header_aliases_ignore_width_spaces_stars_and_case() -> None:
    layout = detect_header(
        [(1, ["*姓 名", "ＩＤ_ＮＵＭＢＥＲ", "Gender", "学校标识码(必填)"])], width=4
    )
    assert [layout.items[i] for i in range(4)] == ["name", "id_number", "gender", "school"]


def test_a_student_files_only_phone_is_the_guardians_a_teacher_keeps_their_own() -> None:
    header = [(1, ["姓名", "联系电话", "学校标识码"])]
    assert detect_header(header, width=3).items[1] == "guardian_phone"
    assert detect_header(header, width=3, person_type="teacher").items[1] == "phone"
    both = [(1, ["姓名", "手机号码", "监护人联系电话"])]
    assert detect_header(both, width=3).mapping == {
        "姓名": "name",
        "手机号码": "phone",
        "监护人联系电话": "guardian_phone",
    }


def test_explicit_mapping_wins_and_can_ignore_a_column() -> None:
    rows = [(1, ["学生名字", "证件", "学校", "备注"])]
    with pytest.raises(HeaderError, match="找不到表头"):
        detect_header(rows, width=4)
    layout = detect_header(
        rows,
        width=4,
        mapping={"学生名字": "name", "证件": "id_number", " 学校 ": "school", "备注": ""},
    )
    assert layout.mapping == {"学生名字": "name", "证件": "id_number", "学校": "school"}
    with pytest.raises(HeaderError, match="不存在：shoe_size"):
        detect_header(rows, width=4, mapping={"备注": "shoe_size"})


def test_a_header_without_name_or_school_is_refused_with_the_columns_it_has() -> None:
    layout = detect_header([(1, ["姓名", "性别", "年级"])], width=3)
    with pytest.raises(HeaderError) as exc:
        normalize.require_columns(layout)
    assert "学校标识码（或学校名称）" in str(exc.value)
    assert "身份证件号（或出生日期）" in str(exc.value)
    assert "姓名、性别、年级" in str(exc.value)


def test_duplicate_and_empty_headers_get_unique_names() -> None:
    layout = detect_header([(1, ["姓名", "班级", "班级", "", "学校标识码"])], width=6)
    assert layout.headers == ["姓名", "班级", "班级（2）", "第4列", "学校标识码", "第6列"]


# ---------------------------------------------------------------- normalisation


def test_a_clean_row_is_accepted_with_normalised_values() -> None:
    row = one(good())
    assert row["status"] == "accepted", row["reasons"]
    assert row["reasons"] == []
    assert (row["name"], row["id_number"], row["id_valid"]) == ("张三", ID, True)
    assert (row["birth_date"], row["gender"], row["grade"]) == ("2016-03-05", 1, 4)
    assert (row["school_id"], row["region_id"], row["school_code"]) == (1, "410102", "2141990101")
    assert row["record_key"] == "1"
    assert row["raw"] == dict(zip(HEADER, good(), strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 张　三 ", "张三"),
        ("张 三", "张三"),
        ("阿卜杜．热合曼", "阿卜杜·热合曼"),
        ("阿卜杜・热合曼", "阿卜杜·热合曼"),
        ("阿卜杜 · 热合曼", "阿卜杜·热合曼"),
    ],
)
def test_names_lose_spaces_and_keep_the_middle_dot(text: str, expected: str) -> None:
    assert one(good(name=text))["name"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "2016-03-05",
        "2016/3/5",
        "2016.3.5",
        "20160305",
        "2016年3月5日",
        "2016-03-05 00:00:00",
        "２０１６－０３－０５",
        "42434",  # Excel serial number
    ],
)
def test_dates_in_every_common_form(text: str) -> None:
    row = one(good(birth=text))
    assert row["birth_date"] == "2016-03-05"
    assert row["status"] == "accepted", row["reasons"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("男", 1), ("女", 2), ("1", 1), ("2", 2), ("M", 1), ("f", 2), ("男性", 1), ("２", 2)],
)
def test_gender_codes(text: str, code: int) -> None:
    number = ID if code == 1 else idnumber.make("410102", BIRTH, 3, 2)
    row = one(good(gender=text, id=number))
    assert row["gender"] == code
    assert row["status"] == "accepted", row["reasons"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("汉族", "01"), ("汉", "01"), ("01", "01"), ("1", "01"), ("维吾尔", "05"), ("满族", "11")],
)
def test_ethnicity_by_code_or_name(text: str, code: str) -> None:
    row = one([*good(), text], header=[*HEADER, "民族"])
    assert row["ethnicity"] == code


@pytest.mark.parametrize(
    ("text", "grade", "school", "birth"),
    [
        ("四年级", 4, "2141990101", BIRTH),
        ("4年级", 4, "2141990101", BIRTH),
        ("小学四年级", 4, "2141990101", BIRTH),
        ("初二", 8, "3141990102", dt.date(2012, 3, 5)),
        ("八年级", 8, "3141990102", dt.date(2012, 3, 5)),
        ("初中二年级", 8, "3141990102", dt.date(2012, 3, 5)),
        ("8", 8, "3141990102", dt.date(2012, 3, 5)),
    ],
)
def test_grade_spellings(text: str, grade: int, school: str, birth: dt.date) -> None:
    number = idnumber.make("410102", birth, 3, 1)
    row = one(good(grade=text, school=school, id=number, birth=birth.isoformat()))
    assert row["grade"] == grade
    assert row["status"] == "accepted", row["reasons"]


def test_senior_grades_are_ten_to_twelve() -> None:
    rows = normalize_rows(
        ["姓名", "出生日期", "学校标识码", "年级"],
        [["甲", "2009-01-01", "2141990101", g] for g in ("高一", "高二", "高三", "12")],
        schools=SCHOOLS,
        today=TODAY,
    )
    assert [r["grade"] for r in rows] == [10, 11, 12, 12]


# ------------------------------------------------------------------- validation


def test_a_wrong_check_digit_keeps_the_row_as_suspicious_with_the_cleaned_text() -> None:
    wrong = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    row = one(good(id=wrong))
    assert row["status"] == "suspicious"
    assert row["id_valid"] is False
    assert row["id_number"] == wrong
    assert row["reasons"] == ["身份证件号校验位错误"]


def test_full_width_and_lower_case_id_numbers_are_cleaned() -> None:
    number = next(
        idnumber.make("410102", BIRTH, n, 2)
        for n in range(200)
        if idnumber.make("410102", BIRTH, n, 2).endswith("X")
    )
    text = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x"
    row = one(good(id=f" {text} ", gender="女"))
    assert (row["id_number"], row["id_valid"], row["status"]) == (number, True, "accepted")


def test_a_fifteen_digit_number_is_upgraded_with_a_note() -> None:
    legacy = "410102850601123"
    row = one(
        ["王老师", "男", legacy, "1985-06-01", "2141990101"],
        header=["姓名", "性别", "公民身份号码", "出生日期", "学校标识码"],
        person_type="teacher",
    )
    upgraded = idnumber.parse(legacy).value
    assert (row["id_number"], row["id_valid"]) == (upgraded, True)
    assert row["reasons"] == ["15位身份证件号已升级为18位"]
    assert row["status"] == "suspicious"


def test_birth_date_and_gender_must_agree_with_the_id_number() -> None:
    swapped = one(good(birth="2016-05-03"))
    assert swapped["reasons"] == ["出生日期与身份证件号不一致（疑似日、月颠倒）"]
    assert swapped["birth_date"] == "2016-05-03"  # kept as given; resolution weighs it
    other = one(good(birth="2016-03-06", gender="女"))
    assert "出生日期与身份证件号不一致" in other["reasons"]
    assert "性别与身份证件号不一致" in other["reasons"]


def test_missing_birth_date_and_gender_come_from_a_valid_id_number() -> None:
    row = one(good(birth="", gender=""))
    assert (row["birth_date"], row["gender"], row["status"]) == ("2016-03-05", 1, "accepted")
    month = one(good(birth="2016年3月"))  # 出生年月 columns often hold only the month
    assert (month["birth_date"], month["status"]) == ("2016-03-05", "accepted")
    other = one(good(birth="2016-04"))
    assert other["reasons"] == ["出生年月与身份证件号不一致"]
    alone = one(good(birth="201603", id=""))
    assert alone["status"] == "rejected"
    assert "出生日期只有年月：201603" in alone["reasons"]


def test_unknown_values_are_kept_as_suspicious_with_every_reason() -> None:
    row = one([*good(gender="未知", birth="去年"), "火星族"], header=[*HEADER, "民族"])
    assert row["status"] == "suspicious"
    assert set(row["reasons"]) == {
        "性别无法识别：未知",
        "出生日期无法识别：去年",
        "民族无法识别：火星族",
    }
    assert (row["gender"], row["birth_date"], row["ethnicity"]) == (1, "2016-03-05", "")


def test_grade_must_be_plausible_for_age_and_school() -> None:
    row = one(good(grade="九年级"))
    assert "年级与年龄不符：10岁，9年级" in row["reasons"]
    assert "年级与学校学段不符：小学为1至6年级" in row["reasons"]
    assert row["status"] == "suspicious"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"name": ""}, "缺少姓名"),
        ({"school": "2141999999"}, "学校标识码在学校库中不存在：2141999999"),
        ({"school": ""}, "缺少学校标识码"),
        ({"id": "", "birth": ""}, "既无有效的身份证件号，也无可用的出生日期"),
        ({"id": "12345", "birth": "2016-13-45"}, "既无有效的身份证件号，也无可用的出生日期"),
    ],
)
def test_unusable_rows_are_rejected_with_the_reason(changes: dict[str, str], reason: str) -> None:
    row = one(good(**changes))
    assert row["status"] == "rejected"
    assert reason in row["reasons"]
    # An unknown school leaves the row in the importer's region: visible to them.
    assert row["region_id"] == ("41" if "school" in changes else "410102")


def test_an_invalid_id_with_a_usable_birth_date_is_kept() -> None:
    row = one(good(id="41010220160305"))
    assert row["status"] == "suspicious"
    assert row["id_valid"] is False
    assert row["reasons"][0].startswith("身份证件号格式错误")


def test_a_school_outside_the_importers_region_is_rejected() -> None:
    row = one(good(school="2141990201"), region_code="410102")
    assert row["status"] == "rejected"
    assert row["reasons"][0] == "学校不在导入人的管辖区域内：2141990201"
    assert (row["school_id"], row["region_id"]) == (None, "410102")
    inside = one(good(school="2141990201"), region_code="41")
    assert (inside["school_id"], inside["region_id"]) == (3, "410202")


def test_school_by_name_when_the_code_is_missing() -> None:
    header = ["姓名", "身份证件号", "学校名称"]
    found = one(["张三", ID, "中原治理实验小学"], header=header)
    assert (found["school_id"], found["status"]) == (1, "accepted")
    twice = one(["张三", ID, "同名小学"], header=header)
    assert twice["reasons"] == ["学校名称在本区域有重名，请填写学校标识码：同名小学"]
    unknown = one(["张三", ID, "不存在小学"], header=header)
    assert unknown["status"] == "rejected"
    by_code = one(["张三", ID, "2141990101"], header=header)  # a code in the name column
    assert by_code["school_id"] == 1


def test_phones_are_cleaned_and_checked() -> None:
    header = [*HEADER, "监护人电话"]
    assert one([*good(), "138-0013-8000"], header=header)["guardian_phone"] == "13800138000"
    assert one([*good(), "+86 13800138000"], header=header)["guardian_phone"] == "13800138000"
    bad = one([*good(), "12345"], header=header)
    assert bad["reasons"] == ["监护人电话格式不正确"]


def test_duplicates_within_the_file_are_flagged() -> None:
    rows = normalize_rows(
        ["记录号", *HEADER],
        [["A1", *good()], ["A1", *good(name="张叁")], ["", *good(name="李四", id="")]],
        schools=SCHOOLS,
        today=TODAY,
    )
    assert "身份证件号在本文件中重复" in rows[0]["reasons"]
    assert "记录号在本文件中重复：A1" in rows[1]["reasons"]
    assert rows[2]["record_key"] == "3"
    assert "缺少记录号，已用行号代替" in rows[2]["reasons"]


def test_long_values_are_cut_with_a_reason() -> None:
    row = one([*good(), "街" * 300], header=[*HEADER, "家庭住址"])
    assert len(row["address"]) == 255
    assert "家庭住址过长，已截断为255字" in row["reasons"]


def test_record_key_is_the_files_record_number_else_the_data_row_number() -> None:
    rows = normalize_rows(
        ["记录编号", *HEADER], [["R-9", *good()], ["R-10", *good(id="")]], schools=SCHOOLS
    )
    assert [r["record_key"] for r in rows] == ["R-9", "R-10"]
    plain = normalize_rows(HEADER, [good(), good(id="")], schools=SCHOOLS)
    assert [r["record_key"] for r in plain] == ["1", "2"]


# Whitespace of every kind, full-width letters, digits and space, and ordinary text.
_CELL_ALPHABET = " \t\r\n\u00a0\u200b\ufeff\u3000ＡＺａ１９（）－，张三·a1-X"


@pytest.fixture(scope="module")
def cleaning() -> Any:
    import duckdb

    con = duckdb.connect()
    normalize.install(con)
    con.execute(f"CREATE MACRO clean_full(s) AS {normalize.CLEAN_SQL}")
    yield con
    con.close()


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(st.text(alphabet=_CELL_ALPHABET, max_size=8), min_size=1, max_size=20))
def test_the_quick_path_of_cleaning_gives_what_the_full_cleaning_gives(
    cleaning: Any, cells: list[str]
) -> None:
    rows = cleaning.execute(
        "SELECT s, clean(s), clean_full(s) FROM (SELECT unnest(?) AS s)", [[*cells, None]]
    ).fetchall()
    assert len(rows) == len(cells) + 1
    for cell, quick, full in rows:
        assert quick == full, cell
        # Never any whitespace at the ends, nor a full-width character left.
        left = set(quick or "") & set("ＡＺａ１９\u3000")
        assert quick is None or (quick == quick.strip() and not left)
