"""A small world for the visits tests: the shared `tree`, a grid team in grid
A1a-1 (worker, leader), cadres on street A1 and community A1a, a worker in
district B, households on both sides (building A at a known point), and a
resident living alone (care group) with a party member next door."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps

from wangge.people.models import CareGroup
from wangge.people.tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from wangge.testing.trees import Tree
from wangge.visits.models import CareFrequency, QuotaRule

B_LNG, B_LAT = 120.1, 30.5  # building 1幢 of grid A1a-1


def ensure_visit_defaults() -> None:
    """The data migration's rules and frequencies (a transactional test
    flushes them)."""
    if not QuotaRule.objects.exists() or not CareFrequency.objects.exists():
        importlib.import_module("wangge.visits.migrations.0002_defaults").seed(apps, None)


@dataclass
class World:
    tree: Tree
    worker: object
    leader: object
    part_time: object
    community: object  # community cadre, A1a
    street: object  # street cadre, A1
    dispatcher: object
    outsider: object  # grid worker, B1a-1
    building: object
    households: list
    household_x: object
    elderly: object  # resident, elderly living alone
    party: object  # resident, party member
    resident_x: object


@pytest.fixture
def vworld(tree, make_staff) -> World:
    ensure_visit_defaults()
    t = tree
    worker = make_staff("grid_worker", t.grid_a1a_1, username="wang", name="王网格")
    leader = make_staff("grid_leader", t.grid_a1a_1, name="网格长赵")
    part_time = make_staff("part_time_worker", t.grid_a1a_1, name="兼职李")
    community = make_staff("community_cadre", t.community_a1a, name="社区干部")
    street = make_staff("street_cadre", t.street_a1, name="街道干部")
    dispatcher = make_staff("dispatcher", t.street_a1, name="调度员")
    outsider = make_staff("grid_worker", t.grid_b1a_1, username="outsider", name="外区网格员")
    b = BuildingFactory(
        grid=t.grid_a1a_1, micro_grid=t.mg_a1a_1_1, code="00001", name="1幢", lng=B_LNG, lat=B_LAT
    )
    bx = BuildingFactory(grid=t.grid_b1a_1, micro_grid=t.mg_b1a_1_1, code="00001", name="9幢")
    households = [HouseholdFactory(building=b) for _ in range(3)]
    hx = HouseholdFactory(building=bx)
    elderly = ResidentFactory(household=households[0], name="张秀英", phone="13812345678")
    elderly.care_links.create(group=CareGroup.objects.get(code="elderly_alone"))
    party = ResidentFactory(household=households[1], name="党员钱", is_party_member=True)
    resident_x = ResidentFactory(household=hx, name="陈外区")
    return World(t, worker, leader, part_time, community, street, dispatcher, outsider, b,
                 households, hx, elderly, party, resident_x)  # fmt: skip


@pytest.fixture
def now():
    from wangge.cases.workdays import TZ

    return dt.datetime(2026, 11, 16, 10, 0, tzinfo=TZ)
