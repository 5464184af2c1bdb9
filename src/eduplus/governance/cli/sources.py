"""``eduplus data sources``: the source systems and the authoritative source of every
data item (一数一源)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils.translation import gettext as _

from eduplus.governance.models import DataItem, ItemAuthority, SourceSystem

HELP = "列出来源系统及各数据项的权威来源（一数一源）"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--items", action="store_true", help=_("同时列出每个来源提供的数据项"))


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    write = command.stdout.write
    labels = dict(DataItem.choices)
    sources = SourceSystem.objects.annotate(batches_count=Count("batches")).order_by("code")
    write(_("来源系统："))
    if not sources:
        write(_("  （尚未登记来源系统）"))
    for s in sources:
        state = _("启用") if s.active else _("停用")
        write(
            f"  {s.code:<10} {s.name}  [{s.get_kind_display()} · {s.get_person_type_display()} · "
            f"{state}] " + _("批次 %(n)d") % {"n": s.batches_count}
        )
        if options.get("items"):
            write("             " + "、".join(str(labels.get(i, i)) for i in s.items or []))
    write("")
    write(_("数据项权威来源（一数一源）："))
    authorities = {a.item: a.source.code for a in ItemAuthority.objects.select_related("source")}
    for item, label in DataItem.choices:
        write(f"  {item:<16} {label:<8} → {authorities.get(item, _('（未指定）'))}")
