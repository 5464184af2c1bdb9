"""Source records' links to their golden persons move to a narrow table of their own.

A resolution run used to rewrite every linked record's wide row to set ``person_id``;
it now writes one (record, person, probability) row each. The existing links are
copied across (and back, when migrating backwards).

On SQLite the table's key is declared ``integer`` rather than Django's ``bigint``: an
INTEGER PRIMARY KEY is the rowid itself, so each link is one B-tree insert instead of
two (the row, and a separate unique index on ``bigint`` keys). A later migration that
remakes the table would give the ``bigint`` key back; that only costs speed.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

COPY_FORWARD = (
    "INSERT INTO governance_recordlink (record_id, person_id, match_probability) "
    "SELECT id, person_id, match_probability FROM governance_sourcerecord "
    "WHERE person_id IS NOT NULL"
)
COPY_BACK = (
    "UPDATE governance_sourcerecord SET person_id = l.person_id, "
    "match_probability = l.match_probability FROM governance_recordlink l "
    "WHERE l.record_id = governance_sourcerecord.id"
)


def rowid_key(apps: Any, schema_editor: Any) -> None:
    """On SQLite, recreate the (still empty) table with the record id as its rowid."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'governance_recordlink'"
        )
        table = cursor.fetchone()[0]
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name = 'governance_recordlink'"
        )
        indexes = [row[0] for row in cursor.fetchall()]
        rowid = table.replace('"record_id" bigint NOT NULL PRIMARY KEY', '"record_id" integer NOT NULL PRIMARY KEY')
        if rowid == table:
            return
        cursor.execute('DROP TABLE "governance_recordlink"')
        cursor.execute(rowid)
        for sql in indexes:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0004_fewer_indexes"),
        ("people", "0004_golden_id_unique_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordLink",
            fields=[
                (
                    "record",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="link",
                        serialize=False,
                        to="governance.sourcerecord",
                        verbose_name="来源记录",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="record_links",
                        to="people.person",
                        verbose_name="人员",
                    ),
                ),
                (
                    "match_probability",
                    models.FloatField(blank=True, null=True, verbose_name="匹配概率"),
                ),
            ],
            options={
                "verbose_name": "记录归属",
                "verbose_name_plural": "记录归属",
                "indexes": [models.Index(fields=["person"], name="reclink_person_idx")],
            },
        ),
        migrations.RunPython(rowid_key, migrations.RunPython.noop),
        migrations.RunSQL(COPY_FORWARD, COPY_BACK),
        migrations.RemoveIndex(model_name="sourcerecord", name="srcrec_person_idx"),
        migrations.RemoveField(model_name="sourcerecord", name="match_probability"),
        migrations.RemoveField(model_name="sourcerecord", name="person"),
    ]
