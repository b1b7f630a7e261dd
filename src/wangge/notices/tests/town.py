"""A few households in the `tree` fixture's grids, staff on both sides and a
verified resident user, for the notices and emergency tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from wangge.teams.tests.world import make_building, make_household, make_resident

_seq = itertools.count(1)


@dataclass
class Town:
    tree: object
    households_a1a_1: list  # grid 芦席汇社区第一网格 (street A1)
    households_a1b_1: list  # grid 新塍村第一网格 (street A1)
    households_b1a_1: list  # district B
    street_cadre: object  # street A1
    grid_worker: object  # grid A1a-1
    other_worker: object  # grid A1b-1
    foreign_dispatcher: object  # district B
    leader: object  # read-only, street A1
    resident_user: object  # verified, household a1a_1[0]
    care_household: object  # a1b_1[0], an elderly resident living alone


def make_resident_user(resident, grid):
    from wangge.accounts.models import User

    n = next(_seq)
    return User.objects.create_user(
        username=f"n-resident{n}",
        password="pass-Wangge-2026",
        kind="resident",
        name=resident.name,
        phone=f"1370000{n:04d}",
        home_grid=grid,
        resident=resident,
        resident_status="verified",
    )


@pytest.fixture
def town(tree, make_staff) -> Town:
    from wangge.people.models import CareGroup

    b1 = make_building(tree.grid_a1a_1, tree.mg_a1a_1_1, name="1幢")
    b2 = make_building(tree.grid_a1a_1, tree.mg_a1a_1_2, name="2幢")
    b3 = make_building(tree.grid_a1b_1, tree.mg_a1b_1_1, name="3幢")
    b4 = make_building(tree.grid_b1a_1, tree.mg_b1a_1_1, name="外区4幢")
    a1a = [make_household(b, room=r) for b in (b1, b2) for r in ("101", "102")]
    a1b = [make_household(b3, room=r) for r in ("101", "201")]
    b1a = [make_household(b4, room="101")]
    head = make_resident(a1a[0], name="张三")
    make_resident(a1a[1], name="李四")
    elderly = CareGroup.objects.filter(builtin=True).order_by("sort", "id").first()
    make_resident(a1b[0], name="王奶奶", care_groups=[elderly])
    return Town(
        tree=tree,
        households_a1a_1=a1a,
        households_a1b_1=a1b,
        households_b1a_1=b1a,
        street_cadre=make_staff("street_cadre", tree.street_a1, name="街道干部"),
        grid_worker=make_staff("grid_worker", tree.grid_a1a_1, name="网格员甲"),
        other_worker=make_staff("grid_worker", tree.grid_a1b_1, name="网格员乙"),
        foreign_dispatcher=make_staff("dispatcher", tree.district_b, name="外区调度员"),
        leader=make_staff("leader", tree.street_a1, name="领导"),
        resident_user=make_resident_user(head, tree.grid_a1a_1),
        care_household=a1b[0],
    )
