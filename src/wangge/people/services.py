"""Writes to base data. Every service is keyword-only, runs in a transaction,
takes the acting user and checks the scope rule: the target area must lie
under the actor's areas (else 404, as if it did not exist) and the actor's
role there must edit base data (else 403).

Placement columns (`district`, `grid`, `micro_grid`, `area_path`) are never
set by callers: a building takes them from its grid and micro-grid, a
household from its building, a resident from its household; moving a
building or household moves what is in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404

from wangge.areas.models import Area
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.teams.scope import scope_for

from . import rules
from .models import Building, CareGroup, Household, Organization, Resident, ResidentCareGroup

NOT_FOUND = "未找到，或不在您的管辖范围内"


def _invalid(field: str, message: str) -> DomainError:
    return DomainError("invalid", message, status=422, details={field: message})


def _check(field: str, fn: Callable[..., Any], *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except rules.Invalid as exc:
        raise _invalid(field, exc.message) from exc


def _require_edit(actor, path: str) -> None:
    scope = scope_for(actor)
    if not scope.covers(path):
        raise Http404(NOT_FOUND)
    if not scope.edits_base_data(path):
        raise PermissionDenied("forbidden", "您的角色不能修改该区域的基础数据")


def _require_care(actor, path: str) -> None:
    if not scope_for(actor).sees_care(path):
        raise PermissionDenied("forbidden", "您的角色不能查看或修改重点人群信息")


def _place(grid: Area, micro_grid: Area | None) -> rules.Place:
    return _check("micro_grid_id" if micro_grid else "grid_id", rules.place_in, grid, micro_grid)


def _unknown_fields(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise _invalid(sorted(unknown)[0], f"不能修改字段：{'、'.join(sorted(unknown))}")


# ------------------------------------------------------------------ buildings


def _building_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "code" in values:
        out["code"] = _check("code", rules.building_code, values["code"])
    if "name" in values:
        out["name"] = _check("name", rules.text, values["name"], label="楼栋名称", max_length=100, required=True)  # fmt: skip
    if "address" in values:
        out["address"] = _check("address", rules.text, values["address"], label="地址", max_length=200, required=True)  # fmt: skip
    if "kind" in values:
        out["kind"] = _check("kind", rules.building_kind, values["kind"])
    if "floors" in values:
        out["floors"] = _check("floors", rules.positive_int, values["floors"], label="层数", maximum=200)  # fmt: skip
    if "lng" in values:
        out["lng"] = _check("lng", rules.lng, values["lng"])
    if "lat" in values:
        out["lat"] = _check("lat", rules.lat, values["lat"])
    return out


def _unique_building(building: Building) -> None:
    clash = Building.objects.filter(grid_id=building.grid_id, code=building.code)
    if building.pk:
        clash = clash.exclude(pk=building.pk)
    if clash.exists():
        raise Conflict("duplicate_building", f"本网格已有楼栋编码 {building.code}")


@transaction.atomic
def building_create(
    *,
    actor,
    grid: Area,
    micro_grid: Area | None = None,
    code: str,
    name: str,
    address: str,
    kind: str = Building.Kind.RESIDENTIAL,
    floors: int | None = None,
    lng: float | None = None,
    lat: float | None = None,
) -> Building:
    place = _place(grid, micro_grid)
    _require_edit(actor, place.area_path)
    fields = _building_fields(
        {
            "code": code,
            "name": name,
            "address": address,
            "kind": kind,
            "floors": floors,
            "lng": lng,
            "lat": lat,
        }  # fmt: skip
    )
    building = Building(**fields)
    place.apply(building)
    _unique_building(building)
    building.save()
    return building


BUILDING_CHANGES = frozenset(
    ["grid", "micro_grid", "code", "name", "address", "kind", "floors", "lng", "lat"]
)


@transaction.atomic
def building_update(*, actor, building: Building, changes: Mapping[str, Any]) -> Building:
    """`changes` maps field names to new values; `grid`/`micro_grid` are Areas
    (moving the building moves its households and residents too)."""
    _unknown_fields(changes, BUILDING_CHANGES)
    building = Building.objects.select_for_update().get(pk=building.pk)
    _require_edit(actor, building.area_path)
    for field, value in _building_fields(changes).items():
        setattr(building, field, value)
    if "grid" in changes or "micro_grid" in changes:
        grid = changes.get("grid") or building.grid
        micro_grid = changes.get("micro_grid", building.micro_grid)
        if "grid" in changes and "micro_grid" not in changes:
            micro_grid = None
        place = _place(grid, micro_grid)
        _require_edit(actor, place.area_path)
        if place.differs(building):
            place.apply(building)
            _unique_building(building)
            building.save()
            _move_contents(building, place)
            return building
    _unique_building(building)
    building.save()
    return building


def _place_columns(place: rules.Place) -> dict[str, Any]:
    return {
        "district_id": place.district_id,
        "grid_id": place.grid_id,
        "micro_grid_id": place.micro_grid_id,
        "area_path": place.area_path,
    }


def _move_contents(building: Building, place: rules.Place) -> None:
    columns = _place_columns(place)
    Household.objects.filter(building=building).update(**columns)
    Resident.objects.filter(household__building=building).update(**columns)


@transaction.atomic
def building_delete(*, actor, building: Building) -> None:
    _require_edit(actor, building.area_path)
    if building.households.exists():
        raise Conflict("building_not_empty", "该楼栋下还有住户，不能删除")
    building.delete()


# ----------------------------------------------------------------- households


def default_household_address(building: Building, unit: str, room: str) -> str:
    unit_part = f"{unit}单元" if unit and not unit.endswith("单元") else unit
    room_part = f"{room}室" if room and not room.endswith(("室", "号")) else room
    return f"{building.address}{unit_part}{room_part}"[:200]


def _household_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "unit" in values:
        out["unit"] = _check("unit", rules.text, values["unit"], label="单元", max_length=20)
    if "room" in values:
        out["room"] = _check("room", rules.text, values["room"], label="室号", max_length=20, required=True)  # fmt: skip
    if "size" in values:
        out["size"] = _check("size", rules.positive_int, values["size"], label="户人数", maximum=99, required=True)  # fmt: skip
    if "address" in values:
        out["address"] = _check("address", rules.text, values["address"], label="住址", max_length=200)  # fmt: skip
    return out


def _unique_household(household: Household) -> None:
    clash = Household.objects.filter(
        building_id=household.building_id, unit=household.unit, room=household.room
    )
    if household.pk:
        clash = clash.exclude(pk=household.pk)
    if clash.exists():
        unit = f"{household.unit}单元" if household.unit else ""
        raise Conflict("duplicate_household", f"该楼栋已有{unit}{household.room}室")


@transaction.atomic
def household_create(
    *,
    actor,
    building: Building,
    unit: str = "",
    room: str,
    size: int = 1,
    address: str = "",
) -> Household:
    _require_edit(actor, building.area_path)
    fields = _household_fields({"unit": unit, "room": room, "size": size, "address": address})
    household = Household(building=building, **fields)
    household.address = household.address or default_household_address(
        building, household.unit, household.room
    )
    rules.Place.of(building).apply(household)
    _unique_household(household)
    household.save()
    return household


HOUSEHOLD_CHANGES = frozenset(["building", "unit", "room", "size", "address"])


@transaction.atomic
def household_update(*, actor, household: Household, changes: Mapping[str, Any]) -> Household:
    """`building` moves the household (and its residents) to another building."""
    _unknown_fields(changes, HOUSEHOLD_CHANGES)
    household = Household.objects.select_for_update().get(pk=household.pk)
    _require_edit(actor, household.area_path)
    for field, value in _household_fields(changes).items():
        setattr(household, field, value)
    moved = False
    if "building" in changes and changes["building"].pk != household.building_id:
        building: Building = changes["building"]
        _require_edit(actor, building.area_path)
        household.building = building
        rules.Place.of(building).apply(household)
        moved = True
    if not household.address:
        household.address = default_household_address(
            household.building, household.unit, household.room
        )
    _unique_household(household)
    household.save()
    if moved:
        Resident.objects.filter(household=household).update(
            **_place_columns(rules.Place.of(household))
        )
    return household


@transaction.atomic
def household_delete(*, actor, household: Household) -> None:
    _require_edit(actor, household.area_path)
    if household.residents.exists():
        raise Conflict("household_not_empty", "该户下还有居民，不能删除")
    household.delete()


# ------------------------------------------------------------------ residents


def _resident_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in values:
        out["name"] = _check("name", rules.text, values["name"], label="姓名", max_length=50, required=True)  # fmt: skip
    if "relationship" in values:
        out["relationship"] = _check("relationship", rules.relationship, values["relationship"])
    if "residence" in values:
        out["residence"] = _check("residence", rules.residence, values["residence"])
    if "registered_address" in values:
        out["registered_address"] = _check("registered_address", rules.text, values["registered_address"], label="户籍地址", max_length=200)  # fmt: skip
    if "is_party_member" in values:
        out["is_party_member"] = bool(values["is_party_member"])
    if "phone" in values:
        phone = _check("phone", rules.phone, values["phone"])
        out.update(phone_enc=phone.encrypt(), phone_hash=phone.hash, phone_masked=phone.masked)
    return out


def _apply_id_number(
    resident: Resident, raw: str, sex: str | None, birth_date: dt.date | None
) -> None:
    number = _check("id_number", rules.id_number, raw)
    try:
        rules.check_sex_and_birth(number, sex, birth_date)
    except rules.Invalid as exc:
        raise _invalid("sex" if "性别" in exc.message else "birth_date", exc.message) from exc
    clash = Resident.objects.filter(id_number_hash=number.hash)
    if resident.pk:
        clash = clash.exclude(pk=resident.pk)
    if clash.exists():
        raise Conflict("duplicate_id_number", "该身份证号已登记，不能重复添加")
    resident.id_number_enc = number.encrypt()
    resident.id_number_hash = number.hash
    resident.id_number_masked = number.masked
    resident.sex = number.sex
    resident.birth_date = number.birth_date


def _save_resident(resident: Resident) -> None:
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:  # a concurrent insert of the same ID number
        raise Conflict("duplicate_id_number", "该身份证号已登记，不能重复添加") from exc


@transaction.atomic
def resident_create(
    *,
    actor,
    household: Household,
    name: str,
    id_number: str,
    relationship: str,
    phone: str = "",
    residence: str = Resident.Residence.REGISTERED,
    registered_address: str = "",
    is_party_member: bool = False,
    sex: str | None = None,
    birth_date: dt.date | None = None,
    care_groups: Iterable[CareGroup] | None = None,
) -> Resident:
    """Sex and birth date are read from the ID number; when given they must agree."""
    _require_edit(actor, household.area_path)
    fields = _resident_fields(
        {
            "name": name,
            "relationship": relationship,
            "residence": residence,
            "registered_address": registered_address,
            "is_party_member": is_party_member,
            "phone": phone,
        }  # fmt: skip
    )
    resident = Resident(household=household, **fields)
    rules.Place.of(household).apply(resident)
    _apply_id_number(resident, id_number, sex, birth_date)
    _save_resident(resident)
    if care_groups is not None:
        resident_set_care_groups(actor=actor, resident=resident, groups=care_groups)
    return resident


RESIDENT_CHANGES = frozenset(
    [
        "household",
        "name",
        "id_number",
        "phone",
        "relationship",
        "residence",
        "registered_address",
        "is_party_member",
    ]  # fmt: skip
)


@transaction.atomic
def resident_update(*, actor, resident: Resident, changes: Mapping[str, Any]) -> Resident:
    """`id_number` and `phone` are clear values (re-encrypted); `household`
    moves the resident."""
    _unknown_fields(changes, RESIDENT_CHANGES)
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    _require_edit(actor, resident.area_path)
    for field, value in _resident_fields(changes).items():
        setattr(resident, field, value)
    if "id_number" in changes:
        _apply_id_number(resident, changes["id_number"], None, None)
    if "household" in changes and changes["household"].pk != resident.household_id:
        household: Household = changes["household"]
        _require_edit(actor, household.area_path)
        resident.household = household
        rules.Place.of(household).apply(resident)
    _save_resident(resident)
    return resident


@transaction.atomic
def resident_delete(*, actor, resident: Resident) -> None:
    """Delete a resident recorded by mistake. One with history elsewhere (care
    pairs, points, votes: rows that must outlive a typo fix) is refused with
    409 and nothing is deleted."""
    _require_edit(actor, resident.area_path)
    try:
        with transaction.atomic():
            resident.delete()
    except (ProtectedError, RestrictedError) as exc:
        blocking = getattr(exc, "protected_objects", None) or exc.restricted_objects
        kinds = "、".join(sorted({str(obj._meta.verbose_name) for obj in blocking}))
        raise Conflict("resident_has_records", f"该居民已有{kinds}等记录，不能删除") from exc


@transaction.atomic
def resident_set_care_groups(
    *, actor, resident: Resident, groups: Iterable[CareGroup], since: dt.date | None = None
) -> list[CareGroup]:
    """Replace the resident's care groups; links that stay keep their date."""
    _require_edit(actor, resident.area_path)
    _require_care(actor, resident.area_path)
    wanted = {g.pk: g for g in groups}
    inactive = [g.name for g in wanted.values() if not g.is_active]
    if inactive:
        raise _invalid("care_groups", f"重点人群类别已停用：{'、'.join(inactive)}")
    current = set(resident.care_links.values_list("group_id", flat=True))
    ResidentCareGroup.objects.filter(resident=resident, group_id__in=current - set(wanted)).delete()
    ResidentCareGroup.objects.bulk_create(
        [
            ResidentCareGroup(resident=resident, group_id=pk, since=since)
            for pk in set(wanted) - current
        ]
    )
    return sorted(wanted.values(), key=lambda g: (g.sort, g.pk))


# -------------------------------------------------------------- organizations


def _organization_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in values:
        out["name"] = _check("name", rules.text, values["name"], label="单位名称", max_length=200, required=True)  # fmt: skip
    if "uscc" in values:
        out["uscc"] = _check("uscc", rules.uscc, values["uscc"])
    if "kind" in values:
        out["kind"] = _check("kind", rules.organization_kind, values["kind"])
    if "address" in values:
        out["address"] = _check("address", rules.text, values["address"], label="地址", max_length=200, required=True)  # fmt: skip
    if "contact_name" in values:
        out["contact_name"] = _check("contact_name", rules.text, values["contact_name"], label="联系人", max_length=50)  # fmt: skip
    if "contact_phone" in values:
        out["contact_phone"] = _check("contact_phone", rules.clear_phone, values["contact_phone"])
    if "employees" in values:
        out["employees"] = _check("employees", rules.positive_int, values["employees"], label="从业人数", maximum=10_000_000)  # fmt: skip
    if "lng" in values:
        out["lng"] = _check("lng", rules.lng, values["lng"])
    if "lat" in values:
        out["lat"] = _check("lat", rules.lat, values["lat"])
    return out


def _unique_organization(org: Organization) -> None:
    clash = Organization.objects.filter(uscc=org.uscc)
    if org.pk:
        clash = clash.exclude(pk=org.pk)
    if clash.exists():
        raise Conflict("duplicate_uscc", "该统一社会信用代码已登记")


@transaction.atomic
def organization_create(
    *,
    actor,
    grid: Area,
    micro_grid: Area | None = None,
    name: str,
    uscc: str,
    kind: str,
    address: str,
    contact_name: str = "",
    contact_phone: str = "",
    employees: int | None = None,
    lng: float | None = None,
    lat: float | None = None,
) -> Organization:
    place = _place(grid, micro_grid)
    _require_edit(actor, place.area_path)
    fields = _organization_fields(
        {
            "name": name,
            "uscc": uscc,
            "kind": kind,
            "address": address,
            "contact_name": contact_name,
            "contact_phone": contact_phone,
            "employees": employees,
            "lng": lng,
            "lat": lat,
        }  # fmt: skip
    )
    org = Organization(**fields)
    place.apply(org)
    _unique_organization(org)
    org.save()
    return org


ORGANIZATION_CHANGES = frozenset(
    [
        "grid",
        "micro_grid",
        "name",
        "uscc",
        "kind",
        "address",
        "contact_name",
        "contact_phone",
        "employees",
        "lng",
        "lat",
    ]  # fmt: skip
)


@transaction.atomic
def organization_update(
    *, actor, organization: Organization, changes: Mapping[str, Any]
) -> Organization:
    _unknown_fields(changes, ORGANIZATION_CHANGES)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    _require_edit(actor, org.area_path)
    for field, value in _organization_fields(changes).items():
        setattr(org, field, value)
    if "grid" in changes or "micro_grid" in changes:
        grid = changes.get("grid") or org.grid
        micro_grid = changes.get("micro_grid", org.micro_grid)
        if "grid" in changes and "micro_grid" not in changes:
            micro_grid = None
        place = _place(grid, micro_grid)
        _require_edit(actor, place.area_path)
        place.apply(org)
    _unique_organization(org)
    org.save()
    return org


@transaction.atomic
def organization_delete(*, actor, organization: Organization) -> None:
    _require_edit(actor, organization.area_path)
    organization.delete()
