"""``eduplus reports list`` and ``eduplus reports export TASK_ID --out FILE.csv|.xlsx``.

An operator's tool: it runs without a user account, over the whole deployment, and is
audited with ``"via": "cli"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.reporting import exports
from eduplus.reporting.models import REPORTED_STATUSES, ReportTask, SubmissionStatus


class Command(BaseCommand):
    help = _("信息报送任务：列表与导出（list / export）")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{list,export}")
        sub.add_parser("list", help=_("列出全部报送任务及完成情况"))
        exp = sub.add_parser("export", help=_("导出任务的填报数据（CSV 为 UTF-8 BOM，或 .xlsx）"))
        exp.add_argument("task_id", type=int, help=_("任务编号（见 reports list）"))
        exp.add_argument("--out", required=True, help=_("输出文件路径，.csv 或 .xlsx"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "list":
            self.list_()
        else:
            self.export(options["task_id"], Path(options["out"]))

    def list_(self) -> None:
        tasks = (
            ReportTask.objects.select_related("region")
            .annotate(
                total=Count("submissions"),
                reported=Count(
                    "submissions", filter=Q(submissions__status__in=sorted(REPORTED_STATUSES))
                ),
                approved=Count(
                    "submissions", filter=Q(submissions__status=SubmissionStatus.APPROVED)
                ),
            )
            .order_by("id")
        )
        if not tasks:
            self.stdout.write(_("还没有报送任务"))
            return
        self.stdout.write(
            "\t".join(
                [
                    _("编号"),
                    _("任务"),
                    _("周期"),
                    _("发起区域"),
                    _("截止日期"),
                    _("应报"),
                    _("已报"),
                    _("审核通过"),
                ]
            )
        )
        for t in tasks:
            self.stdout.write(
                "\t".join(
                    str(v)
                    for v in (
                        t.pk,
                        t.title,
                        t.period,
                        f"{t.region.name}({t.region_id})",
                        f"{t.deadline:%Y-%m-%d}",
                        getattr(t, "total", 0),
                        getattr(t, "reported", 0),
                        getattr(t, "approved", 0),
                    )
                )
            )

    def export(self, task_id: int, path: Path) -> None:
        task = ReportTask.objects.select_related("form").filter(pk=task_id).first()
        if task is None:
            raise CommandError(_("任务不存在：%(id)s") % {"id": task_id})
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError(_("输出文件须以 .csv 或 .xlsx 结尾"))
        n = exports.write_file(task, task.submissions.all(), path)
        audit_record(
            actor=None,
            action="report.export",
            target_type="reporting.reporttask",
            target_id=str(task.pk),
            target_repr=task.title,
            details={"via": "cli", "rows": n, "format": path.suffix.lower().lstrip(".")},
        )
        self.stdout.write(_("已导出 %(n)d 所学校的填报数据到 %(path)s") % {"n": n, "path": path})
