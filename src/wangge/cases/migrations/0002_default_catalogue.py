"""Load the default catalogue (事项清单); cities edit it in the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from wangge.cases.catalogue import rows

    Category = apps.get_model("cases", "Category")
    majors = {}
    for row in rows():
        row = dict(row)
        parent = row.pop("parent")
        if parent is None:
            obj, _ = Category.objects.update_or_create(
                code=row["code"],
                defaults={**row, "handling": "time_limited", "deadline_days": 0, "departments": []},
            )
            majors[obj.code] = obj
        else:
            Category.objects.update_or_create(
                code=row["code"], defaults={**row, "parent": majors[parent]}
            )


def unload(apps, schema_editor):
    apps.get_model("cases", "Category").objects.filter(parent__isnull=False).delete()
    apps.get_model("cases", "Category").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
