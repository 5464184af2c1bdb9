"""Keeping the shared test database usable around transactional tests.

A live-server or ``transaction=True`` test ends with a flush (DELETE of every table).
The audit log's append-only triggers (core migration 0002) refuse that DELETE, so the
flush would fail and leave the test's rows behind in a ``--reuse-db`` database; and a
successful flush also deletes the GB/T 2260 regions and the monitoring and resources
catalogues that data migrations loaded, which every other test needs. Such tests drop the audit
triggers just before the flush and put the triggers, the regions and the catalogue back
afterwards.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
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


def ensure_monitoring_catalog() -> None:
    """Reload the shipped indicators, targets and standards (monitoring 0002)."""
    from eduplus.monitoring import models as m
    from eduplus.monitoring.catalog import catalog_load
    from eduplus.regions.models import Region

    if not m.Indicator.objects.exists():
        catalog_load(
            Region=Region,
            PolicyDocument=m.PolicyDocument,
            Indicator=m.Indicator,
            IndicatorTarget=m.IndicatorTarget,
            CampusStandard=m.CampusStandard,
            CampusStandardItem=m.CampusStandardItem,
        )


def ensure_resources_catalog() -> None:
    """Reload the textbook catalog and thematic collections (resources 0003)."""
    from eduplus.resources.catalog import catalog_load
    from eduplus.resources.models import CatalogNode, Topic

    if not CatalogNode.objects.exists():
        catalog_load(CatalogNode=CatalogNode, Topic=Topic)


def restore_shared_database() -> None:
    from eduplus.governance.defaults import ensure_defaults

    ensure_regions()
    ensure_monitoring_catalog()
    ensure_resources_catalog()
    ensure_defaults()
    set_audit_triggers(enabled=True)


# Fixtures for modules of transactional tests. Import both into the test module:
#     from eduplus.testing.database import flushable_database, shared_database_restored
# pytest picks fixtures up from the module's namespace; both are autouse.


@pytest.fixture(scope="module", autouse=True)
def shared_database_restored(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """After the module (and so after its last flush): regions and audit triggers back."""
    yield
    with django_db_blocker.unblock():
        restore_shared_database()


@pytest.fixture(autouse=True)
def flushable_database() -> Iterator[None]:
    """Set up after pytest-django's database fixture, so torn down before its flush:
    the audit triggers would make the flush fail, so they go just before it."""
    yield from _around_flush()


def _around_flush() -> Iterator[None]:
    restore_shared_database()  # an earlier test's flush removed the regions
    yield
    set_audit_triggers(enabled=False)  # the flush after the test deletes everything


@pytest.fixture
def committed_db(transactional_db: Any) -> Iterator[None]:
    """For one test that commits (``django_db(transaction=True)``), in a module that
    also imports :func:`shared_database_restored`: the shared rows back before, the
    audit triggers off before pytest-django's flush after."""
    yield from _around_flush()
