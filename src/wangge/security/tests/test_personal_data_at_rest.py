"""ID numbers and phone numbers are never in the database in clear: every
text column of every table is read back raw (SQL, not the ORM) after a
resident is registered, a case reported with a callback phone, an export and
an unmask have been logged, and the write audit has run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from wangge.core.idnumbers import make_id_number

ID_NUMBER = make_id_number("330402", dt.date(1958, 7, 9), 23, "M")
PHONE = "13987654321"
HOTLINE_PHONE = "13911112222"


def _raw_dump() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            for row in cursor.fetchall():
                chunks.append(f"{table}: " + " ".join(_text(v) for v in row))
    return "\n".join(chunks)


def _text(value) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


@pytest.mark.django_db
def test_no_clear_id_number_or_phone_anywhere(tree, make_staff):
    from wangge.audit import recorder
    from wangge.cases.services import case_report
    from wangge.people.models import Household, Resident
    from wangge.people.services import building_create, household_create, resident_create

    worker = make_staff("grid_worker", tree.grid_a1a_1)
    with recorder.context(label="登记", actor=worker):
        building = building_create(actor=worker, grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_1,
                                   code="81", name="静态楼", address="静态路1号")
        household = household_create(actor=worker, building=building, room="202")
        resident = resident_create(actor=worker, household=Household.objects.get(pk=household.pk),
                                   name="赵六", id_number=ID_NUMBER, relationship="head",
                                   phone=PHONE)
    # it is there, readable through the model (decrypted)
    assert Resident.objects.get(pk=resident.pk).decrypted_id_number() == ID_NUMBER
    case_report(actor=worker, description="路灯不亮", area=tree.mg_a1a_1_1,
                reporter_name="钱七", reporter_phone=HOTLINE_PHONE, check_scope=False)
    dump = _raw_dump()
    assert "赵六" in dump  # the dump does read the rows
    for secret in (ID_NUMBER, ID_NUMBER[-8:], PHONE, HOTLINE_PHONE):
        found = [line[:120] for line in dump.splitlines() if secret in line]
        assert not found, f"{secret} stored in clear: {found}"


@pytest.mark.django_db
def test_login_phone_of_an_account_is_not_in_clear(tree, rf):
    """accounts.User.phone: ciphertext plus a keyed hash, still the login
    name (password and SMS code) and still unique."""
    from django.contrib.auth import authenticate

    from wangge.accounts.models import User
    from wangge.accounts.services import resident_register, user_create_staff
    from wangge.core import crypto
    from wangge.core.errors import Conflict

    user = resident_register(phone=PHONE, password="pass-Wangge-2026", name="孙八",
                             grid=tree.grid_a1a_1)
    staff = user_create_staff(username="wgy_sun", name="孙网格", phone=HOTLINE_PHONE,
                              password="pass-Wangge-2026")
    dump = _raw_dump()
    assert "孙八" in dump and "wgy_sun" in dump
    for secret in (PHONE, HOTLINE_PHONE):
        found = [line[:120] for line in dump.splitlines() if secret in line]
        assert not found, f"{secret} stored in clear: {found}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone_enc, phone_hash FROM accounts_user WHERE id = %s",
                       [user.pk])
        enc, hashed = cursor.fetchone()
    assert crypto.decrypt(enc) == PHONE and hashed == crypto.keyed_hash(PHONE)
    assert User.objects.get(pk=user.pk).phone == PHONE
    assert User.objects.get(pk=staff.pk).phone == HOTLINE_PHONE
    # still the login name, still unique
    def log_in(login):
        return authenticate(rf.post("/login/"), username=login, password="pass-Wangge-2026")

    assert log_in(PHONE) == user and log_in("139 1111 2222") == staff
    assert log_in("13900000000") is None
    # failed sign-ins typed with a phone (an account's, or nobody's) leave no
    # clear phone in the audit log or the lockout table either
    from django.test import Client

    for typed in (PHONE, "139 1111 2222", "13900000000"):
        Client().post("/accounts/login/", {"username": typed, "password": "wrong-password"})
    dump = _raw_dump()
    assert "login_failed" in dump and "139****0000" in dump
    for secret in (PHONE, HOTLINE_PHONE, "13900000000", "139 1111 2222"):
        found = [line[:120] for line in dump.splitlines() if secret in line]
        assert not found, f"{secret} stored in clear: {found}"
    with pytest.raises(Conflict):
        resident_register(phone="+86 139-8765-4321", password="pass-Wangge-2026", name="冒名",
                          grid=tree.grid_a1a_1)
