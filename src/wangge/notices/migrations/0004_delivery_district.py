"""Deliveries carry their household's district: the partition key when the
table is partitioned by district (`wangge partition`, docs/scale.md)."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = (
    "UPDATE notices_delivery SET district_id = (SELECT h.district_id FROM people_household h "
    "WHERE h.id = notices_delivery.household_id) WHERE district_id IS NULL"
)


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("notices", "0003_delivery_no_fk_indexes"),
        ("people", "0002_builtin_care_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="district",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="areas.area",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="delivery",
            name="district",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="areas.area",
            ),
        ),
    ]
