"""Party organizations and members for generated data, apart from the main
generator (run after `wangge generate`): a committee on every community, a
branch on every grid (a group on every micro-grid with --groups), members
from the residents marked as party members, each linked to up to --links
households of their own grid. Idempotent per area: organizations that exist
are kept; members already registered are skipped."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction

from wangge.areas.models import Area, Level
from wangge.areas.paths import subtree_q
from wangge.audit import recorder
from wangge.people.models import Household, Resident

from .models import HouseholdLink, PartyMember, PartyOrg

BATCH = 5000


@transaction.atomic
def generate_party(
    *, area: Area, links: int = 3, groups: bool = False, actor=None
) -> dict[str, int]:
    """Bulk rows without row-by-row audit: one `batch` audit event for the
    run (actor or the system, parameters, counts), in its transaction."""
    with recorder.batch(
        what=f"生成党组织数据：{area.name}", model="party.generate", area_path=area.path,
        actor=actor, actor_label="" if actor is not None else "系统（wangge party_generate）",
    ) as audit:
        counts = _generate_party(area=area, links=links, groups=groups)
        audit.update(params={"area": area.code, "links": links, "groups": groups}, tables=counts)
    return counts


def _generate_party(*, area: Area, links: int, groups: bool) -> dict[str, int]:
    communities = list(
        Area.objects.filter(subtree_q(area.path), level=Level.COMMUNITY, is_active=True).order_by(
            "path"
        )
    )
    grids = list(
        Area.objects.filter(subtree_q(area.path), level=Level.GRID, is_active=True).order_by("path")
    )
    have = {
        (o.area_id, o.kind): o for o in PartyOrg.objects.filter(subtree_q(area.path, "area_path"))
    }
    new = [
        PartyOrg(area=c, area_path=c.path, kind=PartyOrg.Kind.COMMITTEE, name=f"{c.name}党委")
        for c in communities
        if (c.pk, PartyOrg.Kind.COMMITTEE) not in have
    ]
    PartyOrg.objects.bulk_create(new, batch_size=BATCH)
    committees = {
        o.area_path: o
        for o in PartyOrg.objects.filter(
            subtree_q(area.path, "area_path"), kind=PartyOrg.Kind.COMMITTEE
        )
    }
    branches_new = []
    for g in grids:
        if (g.pk, PartyOrg.Kind.BRANCH) in have:
            continue
        parent = committees.get(g.path[: len(g.path) - 5])
        branches_new.append(
            PartyOrg(
                area=g,
                area_path=g.path,
                kind=PartyOrg.Kind.BRANCH,
                name=f"{g.name}党支部",
                parent=parent,
            )
        )
    PartyOrg.objects.bulk_create(branches_new, batch_size=BATCH)
    branches = {
        o.area_path: o
        for o in PartyOrg.objects.filter(
            subtree_q(area.path, "area_path"), kind=PartyOrg.Kind.BRANCH
        )
    }
    n_groups = 0
    if groups:
        micro = Area.objects.filter(subtree_q(area.path), level=Level.MICRO_GRID, is_active=True)
        group_new = [
            PartyOrg(
                area=m,
                area_path=m.path,
                kind=PartyOrg.Kind.GROUP,
                name=f"{m.name}党小组",
                parent=branches.get(m.path[:-5]),
            )
            for m in micro.order_by("path")
            if (m.pk, PartyOrg.Kind.GROUP) not in have and m.path[:-5] in branches
        ]
        PartyOrg.objects.bulk_create(group_new, batch_size=BATCH)
        n_groups = len(group_new)
    registered = set(
        PartyMember.objects.filter(
            subtree_q(area.path, "area_path"), resident__isnull=False
        ).values_list("resident_id", flat=True)
    )
    members = []
    for rid, name, _grid_id, grid_path in (
        Resident.objects.filter(subtree_q(area.path, "area_path"), is_party_member=True)
        .order_by("pk")
        .values_list("pk", "name", "grid_id", "grid__path")
    ):
        if rid in registered or grid_path not in branches:
            continue
        b = branches[grid_path]
        members.append(
            PartyMember(
                org=b,
                area_path=b.area_path,
                name=name,
                resident_id=rid,
                joined_on=dt.date(2000, 7, 1),
            )
        )
    PartyMember.objects.bulk_create(members, batch_size=BATCH)
    n_links = 0
    if links > 0 and members:
        by_grid: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for hid, path, gpath in (
            Household.objects.filter(subtree_q(area.path, "area_path"))
            .order_by("pk")
            .values_list("pk", "area_path", "grid__path")
        ):
            by_grid[gpath].append((hid, path))
        used: dict[str, int] = defaultdict(int)
        rows = []
        today = dt.date.today()  # noqa: DTZ011 - a date for generated rows
        for m in PartyMember.objects.filter(pk__in=[x.pk for x in members]).order_by("pk"):
            pool = by_grid.get(m.area_path, [])
            for _ in range(links):
                i = used[m.area_path]
                if i >= len(pool):
                    break
                used[m.area_path] += 1
                hid, hpath = pool[i]
                rows.append(HouseholdLink(member=m, household_id=hid, area_path=hpath, since=today))
        HouseholdLink.objects.bulk_create(rows, batch_size=BATCH)
        n_links = len(rows)
    return {
        "committees": len(new),
        "branches": len(branches_new),
        "groups": n_groups,
        "members": len(members),
        "links": n_links,
    }
