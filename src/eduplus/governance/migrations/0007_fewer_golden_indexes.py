import django.db.models.deletion
from django.db import migrations, models

from eduplus.core.migration_ops import drop_field_indexes


# The indexes go without rebuilding the tables (see drop_field_indexes).
class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0006_drop_record_id_number_index"),
        ("people", "0004_golden_id_unique_index"),
        ("schools", "0002_school_rollup_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                drop_field_indexes(
                    "governance", [("goldenrecord", "school"), ("valueconflict", "person")]
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="goldenrecord",
                    name="school",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="schools.school",
                    ),
                ),
                migrations.AlterField(
                    model_name="valueconflict",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.person",
                        verbose_name="人员",
                    ),
                ),
            ],
        )
    ]
