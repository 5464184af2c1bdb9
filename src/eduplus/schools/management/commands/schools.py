"""``eduplus schools import FILE [--dry-run]`` and ``eduplus schools export --out FILE.csv``.

An operator's tool: it runs without a user account (audited with ``"via": "cli"``).
Exit codes of ``import``: 0 every row accepted, 1 some rows rejected (the valid ones
are written), 2 the file cannot be imported at all.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.scoping import region_subtree_q
from eduplus.regions.models import Region
from eduplus.schools.models import School
from eduplus.schools.registry import (
    EXPORT_HEADER,
    ImportReport,
    RegistryImportError,
    export_rows,
    registry_import,
)

EXIT_REJECTED = 1
EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = _("学校名录导入与导出（import / export）")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{import,export}")
        imp = sub.add_parser("import", help=_("导入学校名录（CSV / Excel .xlsx / .xls）"))
        imp.add_argument("file", help=_("名录文件路径"))
        imp.add_argument("--dry-run", action="store_true", help=_("仅检查并报告，不写入数据库"))
        exp = sub.add_parser("export", help=_("导出学校名录为 CSV（UTF-8 BOM）"))
        exp.add_argument("--out", required=True, help=_("输出 CSV 文件路径"))
        exp.add_argument("--region", help=_("只导出该区划（含下级）的学校，如 41、4101、410102"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "import":
            self.import_(Path(options["file"]), dry_run=options["dry_run"])
        else:
            self.export(Path(options["out"]), region=options.get("region") or "")

    def import_(self, path: Path, *, dry_run: bool) -> None:
        if not path.is_file():
            raise CommandError(
                _("文件不存在：%(path)s") % {"path": path}, returncode=EXIT_UNREADABLE
            )
        try:
            report = registry_import(
                source=path,
                filename=path.name,
                actor=None,
                dry_run=dry_run,
                extra_details={"via": "cli"},
            )
        except RegistryImportError as exc:
            raise CommandError(str(exc), returncode=EXIT_UNREADABLE) from exc
        self.print_report(report)
        if report.rejected:
            raise CommandError(
                _("有 %(n)d 行被拒绝（见上方各行原因）") % {"n": report.rejected},
                returncode=EXIT_REJECTED,
            )

    def print_report(self, report: ImportReport) -> None:
        write = self.stdout.write
        if report.dry_run:
            write(_("仅检查：未写入数据库"))
        write(_("读取行数：%(n)d") % {"n": report.rows_read})
        write(_("新增：%(n)d") % {"n": report.created})
        write(_("更新：%(n)d") % {"n": report.updated})
        write(_("未变化：%(n)d") % {"n": report.unchanged})
        write(_("拒绝：%(n)d") % {"n": report.rejected})
        if report.errors:
            write(_("错误："))
            for entry in report.errors:
                write(_("第%(row)d行: %(reason)s") % entry)
        if report.warnings:
            write(_("提示："))
            for entry in report.warnings:
                write(_("第%(row)d行: %(reason)s") % entry)

    def export(self, out: Path, *, region: str) -> None:
        qs = School.objects.all()
        if region:
            if not Region.objects.filter(code=region).exists():
                raise CommandError(
                    _("区划代码 %(code)s 不存在") % {"code": region}, returncode=EXIT_UNREADABLE
                )
            qs = qs.filter(region_subtree_q("region_id", region))
        qs = qs.order_by("region_id", "code")
        count = 0
        try:
            with out.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(EXPORT_HEADER)
                for row in export_rows(qs):
                    writer.writerow(row)
                    count += 1
        except OSError as exc:
            raise CommandError(
                _("无法写入文件：%(reason)s") % {"reason": exc}, returncode=EXIT_UNREADABLE
            ) from exc
        audit_record(
            actor=None,
            action="school.export",
            target_type="schools.school",
            details={"via": "cli", "out": str(out), "region": region, "rows": count},
        )
        self.stdout.write(_("已导出 %(n)d 所学校到 %(path)s") % {"n": count, "path": out})
