"""A region's monitoring figures for one year as an XLSX workbook and as the PDF annual
development report (年度发展报告).

:func:`region_report` gathers everything through the monitoring selectors, scoped to
the user who asks; :func:`report_xlsx` and :func:`report_pdf` only lay it out, so the
two files always hold the same numbers as the dashboard.

Chinese text in the PDF needs a CJK font. ``EDUPLUS_PDF_FONT`` names a TrueType font
file (``.ttf`` / ``.ttc``, first face), or ``STSong-Light`` for reportlab's built-in CID
font; unset, common system fonts are tried, then ``STSong-Light`` (no file needed,
rendered by the PDF viewer).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.monitoring import selectors
from eduplus.monitoring.models import IndicatorValue
from eduplus.monitoring.selectors import Part, Status
from eduplus.regions.models import Region, RegionLevel

logger = logging.getLogger(__name__)

# Lagging schools listed per indicator: the workbook is the full working list, the PDF
# shows the few furthest behind.
XLSX_LAGGING_LIMIT = 1000
PDF_LAGGING_LIMIT = 10
# Sub-region rankings in the PDF: in full up to this many rows, else the head and tail.
PDF_RANKING_FULL = 25
PDF_RANKING_HEAD, PDF_RANKING_TAIL = 10, 10

CID_FONT = "STSong-Light"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/msyh.ttc",
)


# ---------------------------------------------------------------------------- data


@dataclass
class Lagging:
    """Schools below the target of one indicator: the first ``rows`` of ``total``."""

    status: Status
    rows: list[IndicatorValue]
    total: int


@dataclass
class RegionReport:
    region: Region
    year: int
    generated_at: dt.datetime
    statuses: list[Status]
    coverage: dict[str, int]
    # Years with values for the region, oldest first; indicator id → {year: value}.
    years: list[int]
    trend: dict[int, dict[int, float | None]]
    # indicator id → the region's children (schools, below a county), best first.
    parts: dict[int, list[Part]] = field(default_factory=dict)
    lagging: list[Lagging] = field(default_factory=list)

    @property
    def has_values(self) -> bool:
        return any(s.denominator is not None for s in self.statuses)

    @property
    def met(self) -> list[Status]:
        return [s for s in self.statuses if s.state == "met"]

    @property
    def missed(self) -> list[Status]:
        return [s for s in self.statuses if s.state == "missed"]

    @property
    def unassessed(self) -> list[Status]:
        return [s for s in self.statuses if s.state == "none"]

    @property
    def below_county(self) -> bool:
        """Below a county the parts are schools, not regions."""
        return self.region.level >= RegionLevel.COUNTY

    @property
    def part_label(self) -> str:
        return _("学校") if self.below_county else _("下级区域")

    @property
    def coverage_rate(self) -> float | None:
        schools = self.coverage.get("schools", 0)
        return 100.0 * self.coverage.get("reported", 0) / schools if schools else None


def region_report(
    user: Any, region: Region, year: int, *, lagging_limit: int = XLSX_LAGGING_LIMIT
) -> RegionReport:
    """Everything the export and the report show, read as ``user`` may see it."""
    statuses = selectors.region_statuses(user, region, year)
    report = RegionReport(
        region=region,
        year=year,
        generated_at=timezone.localtime(),
        statuses=statuses,
        coverage={},
        years=[],
        trend={},
    )
    if not report.has_values:
        return report
    report.coverage = selectors.region_coverage(user, region, year)
    report.trend = selectors.region_trend(user, region)
    report.years = sorted({y for by_year in report.trend.values() for y in by_year})
    for status in statuses:
        if status.denominator is None:
            continue
        report.parts[status.indicator.pk] = selectors.subregion_parts(
            user, region, year, status.indicator
        )
        if status.target is not None:
            rows, total = selectors.lagging_schools(
                user, region, year, status.indicator, status.target_value, limit=lagging_limit
            )
            if total:
                report.lagging.append(Lagging(status=status, rows=rows, total=total))
    return report


# --------------------------------------------------------------------- formatting


def _number(x: float | None) -> float | int | None:
    """Counts as integers where they are whole (a sum of facts), else as they are."""
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def _count(x: float | None) -> str:
    n = _number(x)
    return "—" if n is None else f"{n:,}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _state_label(state: str) -> str:
    return {"met": _("达标"), "missed": _("未达标")}.get(state, _("未设目标"))


def _status_label(status: Status) -> str:
    if status.value is None:
        return _("无数据")
    return _state_label(status.state)


def _part_state(part: Part, status: Status) -> str:
    if part.value is None or status.target is None:
        return "none"
    return "met" if round(part.value, 1) >= float(status.target.value) else "missed"


def _shortfall(value: float | None, target: float | None) -> float | None:
    """Percentage points still to go (None when met, or nothing to compare)."""
    if value is None or target is None or round(value, 1) >= target:
        return None
    return round(target - value, 1)


def _basis(status: Status) -> str:
    if status.target is None:
        return ""
    return f"《{status.target.document.title}》"


def _target_text(status: Status) -> str:
    if status.target is None:
        return "—"
    text = _("%(v)s（%(y)s年）") % {"v": f"{status.target_value:g}", "y": status.target.year}
    if status.upcoming is not None:
        text += _("；%(y)s年 %(v)s") % {
            "y": status.upcoming.year,
            "v": f"{float(status.upcoming.value):g}",
        }
    return text


def _title(report: RegionReport) -> str:
    return _("%(region)s%(year)s年度教育信息化发展报告") % {
        "region": report.region.display_name,
        "year": report.year,
    }


def report_filename(report: RegionReport, suffix: str) -> str:
    return (
        _("%(region)s%(year)s年度信息化监测")
        % {
            "region": report.region.display_name,
            "year": report.year,
        }
        + f".{suffix}"
    )


# ---------------------------------------------------------------------------- XLSX


def report_xlsx(report: RegionReport) -> bytes:
    """The workbook: 指标达标情况, 下级区域, 历年趋势, 待改进学校 — numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    met_font, missed_font = Font(color="2E7D32"), Font(color="C62828", bold=True)
    pct_format, count_format = "0.0", "#,##0"

    wb = Workbook()
    wb.properties.title = _title(report)
    wb.properties.creator = "EduPlus"

    def sheet(ws: Worksheet, columns: list[tuple[str, int, str | None]]) -> None:
        """Header row (styled, frozen, filtered) and column widths and number formats."""
        ws.append([c[0] for c in columns])
        for index, (_label, width, _fmt) in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=index)
            cell.font, cell.fill, cell.alignment, cell.border = (
                header_font,
                header_fill,
                header_align,
                border,
            )
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.row_dimensions[1].height = 30
        ws.freeze_panes = "A2"

    def finish(ws: Worksheet, columns: list[tuple[str, int, str | None]]) -> None:
        for row in ws.iter_rows(min_row=2):
            for cell, (_label, _width, fmt) in zip(row, columns, strict=False):
                if fmt is not None and isinstance(cell.value, int | float):
                    cell.number_format = fmt
                cell.border = border
        if ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions

    def state_cell(ws: Worksheet, column: int, state: str) -> None:
        cell = ws.cell(row=ws.max_row, column=column)
        if state == "met":
            cell.font = met_font
        elif state == "missed":
            cell.font = missed_font

    # 指标达标情况 -------------------------------------------------------------
    ws = wb.active
    assert ws is not None
    ws.title = _("指标达标情况")
    columns: list[tuple[str, int, str | None]] = [
        (_("指标"), 34, None),
        (_("分子含义"), 26, None),
        (_("分子"), 12, count_format),
        (_("分母含义"), 20, None),
        (_("分母"), 12, count_format),
        (_("指标值（%）"), 11, pct_format),
        (_("目标值（%）"), 11, pct_format),
        (_("目标年度"), 10, None),
        (_("政策依据"), 46, None),
        (_("条款"), 24, None),
        (_("达标情况"), 10, None),
        (_("距目标差距（百分点）"), 14, pct_format),
    ]
    sheet(ws, columns)
    for s in report.statuses:
        ws.append(
            [
                s.indicator.name,
                s.indicator.numerator_label,
                _number(s.numerator),
                s.indicator.denominator_label,
                _number(s.denominator),
                s.value,
                s.target_value,
                s.target.year if s.target is not None else None,
                _basis(s),
                s.target.clause if s.target is not None else "",
                _status_label(s),
                _shortfall(s.value, s.target_value),
            ]
        )
        state_cell(ws, 11, s.state)
    finish(ws, columns)

    # 下级区域 ---------------------------------------------------------------------
    ws = wb.create_sheet(_("下级区域"))
    code_label = _("学校标识码") if report.below_county else _("区划代码")
    columns = [
        (code_label, 14, None),
        (report.part_label, 30, None),
        (_("指标"), 34, None),
        (_("排名"), 7, None),
        (_("分子"), 12, count_format),
        (_("分母"), 12, count_format),
        (_("指标值（%）"), 11, pct_format),
        (_("目标值（%）"), 11, pct_format),
        (_("达标情况"), 10, None),
    ]
    sheet(ws, columns)
    for s in report.statuses:
        for rank, part in enumerate(report.parts.get(s.indicator.pk, []), start=1):
            state = _part_state(part, s)
            ws.append(
                [
                    part.code,
                    part.name,
                    s.indicator.name,
                    rank if part.value is not None else None,
                    _number(part.numerator),
                    _number(part.denominator),
                    part.value,
                    s.target_value,
                    _state_label(state) if part.value is not None else _("无数据"),
                ]
            )
            state_cell(ws, 9, state)
    finish(ws, columns)

    # 历年趋势 ---------------------------------------------------------------------
    ws = wb.create_sheet(_("历年趋势"))
    columns = [(_("指标"), 34, None)]
    columns += [(_("%(y)s年（%%）") % {"y": y}, 11, pct_format) for y in report.years]
    columns += [(_("%(y)s年目标（%%）") % {"y": report.year}, 13, pct_format)]
    sheet(ws, columns)
    for s in report.statuses:
        by_year = report.trend.get(s.indicator.pk, {})
        ws.append([s.indicator.name, *(by_year.get(y) for y in report.years), s.target_value])
    finish(ws, columns)

    # 待改进学校 -------------------------------------------------------------------
    ws = wb.create_sheet(_("待改进学校"))
    columns = [
        (_("指标"), 34, None),
        (_("目标值（%）"), 11, pct_format),
        (_("学校标识码"), 14, None),
        (_("学校名称"), 30, None),
        (_("所在区县"), 14, None),
        (_("分子"), 10, count_format),
        (_("分母"), 10, count_format),
        (_("指标值（%）"), 11, pct_format),
        (_("距目标差距（百分点）"), 14, pct_format),
        (_("低于目标学校总数"), 12, count_format),
    ]
    sheet(ws, columns)
    for lag in report.lagging:
        for row in lag.rows:
            school = row.school
            assert school is not None
            ws.append(
                [
                    lag.status.indicator.name,
                    lag.status.target_value,
                    school.code,
                    school.name,
                    school.region.name,
                    _number(row.numerator),
                    _number(row.denominator),
                    row.value,
                    _shortfall(row.value, lag.status.target_value),
                    lag.total,
                ]
            )
    finish(ws, columns)
    if any(lag.total > len(lag.rows) for lag in report.lagging):
        ws.append([])
        ws.append(
            [
                _("注：每项指标最多列出差距最大的 %(n)s 所学校，总数见最后一列。")
                % {"n": XLSX_LAGGING_LIMIT}
            ]
        )

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- PDF

_registered: dict[str, str] = {}


def _register_ttf(path: str) -> str | None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if path in _registered:
        return _registered[path]
    name = f"EduplusCJK{len(_registered)}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except Exception as exc:  # an unreadable file, or CFF outlines reportlab cannot embed
        logger.warning("PDF font %s not usable: %s", path, exc)
        return None
    _registered[path] = name
    return name


def pdf_font() -> str:
    """The registered name of the CJK font for the report (see the module docstring)."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    chosen = os.environ.get("EDUPLUS_PDF_FONT", "").strip()
    name: str | None = None
    if chosen and chosen != CID_FONT:
        if Path(chosen).is_file():
            name = _register_ttf(chosen)
        else:
            logger.warning("EDUPLUS_PDF_FONT %s: no such file", chosen)
    if name is None and chosen != CID_FONT:
        for candidate in FONT_CANDIDATES:
            if Path(candidate).is_file():
                name = _register_ttf(candidate)
                if name is not None:
                    break
    if name is None:
        name = CID_FONT
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(name))
    # One face for every style: <b> and <i> in paragraphs must not look for another file.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
    return name


PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#843c39",
)  # fmt: skip


def report_pdf(report: RegionReport) -> bytes:
    """The annual development report (年度发展报告) as an A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = pdf_font()
    region_name = report.region.display_name
    title = _title(report)

    def style(name: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
        # wordWrap CJK: Chinese lines break between any two characters, not at spaces.
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading,
                              wordWrap="CJK", **kw)  # fmt: skip

    blue, red = colors.HexColor("#1F4E79"), colors.HexColor("#C62828")
    styles = {
        "cover": style("cover", 26, 36, alignment=TA_CENTER),
        "cover2": style("cover2", 15, 24, alignment=TA_CENTER),
        "h1": style("h1", 15, 22, spaceBefore=10, spaceAfter=6, textColor=blue),
        "h2": style("h2", 11.5, 17, spaceBefore=8, spaceAfter=4),
        "body": style("body", 10, 16, firstLineIndent=20),
        "note": style("note", 8, 11, textColor=colors.grey),
        "cell": style("cell", 8, 10.5),
        "missed": style("missed", 8, 10.5, textColor=red),
        "head": style("head", 8, 10.5, textColor=colors.white),
    }
    page_width = A4[0] - 36 * mm

    def p(text: Any, style: str = "cell") -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), styles[style])

    def table(
        header: list[str],
        rows: list[list[Any]],
        widths: list[float],
        marks: list[str] | None = None,
    ) -> Table:
        data = [[p(h, "head") for h in header]]
        row_marks = (marks or []) + [""] * (len(rows) - len(marks or []))
        data += [
            [p(c, "missed" if mark == "missed" else "cell") for c in row]
            for row, mark in zip(rows, row_marks, strict=True)
        ]
        t = Table(data, colWidths=[w * page_width for w in widths], repeatRows=1)
        commands = [
            ("BACKGROUND", (0, 0), (-1, 0), blue),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BFBFBF")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F3F6FA")]),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        t.setStyle(TableStyle(commands))
        return t

    def on_page(canvas: Any, doc: Any) -> None:
        if doc.page == 1:
            return
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(18 * mm, 10 * mm, title)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, _("第 %(n)s 页") % {"n": doc.page})
        canvas.restoreState()

    story: list[Any] = []
    # Title page ----------------------------------------------------------------
    story += [
        Spacer(1, 70 * mm),
        Paragraph(region_name, styles["cover"]),
        Spacer(1, 6 * mm),
        Paragraph(_("%(y)s年度") % {"y": report.year}, styles["cover2"]),
        Paragraph(_("教育信息化年度发展报告"), styles["cover"]),
        Spacer(1, 60 * mm),
        Paragraph(_("EduPlus 互联网+教育平台 · 信息化监测"), styles["cover2"]),
        Paragraph(
            _("生成日期：%(d)s") % {"d": report.generated_at.strftime("%Y-%m-%d %H:%M")},
            styles["cover2"],
        ),
        PageBreak(),
    ]

    # 一、总体情况 ----------------------------------------------------------------
    assessed = len(report.met) + len(report.missed)
    story.append(Paragraph(_("一、总体情况"), styles["h1"]))
    story.append(
        Paragraph(
            _(
                "%(region)s%(year)s年度共监测 %(n)s 项信息化指标，其中 %(assessed)s 项有政策目标："
                "达标 %(met)s 项，未达标 %(missed)s 项；另有 %(none)s 项未设目标或无数据。"
            )
            % {
                "region": region_name,
                "year": report.year,
                "n": len(report.statuses),
                "assessed": assessed,
                "met": len(report.met),
                "missed": len(report.missed),
                "none": len(report.unassessed),
            },
            styles["body"],
        )
    )
    if report.coverage_rate is not None:
        story.append(
            Paragraph(
                _(
                    "数据填报覆盖：辖区内 %(schools)s 所学校（含教学点）中，%(reported)s 所填报了"
                    "本年度信息化基础数据，覆盖率 %(rate)s%%。"
                )
                % {
                    "schools": f"{report.coverage['schools']:,}",
                    "reported": f"{report.coverage['reported']:,}",
                    "rate": f"{report.coverage_rate:.1f}",
                },
                styles["body"],
            )
        )
    if report.missed:
        worst = sorted(report.missed, key=lambda s: -(s.gap or 0))
        items = "；".join(
            _("%(name)s %(v)s%%（差 %(gap)s 个百分点）")
            % {"name": s.indicator.name, "v": _pct(s.value), "gap": f"{s.gap:.1f}"}
            for s in worst
        )
        story.append(Paragraph(_("未达标指标：%(items)s。") % {"items": items}, styles["body"]))
    else:
        story.append(Paragraph(_("有目标的指标全部达标。"), styles["body"]))

    # 二、指标达标情况 ------------------------------------------------------------
    story.append(Paragraph(_("二、指标达标情况"), styles["h1"]))
    rows = []
    for s in report.statuses:
        basis = _basis(s) + (s.target.clause if s.target is not None else "")
        rows.append(
            [
                s.indicator.name,
                f"{_count(s.numerator)} / {_count(s.denominator)}",
                _pct(s.value),
                _target_text(s),
                _status_label(s),
                basis or "—",
            ]
        )
    story.append(
        table(
            [
                _("指标"),
                _("分子 / 分母"),
                _("指标值（%）"),
                _("目标（%）"),
                _("达标情况"),
                _("政策依据及条款"),
            ],
            rows,
            [0.24, 0.13, 0.09, 0.15, 0.09, 0.30],
            [s.state for s in report.statuses],
        )
    )
    story.append(Spacer(1, 4 * mm))
    chart = _bar_chart(report, font, page_width)
    if chart is not None:
        story.append(KeepTogether([Paragraph(_("各项指标值与目标值"), styles["h2"]), chart]))

    # 三、历年趋势 ----------------------------------------------------------------
    if report.years:
        story.append(Paragraph(_("三、历年趋势"), styles["h1"]))
        line = _line_chart(report, font, page_width)
        if line is not None:
            story.append(line)
        header = [_("指标"), *[str(y) for y in report.years]]
        trend_rows = [
            [
                s.indicator.name,
                *[_pct(report.trend.get(s.indicator.pk, {}).get(y)) for y in report.years],
            ]
            for s in report.statuses
            if s.indicator.pk in report.trend
        ]
        share = 0.64 / max(1, len(report.years))
        story.append(table(header, trend_rows, [0.36, *[share] * len(report.years)]))

    # 四、未达标指标的下级区域排名 ------------------------------------------------
    story.append(
        Paragraph(_("四、未达标指标的%(parts)s排名") % {"parts": report.part_label}, styles["h1"])
    )
    if not report.missed:
        story.append(Paragraph(_("无未达标指标。"), styles["body"]))
    for s in report.missed:
        parts = report.parts.get(s.indicator.pk, [])
        ranked = list(enumerate(parts, start=1))
        skipped = 0
        if len(ranked) > PDF_RANKING_FULL:
            skipped = len(ranked) - PDF_RANKING_HEAD - PDF_RANKING_TAIL
            ranked = ranked[:PDF_RANKING_HEAD] + ranked[-PDF_RANKING_TAIL:]
        rows, marks = [], []
        for rank, part in ranked:
            state = _part_state(part, s)
            rows.append(
                [
                    str(rank) if part.value is not None else "—",
                    part.code,
                    part.name,
                    _pct(part.value),
                    _pct(_shortfall(part.value, s.target_value)) if state == "missed" else "",
                    _state_label(state) if part.value is not None else _("无数据"),
                ]
            )
            marks.append(state)
            if skipped and rank == PDF_RANKING_HEAD:
                rows.append(
                    [
                        "…",
                        "",
                        _("（中间 %(n)s 个从略，完整排名见XLSX导出）") % {"n": skipped},
                        "",
                        "",
                        "",
                    ]
                )
                marks.append("")
        heading = _("%(name)s（目标 %(t)s%%，本级 %(v)s%%）") % {
            "name": s.indicator.name,
            "t": f"{s.target_value:g}",
            "v": _pct(s.value),
        }
        story.append(Paragraph(heading, styles["h2"]))
        story.append(
            table(
                [
                    _("排名"),
                    _("代码"),
                    report.part_label,
                    _("指标值（%）"),
                    _("差距（百分点）"),
                    _("达标情况"),
                ],
                rows,
                [0.08, 0.16, 0.40, 0.12, 0.13, 0.11],
                marks,
            )
        )

    # 五、待改进学校 --------------------------------------------------------------
    story.append(Paragraph(_("五、待改进学校"), styles["h1"]))
    if not report.lagging:
        story.append(Paragraph(_("没有低于目标的学校。"), styles["body"]))
    for lag in report.lagging:
        s = lag.status
        shown = lag.rows[:PDF_LAGGING_LIMIT]
        story.append(
            Paragraph(
                _("%(name)s（目标 %(t)s%%）：%(total)s 所学校低于目标，以下为差距最大的 %(n)s 所")
                % {
                    "name": s.indicator.name,
                    "t": f"{s.target_value:g}",
                    "total": lag.total,
                    "n": len(shown),
                },
                styles["h2"],
            )
        )
        rows = []
        for row in shown:
            school = row.school
            assert school is not None
            rows.append(
                [
                    school.code,
                    school.name,
                    school.region.name,
                    f"{_count(row.numerator)} / {_count(row.denominator)}",
                    _pct(row.value),
                ]
            )
        story.append(
            table(
                [_("学校标识码"), _("学校名称"), _("所在区县"), _("分子 / 分母"), _("指标值（%）")],
                rows,
                [0.17, 0.40, 0.15, 0.15, 0.13],
            )
        )
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            _(
                "说明：指标值 = 分子 ÷ 分母 × 100，由各校填报的信息化基础数据按指标定义计算；"
                "目标取当年有效的政策目标（尚未到目标年度的，取最近的目标）。"
                "达标按显示精度（一位小数）比较。本报告仅含您管辖范围内的数据。"
            ),
            styles["note"],
        )
    )

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="EduPlus",
        subject=_("年度发展报告"),
        creator="EduPlus",
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _short(name: str, limit: int = 16) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _bar_chart(report: RegionReport, font: str, width: float) -> Any:
    """Horizontal bars: the region's value and the target of each indicator."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    shown = [s for s in report.statuses if s.value is not None]
    if not shown:
        return None
    shown.reverse()  # the chart draws the first category at the bottom
    bar_height = 18
    height = len(shown) * bar_height + 60
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 40
    chart.width, chart.height = width - 185, len(shown) * bar_height
    chart.data = [
        [round(s.value or 0.0, 1) for s in shown],
        [s.target_value if s.target_value is not None else None for s in shown],
    ]
    chart.categoryAxis.categoryNames = [_short(s.indicator.name) for s in shown]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#DDDDDD")
    chart.bars[0].fillColor = colors.HexColor("#2F6DB5")
    chart.bars[1].fillColor = colors.HexColor("#F2A541")
    chart.bars.strokeWidth = 0
    chart.barSpacing = 1
    chart.groupSpacing = 4
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 5.5
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 2
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 150, 16
    legend.fontName, legend.fontSize = font, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.dx = legend.dy = 7
    legend.deltax = 90
    legend.colorNamePairs = [
        (colors.HexColor("#2F6DB5"), _("%(y)s年指标值") % {"y": report.year}),
        (colors.HexColor("#F2A541"), _("目标值")),
    ]
    drawing.add(legend)
    return drawing


def _line_chart(report: RegionReport, font: str, width: float) -> Any:
    """One line per indicator over the years computed."""
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing
    from reportlab.graphics.widgets.markers import makeMarker
    from reportlab.lib import colors

    series = []
    for s in report.statuses:
        by_year = report.trend.get(s.indicator.pk, {})
        points = [(y, round(v, 1)) for y, v in sorted(by_year.items()) if v is not None]
        if points:
            series.append((s.indicator.name, points))
    if not series or len(report.years) < 2:
        return None
    rows = (len(series) + 1) // 2
    legend_height = rows * 11 + 10
    plot_height = 190
    drawing = Drawing(width, plot_height + legend_height + 30)
    plot = LinePlot()
    plot.x, plot.y = 40, legend_height + 20
    plot.width, plot.height = width - 60, plot_height
    plot.data = [points for _name, points in series]
    plot.xValueAxis.valueMin = report.years[0] - 0.3
    plot.xValueAxis.valueMax = report.years[-1] + 0.3
    plot.xValueAxis.valueSteps = report.years
    plot.xValueAxis.labelTextFormat = "%d"
    plot.xValueAxis.labels.fontName = font
    plot.xValueAxis.labels.fontSize = 8
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = 0, 100, 20
    plot.yValueAxis.labels.fontName = font
    plot.yValueAxis.labels.fontSize = 8
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#DDDDDD")
    for i in range(len(series)):
        color = colors.HexColor(PALETTE[i % len(PALETTE)])
        plot.lines[i].strokeColor = color
        plot.lines[i].strokeWidth = 1.2
        plot.lines[i].symbol = makeMarker(
            "FilledCircle", size=3, fillColor=color, strokeColor=color
        )
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = 40, legend_height + 2
    legend.fontName, legend.fontSize = font, 7
    legend.alignment = "right"
    legend.columnMaximum = rows
    legend.deltax = (width - 60) / 2
    legend.deltay = 11
    legend.dx = legend.dy = 6
    legend.colorNamePairs = [
        (colors.HexColor(PALETTE[i % len(PALETTE)]), name) for i, (name, _p) in enumerate(series)
    ]
    drawing.add(legend)
    return drawing
