"""Stored totals for 积分参与率 and 入户率 (see wangge/assessment/population.py):
residents and households per place, and residents' points per month, kept
by database triggers and filled here by a recount."""

from django.db import migrations, models


def install(apps, schema_editor):
    """Nothing here any more: 0007 adds `depth` and then installs the
    triggers and recounts (the code installs today's triggers, which need
    that column). Databases that ran this step earlier are recounted there."""


def drop(apps, schema_editor):
    conn = schema_editor.connection
    from wangge.assessment.population import trigger_names

    with conn.cursor() as cur:
        for name in trigger_names(conn):
            if conn.vendor == "postgresql":
                table = {"residents": "people_resident", "households": "people_household"}
                on = next((t for k, t in table.items() if k in name), "points_pointsentry")
                cur.execute(f"DROP TRIGGER IF EXISTS {name} ON {on}")
                cur.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0005_rollup_month"),
        ("people", "0002_builtin_care_groups"),
        ("points", "0004_redemption_expiry"),
    ]

    operations = [
        migrations.CreateModel(
            name="AreaPopulation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "area_path",
                    models.CharField(max_length=60, unique=True, verbose_name="区域路径"),
                ),
                ("residents", models.IntegerField(default=0, verbose_name="居民人数")),
                ("households", models.IntegerField(default=0, verbose_name="户数")),
            ],
            options={"verbose_name": "区域人口汇总", "verbose_name_plural": "区域人口汇总"},
        ),
        migrations.CreateModel(
            name="PointsMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("resident_id", models.IntegerField()),
                ("month", models.DateField(verbose_name="月份")),
                ("area_path", models.CharField(max_length=60, verbose_name="区域路径")),
                ("points", models.IntegerField(default=0, verbose_name="获得积分")),
            ],
            options={
                "verbose_name": "居民月度积分",
                "verbose_name_plural": "居民月度积分",
                "indexes": [models.Index(fields=["month", "area_path"], name="points_month_path")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("resident_id", "month"), name="points_month_key"
                    )
                ],
            },
        ),
        migrations.RunPython(install, drop),
    ]
