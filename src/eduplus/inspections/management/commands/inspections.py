"""``eduplus inspections list`` and ``eduplus inspections verify PLAN_ID``.

``verify`` re-runs a plan's draw from its published seed and inputs (algorithm
``eduplus-draw-v1``, see ``eduplus.inspections.draw``) and compares the result with the
recorded draw. Exit codes: 0 identical, 1 different or not re-runnable, 2 no such plan.
``--inputs FILE.json`` re-runs any published inputs file instead (no database needed
for the draw itself).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from eduplus.core.scoping import region_subtree_q
from eduplus.inspections.models import InspectionPlan
from eduplus.inspections.selectors import Verification, plan_verification, verify_inputs

EXIT_MISMATCH = 1
EXIT_NOT_FOUND = 2


class Command(BaseCommand):
    help = _("双随机抽查：列出计划（list）、复核抽取（verify）")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{list,verify}")
        lst = sub.add_parser("list", help=_("列出抽查计划"))
        lst.add_argument("--region", default="", help=_("只列出该区划（含下级）的计划"))
        ver = sub.add_parser("verify", help=_("用公开的种子和输入重新运行抽取并比对"))
        ver.add_argument("plan_id", nargs="?", type=int, help=_("计划编号"))
        ver.add_argument("--inputs", help=_("改为重新运行一个抽取输入 JSON 文件"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "list":
            self.list_(options["region"])
        else:
            self.verify(options.get("plan_id"), options.get("inputs"))

    def list_(self, region: str) -> None:
        qs = InspectionPlan.objects.select_related("region").order_by("id")
        if region:
            qs = qs.filter(region_subtree_q("region_id", region))
        plans = list(qs)
        if not plans:
            self.stdout.write(_("还没有抽查计划"))
            return
        for p in plans:
            published = _("已公开") if p.published_at else _("未公开")
            self.stdout.write(
                f"{p.pk}\t{p.get_status_display()}\t{published}\t{p.region_id} "
                f"{p.region.name}\t{p.title}"
            )

    def verify(self, plan_id: int | None, inputs_path: str | None) -> None:
        if inputs_path:
            path = Path(inputs_path)
            if not path.is_file():
                raise CommandError(_("文件不存在：%(p)s") % {"p": path}, returncode=EXIT_NOT_FOUND)
            try:
                data = json.loads(path.read_text(encoding="utf-8-sig"))
            except ValueError as exc:
                raise CommandError(
                    _("不是有效的 JSON：%(e)s") % {"e": exc}, returncode=EXIT_MISMATCH
                ) from exc
            self.report(verify_inputs(data))
            return
        if plan_id is None:
            raise CommandError(_("请给出计划编号，或用 --inputs 指定输入文件"))
        plan = InspectionPlan.objects.filter(pk=plan_id).first()
        if plan is None:
            raise CommandError(
                _("没有编号为 %(id)s 的计划") % {"id": plan_id}, returncode=EXIT_NOT_FOUND
            )
        self.stdout.write(f"{plan.pk} {plan.title}")
        self.report(plan_verification(plan), recorded=True)

    def report(self, verification: Verification, *, recorded: bool = False) -> None:
        if verification.error:
            raise CommandError(
                _("无法重新运行抽取：%(e)s") % {"e": verification.error},
                returncode=EXIT_MISMATCH,
            )
        for t in verification.rerun:
            ids = ",".join(str(i) for i in t.inspectors)
            self.stdout.write(f"{t.position}\t{t.school}\t{ids}")
        if not recorded:
            self.stdout.write(_("抽取完成：%(n)d 所学校") % {"n": len(verification.rerun)})
            return
        if not verification.matches:
            for d in verification.differences:
                self.stdout.write(d)
            raise CommandError(_("不一致：重新运行的结果与记录不同"), returncode=EXIT_MISMATCH)
        self.stdout.write(
            self.style.SUCCESS(
                _("一致：重新运行得到与记录完全相同的 %(n)d 所学校和检查人员")
                % {"n": len(verification.rerun)}
            )
        )
