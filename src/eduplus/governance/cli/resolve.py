"""``eduplus data resolve [--full]``: identity resolution into golden records."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eduplus.core.audit import audit_record
from eduplus.governance.resolution import resolve

HELP = "身份解析：把各来源记录归并为每人一条主数据（增量；--full 全量重算）"

_PHASES = {
    "load": gettext_noop("读取来源记录"),
    "predict": gettext_noop("Splink 比对候选记录对"),
    "cluster": gettext_noop("聚类"),
    "persons": gettext_noop("确定人员"),
    "golden values": gettext_noop("取定每项主数据值"),
    "write": gettext_noop("写入主数据"),
    "done": gettext_noop("完成"),
}


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--full", action="store_true", help=_("全量重算（默认只比对尚未归并的新记录）")
    )


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    def progress(phase: str, done: int, total: int) -> None:
        if phase != "done":
            print(f"… {_(_PHASES.get(phase, phase))}", file=sys.stderr, flush=True)

    result = resolve(full=options["full"], progress=progress)
    audit_record(
        actor=None,
        action="governance.resolve",
        target_type="governance.resolutionrun",
        target_id=str(result.pk),
        username="cli",
        details={"via": "cli", "mode": result.mode, "records": result.records},
    )
    command.stdout.write(
        _(
            "身份解析（%(mode)s）：来源记录 %(records)d 条，新记录 %(new)d 条，"
            "候选对 %(pairs)d 个；"
            "新建人员 %(created)d 人，关联已有人员 %(linked)d 人；待审核 %(review)d 对，"
            "数据冲突 %(conflicts)d 项；用时 %(seconds).1f 秒（其中 Splink %(splink).1f 秒）"
        )
        % {
            "mode": result.mode,
            "records": result.records,
            "new": result.new_records,
            "pairs": result.pairs,
            "created": result.persons_created,
            "linked": result.persons_linked,
            "review": result.review_items,
            "conflicts": result.conflicts,
            "seconds": result.total_seconds,
            "splink": result.splink_seconds,
        }
    )
