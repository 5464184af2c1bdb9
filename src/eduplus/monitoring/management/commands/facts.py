"""``eduplus facts import FILE [--year Y] [--dry-run]`` and
``eduplus facts export --year Y --out FILE.csv [--region CODE]``.

An operator's tool: it runs without a user account (audited with ``"via": "cli"``).
After an import the indicators of the years touched are recomputed. Exit codes of
``import``: 0 every row accepted, 1 some rows rejected (the valid ones are written),
2 the file cannot be imported at all.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.scoping import region_subtree_q
from eduplus.monitoring.models import SchoolFacts, facts_field_names
from eduplus.monitoring.services import FactsImportError, facts_import, indicators_compute
from eduplus.regions.models import Region

EXIT_REJECTED = 1
EXIT_UNREADABLE = 2
EXPORT_HEADER = ["school_code", "school_name", "region_code", "year", *facts_field_names()]


def export_value(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


class Command(BaseCommand):
    help = _("学校信息化基础数据导入与导出（import / export）")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{import,export}")
        imp = sub.add_parser("import", help=_("导入信息化基础数据（CSV / xlsx / xls）"))
        imp.add_argument("file", help=_("数据文件路径"))
        imp.add_argument("--year", type=int, help=_("年度（文件没有年度列时必填）"))
        imp.add_argument("--dry-run", action="store_true", help=_("仅检查并报告，不写入数据库"))
        exp = sub.add_parser("export", help=_("导出信息化基础数据为 CSV（UTF-8 BOM）"))
        exp.add_argument("--year", type=int, required=True, help=_("年度"))
        exp.add_argument("--out", required=True, help=_("输出 CSV 文件路径"))
        exp.add_argument("--region", default="", help=_("只导出该区划（含下级），如 4101"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "import":
            self.import_(Path(options["file"]), options.get("year"), options["dry_run"])
        else:
            self.export(options["year"], Path(options["out"]), options["region"])

    def import_(self, path: Path, year: int | None, dry_run: bool) -> None:
        if not path.is_file():
            raise CommandError(
                _("文件不存在：%(path)s") % {"path": path}, returncode=EXIT_UNREADABLE
            )
        try:
            report = facts_import(source=path, filename=path.name, year=year, dry_run=dry_run)
        except FactsImportError as exc:
            raise CommandError(str(exc), returncode=EXIT_UNREADABLE) from exc
        write = self.stdout.write
        if dry_run:
            write(_("仅检查：未写入数据库"))
        write(_("读取行数：%(n)d") % {"n": report.rows_read})
        write(_("新增：%(n)d") % {"n": report.created})
        write(_("更新：%(n)d") % {"n": report.updated})
        write(_("未变化：%(n)d") % {"n": report.unchanged})
        write(_("拒绝：%(n)d") % {"n": report.rejected})
        for entry in report.errors:
            write(
                _("第%(row)d行: %(reason)s")
                % {"row": entry["row"], "reason": "；".join(entry["reasons"])}
            )
        if not dry_run and (report.created or report.updated):
            for y in report.years:
                computed = indicators_compute(year=y)
                write(
                    _("已重新计算 %(y)d 年度指标：%(n)d 个指标，%(rows)d 行，用时 %(s).1f 秒")
                    % {
                        "y": y,
                        "n": computed.indicators,
                        "rows": computed.rows,
                        "s": computed.seconds,
                    }
                )
        if report.rejected:
            raise CommandError(
                _("有 %(n)d 行被拒绝（见上方各行原因）") % {"n": report.rejected},
                returncode=EXIT_REJECTED,
            )

    def export(self, year: int, out: Path, region: str) -> None:
        qs = SchoolFacts.objects.filter(year=year).select_related("school")
        if region:
            if not Region.objects.filter(code=region).exists():
                raise CommandError(
                    _("区划代码 %(code)s 不存在") % {"code": region}, returncode=EXIT_UNREADABLE
                )
            qs = qs.filter(region_subtree_q("region_id", region))
        names = facts_field_names()
        count = 0
        try:
            with out.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(EXPORT_HEADER)
                for facts in qs.order_by("region_id", "school__code").iterator(chunk_size=5000):
                    writer.writerow(
                        [facts.school.code, facts.school.name, facts.region_id, facts.year]
                        + [export_value(getattr(facts, n)) for n in names]
                    )
                    count += 1
        except OSError as exc:
            raise CommandError(
                _("无法写入文件：%(reason)s") % {"reason": exc}, returncode=EXIT_UNREADABLE
            ) from exc
        audit_record(
            actor=None,
            action="facts.export",
            target_type="monitoring.schoolfacts",
            details={"via": "cli", "out": str(out), "year": year, "region": region, "rows": count},
        )
        self.stdout.write(_("已导出 %(n)d 行到 %(path)s") % {"n": count, "path": out})
