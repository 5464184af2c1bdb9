"""Keeping the shared test database usable around transactional tests.

A live-server or ``transaction=True`` test ends with a flush (DELETE of every table).
The audit log's append-only triggers (core migration 0002) refuse that DELETE, so the
flush would fail and leave the test's rows behind in a ``--reuse-db`` database; and a
successful flush also deletes the GB/T 2260 regions that a data migration loaded, which
every other test needs. Such tests drop the audit triggers just before the flush and put
both the triggers and the regions back afterwards.
"""

from __future__ import annotations

import importlib

from django.db import connection

_AUDIT_MIGRATION = "eduplus.core.migrations.0002_audit_append_only"
_REGIONS_MIGRATION = "eduplus.regions.migrations.0002_load_gbt2260"


def _audit_sql(enable: bool) -> list[str]:
    migration = importlib.import_module(_AUDIT_MIGRATION)
    if connection.vendor == "postgresql":
        drop, create = migration.POSTGRES_REVERSE, migration.POSTGRES
    else:
        drop, create = migration.SQLITE_REVERSE, migration.SQLITE
    return [*drop, *create] if enable else list(drop)


def set_audit_triggers(*, enabled: bool) -> None:
    with connection.cursor() as cursor:
        for sql in _audit_sql(enabled):
            cursor.execute(sql)


def ensure_regions() -> None:
    """Reload the region tree (as migration regions 0002 does) if a flush removed it."""
    from django.apps import apps

    from eduplus.regions.models import Region

    if not Region.objects.exists():
        importlib.import_module(_REGIONS_MIGRATION).load(apps, None)


def restore_shared_database() -> None:
    ensure_regions()
    set_audit_triggers(enabled=True)
