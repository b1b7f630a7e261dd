"""Redemption codes expire (points.expiry): `expires_at`, the `expired`
status, a partial index for the sweep. Codes already pending get the expiry
a code issued now would get, so none expires the moment this runs."""

from django.db import migrations, models
from django.utils import timezone


def set_expiry(apps, schema_editor):
    from wangge.points.expiry import code_expires_at

    Redemption = apps.get_model("points", "Redemption")
    now = timezone.now()
    pending = Redemption.objects.filter(status="pending", expires_at__isnull=True)
    for r in pending.select_related("shop"):
        days = sorted({int(d) for d in r.shop.exchange_days.split(",") if d.strip().isdigit()})
        r.expires_at = code_expires_at(days, max(now, r.created_at))
        r.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0003_entry_district"),
    ]

    operations = [
        migrations.AddField(
            model_name="redemption",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="兑换码有效期至"),
        ),
        migrations.AlterField(
            model_name="redemption",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "待领取"),
                    ("fulfilled", "已领取"),
                    ("cancelled", "已取消"),
                    ("expired", "已过期（积分已退回）"),
                ],
                default="pending",
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.AddIndex(
            model_name="redemption",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["expires_at"],
                name="points_redemption_expiring",
            ),
        ),
        migrations.RunPython(set_expiry, migrations.RunPython.noop),
    ]
