"""accounts.User.phone moves out of clear text: each existing phone becomes
AES-GCM ciphertext (phone_enc) plus the keyed hash (phone_hash, unique) that
log-in and uniqueness look it up by; then the clear column is dropped.
Reversible: the backwards step decrypts into the restored column."""

from django.db import migrations, models

import wangge.accounts.models

BATCH = 2000


def encrypt_phones(apps, schema_editor):
    from wangge.core import crypto

    User = apps.get_model("accounts", "User")
    rows = User.objects.exclude(phone__isnull=True).exclude(phone="").only("pk", "phone")
    batch = []
    for user in rows.iterator(chunk_size=BATCH):
        user.phone_enc = crypto.encrypt(user.phone)
        user.phone_hash = crypto.keyed_hash(user.phone)
        batch.append(user)
        if len(batch) >= BATCH:
            User.objects.bulk_update(batch, ["phone_enc", "phone_hash"])
            batch = []
    if batch:
        User.objects.bulk_update(batch, ["phone_enc", "phone_hash"])


def decrypt_phones(apps, schema_editor):
    from wangge.core import crypto

    User = apps.get_model("accounts", "User")
    batch = []
    for user in User.objects.exclude(phone_enc="").only("pk", "phone_enc").iterator(
        chunk_size=BATCH
    ):
        user.phone = crypto.decrypt(user.phone_enc)
        batch.append(user)
        if len(batch) >= BATCH:
            User.objects.bulk_update(batch, ["phone"])
            batch = []
    if batch:
        User.objects.bulk_update(batch, ["phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_otp_code"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[("objects", wangge.accounts.models.WangUserManager())],
        ),
        migrations.AddField(
            model_name="user",
            name="phone_enc",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="手机号(密文)"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=40, null=True,
                verbose_name="手机号(检索哈希)",
            ),
        ),
        migrations.RunPython(encrypt_phones, decrypt_phones, elidable=False),
        migrations.AlterField(
            model_name="user",
            name="phone_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=40, null=True, unique=True,
                verbose_name="手机号(检索哈希)",
            ),
        ),
        migrations.RemoveField(
            model_name="user",
            name="phone",
        ),
    ]
