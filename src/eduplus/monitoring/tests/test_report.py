"""The region export (XLSX) and the annual development report (PDF): the numbers, the
scope, the message when nothing has been computed, and Chinese text in the PDF."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from eduplus.core.models import AuditEntry
from eduplus.monitoring import report as reports
from eduplus.monitoring.services import facts_save, indicators_compute
from eduplus.testing import factories as f

YEAR = 2025


def _facts(fibre: bool, bandwidth: int, **extra: Any) -> dict[str, Any]:
    return {"fibre": fibre, "bandwidth_mbps": bandwidth, **extra}


@pytest.fixture
def computed(world: Any) -> Any:
    """County A: four K-12 schools, three with fibre (75 %), two with ≥100 Mbps (50 %);
    multimedia 18 of 20 classrooms (90 %). County B: one school, fibre. 2024 behind."""
    a, b = world.a, world.b
    extra_a = [
        f.SchoolFactory(name="甲第二小学", region=f.region(a.code)),
        f.SchoolFactory(name="甲第三中学", region=f.region(a.code), school_type="311"),
    ]
    facts_save(school=a.school, year=YEAR, values=_facts(True, 1000, multimedia_classrooms=9,
               ordinary_classrooms=10))  # fmt: skip
    facts_save(school=a.teaching_point, year=YEAR, values=_facts(False, 20))
    facts_save(school=extra_a[0], year=YEAR, values=_facts(True, 50, multimedia_classrooms=9,
               ordinary_classrooms=10))  # fmt: skip
    facts_save(school=extra_a[1], year=YEAR, values=_facts(True, 100))
    facts_save(school=b.school, year=YEAR, values=_facts(True, 200))
    facts_save(school=a.school, year=YEAR - 1, values=_facts(False, 50))
    facts_save(school=extra_a[0], year=YEAR - 1, values=_facts(True, 50))
    indicators_compute(year=YEAR - 1)
    indicators_compute(year=YEAR)
    return world


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _by_first(rows: list[tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
    return {r[0]: r for r in rows[1:]}


def test_xlsx_holds_the_region_figures(computed: Any, login: Any) -> None:
    client = login(computed.a.users["county_officer"])
    response = client.get(f"/monitoring/r/{computed.a.code}/export.xlsx?year={YEAR}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["指标达标情况", "下级区域", "历年趋势", "待改进学校"]

    ws = wb["指标达标情况"]
    assert ws.freeze_panes == "A2"
    summary = _by_first(_rows(ws))
    fibre = summary["中小学（含教学点）光纤接入率"]
    assert fibre[1:5] == ("光纤接入的学校数", 3, "填报学校数", 4)
    assert fibre[5] == pytest.approx(75.0)
    assert fibre[6] == 100  # the 2020 target, still in force
    assert "网络安全和信息化工作要点" in fibre[8] and fibre[9]
    assert fibre[10] == "未达标" and fibre[11] == pytest.approx(25.0)
    bandwidth = summary["出口带宽达到100Mbps的学校比例"]
    assert (bandwidth[2], bandwidth[4]) == (2, 4) and bandwidth[5] == pytest.approx(50.0)
    multimedia = summary["多媒体教室占普通教室比例"]
    assert (multimedia[2], multimedia[4]) == (18, 20) and multimedia[5] == pytest.approx(90.0)
    assert all(isinstance(x, int | float) for x in (fibre[2], fibre[4], fibre[5], fibre[11]))

    # Below a county the parts are schools; only county A's.
    parts = [r for r in _rows(wb["下级区域"])[1:] if r[2] == "中小学（含教学点）光纤接入率"]
    assert {r[1] for r in parts} == {"甲哨兵实验小学", "甲哨兵村教学点", "甲第二小学", "甲第三中学"}
    assert [r[6] for r in parts] == [100.0, 100.0, 100.0, 0.0]  # best first
    assert parts[-1][1] == "甲哨兵村教学点" and parts[-1][8] == "未达标"

    trend = _by_first(_rows(wb["历年趋势"]))
    header = _rows(wb["历年趋势"])[0]
    assert header[1:3] == ("2024年（%）", "2025年（%）")
    assert trend["中小学（含教学点）光纤接入率"][1:4] == (50.0, 75.0, 100)

    lagging = [
        r for r in _rows(wb["待改进学校"])[1:] if r and r[0] == "中小学（含教学点）光纤接入率"
    ]
    assert [(r[3], r[7], r[9]) for r in lagging] == [("甲哨兵村教学点", 0.0, 1)]

    text = repr([_rows(wb[name]) for name in wb.sheetnames])
    assert "乙哨兵" not in text and "龙亭区" not in text
    entry = AuditEntry.objects.filter(action="monitoring.export").get()
    assert entry.target_id == computed.a.code and entry.details == {"format": "xlsx", "year": YEAR}


def test_province_xlsx_ranks_cities(computed: Any, login: Any) -> None:
    client = login(computed.province_officer)
    response = client.get("/monitoring/r/41/export.xlsx")  # default: the newest year
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    fibre = _by_first(_rows(wb["指标达标情况"]))["中小学（含教学点）光纤接入率"]
    assert (fibre[2], fibre[4]) == (4, 5)
    parts = [r for r in _rows(wb["下级区域"])[1:] if r[2] == "中小学（含教学点）光纤接入率"]
    assert [(r[0], r[1], r[3], r[6]) for r in parts] == [
        ("4102", "开封市", 1, 100.0),
        ("4101", "郑州市", 2, 75.0),
    ]


def _pdf_title(pdf: bytes) -> str:
    """The Info dictionary's /Title: a literal string, UTF-16 with a BOM when not ASCII."""
    match = re.search(rb"/Title \(((?:\\.|[^\\)])*)\)", pdf, re.DOTALL)
    assert match is not None
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def unescape(m: re.Match[bytes]) -> bytes:
        body = m.group(1)
        if body[:1].isdigit():
            return bytes([int(body, 8)])
        return escapes.get(body, body)

    raw = re.sub(rb"\\([0-7]{1,3}|.)", unescape, match.group(1), flags=re.DOTALL)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def test_pdf_report(computed: Any, login: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("EDUPLUS_PDF_FONT", reports.CID_FONT)  # no font file needed
    client = login(computed.a.users["county_officer"])
    response = client.get(f"/monitoring/r/{computed.a.code}/report.pdf?year={YEAR}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    # Title page, summary and tables, charts, rankings, lagging schools: several pages.
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 3
    # The document title (in the Info dictionary) names the region and the year.
    assert _pdf_title(pdf) == "中原区2025年度教育信息化发展报告"
    assert AuditEntry.objects.filter(action="monitoring.export", details__format="pdf").exists()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_text_renders_chinese_with_either_font(computed: Any) -> None:
    from eduplus.monitoring.report import region_report, report_pdf
    from eduplus.regions.models import Region

    user = computed.a.users["county_officer"]
    report = region_report(user, Region.objects.get(code=computed.a.code), YEAR)
    ttf = [p for p in reports.FONT_CANDIDATES if Path(p).is_file()][:1]
    pdftotext = shutil.which("pdftotext")
    assert pdftotext is not None
    for font in [reports.CID_FONT, *ttf]:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("EDUPLUS_PDF_FONT", font)
            pdf = report_pdf(report)
        text = subprocess.run(  # noqa: S603 - a fixed tool on our own output
            [pdftotext, "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "中原区" in text and "年度发展报告" in text, font
        assert "中小学（含教学点）光纤接入率" in text.replace("\n", ""), font
        assert "甲哨兵村教学点" in text, font


def test_scope_county_officer_gets_only_their_county(computed: Any, login: Any) -> None:
    client = login(computed.a.users["county_officer"])
    for suffix in ("report.pdf", "export.xlsx"):
        assert client.get(f"/monitoring/r/{computed.b.code}/{suffix}").status_code == 404
        assert client.get(f"/monitoring/r/410202/{suffix}?year={YEAR}").status_code == 404
        assert client.get(f"/monitoring/r/999999/{suffix}").status_code == 404
        assert client.get(f"/monitoring/r/{computed.a.code}/{suffix}").status_code == 200
    assert not AuditEntry.objects.filter(
        action="monitoring.export", target_id=computed.b.code
    ).exists()


def test_roles_without_monitoring_are_refused(computed: Any, login: Any) -> None:
    client = login(computed.a.users["teacher"])
    assert client.get(f"/monitoring/r/{computed.a.code}/report.pdf").status_code == 403


def test_no_values_answers_a_message(world: Any, login: Any) -> None:
    client = login(world.a.users["county_officer"])
    for suffix in ("report.pdf", "export.xlsx"):
        response = client.get(f"/monitoring/r/{world.a.code}/{suffix}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "还没有计算出的指标值" in page
        assert "eduplus indicators compute --year" in page
    assert not AuditEntry.objects.filter(action="monitoring.export").exists()


def test_year_without_values_names_the_year(computed: Any, login: Any) -> None:
    client = login(computed.a.users["county_officer"])
    page = client.get(f"/monitoring/r/{computed.a.code}/report.pdf?year=2019").content.decode()
    assert "2019年度还没有计算出的指标值" in page
    assert "eduplus indicators compute --year 2019" in page
