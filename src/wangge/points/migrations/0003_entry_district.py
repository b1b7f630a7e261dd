"""Ledger lines carry their grid's district: the partition key when the
ledger is partitioned by district (`wangge partition`, docs/scale.md). The
backfill passes the append-only triggers by dropping them for the update;
they are reinstalled right after (and after every migrate)."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = (
    "UPDATE points_pointsentry SET district_id = (SELECT a.id FROM areas_area a "
    "WHERE a.level = 'district' AND a.path = substr(points_pointsentry.area_path, 1, length(a.path))) "
    "WHERE district_id IS NULL"
)


def backfill(apps, schema_editor):
    from wangge.points.ledger import drop_triggers, install_triggers

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The new key's deferred checks must not be pending at the next ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        drop_triggers(connection)
        cursor.execute(BACKFILL)
        install_triggers(connection)


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("points", "0002_ledger_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="pointsentry",
            name="district",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
                db_index=False,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pointsentry",
            name="district",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
                db_index=False,
            ),
        ),
    ]
