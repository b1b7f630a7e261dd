from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deliberation", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="topic",
            name="notified",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
    ]
