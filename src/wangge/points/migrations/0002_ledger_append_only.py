"""The ledger refuses UPDATE and DELETE (see wangge/points/ledger.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from wangge.points.ledger import install_triggers

    install_triggers(schema_editor.connection)


def drop(apps, schema_editor):
    from wangge.points.ledger import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(install, drop)]
