"""``eduplus data quality [--compute] [--region CODE]``: the quality scorecard in the
terminal — the score per dimension and per source system, as aligned tables.

An operator's tool: it runs without a user account, over all results (or one region's
subtree). It computes first with ``--compute``, or when nothing was computed yet.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.scoping import region_subtree_q
from eduplus.governance import quality as q
from eduplus.governance.models import QualityDimension, QualityResult
from eduplus.regions.models import Region

HELP = "数据质量评分：按维度和来源系统打印（--compute 先重新计算）"


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--compute", action="store_true", help=_("先按当前规则重新计算"))
    parser.add_argument("--region", default="", help=_("只看该区划（含下级），如 410102"))


def width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int, *, right: bool = False) -> str:
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> list[str]:
    sizes = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            pad(c, sizes[i], right=i >= numeric_from) for i, c in enumerate(cells)
        ).rstrip()

    return [line(header), line(["-" * s for s in sizes]), *(line(r) for r in rows)]


def run(command: Any, options: dict[str, Any]) -> None:
    write = command.stdout.write
    region: Region | None = None
    code = (options.get("region") or "").strip()
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(_("未知的区划代码：%(code)s") % {"code": code})
    at = q.latest_computation()
    if options.get("compute") or at is None:
        at = q.quality_compute()
        write(_("已按当前规则重新计算。"))
    qs: QuerySet[QualityResult] = QualityResult.objects.filter(computed_at=at)
    if region is not None:
        qs = qs.filter(region_subtree_q("region_id", region.code))
    scope = region.name if region is not None else _("全部数据")
    write(
        _("数据质量（计算时间 %(t)s，范围：%(scope)s）")
        % {"t": timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"), "scope": scope}
    )
    total = q.score_total(qs)
    if not total.checked:
        write(
            _("没有可检查的记录：请先导入来源系统数据（eduplus data import FILE --source CODE）。")
        )
        return
    dims = q.score_by_dimension(qs)
    rows = [[_("综合"), total.percent, f"{total.checked:,}", f"{total.failed:,}"]]
    for value, label in QualityDimension.choices:
        s = dims.get(value, q.Score())
        rows.append([str(label), s.percent, f"{s.checked:,}", f"{s.failed:,}"])
    write("")
    for text in table([_("维度"), _("评分"), _("检查数"), _("不合格数")], rows):
        write(text)
    header = [_("来源系统"), _("综合")] + [str(label) for _v, label in QualityDimension.choices]
    header += [_("检查数"), _("不合格数")]
    source_rows = []
    for row in q.score_by_source(qs):
        cells = [f"{row.key} {row.label}", row.score.percent]
        cells += [row.dims.get(v, q.Score()).percent for v, _l in QualityDimension.choices]
        cells += [f"{row.score.checked:,}", f"{row.score.failed:,}"]
        source_rows.append(cells)
    write("")
    for text in table(header, source_rows):
        write(text)
