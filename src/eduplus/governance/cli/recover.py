"""``eduplus data recover [--minutes N] [--inline]``: rerun the imports a killed process
left behind (see ``importing.batches_recover``). ``make serve``, ``make demo`` and
``make worker`` run it before the background worker starts, so that a batch
interrupted by a restart is imported again instead of staying "running" for ever.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from eduplus.governance.importing import STALE_AFTER, batches_recover

HELP = "恢复被中断的导入：进程已不在的批次重新排队导入（文件已不存在的标记为失败）"


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--minutes",
        type=int,
        default=int(STALE_AFTER.total_seconds() // 60),
        help=_("无进度多少分钟视为中断（进程已退出的批次立即恢复）"),
    )
    parser.add_argument(
        "--inline", action="store_true", help=_("在本进程中立即导入，而不是交给后台任务")
    )


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    if options["minutes"] < 1:
        raise CommandError(_("--minutes 至少为 1"))
    recovered = batches_recover(
        stale_after=dt.timedelta(minutes=options["minutes"]), enqueue=not options["inline"]
    )
    if not recovered:
        command.stdout.write(_("没有被中断的导入批次"))
        return
    for batch in recovered:
        command.stdout.write(
            _("批次 %(id)d（%(file)s）：%(status)s")
            % {"id": batch.pk, "file": batch.file_name, "status": batch.get_status_display()}
        )
