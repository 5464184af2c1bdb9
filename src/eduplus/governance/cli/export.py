"""``eduplus data export links|persons --out FILE.csv``."""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.governance.exports import export_links, export_persons

HELP = "导出：links（每条来源记录对应的人员编号）或 persons（主数据）"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("what", choices=["links", "persons"], help=_("导出内容"))
    parser.add_argument("--out", required=True, help=_("输出 CSV 文件路径"))


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    out = Path(options["out"])
    count: int | None = None
    # Written to a pipe whose reader stopped early (``--out /dev/stdout | head``): what
    # it read is audited below, and the command ends without a traceback.
    with suppress(BrokenPipeError):
        count = export_links(out) if options["what"] == "links" else export_persons(out)
    # A persons export holds personal data in full: the operator's read is audited.
    audit_record(
        actor=None,
        action=f"governance.export_{options['what']}",
        target_type="file",
        target_id=str(out)[:64],
        username="cli",
        details={"via": "cli", "rows": count, "complete": count is not None},
    )
    if count is None:
        _silence_stdout()
        raise SystemExit(1)
    command.stdout.write(_("已导出 %(count)d 行到 %(path)s") % {"count": count, "path": out})


def _silence_stdout() -> None:
    """Standard output to /dev/null: the pipe it may be is closed, and Python's flush at
    exit would report it once more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
