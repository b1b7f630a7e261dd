"""Scope-matrix entries for 党建 (see teams/tests/matrix.py). Party rosters
are for staff only: residents are told no (403) whatever the id.

Each side: a committee at its community, a branch on its grid, the grid's
part-time worker as an in-service member of the branch, linked to the
side's household."""

from __future__ import annotations

import itertools

from wangge.teams.tests.matrix import AdminObject, Principal, Route

_n = itertools.count(1)


def populate(side, matrix) -> None:
    import datetime as dt

    from wangge.party.models import HouseholdLink, PartyMember, PartyOrg

    committee = PartyOrg.objects.create(
        area=side.community,
        area_path=side.community.path,
        kind="committee",
        name=f"{side.community.name}党委",
    )
    branch = PartyOrg.objects.create(
        area=side.grid,
        area_path=side.grid.path,
        kind="branch",
        name=f"{side.grid.name}党支部",
        parent=committee,
    )
    member = PartyMember.objects.create(
        org=branch,
        area_path=branch.area_path,
        name=side.staff.name,
        user=side.staff,
        in_service=True,
    )
    link = HouseholdLink.objects.create(
        member=member,
        household=side.household,
        area_path=side.household.area_path,
        since=dt.date(2026, 1, 1),
    )
    side.extra.update(
        party_committee=committee, party_branch=branch, party_member=member, party_link=link
    )


def _resident_403(p: Principal, m) -> int:
    return 403 if p.kind == "resident" else 404


def _staff_read(p: Principal, m) -> int:
    return 403 if p.kind == "resident" else 200


def _sees(where):
    def expect(p: Principal, m) -> int:
        if p.kind == "resident":
            return 403
        return 200 if p.covers(where(m.world.own)) else 404

    return expect


def _branch_read(p: Principal, m) -> int:
    """The branch is seen from above the grid and from inside it."""
    if p.kind == "resident":
        return 403
    grid = m.world.own.grid
    return 200 if p.covers(grid) or p.area.path.startswith(grid.path) else 404


def _manage(where, *caps, ok: int):
    def expect(p: Principal, m) -> int:
        if p.kind == "resident":
            return 403
        if not p.covers(where(m.world.own)):
            return 404
        return ok if any(getattr(p.caps, c) for c in caps) else 403

    return expect


def _grid(s):
    return s.grid


def _community(s):
    return s.community


def _micro(s):
    return s.micro_grid


PARAMS = {
    "org_id": lambda s, p, m: s.extra["party_branch"].pk,
    "member_id": lambda s, p, m: s.extra["party_member"].pk,
    "link_id": lambda s, p, m: s.extra["party_link"].pk,
}

KEEPERS = ("manages_users", "edits_base_data")

ROUTES = {
    "GET /party/orgs": Route(expect=_staff_read),
    "POST /party/orgs": Route(
        body=lambda s, p, m: {
            "area_id": s.grid.pk,
            "kind": "branch",
            "name": f"新支部{next(_n)}",
            "parent_id": s.extra["party_committee"].pk,
        },
        objects=True,
        expect=_manage(_grid, "manages_users", ok=201),
        foreign_expect=_resident_403,
    ),
    "GET /party/orgs/{org_id}": Route(expect=_branch_read, foreign_expect=_resident_403),
    "GET /party/members": Route(expect=_staff_read),
    "POST /party/members": Route(
        body=lambda s, p, m: {"org_id": s.extra["party_branch"].pk, "resident_id": s.resident.pk},
        objects=True,
        expect=_manage(_grid, *KEEPERS, ok=201),
        foreign_expect=_resident_403,
    ),
    "GET /party/members/{member_id}": Route(expect=_sees(_grid), foreign_expect=_resident_403),
    "POST /party/members/{member_id}/links": Route(
        body=lambda s, p, m: {"household_id": s.household.pk},
        # The side's household is linked already: allowed users get 409.
        expect=_manage(_grid, *KEEPERS, ok=409),
        foreign_expect=_resident_403,
    ),
    "DELETE /party/members/{member_id}/links/{link_id}": Route(
        expect=_manage(_grid, *KEEPERS, ok=204), foreign_expect=_resident_403
    ),
    "POST /party/members/{member_id}/dual-registration": Route(
        body=lambda s, p, m: {"community_id": s.community.pk},
        expect=_manage(_community, "manages_users", ok=201),
        foreign_expect=_resident_403,
    ),
    "GET /party/coverage": Route(
        query=lambda s, p, m: {"area_id": s.micro_grid.pk},
        objects=True,
        expect=_sees(_micro),
        foreign_expect=_resident_403,
    ),
}

ADMIN_OBJECTS = {
    "party.partyorg": AdminObject(lambda s, p, m: s.extra["party_branch"], lambda o: o.area_path),
    "party.partymember": AdminObject(
        lambda s, p, m: s.extra["party_member"], lambda o: o.area_path
    ),
}
