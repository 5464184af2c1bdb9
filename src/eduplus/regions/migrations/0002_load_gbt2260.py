"""Load the GB/T 2260 divisions shipped in regions/data so a fresh database holds them."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    rows = []
    with (DATA / "provinces.csv").open(encoding="utf-8") as fh:
        rows += [Region(code=r["code"], name=r["name"], level=1) for r in csv.DictReader(fh)]
    with (DATA / "cities.csv").open(encoding="utf-8") as fh:
        rows += [
            Region(code=r["code"], name=r["name"], level=2, parent_id=r["provinceCode"])
            for r in csv.DictReader(fh)
        ]
    with (DATA / "areas.csv").open(encoding="utf-8") as fh:
        rows += [
            Region(code=r["code"], name=r["name"], level=3, parent_id=r["cityCode"])
            for r in csv.DictReader(fh)
        ]
    Region.objects.bulk_create(rows, batch_size=500)


def unload(apps, schema_editor):
    apps.get_model("regions", "Region").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
