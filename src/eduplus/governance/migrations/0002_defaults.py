from django.db import migrations


def forwards(apps, schema_editor):
    from eduplus.governance.defaults import apply_defaults

    apply_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
