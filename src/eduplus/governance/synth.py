"""Messy multi-source data with its truth (造数): what schools really send, seeded.

Used by ``bench/ingest.py`` (millions of people, set against the resolver's figures),
by the demo seed (``governance.demo``) and by the sample files a steward downloads
from the import page. Everything is deterministic: the same persons and seed give the
same bytes.

Persons
    :func:`persons_standalone` invents ``n`` people over given school codes (fast:
    two million in well under a minute); :func:`persons_from_demo` reads the seeded
    province's students and teachers.

Sources (one file each; headers as the systems export them, different per source)
    ``xueji``  学籍: every student once, plus a second row for transfers (the same
               person at another school code); column 记录号 is the record key.
    ``zizhu``  资助: ~30 % of students, written in GBK; no record-number column.
    ``tizhi``  体质健康: ~50 % of students; ``.xlsx`` (Excel date cells and serial
               numbers) for the demo, CSV for the benchmark; no record-number column.
    ``renshi`` 人事: every teacher; column 记录编号 is the record key.

Noise, per written record (rates in :class:`NoiseRates`):
    name homophone 2 % (张/章, 李/理, 王/汪 … one character), name typo 0.5 % (形近字);
    wrong ID number 1 % (one digit changed or two neighbours transposed: the check
    digit then fails); missing ID number 1.5 %; legacy 15-digit ID 3 % of teachers
    born before 2000; day and month swapped in 2 % of the birth dates whose day is at
    most 12; full-width digits 2 %; stray spaces 3 %; a moved address in 3 % of 资助
    rows. Name, birth date and ID number of one record are never all corrupted at once.
    Formats vary by source: dates as 2012-03-05, 2012/3/5, 20120305, 2012年3月5日,
    Excel date cells or serial numbers; gender as 男/女 or 1/2; 民族 by name; grade as
    三年级 or 3.
    Garbage rows (0.2 % of rows): no name, or a school code that no school has
    (sequence 99xxxx); they must be rejected.

Truth
    ``truth.csv``: ``source, record_key, person`` for every row that should be accepted
    (record_key: the file's 记录号/记录编号, else the 1-based data row number);
    ``rejections.csv``: ``source, record_key, reason`` for the garbage rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from eduplus.demo.names import ROADS, NameMaker

TRUTH_FILE = "truth.csv"
REJECTIONS_FILE = "rejections.csv"
SOURCE_CODES = ("xueji", "zizhu", "tizhi", "renshi")

# Column headers per source, in file order.
HEADERS: dict[str, tuple[str, ...]] = {
    "xueji": (
        "姓名", "性别", "身份证件号", "出生日期", "民族", "学校标识码", "年级", "班级",
        "家庭住址", "监护人电话", "记录号",
    ),
    "zizhu": (
        "学生姓名", "性别", "身份证号", "出生年月", "学校代码", "年级", "家庭住址",
        "家长电话", "资助项目",
    ),
    "tizhi": ("姓名", "性别", "身份证号码", "出生日期", "学校标识码", "年级", "班级", "体测等级"),
    "renshi": (
        "姓名", "性别", "公民身份号码", "出生日期", "民族", "学校标识码", "联系电话",
        "任教学科", "职称", "记录编号",
    ),
}  # fmt: skip
# The column holding the record key, where the source has one.
KEY_COLUMNS: dict[str, str] = {"xueji": "记录号", "renshi": "记录编号"}

# File formats: "csv" (UTF-8), "csv-bom" (UTF-8 with BOM, Excel's "CSV UTF-8"),
# "csv-gbk", "csv-gb18030", "xlsx".
ENCODINGS = {"csv": "utf-8", "csv-bom": "utf-8-sig", "csv-gbk": "gbk", "csv-gb18030": "gb18030"}
DEMO_FORMATS: dict[str, str] = {
    "xueji": "csv",
    "zizhu": "csv-gbk",
    "tizhi": "xlsx",
    "renshi": "csv-bom",
}
BENCH_FORMATS: dict[str, str] = {
    "xueji": "csv",
    "zizhu": "csv-gbk",
    "tizhi": "csv-bom",
    "renshi": "csv-gb18030",
}
FILE_STEMS = {
    "xueji": "xueji-学籍",
    "zizhu": "zizhu-资助",
    "tizhi": "tizhi-体质健康",
    "renshi": "renshi-人事",
}

# Share of students each student source covers (学籍 covers all).
COVERAGE: dict[str, float] = {"zizhu": 0.30, "tizhi": 0.50}
TEACHER_SHARE = 0.05
DEFAULT_COUNTY = "410102"

# GB/T 3304 codes and names (the ones the synthetic people carry, and a few more).
ETHNICITY_NAMES: dict[str, str] = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族",
    "07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族",
    "13": "瑶族", "14": "白族", "15": "土家族",
}  # fmt: skip
GRADE_TEXT = {
    0: "幼儿园", 1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
    7: "七年级", 8: "八年级", 9: "九年级", 10: "高一", 11: "高二", 12: "高三",
}  # fmt: skip
# School-code prefix (办学类型 first two digits) → grades taught.
PREFIX_GRADES: dict[str, tuple[int, int]] = {
    "21": (1, 6),
    "31": (7, 9),
    "34": (10, 12),
    "36": (10, 12),
}
SUBJECTS = (
    "语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "体育与健康",
    "音乐", "美术", "信息技术", "科学",
)  # fmt: skip
SUBJECT_WEIGHTS = (6, 6, 4, 2, 2, 1, 1, 1, 2, 2, 1, 1, 1, 1)
K12_TITLES = ("未定级", "三级教师", "二级教师", "一级教师", "高级教师", "正高级教师")
AID_PROGRAMMES = {
    "compulsory": ("义务教育家庭经济困难学生生活补助", "农村义务教育学生营养改善计划"),
    "senior": ("普通高中国家助学金", "普通高中免学杂费"),
}
HEALTH_GRADES = ("优秀", "良好", "良好", "及格", "及格", "及格", "不及格")
SCHOOL_YEAR_START = dt.date(2026, 9, 1)
_EXCEL_EPOCH = dt.date(1899, 12, 30)

# Homophones (同音字) schools' clerks type for one another, by group: every character of
# a group may be replaced by another of the same group.
HOMOPHONE_GROUPS = (
    # surnames
    "张章", "李理里礼", "王汪", "陈程成", "林琳霖", "刘柳", "杨阳", "周舟", "吴伍武", "徐许",
    "胡湖", "朱诸", "何和贺", "罗骆", "郑正", "梁良", "谢解", "唐汤", "韩寒", "冯封", "曾增",
    "肖萧", "田甜", "董东", "袁元原", "于余俞", "蒋江姜", "杜度", "叶业", "苏素", "魏卫韦",
    "丁定", "任仁", "沈申", "姚尧瑶", "卢鲁陆", "钟忠仲", "谭覃", "范樊", "金晋", "石时史",
    "彭鹏", "潘攀", "孙荪", "马玛", "高皋", "郭国", "黄皇", "宋颂", "邓登",
    # given names
    "杰洁捷婕", "伟玮炜", "丽莉俐", "静婧靖", "明铭鸣", "华化骅", "军君", "峰锋枫", "浩皓灏",
    "宇雨语", "轩萱宣", "涵晗含", "子梓紫", "睿瑞锐", "泽择", "辰晨琛", "博波", "文雯",
    "昊浩", "然冉", "俊骏峻", "航杭", "哲喆", "佑右", "嘉佳家", "懿艺毅", "煜昱", "城诚",
    "烨晔", "磊蕾", "晟盛", "思斯", "远源", "志智", "墨默", "锦瑾", "奕亦逸", "凯恺楷",
    "飞菲", "豪浩", "承成", "旭煦", "乐悦", "彦艳雁", "钰玉", "涛韬", "欣馨昕新", "怡宜仪",
    "诗施", "可珂", "桐彤童", "梦蒙", "琪琦淇", "妍研", "曦熙希", "汐夕", "芷止", "婉琬",
    "清青晴", "萌蒙", "沐慕", "安岸", "嫣烟", "雅亚娅", "书舒淑", "星兴", "勇永", "超潮",
    "刚钢", "平萍", "辉晖慧", "鑫欣", "斌彬", "健建", "帆凡", "宁凝", "龙隆", "欢焕", "亮靓",
    "红虹宏", "东冬", "芳方", "娜纳", "敏珉", "娟鹃", "霞夏", "秀绣", "玲铃", "桂贵", "丹单",
    "婷亭", "雪学", "晶菁", "颖莹盈", "倩茜", "燕艳", "梅玫", "英瑛", "兰岚", "凤风",
    "芬纷", "鹏朋", "天添", "一依", "诺娜", "铭茗", "晨尘",
)  # fmt: skip
# Characters that look alike (形近字): slips of the pen or of the input method.
TYPO_GROUPS = (
    "王玉", "未末", "己已", "晴睛", "琪棋", "涵函", "浩洁", "婷停", "雨两", "天夭", "明朋",
    "欣炊", "宇字", "睿叡", "子孑", "文丈", "佳住", "怡恰", "静靜", "杰烋", "轩轨", "博搏",
)  # fmt: skip


def _group_table(groups: Sequence[str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for group in groups:
        for ch in group:
            table[ch] = "".join(dict.fromkeys(table.get(ch, "") + group.replace(ch, "")))
    return table


HOMOPHONES = _group_table(HOMOPHONE_GROUPS)
TYPOS = _group_table(TYPO_GROUPS)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class NoiseRates:
    """Probabilities per written record (see the module docstring)."""

    name_homophone: float = 0.02
    name_typo: float = 0.005
    id_wrong: float = 0.01
    id_missing: float = 0.015
    id_legacy15: float = 0.03  # teachers born before 2000 (renshi)
    date_swap: float = 0.02  # of the birth dates whose day <= 12 and differs from the month
    fullwidth: float = 0.02
    spaces: float = 0.03
    address_moved: float = 0.03  # zizhu
    transfer: float = 0.03  # of students: a second 学籍 row at another school
    garbage: float = 0.002  # per written row: an extra row that must be rejected


@dataclass(frozen=True, slots=True)
class TruePerson:
    """One real person as the truth knows them."""

    key: str  # the truth's person identifier
    kind: str  # "student" | "teacher"
    name: str
    gender: int  # 1 male, 2 female
    birth_date: dt.date
    id_number: str  # "" when the person has none
    ethnicity: str  # GB/T 3304 code
    school_code: str
    grade: int | None
    class_name: str  # "3班"
    address: str
    phone: str  # guardian's phone for a student, own phone for a teacher
    subject: str = ""
    title: str = ""


@dataclass
class SourceFile:
    source_code: str
    path: Path
    rows: int  # data rows written, garbage rows included
    rejected: int = 0  # garbage rows among them (expected rejections)
    noise: dict[str, int] = field(default_factory=dict)  # noise kind → records affected

    @property
    def accepted(self) -> int:
        return self.rows - self.rejected


# ---------------------------------------------------------------------------- persons


def _grade_range(school_code: str) -> tuple[int, int]:
    return PREFIX_GRADES.get(school_code[:2], (1, 12))


def _birth_window(grade: int) -> tuple[int, int]:
    """(first ordinal, number of days): grade 1 is 6 on 1 September 2026."""
    age = 5 + grade
    start = SCHOOL_YEAR_START
    hi = dt.date(start.year - age, start.month, start.day).toordinal()
    lo = dt.date(start.year - age - 1, start.month, start.day).toordinal() + 1
    return lo, hi - lo + 1


def _ethnicity(r: float) -> str:
    if r < 0.985:
        return "01"
    if r < 0.995:
        return "03"
    return "11" if r < 0.998 else "02"


def _title(age: int, r: float) -> str:
    if age < 26:
        return K12_TITLES[0 if r < 0.5 else 2]
    if age < 33:
        return K12_TITLES[2 if r < 0.6 else (1 if r < 0.7 else 3)]
    if age < 45:
        return K12_TITLES[3 if r < 0.6 else (2 if r < 0.75 else 4)]
    return K12_TITLES[4 if r < 0.5 else (3 if r < 0.95 else 5)]


_SUBJECT_TABLE = [s for s, w in zip(SUBJECTS, SUBJECT_WEIGHTS, strict=True) for _ in range(w)]
_PHONE_PREFIX = ("13", "15", "18", "17", "13", "15", "18", "19")
_HOUSING = ("小区", "花园", "家园", "新村", "社区", "苑")


def persons_standalone(
    n: int,
    *,
    schools: Sequence[str],
    seed: int,
    counties: Sequence[str] | None = None,
    teacher_share: float = TEACHER_SHARE,
) -> Iterator[TruePerson]:
    """``n`` invented people (about 5 % teachers) spread over ``schools``.

    ``counties[i]`` is the GB/T 2260 county of ``schools[i]`` (the address code of the
    people's ID numbers; default 410102). Students' grades follow the school code's
    type prefix (21 primary 1–6, 31 junior 7–9, 34/36 senior 10–12, else 1–12) and
    their birth dates the grade. ID numbers are valid and distinct.
    """
    from eduplus.demo.people import IdNumbers  # needs Django (models) only when called

    if not schools:
        raise ValueError("persons_standalone needs at least one school code")
    county_of = list(counties) if counties is not None else [DEFAULT_COUNTY] * len(schools)
    if len(county_of) != len(schools):
        raise ValueError("counties must be as long as schools")
    codes = list(schools)
    n_schools = len(codes)
    rng = random.Random(f"eduplus-synth:{seed}:persons")
    rnd = rng.random
    bits = rng.getrandbits
    names = NameMaker(random.Random(f"eduplus-synth:{seed}:names"))
    surnames = names.surnames
    n_surnames = len(surnames)
    child_pool = {1: names.pools[(True, 1)], 2: names.pools[(True, 2)]}
    adult_pool = {1: names.pools[(False, 1)], 2: names.pools[(False, 2)]}
    make_id = IdNumbers(set()).make
    ranges = [_grade_range(code) for code in codes]
    windows = {g: _birth_window(g) for g in range(0, 13)}
    year_start = SCHOOL_YEAR_START.toordinal()
    fromiso = dt.date.fromisoformat
    roads = ROADS
    n_roads = len(roads)
    subjects = _SUBJECT_TABLE
    n_subjects = len(subjects)
    for i in range(n):
        si = int(rnd() * n_schools)
        code = codes[si]
        county = county_of[si]
        road = roads[int(rnd() * n_roads)]
        address = f"{road}路{1 + bits(8)}号{_HOUSING[bits(2)]}{1 + bits(4)}栋"
        phone = f"{_PHONE_PREFIX[bits(3)]}{bits(30) % 1_000_000_000:09d}"
        if rnd() < teacher_share:
            gender = 2 if rnd() < 0.62 else 1
            age = 23 + int(rnd() * 37)
            number, iso = make_id(county, year_start - age * 365 - int(rnd() * 365), gender)
            yield TruePerson(
                f"P{i + 1:07d}", "teacher",
                surnames[int(rnd() * n_surnames)] + adult_pool[gender][bits(12)],
                gender, fromiso(iso), number, _ethnicity(rnd()), code, None, "", address,
                phone, subjects[int(rnd() * n_subjects)], _title(age, rnd()),
            )  # fmt: skip
        else:
            lo, hi = ranges[si]
            grade = lo + int(rnd() * (hi - lo + 1))
            start, span = windows[grade]
            gender = 1 if rnd() < 0.515 else 2
            number, iso = make_id(county, start + int(rnd() * span), gender)
            yield TruePerson(
                f"P{i + 1:07d}", "student",
                surnames[int(rnd() * n_surnames)] + child_pool[gender][bits(12)],
                gender, fromiso(iso), number, _ethnicity(rnd()), code, grade,
                f"{1 + int(rnd() * 8)}班", address, phone,
            )  # fmt: skip


K12_TYPES = ("211", "311", "312", "341", "342", "345")


def pick_demo_schools(
    *, region: str, students: int, exclude: Iterable[int] = ()
) -> list[tuple[int, str]]:
    """(id, code) of K-12 schools within ``region`` (a code prefix), taken in turn from
    each county in code order until their headcounts reach ``students``."""
    from eduplus.schools.models import School

    excluded = set(exclude)
    by_county: dict[str, list[tuple[int, str, int]]] = {}
    rows = (
        School.objects.filter(region__code__startswith=region, school_type__in=K12_TYPES)
        .order_by("region_id", "code")
        .values_list("id", "code", "region_id", "student_count")
    )
    for pk, code, county, count in rows:
        if pk not in excluded:
            by_county.setdefault(county, []).append((pk, code, count))
    picked: list[tuple[int, str]] = []
    total = 0
    queues = [list(reversed(v)) for _, v in sorted(by_county.items())]
    while total < students and any(queues):
        for queue in queues:
            if queue and total < students:
                pk, code, count = queue.pop()
                picked.append((pk, code))
                total += max(count, 1)
    return picked


def persons_from_demo(
    *,
    limit: int = 3000,
    teachers: int = 300,
    region: str | None = None,
    exclude_schools: Iterable[int] = (),
    seed: int = 2026,
) -> list[TruePerson]:
    """Up to ``limit`` enrolled K-12 students and ``teachers`` teachers of the seeded
    province (``people.Student`` / ``people.Teacher``), from schools of ``region``
    picked by :func:`pick_demo_schools`. The demo has no addresses or guardian phones:
    they are invented here, deterministically. Person keys are ``people.Person`` ids."""
    from django.conf import settings

    from eduplus.people.models import Student, StudentStatus, Teacher

    region = region or settings.EDUPLUS_PROVINCE
    schools = [
        pk for pk, _ in pick_demo_schools(region=region, students=limit, exclude=exclude_schools)
    ]
    if not schools:
        return []
    rng = random.Random(f"eduplus-synth:{seed}:demo-extras")
    rnd = rng.random
    bits = rng.getrandbits
    out: list[TruePerson] = []

    def extras(region_name: str) -> tuple[str, str]:
        road = ROADS[int(rnd() * len(ROADS))]
        address = f"{region_name}{road}路{1 + bits(8)}号{_HOUSING[bits(2)]}{1 + bits(4)}栋"
        return address, f"{_PHONE_PREFIX[bits(3)]}{bits(30) % 1_000_000_000:09d}"

    students = (
        Student.objects.filter(
            school_id__in=schools, status=StudentStatus.ENROLLED, grade__gte=1, grade__lte=12
        )
        .select_related("person", "school", "school__region", "klass")
        .order_by("school_id", "id")[:limit]
    )
    for s in students:
        p = s.person
        if p.birth_date is None or p.gender not in (1, 2):
            continue
        address, phone = extras(s.school.region.name)
        number = s.klass.number if s.klass is not None else 1
        out.append(
            TruePerson(
                str(p.pk), "student", p.name, int(p.gender), p.birth_date, p.id_number or "",
                p.ethnicity or "01", s.school.code, s.grade, f"{number}班", address, phone,
            )
        )  # fmt: skip
    staff = (
        Teacher.objects.filter(school_id__in=schools, active=True)
        .select_related("person", "school", "school__region")
        .order_by("school_id", "id")[:teachers]
    )
    for t in staff:
        p = t.person
        if p.birth_date is None or p.gender not in (1, 2):
            continue
        address, phone = extras(t.school.region.name)
        out.append(
            TruePerson(
                str(p.pk), "teacher", p.name, int(p.gender), p.birth_date, p.id_number or "",
                p.ethnicity or "01", t.school.code, None, "", address, p.phone or phone,
                t.subject or "语文", t.title or K12_TITLES[0],
            )
        )  # fmt: skip
    return out


# ----------------------------------------------------------------------------- noise


def _variant(name: str, table: Mapping[str, str], rnd: Any) -> str | None:
    spots = [i for i, ch in enumerate(name) if ch in table]
    if not spots:
        return None
    i = spots[int(rnd() * len(spots))]
    others = table[name[i]]
    return name[:i] + others[int(rnd() * len(others))] + name[i + 1 :]


def wrong_id(number: str, rnd: Any) -> str:
    """One digit changed, or two neighbouring different digits transposed, within the
    first 17 characters: GB 11643's check character then fails (MOD 11-2 catches every
    single substitution and every adjacent transposition)."""
    chars = list(number)
    if rnd() < 0.5:
        for _ in range(20):
            i = int(rnd() * 16)
            if chars[i] != chars[i + 1]:
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
                return "".join(chars)
    i = int(rnd() * 17)
    chars[i] = str((int(chars[i]) + 1 + int(rnd() * 9)) % 10)
    return "".join(chars)


def _spaces(text: str, rnd: Any) -> str:
    r = rnd()
    if r < 0.4:
        return " " + text
    if r < 0.7 or len(text) != 2:
        return text + "  "
    return text[0] + " " + text[1]  # 两字名 padded to the width of three (张 伟)


# ---------------------------------------------------------------------------- writing


class _Sink:
    """One source file being written: rows, record keys, truth and rejections."""

    def __init__(self, code: str, fmt: str, out_dir: Path) -> None:
        self.code = code
        self.fmt = fmt
        ext = "xlsx" if fmt == "xlsx" else "csv"
        self.path = out_dir / f"{FILE_STEMS[code]}.{ext}"
        self.rows = 0
        self.rejected = 0
        self.noise: dict[str, int] = {}
        self.keyed = code in KEY_COLUMNS
        self.prefix = {"xueji": "XJ", "renshi": "RS"}.get(code, "")
        self.handle: IO[str] | None = None
        self.xlsx_rows: list[list[Any]] = []
        if fmt == "xlsx":
            self.writerow = self.xlsx_rows.append
        else:
            if fmt not in ENCODINGS:
                raise ValueError(f"unknown format {fmt!r}")
            self.handle = self.path.open("w", encoding=ENCODINGS[fmt], newline="")
            self.writerow = csv.writer(self.handle).writerow
        self.writerow(list(HEADERS[code]))

    def next_key(self) -> str:
        self.rows += 1
        if self.keyed:
            return f"{self.prefix}{41_000_000 + self.rows:09d}"
        return str(self.rows)

    def close(self) -> SourceFile:
        if self.handle is not None:
            self.handle.close()
        else:
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            ws = wb.create_sheet("体质健康测试")
            for row in self.xlsx_rows:
                ws.append(row)
            wb.save(self.path)
        return SourceFile(self.code, self.path, self.rows, self.rejected, dict(self.noise))


class _Writer:
    def __init__(
        self, out_dir: Path, *, seed: int, formats: Mapping[str, str], rates: NoiseRates
    ) -> None:
        self.rng = random.Random(f"eduplus-synth:{seed}:write")
        self.rates = rates
        self.sinks = {code: _Sink(code, formats[code], out_dir) for code in SOURCE_CODES}
        self.truth_handle = (out_dir / TRUTH_FILE).open("w", encoding="utf-8", newline="")
        self.truth = csv.writer(self.truth_handle).writerow
        self.truth(["source", "record_key", "person"])
        self.rejections_handle = (out_dir / REJECTIONS_FILE).open("w", encoding="utf-8", newline="")
        self.rejections = csv.writer(self.rejections_handle).writerow
        self.rejections(["source", "record_key", "reason"])

    # Noisy values shared by the sources -------------------------------------------

    def _core(self, sink: _Sink, p: TruePerson) -> tuple[str, str, int, int, int, bool, bool]:
        """(name, ID text, year, month, day, full-width, spaces) with noise applied."""
        rnd = self.rng.random
        rates = self.rates
        noise = sink.noise
        name = p.name
        name_bad = id_bad = date_bad = False
        r = rnd()
        if r < rates.name_homophone:
            changed = _variant(name, HOMOPHONES, rnd)
            if changed:
                name, name_bad = changed, True
                noise["name_homophone"] = noise.get("name_homophone", 0) + 1
        elif r < rates.name_homophone + rates.name_typo:
            changed = _variant(name, TYPOS, rnd) or _variant(name, HOMOPHONES, rnd)
            if changed:
                name, name_bad = changed, True
                noise["name_typo"] = noise.get("name_typo", 0) + 1
        d = p.birth_date
        year, month, day = d.year, d.month, d.day
        if day <= 12 and day != month and rnd() < rates.date_swap:
            month, day, date_bad = day, month, True
        number = p.id_number
        id_kind = ""
        r = rnd()
        if number:
            if r < rates.id_missing:
                id_kind = "id_missing"
            elif r < rates.id_missing + rates.id_wrong:
                id_kind = "id_wrong"
            elif (
                p.kind == "teacher"
                and number[6:8] == "19"
                and r < rates.id_missing + rates.id_wrong + rates.id_legacy15
            ):
                id_kind = "id_legacy15"
        id_bad = id_kind in ("id_missing", "id_wrong")
        if name_bad and date_bad and id_bad:
            id_kind = ""  # never all three: the person stays recognisable
        if id_kind == "id_missing":
            number = ""
        elif id_kind == "id_wrong":
            number = wrong_id(number, rnd)
        elif id_kind == "id_legacy15":
            number = number[:6] + number[8:17]
        if id_kind:
            noise[id_kind] = noise.get(id_kind, 0) + 1
        if date_bad:
            noise["date_swap"] = noise.get("date_swap", 0) + 1
        wide = rnd() < rates.fullwidth
        if wide:
            noise["fullwidth"] = noise.get("fullwidth", 0) + 1
            number = number.translate(_FULLWIDTH)
        spaced = rnd() < rates.spaces
        if spaced:
            noise["spaces"] = noise.get("spaces", 0) + 1
            if rnd() < 0.7:
                name = _spaces(name, rnd)
            elif number:
                number = number + " "
            else:
                name = " " + name
        return name, number, year, month, day, wide, spaced

    def _date(self, year: int, month: int, day: int, choice: str, wide: bool) -> Any:
        if choice == "iso":
            text = f"{year:04d}-{month:02d}-{day:02d}"
        elif choice == "slash":
            text = f"{year}/{month}/{day}"
        elif choice == "compact":
            text = f"{year:04d}{month:02d}{day:02d}"
        elif choice == "cn":
            text = f"{year}年{month}月{day}日"
        elif choice == "cell":
            return dt.date(year, month, day)
        else:  # Excel serial number
            return (dt.date(year, month, day) - _EXCEL_EPOCH).days
        return text.translate(_FULLWIDTH) if wide else text

    def _garbage(self, sink: _Sink, row: list[Any], name_col: int, school_col: int) -> None:
        """Maybe write a row built from ``row`` that must be rejected."""
        rnd = self.rng.random
        if rnd() >= self.rates.garbage:
            return
        bad = list(row)
        key = sink.next_key()
        if sink.keyed:
            bad[-1] = key
        if rnd() < 0.5:
            bad[name_col] = ""
            reason = "no_name"
        else:
            code = str(bad[school_col]).strip()
            bad[school_col] = f"{code[:4]}99{int(rnd() * 10_000):04d}"
            reason = "unknown_school"
        sink.writerow(bad)
        sink.rejected += 1
        sink.noise["garbage_" + reason] = sink.noise.get("garbage_" + reason, 0) + 1
        self.rejections([sink.code, key, reason])

    # One row per source --------------------------------------------------------------

    def xueji(self, p: TruePerson, school_code: str, class_name: str) -> None:
        sink = self.sinks["xueji"]
        rnd = self.rng.random
        name, number, y, m, d, wide, _ = self._core(sink, p)
        r = rnd()
        date = self._date(
            y, m, d, "iso" if r < 0.85 else ("slash" if r < 0.95 else "compact"), wide
        )
        phone = p.phone.translate(_FULLWIDTH) if wide else p.phone
        gender = ("男" if p.gender == 1 else "女") if rnd() >= 0.03 else str(p.gender)
        grade = GRADE_TEXT.get(p.grade or 0, str(p.grade))
        key = sink.next_key()
        row = [
            name, gender, number, date, ETHNICITY_NAMES.get(p.ethnicity, "汉族"), school_code,
            grade, class_name, p.address, phone, key,
        ]  # fmt: skip
        sink.writerow(row)
        self.truth(["xueji", key, p.key])
        self._garbage(sink, row, 0, 5)

    def zizhu(self, p: TruePerson) -> None:
        sink = self.sinks["zizhu"]
        rnd = self.rng.random
        name, number, y, m, d, wide, _ = self._core(sink, p)
        r = rnd()
        date = self._date(y, m, d, "cn" if r < 0.6 else ("compact" if r < 0.9 else "slash"), wide)
        phone = p.phone.translate(_FULLWIDTH) if wide else p.phone
        gender = str(p.gender) if rnd() >= 0.1 else ("男" if p.gender == 1 else "女")
        address = p.address
        if rnd() < self.rates.address_moved:
            address = f"{ROADS[int(rnd() * len(ROADS))]}路{1 + int(rnd() * 200)}号"
            sink.noise["address_moved"] = sink.noise.get("address_moved", 0) + 1
        grade = p.grade or 0
        programmes = AID_PROGRAMMES["compulsory" if grade <= 9 else "senior"]
        key = sink.next_key()
        row = [
            name, gender, number, date, p.school_code, str(grade), address, phone,
            programmes[int(rnd() * len(programmes))],
        ]  # fmt: skip
        sink.writerow(row)
        self.truth(["zizhu", key, p.key])
        self._garbage(sink, row, 0, 4)

    def tizhi(self, p: TruePerson) -> None:
        sink = self.sinks["tizhi"]
        rnd = self.rng.random
        name, number, y, m, d, wide, _ = self._core(sink, p)
        r = rnd()
        if sink.fmt == "xlsx":
            choice = "cell" if r < 0.6 else ("serial" if r < 0.8 else "slash")
            if wide and choice != "slash":
                wide = False
        else:
            choice = "slash" if r < 0.7 else "iso"
        date = self._date(y, m, d, choice, wide)
        key = sink.next_key()
        row = [
            name, "男" if p.gender == 1 else "女", number, date, p.school_code,
            GRADE_TEXT.get(p.grade or 0, str(p.grade)), p.class_name,
            HEALTH_GRADES[int(rnd() * len(HEALTH_GRADES))],
        ]  # fmt: skip
        sink.writerow(row)
        self.truth(["tizhi", key, p.key])
        self._garbage(sink, row, 0, 4)

    def renshi(self, p: TruePerson) -> None:
        sink = self.sinks["renshi"]
        rnd = self.rng.random
        name, number, y, m, d, wide, _ = self._core(sink, p)
        date = self._date(y, m, d, "iso" if rnd() < 0.6 else "cn", wide)
        phone = p.phone.translate(_FULLWIDTH) if wide else p.phone
        key = sink.next_key()
        row = [
            name, "男" if p.gender == 1 else "女", number, date,
            ETHNICITY_NAMES.get(p.ethnicity, "汉族"), p.school_code, phone, p.subject,
            p.title, key,
        ]  # fmt: skip
        sink.writerow(row)
        self.truth(["renshi", key, p.key])
        self._garbage(sink, row, 0, 5)

    def close(self) -> list[SourceFile]:
        self.truth_handle.close()
        self.rejections_handle.close()
        return [self.sinks[code].close() for code in SOURCE_CODES]


def write_sources(
    persons: Iterable[TruePerson],
    out_dir: str | Path,
    *,
    seed: int,
    formats: Mapping[str, str] | None = None,
    rates: NoiseRates | None = None,
    coverage: Mapping[str, float] | None = None,
) -> list[SourceFile]:
    """Write one messy file per source, ``truth.csv`` and ``rejections.csv`` into
    ``out_dir``; ``persons`` is read once, in order (an iterator of millions is fine).

    Returns the four files in the order xueji, zizhu, tizhi, renshi.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fmts = {**DEMO_FORMATS, **(formats or {})}
    cover = {**COVERAGE, **(coverage or {})}
    writer = _Writer(out, seed=seed, formats=fmts, rates=rates or NoiseRates())
    rnd = writer.rng.random
    transfer_rate = writer.rates.transfer
    zizhu_share, tizhi_share = cover["zizhu"], cover["tizhi"]
    transfers: list[TruePerson] = []
    school_codes: dict[str, None] = {}
    try:
        for p in persons:
            if p.kind == "teacher":
                writer.renshi(p)
                continue
            school_codes.setdefault(p.school_code)
            writer.xueji(p, p.school_code, p.class_name)
            if rnd() < transfer_rate:
                transfers.append(p)
            if rnd() < zizhu_share:
                writer.zizhu(p)
            if rnd() < tizhi_share:
                writer.tizhi(p)
        # Transfers (转学): the sending school's row is still in 学籍 when the receiving
        # school's is added, at the end of the export.
        # The receiving school teaches the same grades (same type prefix) when one exists.
        by_prefix: dict[str, list[str]] = {}
        for code in school_codes:
            by_prefix.setdefault(code[:2], []).append(code)
        everything = list(school_codes)
        sink = writer.sinks["xueji"]
        for p in transfers:
            codes = by_prefix[p.school_code[:2]]
            if len(codes) < 2:
                codes = everything
            if len(codes) < 2:
                break
            other = p.school_code
            while other == p.school_code:
                other = codes[int(rnd() * len(codes))]
            writer.xueji(p, other, f"{1 + int(rnd() * 8)}班")
            sink.noise["transfer"] = sink.noise.get("transfer", 0) + 1
    finally:
        files = writer.close()
    return files


def read_truth(out_dir: str | Path) -> dict[tuple[str, str], str]:
    """``truth.csv`` as {(source, record_key): person} (small sets; tests and demo)."""
    with (Path(out_dir) / TRUTH_FILE).open(encoding="utf-8", newline="") as fh:
        return {(row[0], row[1]): row[2] for row in list(csv.reader(fh))[1:]}
