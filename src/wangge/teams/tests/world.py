"""Test data placed in the `tree` fixture's areas: buildings, households,
residents, organizations (straight through the ORM, so these tests do not
depend on the people services), staff with roles, departments, and a second
city for roles that cover a whole city.

`build_world(tree)` gives each side — "own" (district A, city 嘉兴) and
"foreign" (district B; another city 湖州 for city-level roles) — one of
everything, with names that mark the side: every foreign name contains
FOREIGN_MARK, so a response can be searched for leaks."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from shapely.geometry import box

from wangge.areas.geometry import to_geojson
from wangge.areas.models import Area, Level
from wangge.areas.services import area_create
from wangge.core import crypto
from wangge.core.idnumbers import make_id_number, make_uscc
from wangge.core.masking import mask_id_number, mask_phone

FOREIGN_MARK = "外区"
# Strings that appear only in district B's or the other city's rows.
# Codes are matched at the start of a JSON string or an HTML text node, so a
# timestamp's digits never match by chance.
DISTRICT_B_MARKERS = ("秀洲区", "新城街道", "新城社区", FOREIGN_MARK, '"330411', ">330411")
OTHER_CITY_MARKERS = ("湖州市", "吴兴区", "月河", "他市", '"3305', ">3305")

_seq = itertools.count(1)


def district_of(area: Area) -> Area:
    return Area.objects.get(path=area.path[:10])


def make_building(grid: Area, micro_grid: Area | None = None, *, name: str = "1幢") -> object:
    from wangge.people.models import Building

    n = next(_seq)
    leaf = micro_grid or grid
    return Building.objects.create(
        district=district_of(grid),
        grid=grid,
        micro_grid=micro_grid,
        area_path=leaf.path,
        code=f"{n % 100000:05d}",
        name=name,
        address=f"{grid.name}{name}",
    )


def make_household(building, *, room: str = "101", address: str = "") -> object:
    from wangge.people.models import Household

    return Household.objects.create(
        district_id=building.district_id,
        grid_id=building.grid_id,
        micro_grid_id=building.micro_grid_id,
        area_path=building.area_path,
        building=building,
        room=room,
        size=1,
        address=address or f"{building.address}{room}室",
    )


def make_resident(
    household, *, name: str, region: str = "330402", phone: str = "", care_groups=()
) -> object:
    from wangge.people.models import Resident

    n = next(_seq)
    birth = dt.date(1950 + n % 50, 1 + n % 12, 1 + n % 28)
    id_number = make_id_number(region, birth, n % 100, "M" if n % 2 else "F")
    resident = Resident.objects.create(
        district_id=household.district_id,
        grid_id=household.grid_id,
        micro_grid_id=household.micro_grid_id,
        area_path=household.area_path,
        household=household,
        name=name,
        sex="M" if n % 2 else "F",
        birth_date=birth,
        id_number_enc=crypto.encrypt(id_number),
        id_number_hash=crypto.keyed_hash(id_number),
        id_number_masked=mask_id_number(id_number),
        phone_enc=crypto.encrypt(phone),
        phone_hash=crypto.keyed_hash(phone),
        phone_masked=mask_phone(phone),
        relationship="head",
    )
    for group in care_groups:
        resident.care_links.create(group=group)
    return resident


def make_organization(grid: Area, *, name: str, region: str = "330402") -> object:
    from wangge.people.models import Organization

    n = next(_seq)
    return Organization.objects.create(
        district=district_of(grid),
        grid=grid,
        area_path=grid.path,
        name=name,
        uscc=make_uscc(region, 10_000 + n),
        kind="school",
        address=f"{grid.name}{name}",
    )


def make_user(role: str | None, area: Area | None, *, name: str, department=None, **fields):
    """A staff user created through the accounts service (is_staff, phone),
    with one role assigned through the teams service."""
    from wangge.accounts.services import user_create_staff
    from wangge.teams.services import role_assign

    n = next(_seq)
    user = user_create_staff(
        username=fields.pop("username", f"u{n}"),
        name=name,
        phone=fields.pop("phone", f"1395{n:07d}"),  # apart from the tests' own 1390000000x
        password=fields.pop("password", "pass-Wangge-2026"),
    )
    if role is not None:
        role_assign(actor=None, user=user, role=role, area=area, department=department)
    return user


def make_pending_resident(grid: Area, *, name: str):
    from wangge.accounts.services import resident_register

    n = next(_seq)
    return resident_register(phone=f"137{n:08d}", password="pass-Wangge-2026", name=name, grid=grid)


def build_other_city() -> dict[str, Area]:
    """湖州市 with one district … micro-grid, west of 嘉兴's rectangles."""

    def mk(level, code, name, parent, **kw):
        return area_create(
            level=level,
            code=code,
            name=name,
            parent=parent,
            boundary=to_geojson(box(119.0, 30.0, 119.9, 30.9)),
            **kw,
        )

    city = mk(Level.CITY, "330500000000", "湖州市", None)
    district = mk(Level.DISTRICT, "330502000000", "吴兴区", city)
    street = mk(Level.STREET, "330502001000", "月河街道", district)
    community = mk(Level.COMMUNITY, "330502001001", "他市月河社区", street, community_kind="urban")
    grid = mk(Level.GRID, "330502001001001", "他市月河社区第一网格", community, grid_kind="basic")
    mg = mk(Level.MICRO_GRID, "330502001001001001", "他市1号微网格", grid)
    return {
        "city": city,
        "district": district,
        "street": street,
        "community": community,
        "grid": grid,
        "micro_grid": mg,
    }


@dataclass
class Side:
    """One of everything in one part of the tree."""

    city: Area
    district: Area
    street: Area
    community: Area
    grid: Area
    micro_grid: Area
    building: object = None
    household: object = None
    resident: object = None
    organization: object = None
    department: object = None
    staff: object = None  # a part-time worker of the grid
    assignment: object = None  # a micro-grid leader's assignment at the micro-grid
    pending_user: object = None  # a resident who registered in the grid
    extra: dict = field(default_factory=dict)


def populate(side: Side, *, mark: str, region: str) -> Side:
    from wangge.teams.models import Department
    from wangge.teams.roles import Role

    side.building = make_building(side.grid, side.micro_grid, name=f"{mark}1幢")
    side.household = make_household(side.building)
    side.resident = make_resident(
        side.household, name=f"{mark}居民", region=region, phone="13812345678"
    )
    side.organization = make_organization(side.grid, name=f"{mark}学校", region=region)
    side.department = Department.objects.create(
        name=f"{mark}住建局",
        level="district",
        area=side.district,
        area_path=side.district.path,
        phone="0573-1234567",
    )
    side.staff = make_user(Role.PART_TIME_WORKER, side.grid, name=f"{mark}兼职网格员")
    mgl = make_user(Role.MICRO_GRID_LEADER, side.micro_grid, name=f"{mark}微网格长")
    side.assignment = mgl.assignments.get()
    side.pending_user = make_pending_resident(side.grid, name=f"{mark}待核实")
    return side


@dataclass
class World:
    tree: object
    own: Side
    foreign: Side  # district B
    other_city: Side  # 湖州


def build_world(tree) -> World:
    t = tree
    own = populate(
        Side(t.city, t.district_a, t.street_a1, t.community_a1a, t.grid_a1a_1, t.mg_a1a_1_1),
        mark="本区",
        region="330402",
    )
    foreign = populate(
        Side(t.city, t.district_b, t.street_b1, t.community_b1a, t.grid_b1a_1, t.mg_b1a_1_1),
        mark=FOREIGN_MARK,
        region="330411",
    )
    oc = build_other_city()
    other = populate(Side(**oc), mark="他市", region="330502")
    return World(tree=t, own=own, foreign=foreign, other_city=other)
