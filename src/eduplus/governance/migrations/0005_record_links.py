"""Source records' links to their golden persons move to a narrow table of their own.

A resolution run used to rewrite every linked record's wide row to set ``person_id``;
it now writes one (record, person, probability) row each. The existing links are
copied across (and back, when migrating backwards).
"""

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
        migrations.RunSQL(COPY_FORWARD, COPY_BACK),
        migrations.RemoveIndex(model_name="sourcerecord", name="srcrec_person_idx"),
        migrations.RemoveField(model_name="sourcerecord", name="match_probability"),
        migrations.RemoveField(model_name="sourcerecord", name="person"),
    ]
