"""``eduplus data <subcommand>``: the data steward's command line (数据治理).

Subcommands live in ``eduplus.governance.cli.<module>``, each with ``add_arguments``
and ``run(command, options)``; this file only dispatches.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

# subcommand → module in eduplus.governance.cli
SUBCOMMANDS: dict[str, str] = {}


def _register() -> None:
    for name, module in [
        ("import", "importing"),
        ("resolve", "resolve"),
        ("export", "export"),
        ("quality", "quality"),
        ("sources", "sources"),
        ("recover", "recover"),
    ]:
        try:
            importlib.import_module(f"eduplus.governance.cli.{module}")
        except ModuleNotFoundError:
            continue
        SUBCOMMANDS[name] = module


class Command(BaseCommand):
    help = (
        "数据治理：导入、身份解析、导出、质量、恢复"
        "（import / resolve / export / quality / recover）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        _register()
        sub = parser.add_subparsers(dest="subcommand", required=True)
        for name, module in SUBCOMMANDS.items():
            mod = importlib.import_module(f"eduplus.governance.cli.{module}")
            p = sub.add_parser(name, help=getattr(mod, "HELP", ""))
            mod.add_arguments(p)

    def handle(self, *args: Any, **options: Any) -> None:
        module = importlib.import_module(
            f"eduplus.governance.cli.{SUBCOMMANDS[options['subcommand']]}"
        )
        module.run(self, options)
