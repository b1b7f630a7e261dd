from django.db import migrations

BUILTIN = [("elderly_alone", "孤寡老人", 10), ("hardship", "困难家庭", 20), ("disabled", "残障人士", 30)]


def add(apps, schema_editor):
    CareGroup = apps.get_model("people", "CareGroup")
    for code, name, sort in BUILTIN:
        CareGroup.objects.get_or_create(code=code, defaults={"name": name, "sort": sort, "builtin": True})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
