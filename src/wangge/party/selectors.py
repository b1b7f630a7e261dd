"""Reads of 党建 through the scope rule (staff only: party rosters are not
shown to residents). A member is visible to staff covering their
organization, the place they live, or the community they registered with."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from wangge.areas.models import Area
from wangge.areas.paths import ancestor_paths, subtree_q
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

from .models import DualRegistration, HouseholdLink, PartyMember, PartyOrg

NOT_FOUND_MESSAGE = "未找到，或不在您的管辖范围内"


def not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND_MESSAGE, status=404)


def staff_only(actor) -> None:
    if not scope_for(actor).is_staff_scope:
        raise DomainError("forbidden", "仅工作人员可用", status=403)


def org_list(*, actor, area: Area | None = None, kind: str = "") -> QuerySet[PartyOrg]:
    """Organizations under the actor's areas and those above them (a grid
    worker sees the community committee their branch belongs to)."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return PartyOrg.objects.none()
    qs = PartyOrg.objects.all()
    if not scope.unrestricted:
        above = {a for p in scope.paths for a in ancestor_paths(p)}
        qs = qs.filter(scope.q("area_path") | Q(area_path__in=above))
    if area is not None:
        qs = qs.filter(subtree_q(area.path, "area_path"))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("area", "parent").order_by("area_path", "kind", "name")


def access_org(*, actor, org_id: int) -> PartyOrg:
    org = org_list(actor=actor).filter(pk=org_id).first()
    if org is None:
        raise not_found()
    return org


def member_list(
    *, actor, org: PartyOrg | None = None, area: Area | None = None
) -> QuerySet[PartyMember]:
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return PartyMember.objects.none()
    qs = PartyMember.objects.all()
    if not scope.unrestricted:
        registered = DualRegistration.objects.filter(
            scope.q("area_path"), member=OuterRef("pk"), ended_on__isnull=True
        )
        qs = qs.filter(
            scope.q("area_path") | scope.q("resident__area_path") | Q(Exists(registered))
        )
    if org is not None:
        qs = qs.filter(org=org)
    if area is not None:
        qs = qs.filter(
            subtree_q(area.path, "area_path") | subtree_q(area.path, "resident__area_path")
        )
    return qs.select_related("org").order_by("org__area_path", "name", "pk")


def access_member(*, actor, member_id: int) -> PartyMember:
    member = member_list(actor=actor).filter(pk=member_id).first()
    if member is None:
        raise not_found()
    return member


def member_links(*, member: PartyMember) -> list[HouseholdLink]:
    return list(member.links.select_related("household").order_by("since", "pk"))


def member_registration(*, member: PartyMember) -> DualRegistration | None:
    return member.registrations.filter(ended_on__isnull=True).select_related("community").first()


def member_activities(*, member: PartyMember, limit: int = 50) -> list:
    """Service activities the member attended (双报到 activities are the
    community's service activities): through their user accounts."""
    from wangge.serviceteams.models import ActivitySignup

    from .indices import member_user_ids

    ids = member_user_ids([member]).get(member.pk, [])
    return list(
        ActivitySignup.objects.filter(user_id__in=ids, status=ActivitySignup.Status.ATTENDED)
        .select_related("activity", "activity__area")
        .order_by("-activity__starts_at")[:limit]
    )


def link_coverage(*, actor, area: Area) -> dict:
    """党员联户 coverage: households under `area` with at least one linked
    party member ÷ households under `area`."""
    from wangge.people.models import Household

    scope = scope_for(actor)
    if not scope.is_staff_scope or not scope.covers(area.path):
        raise not_found()
    households = Household.objects.filter(subtree_q(area.path, "area_path")).count()
    linked = (
        HouseholdLink.objects.filter(subtree_q(area.path, "area_path"), member__is_active=True)
        .values("household_id")
        .distinct()
        .count()
    )
    members = PartyMember.objects.filter(
        subtree_q(area.path, "area_path"), is_active=True
    ).aggregate(n=Count("pk"))["n"]
    return {
        "households": households,
        "linked": linked,
        "rate": round(linked / households, 4) if households else None,
        "members": members,
    }
