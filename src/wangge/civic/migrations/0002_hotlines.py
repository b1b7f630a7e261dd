"""The two hotlines every resident can call, as directory entries that apply
everywhere (no area)."""

from django.db import migrations

HOTLINES = [
    {
        "name": "12345 政务服务便民热线",
        "category": "热线",
        "description": "咨询政策、反映诉求、投诉举报、提出建议，7×24 小时人工接听。",
        "hours": "全天 24 小时",
        "hotline": "12345",
        "online_url": "https://www.zjzwfw.gov.cn/",
        "sort": 1,
    },
    {
        "name": "96345 社会公共服务热线",
        "category": "热线",
        "description": "家政、维修、养老、助餐等生活服务的预约与转介。",
        "hours": "全天 24 小时",
        "hotline": "96345",
        "sort": 2,
    },
]


def add(apps, schema_editor):
    Service = apps.get_model("civic", "Service")
    for row in HOTLINES:
        Service.objects.get_or_create(hotline=row["hotline"], area=None, defaults=row)


def remove(apps, schema_editor):
    Service = apps.get_model("civic", "Service")
    Service.objects.filter(area=None, hotline__in=[h["hotline"] for h in HOTLINES]).delete()


class Migration(migrations.Migration):
    dependencies = [("civic", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
