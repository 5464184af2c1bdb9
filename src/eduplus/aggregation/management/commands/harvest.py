"""``eduplus harvest [--source NAME]``: harvest the enabled sources now (资源汇聚).

Runs in the foreground (the page queues the same work as a background job). The
``eduplus resources …`` group does not exist; this command is the CLI entry point.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from eduplus.aggregation.harvest import run_harvest
from eduplus.aggregation.models import HarvestSource, RunState
from eduplus.aggregation.services import harvest_start


class Command(BaseCommand):
    help = "Harvest resources from the enabled feed sources (资源汇聚)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--source", help="harvest only the source with this name")

    def handle(self, *args: Any, **options: Any) -> None:
        sources = HarvestSource.objects.select_related("school", "region").order_by("name")
        name = options.get("source")
        if name:
            sources = sources.filter(name=name)
            if not sources.exists():
                raise CommandError(f"no harvest source named {name!r}")
        else:
            sources = sources.filter(enabled=True)
        failed = False
        for source in sources:
            try:
                run = harvest_start(actor=None, source=source, trigger="cli")
            except ValidationError as exc:
                self.stderr.write(f"{source.name}: {'; '.join(exc.messages)}")
                failed = True
                continue
            run = run_harvest(run)
            self.stdout.write(
                f"{source.name}: {run.state} — pages {run.pages}, created {run.created}, "
                f"updated {run.updated}, unchanged {run.unchanged}, "
                f"duplicates {run.skipped_duplicate}, own {run.skipped_own}, "
                f"withdrawn {run.withdrawn}, failed {run.failed}"
            )
            if run.error:
                self.stderr.write(f"  {run.error}")
            for failure in run.failures[:20]:
                self.stderr.write(f"  {failure['origin']}: {failure['reason']}")
            failed = failed or run.state in (RunState.FAILED, RunState.PARTIAL)
        if failed:
            raise CommandError("some harvests did not complete; see above")
