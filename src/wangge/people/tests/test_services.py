import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from wangge.core import crypto
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.people import services
from wangge.people.models import Building, Household, Resident
from wangge.people.tests.factories import id_number_for
from wangge.teams.roles import Role


@pytest.fixture
def worker(make_staff, tree):
    return make_staff(Role.GRID_WORKER, tree.grid_a1a_1)


# ------------------------------------------------------------------ buildings


def test_building_create_fills_placement_from_micro_grid(worker, tree):
    b = services.building_create(
        actor=worker, grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_2, code="7",
        name="7幢", address="芦席汇路7号",
    )  # fmt: skip
    b.refresh_from_db()
    assert b.code == "00007"
    assert (b.district_id, b.grid_id, b.micro_grid_id) == (
        tree.district_a.pk,
        tree.grid_a1a_1.pk,
        tree.mg_a1a_1_2.pk,
    )
    assert b.area_path == tree.mg_a1a_1_2.path


def test_building_create_rejects_micro_grid_of_another_grid(worker, tree):
    with pytest.raises(DomainError) as exc:
        services.building_create(
            actor=worker, grid=tree.grid_a1a_1, micro_grid=tree.mg_a1b_1_1, code="1",
            name="x", address="y",
        )  # fmt: skip
    assert exc.value.message == "微网格不属于所选网格"


def test_building_in_dedicated_grid_has_no_micro_grid(make_staff, tree):
    leader = make_staff(Role.COMMUNITY_CADRE, tree.community_a1a)
    with pytest.raises(DomainError) as exc:
        services.building_create(
            actor=leader, grid=tree.grid_a1a_2, micro_grid=tree.mg_a1a_1_1, code="1",
            name="x", address="y",
        )  # fmt: skip
    assert exc.value.message == "专属网格不设微网格"
    b = services.building_create(
        actor=leader, grid=tree.grid_a1a_2, code="1", name="教学楼", address="学校路1号"
    )
    assert b.micro_grid_id is None and b.area_path == tree.grid_a1a_2.path


def test_building_create_outside_scope_is_not_found(worker, tree):
    with pytest.raises(Http404):
        services.building_create(
            actor=worker, grid=tree.grid_b1a_1, code="1", name="x", address="y"
        )


def test_building_create_needs_an_editing_role(make_staff, tree):
    dispatcher = make_staff(Role.DISPATCHER, tree.street_a1)
    with pytest.raises(PermissionDenied):
        services.building_create(
            actor=dispatcher, grid=tree.grid_a1a_1, code="1", name="x", address="y"
        )


def test_building_code_is_unique_within_grid(worker, world):
    with pytest.raises(DomainError) as exc:
        services.building_create(
            actor=worker, grid=world.tree.grid_a1a_1, code="00001", name="x", address="y"
        )
    assert exc.value.code == "duplicate_building"
    assert exc.value.status == 409


def test_building_update_moving_micro_grid_moves_households_and_residents(worker, world):
    tree = world.tree
    services.building_update(
        actor=worker,
        building=world.building_a,
        changes={"micro_grid": tree.mg_a1a_1_2, "floors": 9},
    )
    world.building_a.refresh_from_db()
    assert world.building_a.floors == 9
    assert world.building_a.area_path == tree.mg_a1a_1_2.path
    assert set(Household.objects.filter(building=world.building_a).values_list("area_path", flat=True)) == {tree.mg_a1a_1_2.path}  # fmt: skip
    assert set(Resident.objects.filter(household=world.household_a).values_list("micro_grid_id", flat=True)) == {tree.mg_a1a_1_2.pk}  # fmt: skip


def test_building_update_rejects_unknown_fields(worker, world):
    with pytest.raises(DomainError) as exc:
        services.building_update(
            actor=worker, building=world.building_a, changes={"area_path": "1"}
        )
    assert exc.value.code == "invalid"


def test_building_delete_refuses_when_households_live_there(worker, world, tree):
    with pytest.raises(DomainError) as exc:
        services.building_delete(actor=worker, building=world.building_a)
    assert exc.value.code == "building_not_empty"
    empty = services.building_create(actor=worker, grid=tree.grid_a1a_1, code="9", name="9幢", address="z")  # fmt: skip
    services.building_delete(actor=worker, building=empty)
    assert not Building.objects.filter(pk=empty.pk).exists()


# ----------------------------------------------------------------- households


def test_household_create_takes_place_from_building_and_default_address(worker, world):
    h = services.household_create(actor=worker, building=world.building_a, unit="2", room="502")
    assert h.area_path == world.building_a.area_path
    assert h.micro_grid_id == world.building_a.micro_grid_id
    assert h.address == f"{world.building_a.address}2单元502室"


def test_household_duplicate_room_is_a_conflict(worker, world):
    h = world.household_a
    with pytest.raises(DomainError) as exc:
        services.household_create(actor=worker, building=h.building, unit=h.unit, room=h.room)
    assert exc.value.code == "duplicate_household"


def test_household_update_moves_residents(worker, world):
    services.household_update(
        actor=worker,
        household=world.household_a,
        changes={"building": world.building_a2, "size": 5},
    )
    world.household_a.refresh_from_db()
    assert world.household_a.size == 5
    assert world.household_a.area_path == world.building_a2.area_path
    world.head_a.refresh_from_db()
    assert world.head_a.area_path == world.building_a2.area_path


def test_household_update_to_foreign_building_is_not_found(make_staff, world):
    worker_b = make_staff(Role.GRID_WORKER, world.tree.grid_a1b_1)
    with pytest.raises(Http404):
        services.household_update(
            actor=worker_b, household=world.household_b, changes={"building": world.building_a}
        )


def test_household_delete_refuses_with_residents(worker, world):
    with pytest.raises(DomainError) as exc:
        services.household_delete(actor=worker, household=world.household_a)
    assert exc.value.code == "household_not_empty"
    services.household_delete(actor=worker, household=services.household_create(actor=worker, building=world.building_a, room="999"))  # fmt: skip


# ------------------------------------------------------------------ residents


def test_resident_create_derives_sex_and_birth_and_encrypts(worker, world):
    number = id_number_for(5001, born=dt.date(1948, 2, 29))
    r = services.resident_create(
        actor=worker, household=world.household_a, name="孙大爷", id_number=number.lower(),
        phone="138-5731-2345", relationship="父母", residence="流动人口",
    )  # fmt: skip
    r.refresh_from_db()
    assert r.birth_date == dt.date(1948, 2, 29)
    assert r.sex == ("M" if int(number[16]) % 2 else "F")
    assert r.relationship == "parent" and r.residence == "migrant"
    assert number not in r.id_number_enc and crypto.decrypt(r.id_number_enc) == number
    assert r.id_number_hash == crypto.keyed_hash(number)
    assert r.id_number_masked == number[:6] + "********" + number[-4:]
    assert crypto.decrypt(r.phone_enc) == "13857312345"
    assert r.phone_masked == "138****2345"
    assert r.area_path == world.household_a.area_path


def test_resident_create_rejects_bad_check_digit(worker, world):
    number = id_number_for(5002)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(DomainError) as exc:
        services.resident_create(
            actor=worker, household=world.household_a, name="x", id_number=wrong,
            relationship="head",
        )  # fmt: skip
    assert exc.value.details == {"id_number": "身份证号校验位错误"}


def test_resident_create_rejects_sex_or_birth_mismatch(worker, world):
    number = id_number_for(5003, born=dt.date(1990, 5, 1))
    other_sex = "F" if int(number[16]) % 2 else "M"
    with pytest.raises(DomainError) as exc:
        services.resident_create(
            actor=worker, household=world.household_a, name="x", id_number=number,
            relationship="head", sex=other_sex,
        )  # fmt: skip
    assert exc.value.message == "性别与身份证号不一致"
    with pytest.raises(DomainError) as exc:
        services.resident_create(
            actor=worker, household=world.household_a, name="x", id_number=number,
            relationship="head", birth_date=dt.date(1990, 5, 2),
        )  # fmt: skip
    assert exc.value.message == "出生日期与身份证号不一致"


def test_resident_create_rejects_bad_phone(worker, world):
    with pytest.raises(DomainError) as exc:
        services.resident_create(
            actor=worker, household=world.household_a, name="x", id_number=id_number_for(5004),
            relationship="head", phone="12345",
        )  # fmt: skip
    assert "phone" in exc.value.details


def test_resident_duplicate_id_number_gives_a_clear_error(make_staff, world):
    # Even when the other record is outside the actor's scope.
    worker_x = make_staff(Role.GRID_WORKER, world.tree.grid_b1a_1)
    number = crypto.decrypt(world.head_a.id_number_enc)
    with pytest.raises(DomainError) as exc:
        services.resident_create(
            actor=worker_x, household=world.household_x, name="x", id_number=number,
            relationship="head",
        )  # fmt: skip
    assert exc.value.code == "duplicate_id_number"
    assert exc.value.message == "该身份证号已登记，不能重复添加"


def test_resident_update_changes_id_and_moves(worker, world):
    number = id_number_for(5005, born=dt.date(2001, 1, 2))
    r = services.resident_update(
        actor=worker, resident=world.head_a,
        changes={"id_number": number, "household": world.household_a2, "phone": ""},
    )  # fmt: skip
    r.refresh_from_db()
    assert r.id_number_hash == crypto.keyed_hash(number) and r.birth_date == dt.date(2001, 1, 2)
    assert r.household_id == world.household_a2.pk and r.area_path == world.household_a2.area_path
    assert r.phone_enc == "" and r.phone_masked == ""


def test_resident_update_in_foreign_area_is_not_found(worker, world):
    with pytest.raises(Http404):
        services.resident_update(actor=worker, resident=world.resident_x, changes={"name": "x"})


def test_resident_delete(worker, world):
    services.resident_delete(actor=worker, resident=world.spouse_a)
    assert not Resident.objects.filter(pk=world.spouse_a.pk).exists()


def test_resident_with_a_care_pair_is_not_deleted(worker, world):
    from wangge.visits.models import CarePair

    r = world.spouse_a
    services.resident_set_care_groups(actor=worker, resident=r, groups=[world.hardship])
    CarePair.objects.create(
        resident=r, group=world.hardship, district_id=r.district_id, grid_id=r.grid_id,
        area_path=r.area_path, carer_kind="volunteer", carer_name="志愿者", interval_days=7,
        since=dt.date(2026, 11, 1), next_due_at=timezone.now(),
    )  # fmt: skip
    with pytest.raises(Conflict) as exc:
        services.resident_delete(actor=worker, resident=r)
    assert exc.value.code == "resident_has_records" and "不能删除" in exc.value.message
    assert Resident.objects.filter(pk=r.pk).exists()
    assert r.care_links.count() == 1  # nothing of the resident went either


def test_resident_set_care_groups_replaces_the_set(worker, world):
    r = world.spouse_a
    services.resident_set_care_groups(actor=worker, resident=r, groups=[world.hardship])
    assert list(r.care_links.values_list("group_id", flat=True)) == [world.hardship.pk]
    services.resident_set_care_groups(actor=worker, resident=r, groups=[])
    assert not r.care_links.exists()


def test_resident_set_care_groups_needs_care_right(make_staff, world):
    # A part-time worker edits base data and sees care groups; a grid
    # assistant does neither.
    assistant = make_staff(Role.GRID_ASSISTANT, world.tree.grid_a1a_1)
    with pytest.raises(PermissionDenied):
        services.resident_set_care_groups(
            actor=assistant, resident=world.spouse_a, groups=[world.hardship]
        )


# -------------------------------------------------------------- organizations


def test_organization_create_validates_uscc(make_staff, tree):
    cadre = make_staff(Role.COMMUNITY_CADRE, tree.community_a1a)
    from wangge.core.idnumbers import make_uscc

    code = make_uscc("330402", 4242)
    org = services.organization_create(
        actor=cadre, grid=tree.grid_a1a_2, name="嘉兴一中", uscc=code.lower(), kind="学校",
        address="学校路1号", contact_phone="0573-82012345",
    )  # fmt: skip
    assert org.uscc == code and org.kind == "school" and org.contact_phone == "057382012345"
    assert org.area_path == tree.grid_a1a_2.path
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(DomainError) as exc:
        services.organization_create(
            actor=cadre, grid=tree.grid_a1a_2, name="x", uscc=bad, kind="school", address="y"
        )
    assert exc.value.details == {"uscc": "统一社会信用代码校验位错误"}
    with pytest.raises(DomainError) as exc:
        services.organization_create(
            actor=cadre, grid=tree.grid_a1a_1, name="x", uscc=code, kind="school", address="y"
        )
    assert exc.value.code == "duplicate_uscc"


def test_organization_update_and_delete(make_staff, world):
    cadre = make_staff(Role.COMMUNITY_CADRE, world.tree.community_a1a)
    org = services.organization_update(
        actor=cadre, organization=world.org_a,
        changes={"grid": world.tree.grid_a1a_1, "micro_grid": world.tree.mg_a1a_1_1, "employees": 12},
    )  # fmt: skip
    org.refresh_from_db()
    assert org.area_path == world.tree.mg_a1a_1_1.path and org.employees == 12
    services.organization_delete(actor=cadre, organization=org)
    with pytest.raises(Http404):
        services.organization_delete(actor=cadre, organization=world.org_x)
