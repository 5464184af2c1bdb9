"""Seed the textbook catalog (学段 → 学科 → 教材版本 → 年级 → 册 → 章节) and the
thematic collections (专题教育) from resources/catalog_data.py."""

from django.db import migrations


def load(apps, schema_editor):
    from eduplus.resources.catalog import catalog_load

    catalog_load(CatalogNode=apps.get_model("resources", "CatalogNode"),
                 Topic=apps.get_model("resources", "Topic"))


class Migration(migrations.Migration):
    dependencies = [("resources", "0002_search_index")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
