"""Base data in the shared test tree: a few buildings, households and
residents in three grids (two districts), one organization per grid."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wangge.people.models import Building, CareGroup, Household, Organization, Resident
from wangge.people.tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    OrganizationFactory,
    ResidentFactory,
)
from wangge.testing.trees import Tree


@dataclass
class World:
    tree: Tree
    building_a: Building  # grid A1a-1, micro-grid 1
    building_a2: Building  # grid A1a-1, micro-grid 2
    building_b: Building  # grid A1b-1 (same street, other community)
    building_x: Building  # district B
    household_a: Household
    household_a2: Household
    household_b: Household
    household_x: Household
    head_a: Resident
    spouse_a: Resident
    resident_a2: Resident
    resident_b: Resident
    resident_x: Resident
    org_a: Organization
    org_x: Organization
    elderly: CareGroup
    hardship: CareGroup


@pytest.fixture
def world(tree) -> World:
    ba = BuildingFactory(grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_1, code="00001")
    ba2 = BuildingFactory(grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_2, code="00002")
    bb = BuildingFactory(grid=tree.grid_a1b_1, micro_grid=tree.mg_a1b_1_1, code="00001")
    bx = BuildingFactory(grid=tree.grid_b1a_1, micro_grid=tree.mg_b1a_1_1, code="00001")
    ha, ha2, hb, hx = (HouseholdFactory(building=b) for b in (ba, ba2, bb, bx))
    head = ResidentFactory(household=ha, name="张建国", is_party_member=True)
    spouse = ResidentFactory(household=ha, name="李秀英", relationship="spouse")
    elderly = CareGroup.objects.get(code="elderly_alone")
    hardship = CareGroup.objects.get(code="hardship")
    spouse.care_links.create(group=elderly)
    r_a2 = ResidentFactory(household=ha2, name="王芳")
    r_b = ResidentFactory(household=hb, name="赵强")
    r_b.care_links.create(group=hardship)
    r_x = ResidentFactory(household=hx, name="陈明")
    org_a = OrganizationFactory(grid=tree.grid_a1a_2)
    org_x = OrganizationFactory(grid=tree.grid_b1a_1)
    return World(tree, ba, ba2, bb, bx, ha, ha2, hb, hx, head, spouse, r_a2, r_b, r_x,
                 org_a, org_x, elderly, hardship)  # fmt: skip
