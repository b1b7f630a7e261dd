from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="fanout_cursor",
            field=models.BigIntegerField(default=0, editable=False),
        ),
    ]
