from django.db import migrations


def load(apps, schema_editor):
    from eduplus.monitoring.catalog import catalog_load

    catalog_load(
        Region=apps.get_model("regions", "Region"),
        PolicyDocument=apps.get_model("monitoring", "PolicyDocument"),
        Indicator=apps.get_model("monitoring", "Indicator"),
        IndicatorTarget=apps.get_model("monitoring", "IndicatorTarget"),
        CampusStandard=apps.get_model("monitoring", "CampusStandard"),
        CampusStandardItem=apps.get_model("monitoring", "CampusStandardItem"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
        ("regions", "0002_load_gbt2260"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
