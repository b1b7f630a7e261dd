"""Key rotation: after `wangge rotate_keys` with a new data key first and a
new hash key, every encrypted column opens with the new key alone and every
look-up by keyed hash (log-in by phone, SMS code, ID number search) works."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection

from wangge.accounts.models import User
from wangge.accounts.services import resident_register
from wangge.audit.models import AuditEvent
from wangge.core import crypto
from wangge.core.rotation import SYSTEM_ACTOR
from wangge.people.models import Resident
from wangge.teams.tests.world import make_building, make_household, make_resident

OLD_KEY, NEW_KEY = "11" * 32, "22" * 32
OLD_HASH, NEW_HASH = "33" * 32, "44" * 32
PHONE = "13712345678"
PASSWORD = "pass-Wangge-2026"


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rotation_moves_every_column_to_the_new_keys(tree, settings, rf):
    settings.WANGGE_DATA_KEYS, settings.WANGGE_HASH_KEY = [OLD_KEY], OLD_HASH
    user = resident_register(phone=PHONE, password=PASSWORD, name="轮换", grid=tree.grid_a1a_1)
    household = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    resident = make_resident(household, name="钱老伯", phone="13812345678")
    id_number = resident.decrypted_id_number()
    old_user_enc = _raw("accounts_user", "phone_enc", user.pk)
    old_id_hash = _raw("people_resident", "id_number_hash", resident.pk)

    # new keys first, the old data key still there to read the old rows
    settings.WANGGE_DATA_KEYS, settings.WANGGE_HASH_KEY = [NEW_KEY, OLD_KEY], NEW_HASH
    assert authenticate(rf.post("/"), username=PHONE, password=PASSWORD) is None  # stale hash
    call_command("rotate_keys", "--batch-size", "1", stdout=open("/dev/null", "w"))  # noqa: SIM115
    event = AuditEvent.objects.filter(kind="batch").order_by("-pk").first()
    assert event.actor_label == SYSTEM_ACTOR
    assert event.changes["counts"]["rows"]["accounts.user"] >= 1
    assert event.changes["counts"]["rows"]["people.resident"] >= 1

    # the old data key is gone: everything still opens, every hash is new
    settings.WANGGE_DATA_KEYS = [NEW_KEY]
    assert _raw("accounts_user", "phone_enc", user.pk) != old_user_enc
    assert crypto.decrypt(_raw("accounts_user", "phone_enc", user.pk)) == PHONE
    assert _raw("people_resident", "id_number_hash", resident.pk) != old_id_hash
    fresh = Resident.objects.get(pk=resident.pk)
    assert fresh.decrypted_id_number() == id_number
    assert fresh.decrypted_phone() == "13812345678"
    assert Resident.objects.get(id_number_hash=crypto.keyed_hash(id_number)) == fresh
    assert User.objects.with_phone(PHONE).get() == user
    assert authenticate(rf.post("/"), username=PHONE, password=PASSWORD) == user
    with pytest.raises(ValueError):  # and the old key really is needed no more / not used
        settings.WANGGE_DATA_KEYS = [OLD_KEY]
        crypto.decrypt(_raw("accounts_user", "phone_enc", user.pk))


