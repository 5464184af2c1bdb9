"""``eduplus data import FILE [FILE ...] --source CODE [--region CODE] [--map 列名=数据项]``.

Imports each file as a batch, drawing a progress bar on stderr for one file, then
prints rows read / accepted (of which suspicious) / rejected and the error report's
path per batch. Several files (a county's schools exported from the same system) are
imported one after the other, the next read while the current one is written. Exit
codes: 0 nothing rejected, 1 some rows rejected (the others are imported), 2 a file
cannot be imported at all (the reason is printed).
"""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from eduplus.governance import normalize
from eduplus.governance.importing import PHASE_LABELS, ImportFailure, batch_import_files
from eduplus.governance.models import BatchStatus, ImportBatch

HELP = "导入来源数据文件（CSV / Excel）：eduplus data import 文件 --source 来源代码"

EXIT_REJECTED = 1
EXIT_UNREADABLE = 2


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="+",
        help=_("数据文件（CSV：UTF-8 / GBK / GB18030；Excel .xlsx / .xls），可多个"),
    )
    parser.add_argument(
        "--source", required=True, help=_("来源系统代码，如 xueji、zizhu、tizhi、renshi")
    )
    parser.add_argument("--region", help=_("导入区域的区划代码（默认为本省）"))
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="列名=数据项",
        help=_("指定列映射，可重复，如 --map 学生名字=name；数据项：%(items)s")
        % {"items": ", ".join(normalize.MAPPABLE_ITEMS)},
    )
    parser.add_argument("--no-progress", action="store_true", help=_("不显示进度条"))


def parse_mapping(values: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        header, sep, item = value.partition("=")
        header, item = header.strip(), item.strip()
        if not sep or not header:
            raise CommandError(
                _("--map 应写成 列名=数据项，如 --map 学生名字=name（收到：%(v)s）") % {"v": value},
                returncode=EXIT_UNREADABLE,
            )
        if item and item not in normalize.MAPPABLE_ITEMS:
            raise CommandError(
                _("--map %(v)s：数据项“%(item)s”不存在，可用：%(items)s")
                % {"v": value, "item": item, "items": ", ".join(normalize.MAPPABLE_ITEMS)},
                returncode=EXIT_UNREADABLE,
            )
        mapping[header] = item
    return mapping


class ProgressBar:
    """A one-line bar on a terminal (redrawn in place); one line per phase otherwise."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.phase = ""
        self.started = time.monotonic()
        self.drawn = False

    def __call__(self, done: int, total: int, phase: str) -> None:
        label = _(PHASE_LABELS.get(phase, phase))
        if phase in ("done", "failed"):
            self.finish()
            return
        if self.tty:
            share = done / total if total else 0.0
            filled = int(self.WIDTH * share)
            bar = "█" * filled + "░" * (self.WIDTH - filled)
            counts = f" {done:,}/{total:,}" if total else ""
            seconds = time.monotonic() - self.started
            self.stream.write(f"\r{label:<8} [{bar}] {share:4.0%}{counts} {seconds:5.1f}s\x1b[K")
            self.stream.flush()
            self.drawn = True
        elif phase != self.phase:
            total_text = f"（{total:,} 行）" if total else ""
            self.stream.write(f"… {label}{total_text}\n")
            self.stream.flush()
        self.phase = phase

    def finish(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    mapping = parse_mapping(options.get("map") or [])
    files = options["file"] if isinstance(options["file"], list) else [options["file"]]
    several = len(files) > 1
    bar = None if options.get("no_progress") or several else ProgressBar(sys.stderr)
    started = time.time()
    try:
        batches = batch_import_files(
            [(options["source"], f) for f in files],
            region_code=options.get("region") or None,
            mapping=mapping or None,
            progress=bar,
        )
    except ImportFailure as exc:
        if bar:
            bar.finish()
        raise CommandError(str(exc), returncode=EXIT_UNREADABLE) from exc
    if bar:
        bar.finish()
    problems = [_report(command, batch, started) for batch in batches]
    unreadable = [p for code, p in problems if code == EXIT_UNREADABLE]
    if unreadable:
        raise CommandError("\n".join(unreadable), returncode=EXIT_UNREADABLE)
    rejected = [p for code, p in problems if code == EXIT_REJECTED]
    if rejected:
        raise CommandError("\n".join(rejected), returncode=EXIT_REJECTED)


def _report(command: BaseCommand, batch: ImportBatch, started: float) -> tuple[int, str]:
    """Print a batch's figures; answers (exit code, the problem to end with)."""
    write = command.stdout.write
    if batch.status == BatchStatus.FAILED:
        return EXIT_UNREADABLE, _("批次 #%(pk)s 导入失败，没有写入任何记录：%(reason)s") % {
            "pk": batch.pk,
            "reason": batch.failure,
        }
    if batch.status in (BatchStatus.QUEUED, BatchStatus.RUNNING):
        return EXIT_UNREADABLE, _(
            "同一文件正由另一进程导入（批次 #%(pk)s，%(status)s），请稍后查看该批次"
        ) % {"pk": batch.pk, "status": batch.get_status_display()}
    if batch.finished_at is not None and batch.finished_at.timestamp() < started:
        write(
            _("该文件已从同一来源导入过（批次 #%(pk)s），本次未重复导入，数据没有变化。")
            % {"pk": batch.pk}
        )
    if batch.status == BatchStatus.ROLLED_BACK:
        write(_("批次 #%(pk)s 已回滚。") % {"pk": batch.pk})
    write(_("批次：#%(pk)s（%(source)s，%(file)s）") % {
        "pk": batch.pk, "source": batch.source.code, "file": batch.file_name,
    })  # fmt: skip
    write(_("读取行数：%(n)d") % {"n": batch.rows_read})
    write(
        _("接受行数：%(n)d（其中存疑 %(s)d）")
        % {"n": batch.rows_accepted, "s": batch.rows_suspicious}
    )
    write(_("拒绝行数：%(n)d") % {"n": batch.rows_rejected})
    if batch.error_report_path:
        write(_("错误报告：%(path)s") % {"path": batch.error_report_path})
    else:
        write(_("错误报告：无（没有被拒绝或存疑的行）"))
    if batch.rows_rejected:
        return EXIT_REJECTED, _(
            "批次 #%(pk)s 有 %(n)d 行被拒绝（原因见错误报告），其余行已导入"
        ) % {"pk": batch.pk, "n": batch.rows_rejected}
    return 0, ""
