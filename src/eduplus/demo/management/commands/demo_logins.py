"""``eduplus demo_logins``: the demo accounts, their roles and where they apply."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from eduplus.demo.accounts import demo_login_rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = "Print the demo accounts (username, password, role, scope)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="where the platform is served (make demo passes its HOST and PORT)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        rows = demo_login_rows()
        header = ("账号 account", "密码 password", "角色 role", "范围 scope")
        table = [
            (r.username, r.password, f"{r.role_zh} {r.role_en}",
             r.anchor if r.exists else "（未创建 not seeded）")
            for r in rows
        ]  # fmt: skip
        widths = [max(_width(row[i]) for row in [header, *table]) for i in range(3)]
        self.stdout.write(f"EduPlus 演示账号 demo logins  {opts['url'].rstrip('/')}/login/")
        for row in [header, *table]:
            cells = [_pad(row[i], widths[i]) for i in range(3)] + [row[3]]
            self.stdout.write("  " + "  ".join(cells))
        if not any(r.exists for r in rows):
            self.stdout.write("还没有演示账号：先运行 eduplus seed。 (run `eduplus seed` first)")
