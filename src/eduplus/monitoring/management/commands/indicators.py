"""``eduplus indicators compute --year Y`` (or ``--all-years``) and
``eduplus indicators export --year Y --out FILE.csv [--schools]``.

The export has one row per region (every level) and indicator with the columns
``region_code, indicator, numerator, denominator, value, target, met`` (``--schools``
adds the schools' rows with their 学校标识码 in ``school_code``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.monitoring.models import Indicator, IndicatorValue, ValueLevel
from eduplus.monitoring.selectors import targets_in_force
from eduplus.monitoring.services import facts_years, indicators_compute

HEADER = ["region_code", "indicator", "numerator", "denominator", "value", "target", "met"]


def number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.4f}".rstrip("0")


class Command(BaseCommand):
    help = _("监测指标计算与导出（compute / export）")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{compute,export}")
        comp = sub.add_parser("compute", help=_("按年度重新计算全部指标"))
        group = comp.add_mutually_exclusive_group(required=True)
        group.add_argument("--year", type=int, help=_("年度"))
        group.add_argument("--all-years", action="store_true", help=_("所有有数据的年度"))
        exp = sub.add_parser("export", help=_("导出某年度各级区域的指标值为 CSV"))
        exp.add_argument("--year", type=int, required=True)
        exp.add_argument("--out", required=True)
        exp.add_argument("--schools", action="store_true", help=_("同时导出每所学校的值"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "compute":
            years = facts_years() if options["all_years"] else [options["year"]]
            if not years:
                raise CommandError(
                    _("还没有任何学校信息化基础数据：请先导入（eduplus facts import）")
                )
            for year in years:
                report = indicators_compute(year=year)
                self.stdout.write(
                    _("%(y)d 年度：%(n)d 个指标，写入 %(rows)d 行，用时 %(s).2f 秒")
                    % {"y": year, "n": report.indicators, "rows": report.rows, "s": report.seconds}
                )
        else:
            self.export(options["year"], Path(options["out"]), options["schools"])

    def export(self, year: int, out: Path, schools: bool) -> None:
        indicators = {i.pk: i for i in Indicator.objects.all()}
        qs = IndicatorValue.objects.filter(year=year)
        if not schools:
            qs = qs.filter(school__isnull=True)
        if not qs.exists():
            raise CommandError(
                _("%(y)d 年度还没有指标值：请先运行 eduplus indicators compute --year %(y)d")
                % {"y": year}
            )
        targets_by_province: dict[str, Any] = {}
        count = 0
        try:
            with out.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(HEADER + (["school_code"] if schools else []))
                rows = qs.select_related("school").order_by(
                    "level", "area", "indicator__order", "school_id"
                )
                for v in rows.iterator(chunk_size=5000):
                    province = v.area[:2]
                    if province not in targets_by_province:
                        targets_by_province[province] = targets_in_force(province, year)
                    target, _upcoming = targets_by_province[province].get(
                        v.indicator_id, (None, None)
                    )
                    target_value = float(target.value) if target is not None else None
                    met = ""
                    if target_value is not None and v.value is not None:
                        met = "1" if round(v.value, 1) >= target_value else "0"
                    line = [
                        v.area,
                        indicators[v.indicator_id].code,
                        number(v.numerator),
                        number(v.denominator),
                        "" if v.value is None else f"{v.value:.2f}",
                        number(target_value),
                        met,
                    ]
                    if schools:
                        line.append(
                            v.school.code if v.level == ValueLevel.SCHOOL and v.school else ""
                        )
                    writer.writerow(line)
                    count += 1
        except OSError as exc:
            raise CommandError(_("无法写入文件：%(reason)s") % {"reason": exc}) from exc
        audit_record(
            actor=None,
            action="monitoring.export",
            target_type="monitoring.indicatorvalue",
            details={"via": "cli", "out": str(out), "year": year, "rows": count},
        )
        self.stdout.write(_("已导出 %(n)d 行到 %(path)s") % {"n": count, "path": out})
