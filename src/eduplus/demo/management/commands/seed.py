"""``eduplus seed --scale small|county|province``: the synthetic demo province."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from eduplus.demo.scales import PUBLIC_SCALES, SCALES
from eduplus.demo.services import SeedRefused, seed_database_is_empty, seed_province


class Command(BaseCommand):
    help = (
        "Seed a deterministic synthetic province (real GB/T 2260 codes, synthetic people): "
        "agencies, schools, classes, teachers, students, guardians and the demo accounts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            choices=[*PUBLIC_SCALES, "tiny"],
            default="small",
            help="small (~800 schools), county (~2,000), province (20,000)",
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--province", default=None, help=f"province code (default {settings.EDUPLUS_PROVINCE})"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--if-empty", action="store_true", help="do nothing if the database already has schools"
        )
        mode.add_argument(
            "--reset",
            action="store_true",
            help="delete the existing demo data first (the audit log is kept)",
        )
        parser.add_argument(
            "--no-accounts", action="store_true", help="do not create the demo accounts"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        empty = seed_database_is_empty()
        if opts["if_empty"] and not empty:
            self.stdout.write("数据库中已有学校数据，跳过 seed（--if-empty）。")
            return
        if not empty and not opts["reset"]:
            raise CommandError(
                "数据库中已有学校数据，拒绝 seed：用 --reset 清空演示数据后重建，"
                "或用 --if-empty 跳过。 (database not empty: use --reset or --if-empty)"
            )
        try:
            seed_province(
                scale=SCALES[opts["scale"]],
                seed=opts["seed"],
                province=opts["province"] or settings.EDUPLUS_PROVINCE,
                stdout=self.stdout,
                reset=opts["reset"],
                accounts=not opts["no_accounts"],
            )
        except (SeedRefused, ValueError) as exc:
            raise CommandError(str(exc)) from exc
