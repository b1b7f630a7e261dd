"""Writes of 党建: organizations, members, household links, dual registration.

Organizations and dual registrations are kept by those who manage an area
(`manages_users`: community and street cadres, city admin); members and
household links also by the grid team (`edits_base_data`: grid leader —
usually the grid branch secretary — and grid workers). Every service
validates first and writes in one transaction; bad input raises DomainError
(zh-Hans message, machine code) and changes nothing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.areas.models import Area, Level
from wangge.areas.paths import subtree_q
from wangge.core.errors import Conflict
from wangge.serviceteams.selectors import colleague
from wangge.serviceteams.services import invalid, require, save_unique
from wangge.teams.scope import scope_for

from .models import DualRegistration, HouseholdLink, PartyMember, PartyOrg
from .selectors import not_found

# Where each kind of organization may sit, and its rank in the tree.
KIND_LEVELS = {
    PartyOrg.Kind.COMMITTEE: (Level.DISTRICT, Level.STREET, Level.COMMUNITY),
    PartyOrg.Kind.GENERAL_BRANCH: (Level.STREET, Level.COMMUNITY),
    PartyOrg.Kind.BRANCH: (Level.COMMUNITY, Level.GRID),
    PartyOrg.Kind.GROUP: (Level.GRID, Level.MICRO_GRID),
}
KIND_RANK = {k: i for i, k in enumerate(KIND_LEVELS)}
MEMBER_KINDS = (PartyOrg.Kind.BRANCH, PartyOrg.Kind.GROUP)


_invalid = invalid


def _require(actor, path: str, *caps: str) -> None:
    require(actor, path, *caps, message="您没有维护党建信息的权限")


def max_links() -> int:
    return int(getattr(settings, "WANGGE_PARTY_MAX_LINKS", 30))


# --------------------------------------------------------------- organizations


def org_create(
    *,
    actor,
    area: Area,
    kind: str,
    name: str,
    parent: PartyOrg | None = None,
    secretary: str = "",
) -> PartyOrg:
    _require(actor, area.path, "manages_users")
    org = org_check(area=area, kind=kind, name=name, parent=parent)
    org.secretary = (secretary or "").strip()[:50]
    return save_unique(org, code="duplicate", message=f"{area.name}已有同名同类党组织")


def org_check(*, area: Area, kind: str, name: str, parent: PartyOrg | None) -> PartyOrg:
    """The rules of the tree, without writing (the generator uses them too)."""
    if kind not in KIND_LEVELS:
        raise _invalid("invalid_kind", "党组织类型应为党委、党总支、党支部或党小组", "kind")
    name = (name or "").strip()
    if not name:
        raise _invalid("required", "请填写党组织名称", "name")
    if len(name) > 100:
        raise _invalid("too_long", "党组织名称不能超过 100 个字", "name")
    label = PartyOrg.Kind(kind).label
    if area.level not in KIND_LEVELS[kind]:
        levels = "、".join(str(Level(lv).label) for lv in KIND_LEVELS[kind])
        raise _invalid("invalid_level", f"{label}只能建在{levels}一级", "area_id")
    if parent is None and kind != PartyOrg.Kind.COMMITTEE:
        raise _invalid("parent_required", f"{label}须有上级党组织", "parent_id")
    if parent is not None:
        if not parent.is_active:
            raise _invalid("parent_inactive", "上级党组织已撤销", "parent_id")
        if KIND_RANK[parent.kind] >= KIND_RANK[kind]:
            raise _invalid(
                "invalid_parent", f"{parent.get_kind_display()}不能作为{label}的上级", "parent_id"
            )
        if not area.path.startswith(parent.area_path):
            raise _invalid("outside_parent", f"{area.name}不在上级党组织的区域内", "area_id")
    return PartyOrg(area=area, area_path=area.path, kind=kind, name=name, parent=parent)


# --------------------------------------------------------------------- members


@transaction.atomic
def member_add(
    *,
    actor,
    org: PartyOrg,
    resident_id: int | None = None,
    user_id: int | None = None,
    status: str = PartyMember.Status.FORMAL,
    joined_on: dt.date | None = None,
    in_service: bool = False,
    workplace: str = "",
) -> PartyMember:
    """A member of a branch or group: a resident living under the
    organization's area, or a staff user working inside the actor's areas."""
    from wangge.accounts.models import User
    from wangge.people.models import Resident

    _require(actor, org.area_path, "manages_users", "edits_base_data")
    if org.kind not in MEMBER_KINDS:
        raise _invalid("invalid_org", "党员须编入党支部或党小组", "org_id")
    if status not in PartyMember.Status.values:
        raise _invalid("invalid_status", "党员类别应为正式党员或预备党员", "status")
    if joined_on is not None and joined_on > timezone.localdate():
        raise _invalid("invalid_date", "入党日期不能晚于今天", "joined_on")
    if (resident_id is None) == (user_id is None):
        raise _invalid("invalid_person", "请从居民或工作人员中选择一人", "resident_id")
    member = PartyMember(
        org=org,
        area_path=org.area_path,
        status=status,
        joined_on=joined_on,
        in_service=bool(in_service),
        workplace=(workplace or "").strip()[:100],
    )
    if resident_id is not None:
        resident = Resident.objects.filter(
            subtree_q(org.area_path, "area_path"), pk=resident_id
        ).first()
        if resident is None:
            raise _invalid("invalid_resident", "该居民不在本党组织所在区域内", "resident_id")
        member.resident, member.name = resident, resident.name
        member.user = User.objects.filter(resident_id=resident.pk, is_active=True).first()
    else:
        user = colleague(actor=actor, user_id=user_id)
        if user is None:
            raise _invalid("invalid_user", "未找到该工作人员账号", "user_id")
        member.user, member.name = user, user.name or user.username
    return save_unique(member, code="duplicate_member", message=f"{member.name}已登记为党员")


# ---------------------------------------------------------------- 党员联户


@transaction.atomic
def link_add(
    *, actor, member: PartyMember, household_id: int, since: dt.date | None = None
) -> HouseholdLink:
    from wangge.people.models import Household

    _require(actor, member.area_path, "manages_users", "edits_base_data")
    if not member.is_active:
        raise _invalid("member_inactive", "该党员已不在册", "member_id")
    household = Household.objects.filter(
        subtree_q(member.org.area_path, "area_path"), pk=household_id
    ).first()
    if household is None or not scope_for(actor).covers(household.area_path):
        raise _invalid("outside_org", "该户不在党员所在党组织的区域内", "household_id")
    since = since or timezone.localdate()
    if since > timezone.localdate():
        raise _invalid("invalid_date", "联户日期不能晚于今天", "since")
    locked = PartyMember.objects.select_for_update().get(pk=member.pk)
    if locked.links.count() >= max_links():
        raise Conflict("too_many_links", f"每名党员最多联系 {max_links()} 户")
    try:
        with transaction.atomic():
            return HouseholdLink.objects.create(
                member=locked, household=household, area_path=household.area_path, since=since
            )
    except IntegrityError as exc:
        raise Conflict("duplicate_link", "该党员已联系此户") from exc


def link_remove(*, actor, member: PartyMember, link_id: int) -> None:
    _require(actor, member.area_path, "manages_users", "edits_base_data")
    deleted, _ = HouseholdLink.objects.filter(member=member, pk=link_id).delete()
    if not deleted:
        raise not_found()


# ------------------------------------------------------------------ 双报到


@transaction.atomic
def dual_register(
    *, actor, member: PartyMember, community: Area, registered_on: dt.date | None = None
) -> DualRegistration:
    """An in-service member reports to the community they live in; the
    community (its cadres) records it."""
    _require(actor, community.path, "manages_users")
    if not member.in_service:
        raise _invalid("not_in_service", "仅在职党员需要到居住地社区双报到", "member_id")
    if community.level != Level.COMMUNITY:
        raise _invalid("not_a_community", f"{community.name}不是村社区", "community_id")
    if member.resident_id is not None:
        home = member.resident.area_path
        if not home.startswith(community.path):
            raise _invalid("not_residence", "须到本人居住地所在的村社区报到", "community_id")
    registered_on = registered_on or timezone.localdate()
    if registered_on > timezone.localdate():
        raise _invalid("invalid_date", "报到日期不能晚于今天", "registered_on")
    PartyMember.objects.select_for_update().filter(pk=member.pk).first()
    if DualRegistration.objects.filter(member=member, ended_on__isnull=True).exists():
        raise Conflict("already_registered", f"{member.name}已在社区报到")
    return DualRegistration.objects.create(
        member=member, community=community, area_path=community.path, registered_on=registered_on
    )
