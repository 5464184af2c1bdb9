"""``eduplus spaces lrs-client create --name NAME --region CODE`` (prints the key and the
secret, once) and ``eduplus spaces usage --year Y [--region CODE]`` (writes each school's
space-usage counts of school year Y as its monitoring facts of year Y and recomputes the
two space indicators). An operator's tool: it runs without a user account (audited)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from eduplus.regions.models import Region
from eduplus.spaces.services import lrs_client_create, usage_facts_write


class Command(BaseCommand):
    help = _("学习空间：LRS 客户端与空间应用率（lrs-client / usage）")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{lrs-client,usage}")
        client = sub.add_parser("lrs-client", help=_("LRS 客户端"))
        client_sub = client.add_subparsers(dest="action", required=True, metavar="{create}")
        create = client_sub.add_parser("create", help=_("创建客户端（密钥只显示一次）"))
        create.add_argument("--name", required=True, help=_("名称"))
        create.add_argument("--region", required=True, help=_("所属区划代码，如 410102"))
        usage = sub.add_parser("usage", help=_("把学年空间应用数据写入监测数据并重算指标"))
        usage.add_argument("--year", type=int, required=True, help=_("学年起始年份，如 2025"))
        usage.add_argument("--region", default="", help=_("只写该区划（含下级）的学校"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "lrs-client":
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(_("区划代码 %(c)s 不存在") % {"c": options["region"]})
            try:
                client, secret = lrs_client_create(name=options["name"], region=region)
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
            self.stdout.write(f"key: {client.key}")
            self.stdout.write(f"secret: {secret}")
            self.stdout.write(_("密钥只显示这一次，请妥善保存。"))
            return
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(_("学年应在2000到2100之间"))
        report = usage_facts_write(year=year, region=options["region"])
        self.stdout.write(
            _("%(y)d 学年：新增 %(c)d 所、更新 %(u)d 所、未变化 %(n)d 所、拒绝 %(r)d 所")
            % {"y": year, "c": report.created, "u": report.updated, "n": report.unchanged,
               "r": report.rejected}
        )  # fmt: skip
        for entry in report.errors:
            self.stdout.write(f"{entry['school_code']}: {'；'.join(entry['reasons'])}")
