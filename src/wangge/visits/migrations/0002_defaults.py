import datetime as dt

from django.db import migrations

# The defaults (Putuo, Hangzhou): every household at least 4 visits a
# year by its grid team, the grid goes in on the 5th, 15th and 25th (逢五进格);
# street cadres 10 households and 4 group visits a month; community cadres 15
# households a month.
RULES = [
    ("网格团队：每户每年至少走访4次，逢五进格", "grid_worker", {"household_visits_per_year": 4, "fixed_days": [5, 15, 25]}),
    ("镇街干部：每月走访10户、集体走访4次", "street_cadre", {"households_per_month": 10, "group_visits_per_month": 4}),
    ("村社区干部：每月走访15户", "community_cadre", {"households_per_month": 15}),
]
# Contact frequency per built-in care group (days).
FREQUENCIES = {"elderly_alone": 7, "disabled": 14, "hardship": 30}


def seed(apps, schema_editor):
    QuotaRule = apps.get_model("visits", "QuotaRule")
    CareFrequency = apps.get_model("visits", "CareFrequency")
    CareGroup = apps.get_model("people", "CareGroup")
    for name, role, fields in RULES:
        if not QuotaRule.objects.filter(role=role, area_path="", is_active=True).exists():
            QuotaRule.objects.create(
                name=name, role=role, area=None, area_path="", valid_from=dt.date(2026, 1, 1), **fields
            )
    for code, days in FREQUENCIES.items():
        group = CareGroup.objects.filter(code=code).first()
        if group is not None:
            CareFrequency.objects.get_or_create(group=group, defaults={"interval_days": days})


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0001_initial"),
        ("people", "0002_builtin_care_groups"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
