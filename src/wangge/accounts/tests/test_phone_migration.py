"""accounts 0003 turns the clear phone column of existing users into
ciphertext + keyed hash (and back when reversed), on whichever database the
tests run (SQLite, or PostgreSQL with WANGGE_TEST_DATABASE_URL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from wangge.core import crypto

BEFORE = [("accounts", "0002_otp_code")]
AFTER = [("accounts", "0003_user_phone_encrypted")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _columns() -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(
            cursor, "accounts_user")}


@pytest.mark.django_db(transaction=True)
def test_existing_phones_become_ciphertext_and_hash_and_back():
    old_apps = _migrate(BEFORE)
    try:
        OldUser = old_apps.get_model("accounts", "User")
        for i in range(5):
            OldUser.objects.create(username=f"m{i}", password="!", phone=f"1380000{i:04d}")
        OldUser.objects.create(username="nophone", password="!", phone=None)

        _migrate(AFTER)
        assert "phone" not in _columns()
        with connection.cursor() as cursor:
            cursor.execute("SELECT username, phone_enc, phone_hash FROM accounts_user")
            rows = {u: (enc, h) for u, enc, h in cursor.fetchall()}
        for i in range(5):
            enc, h = rows[f"m{i}"]
            assert f"1380000{i:04d}" not in enc
            assert crypto.decrypt(enc) == f"1380000{i:04d}"
            assert h == crypto.keyed_hash(f"1380000{i:04d}")
        assert rows["nophone"] == ("", None)

        from wangge.accounts.models import User

        assert User.objects.with_phone("13800000003").get().username == "m3"

        back = _migrate(BEFORE)
        assert "phone_enc" not in _columns()
        assert back.get_model("accounts", "User").objects.get(username="m4").phone == "13800000004"
    finally:
        _migrate(AFTER)
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
