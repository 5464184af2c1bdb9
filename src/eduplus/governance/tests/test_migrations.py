"""Migrations that move data: run forwards and backwards over real rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from eduplus.testing.database import (  # noqa: F401 - autouse, module scope: restores after flushes
    shared_database_restored,
)

BEFORE = ("governance", "0004_fewer_indexes")
AFTER = ("governance", "0005_record_links")


def migrate(target: tuple[str, str]) -> Any:
    """Migrate the test database to ``target``; the apps (historical models) there."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_record_links_move_to_their_own_table_and_back(committed_db: Any) -> None:
    try:
        apps = migrate(BEFORE)
        Person = apps.get_model("people", "Person")
        SourceSystem = apps.get_model("governance", "SourceSystem")
        ImportBatch = apps.get_model("governance", "ImportBatch")
        SourceRecord = apps.get_model("governance", "SourceRecord")
        Region = apps.get_model("regions", "Region")
        person = Person.objects.create(name="迁移测试", golden_id="J410102000000000001")
        batch = ImportBatch.objects.create(
            source=SourceSystem.objects.get(code="xueji"),
            file_name="迁移.csv",
            file_sha256="f" * 64,
            region=Region.objects.get(code="41"),
            status="done",
        )
        common = {"batch": batch, "source": batch.source, "status": "accepted", "raw": {}}
        linked = SourceRecord.objects.create(
            row_number=2, record_key="1", person=person, match_probability=0.97, **common
        )
        unlinked = SourceRecord.objects.create(row_number=3, record_key="2", **common)

        apps = migrate(AFTER)
        RecordLink = apps.get_model("governance", "RecordLink")
        assert list(
            RecordLink.objects.values_list("record_id", "person_id", "match_probability")
        ) == [(linked.pk, person.pk, 0.97)]
        columns = {
            c.name
            for c in connection.introspection.get_table_description(
                connection.cursor(), "governance_sourcerecord"
            )
        }
        assert "person_id" not in columns and "match_probability" not in columns
        if connection.vendor == "sqlite":  # the record id is the rowid: no second B-tree
            with connection.cursor() as cursor:
                cursor.execute("SELECT rowid, record_id FROM governance_recordlink")
                assert cursor.fetchall() == [(linked.pk, linked.pk)]
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'governance_recordlink' "
                    "AND name LIKE 'sqlite_autoindex%'"
                )
                assert cursor.fetchone()[0] == 0

        apps = migrate(BEFORE)
        SourceRecord = apps.get_model("governance", "SourceRecord")
        assert dict(SourceRecord.objects.values_list("pk", "person_id")) == {
            linked.pk: person.pk,
            unlinked.pk: None,
        }
        assert SourceRecord.objects.get(pk=linked.pk).match_probability == 0.97
    finally:
        latest()
