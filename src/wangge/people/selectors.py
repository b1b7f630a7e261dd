"""Reads of base data. Every query starts from `scoped()`; an id from a
request becomes an object only through an `access_*` function (404 when it
is not in the actor's scope, exactly as if it did not exist).

Masking is applied here, where rows become dicts, so no caller can forget it:
ID numbers and phones are always the stored `*_masked` columns (lists and
details never decrypt); care groups are shown only where the actor's role
sees them; clear values come only from `resident_unmask`, which is audited."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wangge.areas.models import Area, Level
from wangge.areas.paths import subtree_q
from wangge.audit.services import personal_data_access_record
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.masking import MASKED, mask_phone
from wangge.teams.roles import ROLE_CAPS
from wangge.teams.scope import Scope, scope_for, scoped

from .models import Building, CareGroup, Household, Organization, Resident, ResidentCareGroup

NOT_FOUND = "未找到，或不在您的管辖范围内"
MAX_PAGE_SIZE = 200
UNMASKABLE = ("id_number", "phone")


@dataclass
class Page:
    items: list[dict[str, Any]]
    count: int
    page: int
    page_size: int


def _paginate(qs: QuerySet, page: int, page_size: int) -> tuple[list, int, int, int]:
    page = max(1, page)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    count = qs.count()
    start = (page - 1) * page_size
    rows = list(qs[start : start + page_size]) if start < count else []
    return rows, count, page, page_size


# ---------------------------------------------------------------------- areas


def _area_visible(scope: Scope, path: str) -> bool:
    if scope.is_staff_scope:
        return scope.covers(path)
    home = scope.home_grid_path
    return bool(scope.household_id and home and (home.startswith(path) or path.startswith(home)))


def access_area(actor, area_id: int) -> Area:
    """An area the actor may look at (or filter by); 404 otherwise."""
    area = Area.objects.filter(pk=area_id, is_active=True).first()
    if area is None or not _area_visible(scope_for(actor), area.path):
        raise Http404(NOT_FOUND)
    return area


def access_grid(actor, area_id: int, *, level: str = Level.GRID) -> Area:
    area = Area.objects.filter(pk=area_id, is_active=True, level=level).first()
    if area is None or not scope_for(actor).covers(area.path):
        raise Http404(NOT_FOUND)
    return area


def _in_area(qs: QuerySet, actor, area_id: int | None) -> QuerySet:
    if area_id is None:
        return qs
    area = access_area(actor, area_id)
    return qs.filter(subtree_q(area.path, "area_path"))


# ------------------------------------------------------------------- fetching


def _access(qs: QuerySet, actor, pk: int):
    obj = scoped(qs, actor).filter(pk=pk).first()
    if obj is None:
        raise Http404(NOT_FOUND)
    return obj


def access_building(actor, building_id: int) -> Building:
    return _access(Building.objects.select_related("grid", "micro_grid"), actor, building_id)


def access_household(actor, household_id: int) -> Household:
    return _access(
        Household.objects.select_related("building", "grid", "micro_grid"), actor, household_id
    )


def access_resident(actor, resident_id: int) -> Resident:
    return _access(
        Resident.objects.select_related("household", "grid", "micro_grid"), actor, resident_id
    )


def access_organization(actor, organization_id: int) -> Organization:
    return _access(
        Organization.objects.select_related("grid", "micro_grid"), actor, organization_id
    )


# ---------------------------------------------------------------------- rows


def _place_row(obj) -> dict[str, Any]:
    return {
        "grid_id": obj.grid_id,
        "grid_name": obj.grid.name,
        "micro_grid_id": obj.micro_grid_id,
        "micro_grid_name": obj.micro_grid.name if obj.micro_grid_id else None,
    }


def building_row(b: Building) -> dict[str, Any]:
    return {
        "id": b.pk,
        "code": b.code,
        "name": b.name,
        "address": b.address,
        "kind": b.kind,
        "kind_label": b.get_kind_display(),
        "floors": b.floors,
        "lng": b.lng,
        "lat": b.lat,
        **_place_row(b),
    }


def household_row(h: Household) -> dict[str, Any]:
    return {
        "id": h.pk,
        "building_id": h.building_id,
        "building_code": h.building.code,
        "building_name": h.building.name,
        "unit": h.unit,
        "room": h.room,
        "size": h.size,
        "address": h.address,
        **_place_row(h),
    }


def age_on(birth_date: dt.date, today: dt.date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def resident_row(
    r: Resident, scope: Scope, care: dict[int, list[str]], today: dt.date
) -> dict[str, Any]:
    """`care` holds care group names for the residents whose care groups
    this actor may see; everyone else's are masked, present or not."""
    shows_care = scope.sees_care(r.area_path)
    return {
        "id": r.pk,
        "household_id": r.household_id,
        "address": r.household.address,
        "name": r.name,
        "sex": r.sex,
        "sex_label": r.get_sex_display(),
        "birth_date": r.birth_date,
        "age": age_on(r.birth_date, today),
        "id_number": r.id_number_masked,
        "phone": r.phone_masked,
        "relationship": r.relationship,
        "relationship_label": r.get_relationship_display(),
        "residence": r.residence,
        "residence_label": r.get_residence_display(),
        "registered_address": r.registered_address,
        "is_party_member": r.is_party_member,
        "care_groups": care.get(r.pk, []) if shows_care else None,
        "care_groups_masked": not shows_care,
        **_place_row(r),
    }


def organization_row(o: Organization, scope: Scope) -> dict[str, Any]:
    phone = o.contact_phone if scope.may_unmask(o.area_path) else mask_phone(o.contact_phone)
    return {
        "id": o.pk,
        "name": o.name,
        "uscc": o.uscc,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "address": o.address,
        "contact_name": o.contact_name,
        "contact_phone": phone,
        "employees": o.employees,
        "lng": o.lng,
        "lat": o.lat,
        **_place_row(o),
    }


def care_names(resident_ids: list[int]) -> dict[int, list[str]]:
    """Care group names per resident, in the groups' display order: one query."""
    out: dict[int, list[str]] = defaultdict(list)
    if not resident_ids:
        return out
    links = (
        ResidentCareGroup.objects.filter(resident_id__in=resident_ids)
        .order_by("group__sort", "group_id")
        .values_list("resident_id", "group__name")
    )
    for resident_id, name in links:
        out[resident_id].append(name)
    return out


def _resident_rows(residents: list[Resident], scope: Scope) -> list[dict[str, Any]]:
    visible = [r.pk for r in residents if scope.sees_care(r.area_path)]
    care = care_names(visible)
    today = timezone.localdate()
    return [resident_row(r, scope, care, today) for r in residents]


# --------------------------------------------------------------------- lists

PLACE_RELATED = ("grid", "micro_grid")


def building_list(
    *, actor, area_id: int | None = None, q: str = "", page: int = 1, page_size: int = 50
) -> Page:
    qs = scoped(Building.objects.select_related(*PLACE_RELATED), actor)
    qs = _in_area(qs, actor, area_id)
    if q.strip():
        qs = qs.filter(Q(name__contains=q.strip()) | Q(address__contains=q.strip()))
    rows, count, page, page_size = _paginate(qs.order_by("id"), page, page_size)
    return Page([building_row(b) for b in rows], count, page, page_size)


def household_list(
    *,
    actor,
    area_id: int | None = None,
    building_id: int | None = None,
    q: str = "",
    page: int = 1,
    page_size: int = 50,
) -> Page:
    qs = scoped(Household.objects.select_related("building", *PLACE_RELATED), actor)
    qs = _in_area(qs, actor, area_id)
    if building_id is not None:
        qs = qs.filter(building=access_building(actor, building_id))
    if q.strip():
        qs = qs.filter(address__contains=q.strip())
    rows, count, page, page_size = _paginate(qs.order_by("id"), page, page_size)
    return Page([household_row(h) for h in rows], count, page, page_size)


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _care_q(scope: Scope) -> Q:
    """Rows whose care groups the actor may see (to filter by care group
    without revealing membership anywhere else)."""
    if scope.unrestricted:
        return Q()
    paths = [g.path for g in scope.grants if ROLE_CAPS[g.role].sees_care]
    if not paths:
        raise PermissionDenied("forbidden", "您的角色不能按重点人群筛选")
    q = Q()
    for path in paths:
        q |= subtree_q(path, "area_path")
    return q


def care_group_by_key(key: str | int) -> CareGroup:
    key = str(key).strip()
    group = CareGroup.objects.filter(Q(code=key) | Q(name=key)).first()
    if group is None and key.isdigit():
        group = CareGroup.objects.filter(pk=int(key)).first()
    if group is None:
        raise DomainError("invalid", f"未知的重点人群类别：{key}", status=422)
    return group


def resident_list(
    *,
    actor,
    area_id: int | None = None,
    household_id: int | None = None,
    q: str = "",
    care_group: str | None = None,
    party_member: bool | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """`q` searches names; `care_group` is a group's code, name or id."""
    scope = scope_for(actor)
    qs = scoped(Resident.objects.select_related("household", *PLACE_RELATED), actor)
    qs = _in_area(qs, actor, area_id)
    if household_id is not None:
        qs = qs.filter(household=access_household(actor, household_id))
    if q.strip():
        qs = qs.filter(name__contains=q.strip())
    if care_group:
        qs = qs.filter(_care_q(scope))
        qs = qs.filter(
            pk__in=ResidentCareGroup.objects.filter(group=care_group_by_key(care_group)).values(
                "resident_id"
            )
        )
    if party_member is not None:
        qs = qs.filter(is_party_member=party_member)
    today = timezone.localdate()
    if age_min is not None:
        qs = qs.filter(birth_date__lte=_years_ago(today, age_min))
    if age_max is not None:
        qs = qs.filter(birth_date__gt=_years_ago(today, age_max + 1))
    rows, count, page, page_size = _paginate(qs.order_by("id"), page, page_size)
    return Page(_resident_rows(rows, scope), count, page, page_size)


def organization_list(
    *,
    actor,
    area_id: int | None = None,
    q: str = "",
    kind: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    scope = scope_for(actor)
    qs = scoped(Organization.objects.select_related(*PLACE_RELATED), actor)
    qs = _in_area(qs, actor, area_id)
    if q.strip():
        qs = qs.filter(Q(name__contains=q.strip()) | Q(uscc=q.strip().upper()))
    if kind:
        qs = qs.filter(kind=kind)
    rows, count, page, page_size = _paginate(qs.order_by("id"), page, page_size)
    return Page([organization_row(o, scope) for o in rows], count, page, page_size)


def care_group_list() -> list[CareGroup]:
    return list(CareGroup.objects.filter(is_active=True))


# -------------------------------------------------------------------- details


def building_detail(*, actor, building: Building) -> dict[str, Any]:
    return building_row(building)


def household_detail(*, actor, household: Household) -> dict[str, Any]:
    return household_row(household)


def resident_detail(*, actor, resident: Resident) -> dict[str, Any]:
    return _resident_rows([resident], scope_for(actor))[0]


def organization_detail(*, actor, organization: Organization) -> dict[str, Any]:
    return organization_row(organization, scope_for(actor))


# ------------------------------------------------------------------ unmasking


def resident_unmask(
    *, actor, resident: Resident, fields: list[str] | tuple[str, ...], reason: str, request=None
) -> dict[str, Any]:
    """Clear ID number and/or phone, for roles that need them, every call
    written to the personal-data access log."""
    if not scope_for(actor).may_unmask(resident.area_path):
        raise PermissionDenied("unmask_forbidden", "您的角色无权查看居民身份证号和电话明文")
    wanted = [f for f in UNMASKABLE if f in set(fields)]
    unknown = set(fields) - set(UNMASKABLE)
    if unknown or not wanted:
        raise DomainError("invalid", "可查看明文的字段只有身份证号(id_number)和电话(phone)", status=422)  # fmt: skip
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "请填写查看明文的事由", status=422)
    personal_data_access_record(
        actor=actor,
        action="unmask",
        subject_type="resident",
        subject_id=resident.pk,
        fields=wanted,
        area_path=resident.area_path,
        reason=reason,
        request=request,
    )
    out: dict[str, Any] = {"id": resident.pk, "id_number": None, "phone": None}
    if "id_number" in wanted:
        out["id_number"] = resident.decrypted_id_number()
    if "phone" in wanted:
        out["phone"] = resident.decrypted_phone()
    return out


def masked_care(value: list[str] | None) -> str:
    return MASKED if value is None else "、".join(value)
