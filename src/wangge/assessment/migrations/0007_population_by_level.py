"""AreaPopulation holds a row for every level of a place's path (city …
micro-grid), not only the place: the triggers are replaced and the table
recounted (see wangge/assessment/population.py)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from wangge.assessment.population import install_triggers, recount

    install_triggers(schema_editor.connection)
    recount(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("assessment", "0006_population_points_month")]

    operations = [
        migrations.AddField(
            model_name="areapopulation",
            name="depth",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="区域层级深度"),
        ),
        migrations.AddIndex(
            model_name="areapopulation",
            index=models.Index(
                fields=["depth", "area_path"],
                include=("residents", "households"),
                name="population_depth_cover",
            ),
        ),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
