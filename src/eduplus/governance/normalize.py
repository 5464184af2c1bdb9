# ruff: noqa: S608 - SQL text from code constants, ints and sql_text()-quoted literals
"""Normalisation and validation of imported person rows (规范化与校验), set-based.

Everything here runs as DuckDB SQL over a whole file at once: the import loads the
file's cells into a table ``base`` (``rn`` = the row number in the file, ``k`` = the
1-based data row number, ``c0`` … ``cN`` = the cells as text) and
:func:`normalize_statements` turn it into one row per data row with the cleaned values, the
status (``accepted`` / ``suspicious`` / ``rejected``) and every reason.

Principle: reject only what cannot be used (no name; an unknown school or one outside
the importer's region; neither a valid ID number nor a usable birth date). Everything
else is kept, as ``suspicious`` with its reasons when something is off: an invalid ID
number keeps the row (resolution still matches it on name, birth date and school),
with ``id_valid`` false and the cleaned text.

The header row is found among the first rows of the file by matching the headers
schools really use (:data:`HEADER_ALIASES`); a steward's explicit mapping wins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from eduplus.governance.models import DataItem
from eduplus.schools.codes import TYPE_GRADES, SchoolType

# ----------------------------------------------------------------------- data items

# Items a column can be mapped to: the data items, plus the school's name (used when
# the 学校标识码 is missing) and the file's own record number (记录号).
SCHOOL_NAME = "school_name"
RECORD_KEY = "record_key"
IGNORE = ""

ITEM_LABELS: dict[str, str] = {
    **{value: str(label) for value, label in DataItem.choices},
    "school": "学校标识码",
    SCHOOL_NAME: "学校名称",
    RECORD_KEY: "记录号",
}
MAPPABLE_ITEMS: tuple[str, ...] = (RECORD_KEY, *DataItem.values, SCHOOL_NAME)

# The header a template carries for each item (the first alias schools use).
TEMPLATE_HEADERS: dict[str, str] = {
    RECORD_KEY: "记录号",
    "name": "姓名",
    "id_number": "身份证件号",
    "gender": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "school": "学校标识码",
    SCHOOL_NAME: "学校名称",
    "grade": "年级",
    "class_name": "班级",
    "address": "家庭住址",
    "phone": "联系电话",
    "guardian_phone": "监护人电话",
    "aid_status": "资助状态",
    "health_result": "体质健康等级",
    "subject": "任教学科",
    "title": "职称",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "学生姓名", "教师姓名", "名字", "name", "studentname", "fullname"),
    "id_number": (
        "身份证件号",
        "身份证号",
        "身份证号码",
        "身份证件号码",
        "证件号码",
        "证件号",
        "公民身份号码",
        "公民身份证号",
        "idnumber",
        "idcard",
        "id_number",
        "id_card",
    ),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日", "birthdate", "birth_date", "dob"),
    "gender": ("性别", "gender", "sex"),
    "ethnicity": ("民族", "ethnicity", "nation"),
    "school": ("学校标识码", "学校代码", "学校编码", "学校识别码", "schoolcode", "school_code"),
    SCHOOL_NAME: ("学校名称", "学校", "所在学校", "就读学校", "任职学校", "schoolname", "school"),
    "grade": ("年级", "所在年级", "grade"),
    "class_name": ("班级", "班级名称", "所在班级", "班号", "class", "classname", "class_name"),
    "address": ("家庭住址", "住址", "现住址", "家庭地址", "居住地址", "address"),
    "phone": ("联系电话", "手机号码", "手机号", "手机", "电话", "phone", "mobile"),
    "guardian_phone": (
        "监护人电话",
        "家长电话",
        "监护人联系电话",
        "监护人手机号",
        "监护人手机号码",
        "家长联系电话",
        "家长手机号",
        "guardianphone",
        "guardian_phone",
    ),
    "aid_status": ("资助状态", "资助项目", "资助类型", "aidstatus", "aid_status"),
    "health_result": (
        "体质健康等级",
        "体测等级",
        "体质测试等级",
        "体质健康测试等级",
        "等级评定",
        "healthresult",
        "health_result",
    ),
    "subject": ("任教学科", "学科", "任教科目", "subject"),
    "title": ("职称", "专业技术职务", "title"),
    RECORD_KEY: ("记录号", "记录编号", "recordkey", "record_key", "recordid", "record_id"),
}

# Printable ASCII in full width (！ … ～) and the ideographic space, and their halves.
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_TO_HALF = str.maketrans(FULL_WIDTH, HALF_WIDTH)


def halfwidth(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms."""
    return text.translate(_TO_HALF)


_HEADER_NOISE = re.compile(r"[\s*:：]|\((必填|选填|可选|必选)\)")


def header_key(text: str) -> str:
    """The form of a header cell that aliases are compared in: half-width, no spaces,
    no "*" or "(必填)" markers, lower case."""
    return _HEADER_NOISE.sub("", halfwidth(str(text)).strip()).lower()


HEADER_ALIASES: dict[str, str] = {
    header_key(alias): item for item, aliases in _ALIASES.items() for alias in aliases
}

# ------------------------------------------------------------------------ code tables

# GB/T 3304 民族 (ethnic groups) and their two-digit codes.
ETHNICITIES: tuple[tuple[str, str], ...] = (
    ("01", "汉族"),
    ("02", "蒙古族"),
    ("03", "回族"),
    ("04", "藏族"),
    ("05", "维吾尔族"),
    ("06", "苗族"),
    ("07", "彝族"),
    ("08", "壮族"),
    ("09", "布依族"),
    ("10", "朝鲜族"),
    ("11", "满族"),
    ("12", "侗族"),
    ("13", "瑶族"),
    ("14", "白族"),
    ("15", "土家族"),
    ("16", "哈尼族"),
    ("17", "哈萨克族"),
    ("18", "傣族"),
    ("19", "黎族"),
    ("20", "傈僳族"),
    ("21", "佤族"),
    ("22", "畲族"),
    ("23", "高山族"),
    ("24", "拉祜族"),
    ("25", "水族"),
    ("26", "东乡族"),
    ("27", "纳西族"),
    ("28", "景颇族"),
    ("29", "柯尔克孜族"),
    ("30", "土族"),
    ("31", "达斡尔族"),
    ("32", "仫佬族"),
    ("33", "羌族"),
    ("34", "布朗族"),
    ("35", "撒拉族"),
    ("36", "毛南族"),
    ("37", "仡佬族"),
    ("38", "锡伯族"),
    ("39", "阿昌族"),
    ("40", "普米族"),
    ("41", "塔吉克族"),
    ("42", "怒族"),
    ("43", "乌孜别克族"),
    ("44", "俄罗斯族"),
    ("45", "鄂温克族"),
    ("46", "德昂族"),
    ("47", "保安族"),
    ("48", "裕固族"),
    ("49", "京族"),
    ("50", "塔塔尔族"),
    ("51", "独龙族"),
    ("52", "鄂伦春族"),
    ("53", "赫哲族"),
    ("54", "门巴族"),
    ("55", "珞巴族"),
    ("56", "基诺族"),
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
)
ETHNICITY_NAMES = dict(ETHNICITIES)


def _ethnicity_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for code, name in ETHNICITIES:
        keys[code] = code
        keys[str(int(code))] = code
        keys[name] = code
        if name.endswith("族"):
            keys[name[:-1]] = code
    keys.update({"其它": "97", "其他族": "97", "外国血统": "98", "外籍": "98"})
    return keys


ETHNICITY_KEYS = _ethnicity_keys()

_CN_DIGITS = "一二三四五六七八九"


def _grade_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for n in range(1, 10):
        cn = _CN_DIGITS[n - 1]
        for stem in (cn, str(n)):
            words[f"{stem}年级"] = n
            if n <= 6:
                words[f"小学{stem}年级"] = n
    for n, cn in enumerate(("十", "十一", "十二"), start=10):
        words[f"{cn}年级"] = n
        words[f"{n}年级"] = n
    for n in range(1, 4):
        cn = _CN_DIGITS[n - 1]
        for stem in (cn, str(n)):
            for prefix, base in (("初", 6), ("初中", 6), ("高", 9), ("高中", 9)):
                words[f"{prefix}{stem}"] = base + n
                words[f"{prefix}{stem}年级"] = base + n
    for word in ("幼儿园", "学前班", "学前", "大班", "中班", "小班"):
        words[word] = 0
    return words


# 年级: every common spelling → 0 (kindergarten) … 12 (高三).
GRADE_WORDS = _grade_words()

# ---------------------------------------------------------------------- the header


class HeaderError(ValueError):
    """No usable header: a reason a steward can act on (map the columns)."""


@dataclass
class HeaderLayout:
    """Where the header is and what each column holds."""

    row: int  # the header's row number in the file
    headers: list[str]  # one unique, non-empty display name per column (raw keys)
    items: dict[int, str] = field(default_factory=dict)  # column index → item
    explicit: bool = False  # an explicit mapping was applied

    def columns_of(self, item: str) -> list[int]:
        return [i for i, it in sorted(self.items.items()) if it == item]

    @property
    def mapping(self) -> dict[str, str]:
        """Header text → item, as stored on the batch."""
        return {self.headers[i]: item for i, item in sorted(self.items.items())}

    def has(self, item: str) -> bool:
        return item in self.items.values()


def _unique_headers(cells: Sequence[str], width: int) -> list[str]:
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index in range(width):
        text = str(cells[index]).strip() if index < len(cells) and cells[index] else ""
        text = text or f"第{index + 1}列"
        count = seen.get(text, 0) + 1
        seen[text] = count
        headers.append(text if count == 1 else f"{text}（{count}）")
    return headers


def _item_for(
    key: str, explicit: dict[str, str], allowed: frozenset[str] | None = None
) -> str | None:
    if key in explicit:
        return explicit[key] or None
    item = HEADER_ALIASES.get(key)
    if item is not None and allowed is not None and item not in allowed:
        return None
    return item


def detect_header(
    rows: Sequence[tuple[int, Sequence[str | None]]],
    *,
    width: int,
    mapping: dict[str, str] | None = None,
    person_type: str = "student",
) -> HeaderLayout:
    """Find the header among ``rows`` (number, cells) and map its columns to items.

    The header is the first row with the most recognised cells (at least two, or one
    the explicit mapping names). ``mapping`` (header text → item, "" to ignore) wins
    over the aliases; its keys are compared like headers (spaces, width, case).
    """
    explicit = {header_key(k): v for k, v in (mapping or {}).items()}
    unknown = sorted({v for v in explicit.values() if v and v not in MAPPABLE_ITEMS})
    if unknown:
        raise HeaderError(f"列映射中的数据项不存在：{'、'.join(unknown)}")
    best: tuple[int, int] | None = None  # (score, position)
    for position, (_, candidate) in enumerate(rows):
        keys = [header_key(c) for c in candidate if c]
        score = sum(1 for k in keys if _item_for(k, explicit))
        explicit_hits = sum(1 for k in keys if k in explicit)
        if (score >= 2 or explicit_hits) and (best is None or score > best[0]):
            best = (score, position)
    if best is None:
        raise HeaderError(
            f"在文件的前 {len(rows)} 行中找不到表头：表头应含“姓名”“身份证件号”“学校标识码”等列。"
            "请使用本来源的导入模板，或在批次页面指定列映射"
        )
    number, found = rows[best[1]]
    cells: list[str] = [c or "" for c in found]
    headers = _unique_headers(cells, width)
    layout = HeaderLayout(row=number, headers=headers, explicit=bool(explicit))
    for index, text in enumerate(cells[:width]):
        item = _item_for(header_key(text), explicit) if text else None
        if item:
            layout.items[index] = item
    # In a student file the only phone is the guardian's (学籍 lists the family's).
    if person_type == "student" and not layout.has("guardian_phone"):
        for index, item in list(layout.items.items()):
            if item == "phone" and header_key(cells[index]) not in explicit:
                layout.items[index] = "guardian_phone"
    return layout


def require_columns(layout: HeaderLayout) -> None:
    """Refuse a file whose every row would be rejected for want of a column."""
    missing = []
    if not layout.has("name"):
        missing.append("姓名")
    if not (layout.has("school") or layout.has(SCHOOL_NAME)):
        missing.append("学校标识码（或学校名称）")
    if not (layout.has("id_number") or layout.has("birth_date")):
        missing.append("身份证件号（或出生日期）")
    if missing:
        raise HeaderError(
            f"表头中找不到以下列：{'、'.join(missing)}。"
            f"文件的列为：{'、'.join(layout.headers[:40])}。"
            "请在批次页面指定列映射后重新导入，或在命令行用 --map 列名=数据项 指定"
        )


# ------------------------------------------------------------------------- the SQL

# Lengths of the SourceRecord text columns (values beyond are cut, with a reason).
MAX_LENGTHS = {
    "name": 64,
    "record_key": 64,
    "class_name": 32,
    "address": 255,
    "aid_status": 32,
    "health_result": 16,
    "subject": 32,
    "title": 32,
}
TEXT_ITEMS = ("class_name", "address", "aid_status", "health_result", "subject", "title")
PHONE_ITEMS = ("phone", "guardian_phone")
# Items read as text from the file (one column each after merging duplicates).
READ_ITEMS = (
    "name",
    "id_number",
    "birth_date",
    "gender",
    "ethnicity",
    "school",
    SCHOOL_NAME,
    "grade",
    *TEXT_ITEMS,
    *PHONE_ITEMS,
    RECORD_KEY,
)
# The output columns of normalize_sql, in order (SourceRecord columns but the ids).
OUTPUT_COLUMNS = (
    "rn",
    "k",
    "record_key",
    "status",
    "reasons",
    "raw",
    "name",
    "id_number",
    "id_valid",
    "birth_date",
    "gender",
    "ethnicity",
    "school_code",
    "school_id",
    "region_id",
    "grade",
    "class_name",
    "address",
    "phone",
    "guardian_phone",
    "aid_status",
    "health_result",
    "subject",
    "title",
)

_WS = "\\s\u00a0\u200b\ufeff"  # whitespace RE2's \s does not cover


def sql_text(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def _id_check_sql(body: str) -> str:
    """The GB 11643 check character of a 17-digit body (an SQL expression)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = " + ".join(
        f"CAST(substr({body}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(weights)
    )
    return f"substr('10X98765432', (({total}) % 11) + 1, 1)"


# The cleaned text of a cell: full-width to half-width, every run of whitespace one
# space, trimmed; NULL when nothing is left.
CLEAN_SQL = f"nullif(trim(regexp_replace(hw(s), '[{_WS}]+', ' ', 'g')), '')"


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Macros and code tables the normalisation SQL uses (per connection)."""
    # translate() is slow on long mappings: only strings with a full-width character.
    con.execute(
        "CREATE OR REPLACE TEMP MACRO hw(s) AS CASE WHEN regexp_matches(s, "
        "'[\uff01-\uff5e\u3000]') THEN translate(s, "
        f"{sql_text(FULL_WIDTH)}, {sql_text(HALF_WIDTH)}) ELSE s END"
    )
    # A cell without whitespace or a full-width character (most of them) is already
    # clean: one regular expression decides, instead of three functions on every cell
    # (measured: the cleaned text of 2 million rows, 3.4 s → 1.9 s).
    con.execute(
        "CREATE OR REPLACE TEMP MACRO clean(s) AS "
        f"CASE WHEN regexp_matches(s, '[{_WS}\uff01-\uff5e\u3000]') "
        f"THEN {CLEAN_SQL} ELSE nullif(s, '') END"
    )
    con.execute(f"CREATE OR REPLACE TEMP MACRO id_check(b) AS {_id_check_sql('b')}")
    con.execute("CREATE OR REPLACE TEMP TABLE eth (key VARCHAR, code VARCHAR)")
    con.executemany("INSERT INTO eth VALUES (?, ?)", sorted(ETHNICITY_KEYS.items()))
    con.execute("CREATE OR REPLACE TEMP TABLE grade_words (key VARCHAR, n INTEGER)")
    con.executemany("INSERT INTO grade_words VALUES (?, ?)", sorted(GRADE_WORDS.items()))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE type_grades (t VARCHAR, lo INTEGER, hi INTEGER, "
        "label VARCHAR)"
    )
    labels = dict(SchoolType.choices)
    con.executemany(
        "INSERT INTO type_grades VALUES (?, ?, ?, ?)",
        [(t, lo, hi, str(labels.get(t, t))) for t, (lo, hi) in sorted(TYPE_GRADES.items())],
    )


def load_schools(con: duckdb.DuckDBPyConnection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Table ``schools`` (id, code, name, region_id, school_type) for the lookups."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE schools (id BIGINT, code VARCHAR, name VARCHAR, "
        "region_id VARCHAR, school_type VARCHAR)"
    )
    # Through Arrow: DuckDB's executemany costs about half a millisecond a row.
    from eduplus.governance.resolution import arrow_insert

    arrow_insert(
        con, "schools", ["id", "code", "name", "region_id", "school_type"], [tuple(r) for r in rows]
    )


def school_year_start(today: dt.date) -> int:
    """The year the current school year began (September)."""
    return today.year if today.month >= 9 else today.year - 1


def _item_text(layout: HeaderLayout, item: str) -> str:
    """The cleaned text of an item: the first non-empty of its columns, or NULL."""
    columns = layout.columns_of(item)
    if not columns:
        return "CAST(NULL AS VARCHAR)"
    if len(columns) == 1:
        return f"clean(c{columns[0]})"
    return "coalesce(" + ", ".join(f"clean(c{i})" for i in columns) + ")"


def _reasons(parts: Sequence[str]) -> str:
    if not parts:
        return "CAST([] AS VARCHAR[])"
    cases = ",\n    ".join(parts)
    return f"list_filter([\n    {cases}\n  ]::VARCHAR[], lambda x: x IS NOT NULL)"


def normalize_statements(
    layout: HeaderLayout,
    *,
    region_code: str,
    person_type: str,
    today: dt.date,
) -> list[str]:
    """The statements that turn table ``base`` into table ``recs``: normalised,
    validated rows, one per data row, in file order.

    Needs :func:`install` and :func:`load_schools` on the connection. Columns of ``recs``:
    :data:`OUTPUT_COLUMNS` (``reasons`` and ``raw`` as JSON text, ``birth_date`` as
    ISO text, text items as '' when missing).
    """
    if not re.fullmatch(r"\d{2,6}", region_code):
        raise ValueError(f"bad region code {region_code!r}")
    if person_type not in ("student", "teacher"):
        raise ValueError(f"bad person type {person_type!r}")
    region = sql_text(region_code)
    today_sql = f"DATE '{today.isoformat()}'"
    raw_pairs = ", ".join(
        f"{sql_text(h)}, coalesce(c{i}, '')" for i, h in enumerate(layout.headers)
    )
    texts = ",\n  ".join(f"{_item_text(layout, item)} AS t_{item}" for item in READ_ITEMS)
    has_record_key = layout.has(RECORD_KEY)
    year0 = school_year_start(today)
    students = person_type == "student"
    dots = "[.．・•‧∙⋅･]"

    # Stage 1: cleaned text of every item; raw cells as JSON.
    stage1 = f"""
SELECT rn, k,
  json_object({raw_pairs}) AS raw,
  {texts}
FROM base"""

    digits = r"regexp_replace(t_{p}, '[\s()\-]', '', 'g')"
    phones = ",\n  ".join(
        rf"CASE WHEN regexp_full_match({digits.format(p=p)}, '\+?861\d{{10}}')"
        rf" THEN regexp_replace({digits.format(p=p)}, '^\+?86', '')"
        rf" ELSE {digits.format(p=p)} END AS v_{p}"
        for p in PHONE_ITEMS
    )
    # Stage 2: parsed values.
    stage2 = rf"""
SELECT s1.*,
  nullif(regexp_replace(regexp_replace(t_name, '[{_WS}]', '', 'g'), '{dots}', '·', 'g'), '')
    AS v_name,
  nullif(upper(regexp_replace(t_id_number, '[{_WS}''`‘’-]', '', 'g')), '') AS v_id,
  replace(regexp_replace(t_birth_date, '[ T]\d{{1,2}}:\d{{2}}(:\d{{2}}(\.\d+)?)?$', ''), ' ', '')
    AS v_bt,
  lower(replace(t_gender, ' ', '')) AS v_gt,
  replace(t_ethnicity, ' ', '') AS v_et,
  coalesce(
    nullif(regexp_replace(t_school, '[\s''`]', '', 'g'), ''),
    CASE WHEN regexp_full_match(replace(t_school_name, ' ', ''), '\d{{10}}')
      THEN replace(t_school_name, ' ', '') END
  ) AS v_sc,
  CASE WHEN NOT regexp_full_match(coalesce(replace(t_school_name, ' ', ''), ''), '\d{{10}}')
    THEN replace(t_school_name, ' ', '') END AS v_sn,
  replace(t_grade, ' ', '') AS v_gr,
  {phones}
FROM s1"""

    # Stage 3: ID number, birth date and the lookups.
    stage3 = rf"""
SELECT s2.*,
  CASE WHEN regexp_full_match(v_id, '\d{{15}}')
    THEN substr(v_id, 1, 6) || '19' || substr(v_id, 7)
         || id_check(substr(v_id, 1, 6) || '19' || substr(v_id, 7))
    ELSE v_id END AS id18,
  regexp_full_match(v_id, '\d{{15}}') AS id_upgraded,
  CASE
    WHEN regexp_full_match(v_bt, '\d{{4}}[-/.年]\d{{1,2}}[-/.月]\d{{1,2}}日?')
      THEN CAST(try_strptime(regexp_replace(v_bt,
        '^(\d{{4}})[-/.年](\d{{1,2}})[-/.月](\d{{1,2}})日?$', '\1-\2-\3'), '%Y-%m-%d') AS DATE)
    WHEN regexp_full_match(v_bt, '\d{{8}}') THEN CAST(try_strptime(v_bt, '%Y%m%d') AS DATE)
    WHEN regexp_full_match(v_bt, '\d{{5}}(\.\d+)?')
      THEN DATE '1899-12-30' + CAST(floor(CAST(v_bt AS DOUBLE)) AS INTEGER)
  END AS b_full,
  CASE
    WHEN regexp_full_match(v_bt, '\d{{4}}[-/.年]\d{{1,2}}月?')
      THEN regexp_extract(v_bt, '^(\d{{4}})', 1) || '-'
        || lpad(regexp_extract(v_bt, '^\d{{4}}[-/.年](\d{{1,2}})', 1), 2, '0')
    WHEN regexp_full_match(v_bt, '\d{{6}}') THEN substr(v_bt, 1, 4) || '-' || substr(v_bt, 5, 2)
  END AS b_ym,
  CASE WHEN v_gt IN ('男', '男性', '男生', 'm', 'male', '1') THEN 1
       WHEN v_gt IN ('女', '女性', '女生', 'f', 'female', '2') THEN 2 END AS g_code,
  eth.code AS eth_code,
  coalesce(gw.n, CASE WHEN regexp_full_match(v_gr, '\d{{1,2}}')
    AND CAST(v_gr AS INTEGER) BETWEEN 0 AND 12 THEN CAST(v_gr AS INTEGER) END) AS grade_n,
  sc.id AS sc_id, sc.region_id AS sc_region, sc.school_type AS sc_type,
  starts_with(sc.region_id, {region}) AS sc_inside,
  sn.id AS sn_id, sn.region_id AS sn_region, sn.school_type AS sn_type, sn.n AS sn_n
FROM s2
LEFT JOIN eth ON eth.key = s2.v_et
LEFT JOIN grade_words gw ON gw.key = s2.v_gr
LEFT JOIN schools sc ON sc.code = s2.v_sc
LEFT JOIN (
  SELECT replace(name, ' ', '') AS name, min(id) AS id, min(region_id) AS region_id,
         min(school_type) AS school_type, count(*) AS n
  FROM schools WHERE starts_with(region_id, {region}) GROUP BY 1
) sn ON sn.name = s2.v_sn AND s2.v_sc IS NULL"""

    # The ID number's format is matched once; its birth date and check digit only for
    # the numbers that have it.
    stage4 = r"""
SELECT f.*,
  CASE WHEN id_format
    THEN CAST(try_strptime(substr(id18, 7, 8), '%Y%m%d') AS DATE) END AS id_birth,
  CASE WHEN id_format
    THEN id_check(substr(id18, 1, 17)) = substr(id18, 18, 1) END AS id_check_ok
FROM (
  SELECT s3.*,
    coalesce(regexp_full_match(id18, '\d{17}[\dX]'), false) AS id_format,
    CASE WHEN sc_id IS NOT NULL AND sc_inside THEN sc_id
         WHEN v_sc IS NULL AND sn_n = 1 THEN sn_id END AS school_pk,
    CASE WHEN sc_id IS NOT NULL AND sc_inside THEN sc_region
         WHEN v_sc IS NULL AND sn_n = 1 THEN sn_region END AS school_region,
    CASE WHEN sc_id IS NOT NULL AND sc_inside THEN sc_type
         WHEN v_sc IS NULL AND sn_n = 1 THEN sn_type END AS school_type
  FROM s3
) f"""

    stage5 = f"""
SELECT s4.*,
  id_format AND coalesce(id_birth BETWEEN DATE '1900-01-01' AND {today_sql}, false)
    AND coalesce(id_check_ok, false) AS id_valid,
  b_full BETWEEN DATE '1900-01-01' AND {today_sql} AS b_ok
FROM s4"""

    keep = ", ".join(
        [
            "rn", "k", "raw", "t_birth_date", "t_ethnicity", "t_gender", "t_grade",
            "t_id_number", "t_record_key", "t_school_name",
            *(f"t_{item}" for item in (*TEXT_ITEMS, *PHONE_ITEMS)),
            "v_name", "v_id", "v_bt", "v_gt", "v_et", "v_sc", "v_sn", "v_gr",
            *(f"v_{p}" for p in PHONE_ITEMS),
            "id18", "id_upgraded", "id_format", "id_birth", "id_check_ok", "id_valid",
            "b_full", "b_ym", "b_ok", "g_code", "eth_code", "grade_n", "sc_id", "sc_inside",
            "sn_id", "sn_n", "school_pk", "school_region", "school_type",
        ]
    )  # fmt: skip
    stage6 = f"""
SELECT {keep},
  CASE WHEN id_valid THEN CASE WHEN CAST(substr(id18, 17, 1) AS INTEGER) % 2 = 1
    THEN 1 ELSE 2 END END AS id_gender,
  CASE
    WHEN b_ok THEN b_full
    WHEN id_valid THEN id_birth  -- missing, only year and month, or unreadable
  END AS birth
FROM s5"""

    age = (
        f"(year({today_sql}) - year(birth) - CASE WHEN strftime({today_sql}, '%m%d') "
        f"< strftime(birth, '%m%d') THEN 1 ELSE 0 END)"
    )
    expected_grade = f"({year0} - year(birth) - CASE WHEN month(birth) >= 9 THEN 1 ELSE 0 END - 5)"
    reject = [
        "CASE WHEN v_name IS NULL THEN '缺少姓名' END",
        f"CASE WHEN length(v_name) > {MAX_LENGTHS['name']} THEN '姓名过长（超过64个字）' END",
        "CASE WHEN v_sc IS NOT NULL AND sc_id IS NULL "
        "THEN '学校标识码在学校库中不存在：' || v_sc END",
        "CASE WHEN sc_id IS NOT NULL AND NOT sc_inside "
        "THEN '学校不在导入人的管辖区域内：' || v_sc END",
        "CASE WHEN v_sc IS NULL AND v_sn IS NOT NULL AND sn_id IS NULL "
        "THEN '学校名称在本区域的学校库中找不到：' || t_school_name END",
        "CASE WHEN v_sc IS NULL AND sn_n > 1 "
        "THEN '学校名称在本区域有重名，请填写学校标识码：' || t_school_name END",
        "CASE WHEN v_sc IS NULL AND v_sn IS NULL THEN '缺少学校标识码' END",
        "CASE WHEN NOT id_valid AND birth IS NULL "
        "THEN '既无有效的身份证件号，也无可用的出生日期' END",
    ]
    warn = [
        "CASE WHEN v_id IS NULL THEN '缺少身份证件号' END",
        "CASE WHEN v_id IS NOT NULL AND NOT id_format "
        "THEN '身份证件号格式错误（应为18位，末位可为X；或15位数字）' END",
        "CASE WHEN id_format AND NOT coalesce(id_birth BETWEEN DATE '1900-01-01' AND "
        f"{today_sql}, false) THEN '身份证件号中的出生日期无效' END",
        "CASE WHEN id_format AND id_check_ok = false AND NOT id_upgraded "
        "THEN '身份证件号校验位错误' END",
        "CASE WHEN id_upgraded AND id_valid THEN '15位身份证件号已升级为18位' END",
        "CASE WHEN dup_ids.dup_id IS NOT NULL THEN '身份证件号在本文件中重复' END",
        "CASE WHEN v_name IS NOT NULL AND regexp_matches(v_name, '[0-9]') "
        "THEN '姓名中含有数字' END",
        "CASE WHEN v_bt IS NOT NULL AND b_full IS NULL AND b_ym IS NULL "
        "THEN '出生日期无法识别：' || t_birth_date END",
        "CASE WHEN b_full IS NOT NULL AND NOT b_ok "
        "THEN '出生日期超出合理范围：' || t_birth_date END",
        "CASE WHEN b_ym IS NOT NULL AND birth IS NULL "
        "THEN '出生日期只有年月：' || t_birth_date END",
        "CASE WHEN b_ym IS NOT NULL AND id_valid AND strftime(id_birth, '%Y-%m') <> b_ym "
        "THEN '出生年月与身份证件号不一致' END",
        "CASE WHEN b_ok AND id_valid AND b_full <> id_birth THEN CASE "
        "WHEN day(b_full) = month(id_birth) AND month(b_full) = day(id_birth) "
        "THEN '出生日期与身份证件号不一致（疑似日、月颠倒）' "
        "ELSE '出生日期与身份证件号不一致' END END",
        "CASE WHEN v_gt IS NOT NULL AND g_code IS NULL THEN '性别无法识别：' || t_gender END",
        "CASE WHEN g_code IS NOT NULL AND id_valid AND g_code <> id_gender "
        "THEN '性别与身份证件号不一致' END",
        "CASE WHEN v_et IS NOT NULL AND eth_code IS NULL THEN '民族无法识别：' || t_ethnicity END",
        "CASE WHEN v_gr IS NOT NULL AND grade_n IS NULL THEN '年级无法识别：' || t_grade END",
    ]
    if students:
        warn += [
            f"CASE WHEN grade_n BETWEEN 1 AND 12 AND birth IS NOT NULL "
            f"AND abs(grade_n - {expected_grade}) > 2 "
            f"THEN '年级与年龄不符：' || {age} || '岁，' || grade_n || '年级' END",
            "CASE WHEN grade_n IS NOT NULL AND tg.lo IS NOT NULL "
            "AND grade_n NOT BETWEEN tg.lo AND tg.hi THEN '年级与学校学段不符：' || tg.label "
            "|| '为' || tg.lo || '至' || tg.hi || '年级' END",
        ]
    for p, label in (("phone", "联系电话"), ("guardian_phone", "监护人电话")):
        warn.append(
            f"CASE WHEN v_{p} IS NOT NULL AND v_{p} <> '' AND NOT regexp_full_match(v_{p}, "
            rf"'1[3-9]\d{{9}}|0\d{{9,11}}|\d{{7,8}}') THEN '{label}格式不正确' END"
        )
    for item in TEXT_ITEMS:
        limit = MAX_LENGTHS[item]
        warn.append(
            f"CASE WHEN length(t_{item}) > {limit} "
            f"THEN '{ITEM_LABELS[item]}过长，已截断为{limit}字' END"
        )
    if has_record_key:
        warn += [
            "CASE WHEN t_record_key IS NULL THEN '缺少记录号，已用行号代替' END",
            "CASE WHEN dup_keys.dup_key IS NOT NULL "
            "THEN '记录号在本文件中重复：' || t_record_key END",
            f"CASE WHEN length(t_record_key) > {MAX_LENGTHS['record_key']} "
            "THEN '记录号过长，已截断' END",
        ]

    dup_keys_join = (
        "LEFT JOIN dup_keys ON dup_keys.dup_key = norm.t_record_key" if has_record_key else ""
    )
    stage7 = f"""
SELECT norm.*,
  {_reasons(reject)} AS rej,
  {_reasons(warn)} AS wrn
FROM norm
LEFT JOIN type_grades tg ON tg.t = norm.school_type
LEFT JOIN dup_ids ON dup_ids.dup_id = norm.id18 AND norm.id_valid
{dup_keys_join}"""

    record_key = (
        "left(coalesce(t_record_key, CAST(k AS VARCHAR)), 64)"
        if has_record_key
        else "CAST(k AS VARCHAR)"
    )
    text_columns = ",\n  ".join(
        f"coalesce(left(t_{item}, {MAX_LENGTHS[item]}), '') AS {item}" for item in TEXT_ITEMS
    )
    phone_columns = ",\n  ".join(f"coalesce(left(v_{p}, 20), '') AS {p}" for p in PHONE_ITEMS)
    final = f"""
SELECT rn, k,
  {record_key} AS record_key,
  CASE WHEN len(rej) > 0 THEN 'rejected' WHEN len(wrn) > 0 THEN 'suspicious'
       ELSE 'accepted' END AS status,
  CAST(to_json(list_concat(rej, wrn)) AS VARCHAR) AS reasons,
  CAST(raw AS VARCHAR) AS raw,
  coalesce(left(v_name, 64), '') AS name,
  coalesce(CASE WHEN id_valid THEN id18 ELSE left(v_id, 18) END, '') AS id_number,
  id_valid,
  strftime(birth, '%Y-%m-%d') AS birth_date,
  coalesce(g_code, id_gender) AS gender,
  coalesce(eth_code, '') AS ethnicity,
  coalesce(left(v_sc, 10), '') AS school_code,
  school_pk AS school_id,
  CASE WHEN school_pk IS NOT NULL THEN school_region ELSE {region} END AS region_id,
  grade_n AS grade,
  {text_columns},
  {phone_columns}
FROM s7"""
    dup_keys = (
        "SELECT t_record_key AS dup_key FROM norm WHERE t_record_key IS NOT NULL "
        "GROUP BY 1 HAVING count(*) > 1"
    )
    return [
        f"CREATE OR REPLACE TABLE norm AS WITH s1 AS ({stage1}),\ns2 AS ({stage2}),\n"
        f"s3 AS ({stage3}),\ns4 AS ({stage4}),\ns5 AS ({stage5})\n{stage6}",
        "CREATE OR REPLACE TABLE dup_ids AS SELECT id18 AS dup_id FROM norm WHERE id_valid "
        "GROUP BY 1 HAVING count(*) > 1",
        "CREATE OR REPLACE TABLE dup_keys AS "
        + (dup_keys if has_record_key else "SELECT '' AS dup_key"),
        f"CREATE OR REPLACE TABLE recs AS WITH s7 AS ({stage7})\n{final}",
        "DROP TABLE norm",
    ]


# ----------------------------------------------------------- in memory (tests, tools)


def normalize_rows(
    headers: Sequence[str],
    rows: Sequence[Sequence[str | None]],
    *,
    schools: Iterable[tuple[Any, ...]] = (),
    region_code: str = "41",
    person_type: str = "student",
    mapping: dict[str, str] | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Run the import's normalisation on a few rows in memory (no database).

    ``schools``: (id, code, name, region_id, school_type) tuples. Answers one dict per
    data row, in file order, with the :data:`OUTPUT_COLUMNS`; ``reasons`` and ``raw``
    decoded.
    """
    import json

    width = max([len(headers), *(len(r) for r in rows)])
    con = duckdb.connect()
    try:
        install(con)
        load_schools(con, schools)
        columns = ", ".join(f"c{i} VARCHAR" for i in range(width))
        con.execute(f"CREATE TABLE base (rn BIGINT, k BIGINT, {columns})")
        marks = ", ".join("?" for _ in range(width + 2))
        con.executemany(
            f"INSERT INTO base VALUES ({marks})",
            [(n + 2, n + 1, *r, *([None] * (width - len(r)))) for n, r in enumerate(rows)],
        )
        layout = detect_header(
            [(1, list(headers))], width=width, mapping=mapping, person_type=person_type
        )
        for statement in normalize_statements(
            layout,
            region_code=region_code,
            person_type=person_type,
            today=today or dt.date.today(),
        ):
            con.execute(statement)
        cursor = con.execute("SELECT * FROM recs ORDER BY k")
        names = [d[0] for d in cursor.description]
        result = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    for row in result:
        row["reasons"] = json.loads(row["reasons"])
        row["raw"] = json.loads(row["raw"])
    return result
