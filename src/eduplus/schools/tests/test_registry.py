"""School registry import and export (schools.registry).

Fixture files are generated here: the Ministry's higher-education list as .xls (xlwt),
.xlsx (openpyxl) and GBK CSV, and EduPlus's Chinese-header format as GBK and UTF-8-BOM
CSV. University names and 学校标识码 are public facts.
"""

from __future__ import annotations

import csv
import io
import time

import openpyxl
import pytest
import xlwt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from eduplus.core.models import AuditEntry
from eduplus.schools import registry
from eduplus.schools.models import School
from eduplus.schools.registry import (
    EXPORT_HEADER,
    ImportReport,
    RegistryImportError,
    export_rows,
    registry_import,
)
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


class Num(int):
    """A code Excel stores as a number (written as a numeric cell)."""


# The Ministry's list as published, one entry per list; blank list = blank row.
MOE_HEADER = ["序号", "学校名称", "学校标识码", "主管部门", "所在地", "办学层次", "备注"]
MOE_ROWS: list[list[object]] = [
    ["全国普通高等学校名单"],  # 1
    ["（截至2024年6月20日）"],  # 2
    MOE_HEADER,  # 3
    ["北京市（92所）"],  # 4
    [1, "北京大学", Num(4111010001), "教育部", "北京市", "本科", ""],  # 5
    [2, "中国人民大学", "4111010002", "教育部", "北京市", "本科", ""],  # 6
    [3, "北京城市学院", Num(4111012082), "北京市教委", "海淀区", "本科", "民办"],  # 7
    [],  # 8 blank
    ["河北省（125所）"],  # 9
    [4, "河北科技大学", Num(4113010082), "河北省", "石家庄市", "本科", ""],  # 10
    [5, "河北北方学院", "4113010092", "河北省", "张家口市", "本科", ""],  # 11
    [6, "石家庄桥西示范学院", "4113019997", "河北省", "桥西区", "专科", ""],  # 12 ambiguous
    ["浙江省（109所）"],  # 13
    [7, "宁波诺丁汉大学", Num(4133016301), "浙江省", "宁波市", "本科", "中外合作办学"],  # 14
    ["河南省（174所）"],  # 15
    [8, "郑州大学", Num(4141010459), "河南省", "郑州市", "本科", ""],  # 16
    [9, "河南大学", "4141010475", "河南省", "开封市", "本科", ""],  # 17
    [10, "郑州升达经贸管理学院", Num(4141011655), "河南省教育厅", "新郑市", "本科", "民办"],
    [11, "郑州铁路职业技术学院", "4141012567", "河南省", "郑州市", "专科", ""],  # 19
    [12, "九位码学院", Num(414101046), "河南省", "郑州市", "本科", ""],  # 20 bad code
    [13, "郑州大学（重复录入）", "4141010459", "河南省", "郑州市", "本科", ""],  # 21 dup
    [14, "", Num(4141019999), "河南省", "郑州市", "本科", ""],  # 22 no name
    [15, "火星职业学院", "4141019998", "河南省", "火星市", "专科", ""],  # 23 unknown place
    ["注：名单不含港澳台地区高校"],  # 24 a note: skipped, with a warning
]
MOE_VALID = 12  # rows 5-7, 10-12, 14, 16-19, 23
MOE_BAD_ROWS = {20: "10位数字", 21: "与第16行重复", 22: "缺少学校名称"}


def cell_value(value: object) -> object:
    return float(value) if isinstance(value, Num) else value


def xls_bytes(rows: list[list[object]]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, cell_value(value))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=cell_value(value))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow(["" if v is None else str(v) for v in row])
    return buf.getvalue().encode(encoding)


def moe_file(kind: str) -> tuple[bytes, str]:
    if kind == "xls":
        return xls_bytes(MOE_ROWS), "全国高等学校名单.xls"
    if kind == "xlsx":
        return xlsx_bytes(MOE_ROWS), "全国高等学校名单.xlsx"
    return csv_bytes(MOE_ROWS, "gbk"), "全国高等学校名单.csv"


def run(data: bytes, name: str, **kwargs: object) -> ImportReport:
    return registry_import(source=io.BytesIO(data), filename=name, **kwargs)  # type: ignore[arg-type]


def assert_accounted(report: ImportReport) -> None:
    assert report.rows_read == (
        report.created + report.updated + report.unchanged + report.rejected
    )
    assert report.rejected == len(report.errors)


# --------------------------------------------------------------------------- MOE list


@pytest.mark.parametrize("kind", ["xls", "xlsx", "csv"])
def test_moe_list_imports_as_published(kind):
    data, name = moe_file(kind)
    report = run(data, name)

    assert_accounted(report)
    assert report.rows_read == MOE_VALID + len(MOE_BAD_ROWS)  # no title/section/blank rows
    assert report.created == MOE_VALID
    assert report.rejected == len(MOE_BAD_ROWS)
    assert {e["row"]: e["reason"] for e in report.errors}.keys() == MOE_BAD_ROWS.keys()
    for error in report.errors:
        assert MOE_BAD_ROWS[error["row"]] in error["reason"], error
    assert report.errors[0]["code"] == "414101046"

    pku = School.objects.get(code="4111010001")  # a number in the spreadsheet
    assert (pku.name, pku.school_type, pku.region_id, pku.authority, pku.level_label) == (
        "北京大学",
        "411",
        "11",
        "教育部",
        "本科",
    )
    assert School.objects.get(code="4111010002").name == "中国人民大学"  # text-typed code
    assert School.objects.get(code="4141012567").school_type == "415"  # 专科
    assert School.objects.get(code="4133016301").remarks == "中外合作办学"
    sd = School.objects.get(code="4141011655")
    assert (sd.remarks, sd.authority) == ("民办", "河南省教育厅")
    assert School.objects.get(code="4141010459").name == "郑州大学"  # first occurrence kept

    warnings = {w["row"]: w["reason"] for w in report.warnings}
    assert "桥西区" in warnings[12] and "多处" in warnings[12]
    assert "火星市" in warnings[23]
    assert "注：名单不含港澳台地区高校" in warnings[24]
    assert 4 not in warnings and 9 not in warnings  # section rows: skipped quietly


def test_finest_region_placement_within_the_province():
    data, name = moe_file("xls")
    run(data, name)
    placed = dict(School.objects.values_list("code", "region_id"))
    assert placed["4111010001"] == "11"  # 北京市: the municipality itself
    assert placed["4111012082"] == "110108"  # 海淀区
    assert placed["4113010082"] == "1301"  # 石家庄市
    assert placed["4113010092"] == "1307"  # 张家口市
    assert placed["4113019997"] == "13"  # 桥西区: 石家庄 and 张家口 both have one
    assert placed["4133016301"] == "3302"  # 宁波市
    assert placed["4141010459"] == "4101"  # 郑州市
    assert placed["4141010475"] == "4102"  # 开封市
    assert placed["4141011655"] == "410184"  # 新郑市, a county-level city
    assert placed["4141019998"] == "41"  # 火星市: not found, province


def test_place_names_are_searched_only_in_the_codes_province():
    rows = [
        MOE_HEADER,
        [1, "朝阳测试学院", "4122010001", "吉林省", "朝阳区", "本科", ""],  # 长春市朝阳区
        [2, "北京朝阳测试学院", "4111019001", "北京市", "朝阳区", "本科", ""],
        [3, "郑州路径学院", "4141019001", "河南省", "河南省郑州市新郑市", "专科", ""],
        [4, "开封省略学院", "4141019002", "河南省", "开封", "专科", ""],
        [5, "鼓楼测试学院", "4132019001", "江苏省", "鼓楼区", "本科", ""],  # 南京 and 徐州
        [6, "新华测试学院", "4113019002", "河北省", "新华区", "本科", ""],
    ]
    report = run(csv_bytes(rows), "list.csv")
    assert report.created == 6, report.errors
    placed = dict(School.objects.values_list("code", "region_id"))
    assert placed["4122010001"] == "220104"
    assert placed["4111019001"] == "110105"
    assert placed["4141019001"] == "410184"
    assert placed["4141019002"] == "4102"
    assert placed["4132019001"] == "32"
    assert placed["4113019002"] == "13"
    assert {w["row"] for w in report.warnings} == {6, 7}


def test_adult_higher_education_list_uses_level_for_type():
    rows = [
        ["全国成人高等学校名单"],
        ["序号", "学校名称", "学校标识码", "主管部门", "所在地", "办学层次", "备注"],
        [1, "北京市海淀区职工大学", "4211010001", "北京市", "海淀区", "成人高等学校", ""],
        [2, "错配成人学院", "4111019002", "北京市", "北京市", "成人高等学校", ""],
        [3, "层次不明学院", "4111019003", "北京市", "北京市", "", ""],
    ]
    report = run(csv_bytes(rows), "成人.csv")
    assert School.objects.get(code="4211010001").school_type == "421"
    reasons = {e["row"]: e["reason"] for e in report.errors}
    assert "不一致" in reasons[4]
    assert "缺少办学类型" in reasons[5]
    assert_accounted(report)


def test_reimporting_the_same_list_changes_nothing():
    data, name = moe_file("xls")
    first = run(data, name)
    stamps = dict(School.objects.values_list("code", "updated_at"))
    again = run(data, name)
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert again.rejected == first.rejected
    assert dict(School.objects.values_list("code", "updated_at")) == stamps


def test_a_city_level_list_does_not_undo_a_finer_placement():
    zzu = f.SchoolFactory(
        code="4141010459",
        name="郑州大学",
        school_type="411",
        region=f.region("410102"),
        urban_rural="",
    )
    rows = [MOE_HEADER, [1, "郑州大学", "4141010459", "河南省", "郑州市", "本科", ""]]
    report = run(csv_bytes(rows), "list.csv")
    zzu.refresh_from_db()
    assert zzu.region_id == "410102"
    assert (report.updated, report.unchanged) == (1, 0)  # authority/level were new
    assert (zzu.authority, zzu.level_label) == ("河南省", "本科")


# --------------------------------------------------------------------------- general format

GENERAL_HEADER = [
    "学校标识码",
    " 学校名称 ",
    "办学类型",
    "城乡类型",
    "所在地区划代码",
    "所在地",
    "所属学校标识码",
    "地址",
    "在校生数（人）",
    "专任教师数",
    "主管部门",
    "备注",
]


def g(
    code,
    name,
    kind="211",
    ur="111",
    region="410102",
    place="",
    parent="",
    address="",
    students="10",
    teachers="1",
    authority="",
    remarks="",
):
    """One row of the general format, in GENERAL_HEADER order."""
    return [
        code,
        name,
        kind,
        ur,
        region,
        place,
        parent,
        address,
        students,
        teachers,
        authority,
        remarks,
    ]


GENERAL_ROWS: list[list[object]] = [
    ["郑州市中原区中小学名录"],  # 1 title
    GENERAL_HEADER,  # 2
    g(
        "2141019001",
        "中原区实验小学",
        address="建设路1号",
        students="1,200",
        teachers="80",
        authority="中原区教育局",
    ),  # 3
    g("2141019002", "须水镇中心小学", "小学", "镇中心区", "", "中原区", students="600"),  # 4
    g("2141019003", "须水镇前庄教学点", "218", "220", parent="2141019002"),  # 5 parent earlier
    g("2141019004", "石佛教学点", "小学教学点", "村庄", parent="2141008888"),  # 6 parent in DB
    g("3141019005", "中原区第一初级中学"),  # 7 code prefix 31 vs type 211
    g("2141019006", "类型错误小学", "299"),  # 8 unknown type
    g("2141019007", "城乡错误小学", ur="999"),  # 9 unknown urban-rural
    g("2141019008", "区划错误小学", region="419999"),  # 10 unknown region
    g("2141019009", "跨省小学", region="110101"),  # 11 region in another province
    g("2141019010", "无主教学点", "218", "220"),  # 12 teaching point without parent
    g("2141019011", "先到教学点", "218", "220", parent="2141019013"),  # 13 parent later
    g("2141019012", "人数错误小学", students="约300", teachers="-2"),  # 14
    g("2141019013", "中原区后列小学"),  # 15 ok
    g("2141019014", "名" * 129),  # 16 name too long
    g("2141019015", "挂靠小学", parent="2141019002"),  # 17 parent on a non teaching point
    g("2141019001", "中原区实验小学（重复）"),  # 18 duplicate of row 3
]
GENERAL_BAD = {
    7: "不一致",
    8: "办学类型“299”不在代码表中",
    9: "城乡类型“999”不在代码表中",
    10: "区划代码 419999 不存在",
    11: "不在学校标识码所示的省份",
    12: "教学点须填写所属学校标识码",
    13: "所属学校 2141019013",
    14: "在校生数“约300”不是非负整数",
    16: "学校名称超过128个字符",
    17: "只有教学点",
    18: "与第3行重复",
}


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_general_chinese_header_csv(encoding):
    centre = f.SchoolFactory(code="2141008888", name="石佛中心小学", region=f.region("410102"))
    report = run(csv_bytes(GENERAL_ROWS, encoding), "名录.csv")

    assert_accounted(report)
    assert report.rows_read == len(GENERAL_ROWS) - 2
    assert report.created == 5
    errors = {e["row"]: e["reason"] for e in report.errors}
    assert errors.keys() == GENERAL_BAD.keys()
    for row, text in GENERAL_BAD.items():
        assert text in errors[row], (row, errors[row])
    assert "专任教师数“-2”不是非负整数" in errors[14]  # every problem of a row is named

    exp = School.objects.get(code="2141019001")
    assert (exp.student_count, exp.teacher_count, exp.address, exp.authority) == (
        1200,
        80,
        "建设路1号",
        "中原区教育局",
    )
    town = School.objects.get(code="2141019002")
    assert (town.school_type, town.urban_rural, town.region_id) == ("211", "121", "410102")
    tp = School.objects.get(code="2141019003")
    assert (tp.school_type, tp.parent_school_id) == ("218", town.pk)
    assert School.objects.get(code="2141019004").parent_school_id == centre.pk
    assert not School.objects.filter(code__in=["2141019011", "2141019014"]).exists()


def test_header_matching_tolerates_spaces_brackets_and_bom():
    rows = [
        ["学校名录（2024）"],
        [],
        # A stray BOM (a UTF-8 file saved twice), spaces, half- and full-width brackets.
        [
            "\ufeff学校 标识码",
            "学校名称",
            "办学类型",
            "区划代码",
            "在校生数(人)",
            "专任教师数（人）",
        ],
        ["2141019101", "空格表头小学", "211", "410102", "300", "20"],
    ]
    report = run(csv_bytes(rows), "x.csv")
    assert report.created == 1, report.errors
    school = School.objects.get(code="2141019101")
    assert (school.student_count, school.teacher_count) == (300, 20)


def test_region_code_spellings():
    rows = [
        ["学校标识码", "学校名称", "办学类型", "区划代码"],
        ["2144015001", "东莞测试小学", "211", "441900"],  # a county-level code ending in 00
        ["2141015002", "郑州市直小学", "211", "410100"],  # six-digit city code
        ["2141015003", "省直小学", "211", "410000"],  # six-digit province code
        ["2141015004", "街道小学", "211", "410102001000"],  # 12-digit statistical code
    ]
    report = run(csv_bytes(rows), "x.csv")
    assert report.created == 4, report.errors
    placed = dict(School.objects.values_list("code", "region_id"))
    assert placed == {
        "2144015001": "441900",
        "2141015002": "4101",
        "2141015003": "41",
        "2141015004": "410102",
    }


def test_unknown_and_duplicate_columns_are_whole_file_errors():
    with pytest.raises(RegistryImportError, match="无法识别的列：校长电话"):
        run(csv_bytes([["学校标识码", "学校名称", "校长电话"], ["2141019101", "x", "1"]]), "x.csv")
    with pytest.raises(RegistryImportError, match="同一列"):
        run(csv_bytes([["学校标识码", "学校名称", "code"], ["2141019101", "x", "1"]]), "x.csv")


def test_no_header_empty_and_garbage_files_are_refused():
    with pytest.raises(RegistryImportError, match="未找到表头"):
        run(csv_bytes([["学校", "名字"], ["2141019101", "x"]]), "x.csv")
    with pytest.raises(RegistryImportError, match="文件为空"):
        run(b"", "x.csv")
    with pytest.raises(RegistryImportError, match="没有内容"):
        run(b"\r\n\r\n", "x.csv")
    with pytest.raises(RegistryImportError, match="二进制"):
        run(bytes(range(256)) * 40, "x.csv")
    with pytest.raises(RegistryImportError, match="Excel"):
        run(b"\xd0\xcf\x11\xe0" + bytes(range(256)) * 40, "x.xls")
    with pytest.raises(RegistryImportError, match="Excel"):
        run(b"PK\x03\x04 not really a zip", "x.xlsx")
    assert not School.objects.exists()
    failures = AuditEntry.objects.filter(action="school.import", result="failure")
    assert failures.count() == 6


def test_header_repeated_and_section_rows_are_not_data():
    rows = [
        MOE_HEADER,
        ["北京市（2所）"],
        [1, "北京大学", "4111010001", "教育部", "北京市", "本科", ""],
        MOE_HEADER,  # printed again on the next page
        [2, "中国人民大学", "4111010002", "教育部", "北京市", "本科", ""],
        [3, "", "", "教育部", "北京市", "本科", ""],  # data without code or name
        ["17"],  # a lone number: not silently dropped
        ["", "天津市（56所）"],  # a section left in the name column by a merged cell
        ["", "某某学院"],  # a lone name is a school without its code
    ]
    report = run(csv_bytes(rows), "x.csv")
    assert (report.rows_read, report.created, report.rejected) == (4, 2, 2)
    assert [e["row"] for e in report.errors] == [6, 9]
    assert "缺少学校标识码" in report.errors[0]["reason"]
    assert [w["row"] for w in report.warnings] == [7]


def test_csv_quoting_far_below_the_sniffed_sample_and_code_spellings():
    rows: list[list[object]] = [["学校标识码", "学校名称", "办学类型", "区划代码", "备注"]]
    rows += [
        [f"21410150{i:02d}", f"填充小学{i}", "211", "410102", "民办,寄宿"] for i in range(1, 90)
    ]
    rows.append(["2141015090", '二小"东"校区', "211", "410102", ""])  # written as "二小""东""校区"
    rows.append(["2141015091.0", "浮点码小学", "211", "410102", ""])  # a float saved as text
    rows.append(["'2141015092", "撇号码小学", "211", "410102", ""])  # Excel's text apostrophe
    data = csv_bytes(rows, "gbk")
    assert len(data) > 4096
    report = run(data, "x.csv")
    assert (report.created, report.rejected) == (92, 0), report.errors
    assert School.objects.get(code="2141015090").name == '二小"东"校区'
    assert School.objects.get(code="2141015001").remarks == "民办,寄宿"
    assert School.objects.filter(code__in=["2141015091", "2141015092"]).count() == 2


# --------------------------------------------------------------------------- updates, dry run


@pytest.fixture(params=["update-from-values", "bulk_update"])
def update_path(request, monkeypatch):
    """Run an update test on the one-statement path and on Django's bulk_update."""
    if request.param == "bulk_update":
        monkeypatch.setattr(registry, "_fast_update_supported", lambda: False)
    return request.param


def test_upsert_updates_only_changed_schools(update_path):
    data, name = moe_file("xlsx")
    run(data, name)
    before = dict(School.objects.values_list("code", "updated_at"))
    rows = [list(r) for r in MOE_ROWS]
    rows[4][3] = "中华人民共和国教育部"  # 北京大学's 主管部门
    report = run(xlsx_bytes(rows), name)
    assert (report.created, report.updated, report.unchanged) == (0, 1, MOE_VALID - 1)
    pku = School.objects.get(code="4111010001")
    assert pku.authority == "中华人民共和国教育部"
    after = dict(School.objects.values_list("code", "updated_at"))
    assert after.pop("4111010001") > before.pop("4111010001")
    assert after == before


def test_update_writes_every_kind_of_column(update_path):
    old_parent = f.SchoolFactory(code="2141014001", region=f.region("410102"))
    new_parent = f.SchoolFactory(code="2141014002", region=f.region("410103"))
    tp = f.SchoolFactory(
        code="2141014003",
        school_type="218",
        urban_rural="220",
        region=f.region("410102"),
        parent_school=old_parent,
    )
    school = f.SchoolFactory(code="2141014004", region=f.region("410102"), student_count=5)
    rows = [
        [
            "学校标识码",
            "学校名称",
            "办学类型",
            "城乡类型",
            "区划代码",
            "所属学校标识码",
            "地址",
            "在校生数",
            "专任教师数",
            "班级数",
            "备注",
        ],
        [
            "2141014003",
            "改名教学点",
            "218",
            "210",
            "410103",
            "2141014002",
            "新址",
            "12",
            "2",
            "3",
            "改",
        ],
        ["2141014004", school.name, "211", "", "410102", "", "", "", "", "", ""],
    ]
    report = run(csv_bytes(rows), "x.csv")
    assert (report.updated, report.unchanged) == (2, 0), report.errors
    tp.refresh_from_db()
    assert (tp.name, tp.urban_rural, tp.region_id, tp.parent_school_id, tp.address) == (
        "改名教学点",
        "210",
        "410103",
        new_parent.pk,
        "新址",
    )
    assert (tp.student_count, tp.teacher_count, tp.class_count, tp.remarks) == (12, 2, 3, "改")
    school.refresh_from_db()
    assert (school.urban_rural, school.student_count) == ("", 5)  # empty count: not declared
    assert tp.updated_at > tp.created_at
    again = run(csv_bytes(rows), "x.csv")
    assert (again.updated, again.unchanged) == (0, 2)


def test_dry_run_writes_nothing_but_reports_the_same():
    data, name = moe_file("xls")
    dry = run(data, name, dry_run=True)
    assert dry.dry_run
    assert not School.objects.exists()
    real = run(data, name)
    assert (dry.rows_read, dry.created, dry.rejected, dry.errors, dry.warnings) == (
        real.rows_read,
        real.created,
        real.rejected,
        real.errors,
        real.warnings,
    )
    entries = AuditEntry.objects.filter(action="school.import").order_by("id")
    assert [e.details.get("dry_run", False) for e in entries] == [True, False]


def test_all_valid_rows_commit_together_or_not_at_all(monkeypatch):
    data, name = moe_file("xls")
    run(data, name)
    rows = [list(r) for r in MOE_ROWS]
    rows[4][3] = "改"  # one update ...
    rows.append(
        [99, "新增测试学院", "4141019555", "河南省", "郑州市", "本科", ""]
    )  # ... one create

    def broken(*args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(registry, "_update_rows", broken)  # after the creates ran
    with pytest.raises(RegistryImportError, match="没有导入任何数据"):
        run(xls_bytes(rows), name)
    assert not School.objects.filter(code="4141019555").exists()
    assert School.objects.get(code="4111010001").authority == "教育部"


def test_audit_entry_records_the_counts(rf):
    user = f.user_with_role("system_admin")
    request = rf.post("/schools/import/", REMOTE_ADDR="10.0.0.9")
    request.user = user
    data, name = moe_file("xls")
    report = run(data, name, actor=user, request=request)
    entry = AuditEntry.objects.get(action="school.import")
    assert entry.actor_id == user.pk
    assert entry.source_ip == "10.0.0.9"
    assert entry.details == {
        "filename": name,
        "rows_read": report.rows_read,
        "created": report.created,
        "updated": 0,
        "unchanged": 0,
        "rejected": report.rejected,
    }


def test_path_source_and_teaching_point_keeps_its_parent_when_column_absent(tmp_path, update_path):
    centre = f.SchoolFactory(code="2141018001", region=f.region("410102"))
    f.SchoolFactory(
        code="2141018002",
        school_type="218",
        urban_rural="220",
        region=f.region("410102"),
        parent_school=centre,
    )
    path = tmp_path / "名录.csv"
    path.write_bytes(
        csv_bytes(
            [["学校标识码", "学校名称", "办学类型"], ["2141018002", "改名教学点", "218"]], "gbk"
        )
    )
    report = registry_import(source=path)
    assert (report.updated, report.rejected) == (1, 0), report.errors
    tp = School.objects.get(code="2141018002")
    assert (tp.name, tp.parent_school_id) == ("改名教学点", centre.pk)


def test_moving_a_teaching_point_to_a_parent_created_in_the_same_file(update_path):
    old = f.SchoolFactory(code="2141018101", region=f.region("410102"))
    f.SchoolFactory(
        code="2141018102",
        school_type="218",
        urban_rural="220",
        region=f.region("410102"),
        parent_school=old,
    )
    rows = [
        ["学校标识码", "学校名称", "办学类型", "区划代码", "所属学校标识码"],
        ["2141018103", "新中心校", "211", "410102", ""],
        ["2141018102", "搬迁教学点", "218", "410102", "2141018103"],
    ]
    report = run(csv_bytes(rows), "x.csv")
    assert (report.created, report.updated) == (1, 1), report.errors
    assert School.objects.get(code="2141018102").parent_school.code == "2141018103"


# --------------------------------------------------------------------------- export


def make_registry() -> list[School]:
    zhongyuan = f.region("410102")
    centre = f.SchoolFactory(
        code="2141017001",
        name="中原区“实验”小学, 东校区",
        region=zhongyuan,
        address='建设路"1"号',
        student_count=812,
        teacher_count=51,
        class_count=18,
        authority="中原区教育局",
    )
    tp = f.SchoolFactory(
        code="2141017000",
        name="须水教学点",
        school_type="218",
        urban_rural="220",
        region=zhongyuan,
        parent_school=centre,
    )
    formula = f.SchoolFactory(
        code="2141017003", name="=HYPERLINK(1)", region=zhongyuan, remarks="-民办", urban_rural=""
    )
    uni = f.SchoolFactory(
        code="4111010001",
        name="北京大学",
        school_type="411",
        region=f.region("11"),
        level_label="本科",
        urban_rural="",
    )
    municipal = f.SchoolFactory(code="2111017004", name="东城小学", region=f.region("1101"))
    return [centre, tp, formula, uni, municipal]


def export_csv(qs) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_HEADER)
    for row in export_rows(qs):
        writer.writerow(row)
    return buf.getvalue().encode("utf-8-sig")


def test_export_columns():
    make_registry()
    assert EXPORT_HEADER[:4] == ["code", "name", "region_code", "school_type"]
    rows = {
        r[0]: dict(zip(EXPORT_HEADER, r, strict=True)) for r in export_rows(School.objects.all())
    }
    assert rows["2141017000"]["parent_school_code"] == "2141017001"
    assert rows["2141017000"]["school_type_label"] == "小学教学点"
    assert rows["2141017001"]["student_count"] == "812"
    assert rows["2141017003"]["name"] == "'=HYPERLINK(1)"  # no formula when opened in Excel
    assert rows["2111017004"]["region_name"] == "北京市市辖区"


def test_export_then_import_round_trip():
    make_registry()
    before = list(School.objects.order_by("code").values())
    report = run(export_csv(School.objects.all()), "schools.csv")
    assert (report.created, report.updated, report.rejected) == (0, 0, 0), report.errors
    assert report.unchanged == 5
    assert list(School.objects.order_by("code").values()) == before
    # ... and into an empty registry it rebuilds the same rows.
    data = export_csv(School.objects.all())
    School.objects.filter(school_type="218").delete()
    School.objects.all().delete()
    report = run(data, "schools.csv")
    assert report.created == 5, report.errors
    keys = [
        "code",
        "name",
        "school_type",
        "urban_rural",
        "region_id",
        "address",
        "remarks",
        "student_count",
        "teacher_count",
        "class_count",
        "authority",
        "level_label",
    ]
    assert list(School.objects.order_by("code").values(*keys)) == [
        {k: b[k] for k in keys} for b in before
    ]
    tp = School.objects.get(code="2141017000")
    assert tp.parent_school.code == "2141017001"


def test_export_runs_a_constant_number_of_queries(django_assert_num_queries):
    make_registry()
    for i in range(40):
        f.SchoolFactory(code=f"21410170{i + 10:02d}", region=f.region("410202"))
    with django_assert_num_queries(1):
        rows = list(export_rows(School.objects.all()))
    assert len(rows) == 45


# --------------------------------------------------------------------------- volume


def test_five_thousand_rows_import_quickly(django_assert_max_num_queries):
    counties = ["410102", "410103", "410104", "410105", "410122", "410181", "410184"]
    rows: list[list[object]] = [
        ["学校标识码", "学校名称", "办学类型", "城乡类型", "区划代码", "在校生数", "专任教师数"]
    ]
    for i in range(5000):
        rows.append(
            [
                f"2141{i + 1:06d}",
                f"测试第{i + 1}小学",
                "211",
                "111",
                counties[i % len(counties)],
                str(i % 900),
                str(i % 60),
            ]
        )
    data = csv_bytes(rows, "gbk")
    started = time.perf_counter()
    # Batches, not rows: SQLite allows 999 parameters, so ~58 schools per INSERT.
    with django_assert_max_num_queries(250):
        report = run(data, "big.csv")
    elapsed = time.perf_counter() - started
    assert report.created == 5000
    assert elapsed < 15, elapsed
    with django_assert_max_num_queries(20):
        again = run(data, "big.csv")
    assert again.unchanged == 5000


# --------------------------------------------------------------------------- web page


def test_import_page_for_system_admin(client, login):
    admin = f.user_with_role("system_admin")
    login(admin)
    data, name = moe_file("xlsx")
    upload = SimpleUploadedFile(name, data)
    response = client.post("/schools/import/", {"file": upload})
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.rejected) == (MOE_VALID, len(MOE_BAD_ROWS))
    page = response.content.decode()
    assert "与第16行重复" in page
    assert School.objects.filter(code="4141010459").exists()
    assert AuditEntry.objects.get(action="school.import").actor_id == admin.pk
    # Every problem row is downloadable, in file order, with its row number and reason.
    download = client.get("/schools/import/problems.csv")
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "行号,类别,原因"
    assert sum(1 for line in lines if ",错误," in line) == len(MOE_BAD_ROWS)
    assert any("与第16行重复" in line for line in lines)


def test_problem_report_belongs_to_the_session_that_imported(client, login):
    login(f.user_with_role("system_admin"))
    assert client.get("/schools/import/problems.csv").status_code == 404


def test_import_page_dry_run_and_unreadable_file(client, login):
    login(f.user_with_role("system_admin"))
    data, name = moe_file("xls")
    response = client.post(
        "/schools/import/", {"file": SimpleUploadedFile(name, data), "dry_run": "1"}
    )
    assert response.context["report"].dry_run
    assert not School.objects.exists()
    response = client.post("/schools/import/", {"file": SimpleUploadedFile("x.csv", b"a,b\n")})
    assert response.context["report"] is None
    assert "未找到表头" in response.content.decode()


def test_import_page_is_forbidden_to_a_teacher(client, login):
    teacher = f.user_with_role("teacher", school=f.SchoolFactory())
    login(teacher)
    assert client.get("/schools/import/").status_code == 403
    data, name = moe_file("xls")
    response = client.post("/schools/import/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 403
    assert not School.objects.filter(code="4141010459").exists()


def test_module_exports_the_interface_views_use():
    assert set(registry.__all__) >= {
        "EXPORT_HEADER",
        "ImportReport",
        "RegistryImportError",
        "export_rows",
        "registry_import",
    }


def test_web_export_streams_the_registry_and_reimports_unchanged(client, login):
    make_registry()
    login(f.user_with_role("system_admin"))
    response = client.get("/schools/export.csv")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_HEADER
    codes = [r[0] for r in rows[1:]]
    assert codes.index("2141017000") > codes.index("2141017001")  # parent first
    assert len(codes) == 3  # the admin's scope is the deployment's province (41)
    report = run(data, "schools.csv")
    assert (report.unchanged, report.created, report.updated) == (3, 0, 0), report.errors
