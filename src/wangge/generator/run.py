"""`wangge generate`: everything below the real divisions — grids,
micro-grids, buildings, households, residents, organizations, grid teams,
departments — deterministic for a seed.

One pass over the communities in scope (in code order); each grid draws
from its own random stream (`seed:grid:<code>`), so a grid's content does
not depend on what was generated before it. Rows stream through
`writer.Writer` in chunks (COPY on PostgreSQL), memory stays bounded.
ID numbers are unique by construction (`people.IdAllocator`); when other
residents already exist in the database (another scope generated
earlier) new numbers are also checked against them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import re
import sys
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from tqdm import tqdm

from wangge.accounts.models import User
from wangge.areas.divisions import divisions_load
from wangge.areas.geometry import parse_boundary, to_geojson
from wangge.areas.models import Area, GridKind, Level
from wangge.areas.paths import child_path, path_upper_bound, subtree_q
from wangge.areas.services import boundaries_changed
from wangge.areas.tessellate import sample_points, tessellate
from wangge.audit import recorder
from wangge.core import crypto
from wangge.core.errors import DomainError
from wangge.core.idnumbers import make_uscc
from wangge.core.masking import mask_id_number, mask_phone
from wangge.people.models import (
    Building,
    CareGroup,
    Household,
    Organization,
    Resident,
    ResidentCareGroup,
)
from wangge.teams.models import RoleAssignment
from wangge.teams.roles import Role

from . import orgs as org_names
from .departments import departments_ensure
from .names import names, road_names, village_names
from .people import (
    REF_ORDINAL,
    REFERENCE_DATE,
    IdAllocator,
    _csv,
    household_type,
    members,
    migrant_regions,
    mobile,
    name_members,
    staff_mobile,
)
from .plan import HOUSEHOLDS_PER_MICRO, CommunityInfo, CommunityPlan, GridPlan, city_plan
from .writer import Writer, copy_safe, drop_unindexed_foreign_keys

SCALES = ("community", "street", "district", "city")

# Shares, roughly as reported for Jiaxing and Zhejiang.
MIGRANT_HOUSEHOLDS = {"urban": 0.26, "rural": 0.18, "sea": 0.05}
AWAY_SHARE = 0.04  # registered here, living elsewhere (人户分离)
HARDSHIP_HOUSEHOLDS = 0.015
ELDERLY_ALONE_OF_SINGLE_ELDERLY = 0.2  # ~2.5% of all elderly
DISABLED = (0.012, 0.05)  # under 60, 60 and over
PARTY = ((18, 0.0), (36, 0.06), (60, 0.09), (200, 0.11))  # (age below, share)
NO_WORKER_SHARE = 0.01  # grids whose full-time worker post is vacant

_ALNUM = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_GENERATED_USER = re.compile(r"^(g\d{15}-[a-z0-9]+|m\d{18})$")

AREA_COLUMNS = [
    "id",
    "parent_id",
    "path",
    "depth",
    "level",
    "code",
    "name",
    "grid_kind",
    "dedicated_kind",
    "community_kind",
    "boundary",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
    "center_lng",
    "center_lat",
]
PLACED = ["id", "district_id", "grid_id", "micro_grid_id", "area_path"]
BUILDING_COLUMNS = [*PLACED, "code", "name", "address", "kind", "floors", "lng", "lat"]
HOUSEHOLD_COLUMNS = [*PLACED, "building_id", "unit", "room", "size", "address"]
RESIDENT_COLUMNS = [
    *PLACED,
    "household_id",
    "name",
    "sex",
    "birth_date",
    "id_number_enc",
    "id_number_hash",
    "id_number_masked",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "relationship",
    "residence",
    "registered_address",
    "is_party_member",
]
CARE_COLUMNS = ["id", "resident_id", "group_id", "since"]
ORG_COLUMNS = [
    *PLACED,
    "name",
    "uscc",
    "kind",
    "address",
    "contact_name",
    "contact_phone",
    "employees",
    "lng",
    "lat",
]
USER_COLUMNS = [
    "id", "password", "username", "is_staff", "kind", "name", "phone_enc", "phone_hash",
]
ASSIGNMENT_COLUMNS = ["id", "user_id", "role", "area_id", "area_path", "department_id"]


# Who the audit names for a command line run (no signed-in user).
SYSTEM_ACTOR = "系统（wangge generate）"


@dataclass
class Result:
    scope: Area
    counts: dict[str, int]
    seconds: float
    deferred_indexes: bool = False
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Community:
    area: Area
    district: Area
    street: Area
    plan: CommunityPlan
    rural: bool
    place: org_names.Place
    name: str  # copy-safe
    address: str  # 嘉兴市南湖区建设街道芦席汇社区
    registered_prefix: str  # 浙江省嘉兴市南湖区建设街道芦席汇社区
    roads: list[str] = field(default_factory=list)
    house_numbers: dict[str, int] = field(default_factory=dict)
    basic_no: int = 0


@dataclass
class _Grid:
    id: int
    path: str
    code: str
    name: str
    kind: str
    district_id: int
    buildings: int = 0
    micro: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, path, code, leader


def resolve_scope(city: Area, scale: str, code: str | None) -> Area:
    if scale not in SCALES:
        raise DomainError("bad_scale", f"范围应为 {'/'.join(SCALES)} 之一")
    if scale == "city":
        return city
    under = Area.objects.filter(subtree_q(city.path), level=scale)
    if code:
        code = code.strip()
        full = code.ljust(12, "0") if len(code) < 12 else code
        area = under.filter(code=full).first()
        if area is None:
            raise DomainError(
                "unknown_scope", f"{city.name}没有编码为 {code} 的{Level(scale).label}"
            )
        return area
    area = under.order_by("code").first()
    if area is None:
        raise DomainError("unknown_scope", f"{city.name}还没有{Level(scale).label}")
    return area


def ensure_city(city_code: str | None, seed: int) -> Area:
    code6 = (city_code or settings.WANGGE_CITY_CODE)[:4] + "00"
    city = Area.objects.filter(code=code6.ljust(12, "0"), level=Level.CITY).first()
    if city is None or not Area.objects.filter(parent=city).exists():
        city = divisions_load(city_code=code6, seed=seed).city
    return city


def scope_counts(root: Area) -> dict[str, int]:
    sub = subtree_q(root.path, "area_path")
    return {
        "grids": Area.objects.filter(subtree_q(root.path), level=Level.GRID).count(),
        "micro_grids": Area.objects.filter(subtree_q(root.path), level=Level.MICRO_GRID).count(),
        "buildings": Building.objects.filter(sub).count(),
        "households": Household.objects.filter(sub).count(),
        "residents": Resident.objects.filter(sub).count(),
        "organizations": Organization.objects.filter(sub).count(),
    }


def wipe(root: Area) -> None:
    """Delete what was generated under `root`: base data, grid teams and
    their generated users, grids and micro-grids."""
    lo, hi = root.path, path_upper_bound(root.path) or "A"
    qn = connection.ops.quote_name
    below = Area.objects.filter(subtree_q(root.path), level__in=[Level.GRID, Level.MICRO_GRID])
    assignments = RoleAssignment.objects.filter(area__in=below)
    user_ids = [
        uid
        for uid, username in assignments.values_list("user_id", "user__username").distinct()
        if _GENERATED_USER.match(username)
    ]
    User.objects.filter(
        resident__in=Resident.objects.filter(area_path__gte=lo, area_path__lt=hi)
    ).update(resident=None, resident_status="")
    restore = drop_unindexed_foreign_keys(
        connection, [Area, Resident, Household, Building, Organization]
    )
    with connection.cursor() as cur:
        rt = qn(Resident._meta.db_table)
        cur.execute(
            f"DELETE FROM {qn(ResidentCareGroup._meta.db_table)} WHERE resident_id IN "
            f"(SELECT id FROM {rt} WHERE area_path >= %s AND area_path < %s)",
            [lo, hi],
        )
        for model in (Resident, Household, Building, Organization):
            cur.execute(
                f"DELETE FROM {qn(model._meta.db_table)} WHERE area_path >= %s AND area_path < %s",
                [lo, hi],
            )
    assignments.delete()
    for i in range(0, len(user_ids), 5000):
        User.objects.filter(pk__in=user_ids[i : i + 5000]).delete()
    with connection.cursor() as cur:
        for level in (Level.MICRO_GRID, Level.GRID):
            cur.execute(
                f"DELETE FROM {qn(Area._meta.db_table)} WHERE level = %s AND path >= %s AND path < %s",
                [level, lo, hi],
            )
        if restore:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run what is pending first
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        for sql in restore:  # each validates its table in one pass
            cur.execute(sql)


def generate(
    *,
    scale: str = "street",
    seed: int = 1,
    city_code: str | None = None,
    code: str | None = None,
    replace: bool = False,
    progress: bool = False,
    defer_indexes: bool | None = None,
    chunk_rows: int = 20_000,
    actor=None,
) -> Result:
    """One audit event (kind `batch`) records the run: who (the actor, or
    the system for a command line run), the parameters, the rows written
    per table and what a --replace wiped; no row-by-row events."""
    started = time.monotonic()
    city = ensure_city(city_code, seed)
    root = resolve_scope(city, scale, code)
    existing = scope_counts(root)
    if any(existing.values()) and not replace:
        raise DomainError(
            "scope_not_empty",
            f"{root.name}已有生成的数据（网格 {existing['grids']} 个，居民 {existing['residents']} 人），"
            "不会重复生成。如需清空后重新生成，请加 --replace",
            status=409,
        )
    # SQLite checks a foreign key row by row, and scans a child table for
    # every parent row deleted when the child column has no index (people's
    # micro_grid_id and district_id have none, on purpose): with checking
    # off (possible only outside a transaction, as Django's migrations do)
    # and one `PRAGMA foreign_key_check` pass before commit, a city loads
    # and a scope is wiped in linear time. Inside an outer transaction
    # (tests) checking simply stays on.
    checks_off = connection.vendor == "sqlite" and not connection.in_atomic_block
    checks_off = checks_off and connection.disable_constraint_checking()
    try:
        with transaction.atomic(), recorder.batch(
            what=f"生成数据：{root.name}", model="generator.run", area_path=root.path,
            actor=actor, actor_label="" if actor is not None else SYSTEM_ACTOR,
        ) as audit:
            if replace:
                wipe(root)
            run = _Run(city=city, root=root, seed=seed, progress=progress)
            deferred = run.execute(defer_indexes=defer_indexes, chunk_rows=chunk_rows)
            audit.update(
                params={"scale": scale, "seed": seed, "city": city.code, "scope": root.code,
                        "replace": replace},
                tables={t.model._meta.label_lower: t.written for t in run.w.tables.values()},
                replaced=existing if replace else {},
            )
            if checks_off:
                t0 = time.monotonic()
                # After a wipe any table may point at what was deleted.
                connection.check_constraints(
                    table_names=None
                    if replace
                    else [t.model._meta.db_table for t in run.w.tables.values()]
                )
                run.timings["foreign_key_check"] = time.monotonic() - t0
            boundaries_changed()
            commit_started = time.monotonic()
    except IntegrityError as exc:
        raise DomainError(
            "generate_failed", f"写入失败，已全部回滚（其他数据仍引用该范围的网格或居民？）：{exc}"
        ) from exc
    finally:
        if checks_off:
            connection.enable_constraint_checking()
    timings = {**run.timings, "commit": time.monotonic() - commit_started}
    counts = scope_counts(root)
    return Result(root, counts, time.monotonic() - started, deferred, timings)


class _Run:
    def __init__(self, *, city: Area, root: Area, seed: int, progress: bool):
        self.city = city
        self.root = root
        self.seed = seed
        self.progress = progress
        self.ids = IdAllocator()
        self.care = dict(CareGroup.objects.values_list("code", "id"))
        self.regions, self.region_cum = migrant_regions(city.code[:4])
        self.province = _province_name(city.code[:2])
        self.uscc_serial = 0
        self.usccs = set(Organization.objects.values_list("uscc", flat=True))
        # Keyed hashes of the phones taken (accounts.User keeps no clear phone).
        self.phones = set(
            User.objects.exclude(phone_hash=None).values_list("phone_hash", flat=True)
        )
        self.usernames: set[str] = set()
        self.counts = {"users": 0}
        self.timings: dict[str, float] = {}
        self._reserve_existing_ids()

    def _reserve_existing_ids(self) -> None:
        """ID numbers already in the database (other scopes, imports) are
        reserved in the allocator, so new ones never collide with them. One
        streaming pass: about 3 µs a resident."""
        t0 = time.monotonic()
        existing = Resident.objects.values_list("id_number_enc", flat=True)
        n = 0
        for token in existing.iterator(chunk_size=20_000):
            self.ids.reserve(crypto.decrypt(token))
            n += 1
        if n:
            self.timings["reserve_ids"] = time.monotonic() - t0

    # -- plan and scope --------------------------------------------------------

    def _communities(self) -> tuple[list[_Community], dict[str, CommunityPlan]]:
        levels = Area.objects.filter(subtree_q(self.city.path))
        districts = {a.pk: a for a in levels.filter(level=Level.DISTRICT)}
        streets = {a.pk: a for a in levels.filter(level=Level.STREET)}
        comms = list(levels.filter(level=Level.COMMUNITY).order_by("code"))
        infos = [
            CommunityInfo(
                code=c.code,
                rural=c.community_kind == "rural",
                district_code=districts[streets[c.parent_id].parent_id].code,
                street_name=streets[c.parent_id].name,
            )
            for c in comms
        ]
        plans = city_plan(infos, self.seed)
        out = []
        for c in comms:
            if not c.path.startswith(self.root.path):
                continue
            street = streets[c.parent_id]
            district = districts[street.parent_id]
            city_name, d_name, s_name, c_name = (
                copy_safe(a.name) for a in (self.city, district, street, c)
            )
            out.append(
                _Community(
                    area=c,
                    district=district,
                    street=street,
                    plan=plans[c.code],
                    rural=c.community_kind == "rural",
                    place=org_names.Place(city_name, d_name, s_name, c_name),
                    name=c_name,
                    address=f"{city_name}{d_name}{s_name}{c_name}",
                    registered_prefix=f"{self.province}{city_name}{d_name}{s_name}{c_name}",
                )
            )
        return out, plans

    # -- the run -----------------------------------------------------------------

    def execute(self, *, defer_indexes: bool | None, chunk_rows: int) -> bool:
        communities, _ = self._communities()
        districts = sorted(
            {c.district.pk: c.district for c in communities}.values(), key=lambda d: d.code
        )
        self.departments = departments_ensure(city=self.city, districts=districts, seed=self.seed)
        self.district_codes = [
            a.code[:6]
            for a in Area.objects.filter(parent=self.city, level=Level.DISTRICT).order_by("code")
        ]
        micro_total = sum(g.micro_grids for c in communities for g in c.plan.grids)
        expected_residents = micro_total * HOUSEHOLDS_PER_MICRO * 2.9
        if defer_indexes is None:
            defer_indexes = expected_residents > Resident.objects.count()
        # A synchronous writer when new ID numbers must be checked against
        # rows already in the database (the checks read through the same
        # connection).
        w = self.w = Writer(chunk_rows=chunk_rows, analyze=bool(defer_indexes))
        if connection.vendor == "sqlite":
            with connection.cursor() as cur:
                cur.execute("PRAGMA cache_size = -1000000")
        self.t_area = w.table(Area, AREA_COLUMNS)
        self.t_building = w.table(Building, BUILDING_COLUMNS)
        self.t_household = w.table(Household, HOUSEHOLD_COLUMNS)
        self.t_resident = w.table(Resident, RESIDENT_COLUMNS)
        self.t_care = w.table(ResidentCareGroup, CARE_COLUMNS)
        self.t_org = w.table(Organization, ORG_COLUMNS)
        self.t_user = w.table(User, USER_COLUMNS)
        self.t_assign = w.table(RoleAssignment, ASSIGNMENT_COLUMNS)
        if defer_indexes:
            w.drop_indexes([Building, Household, Resident, ResidentCareGroup, Organization])
        grids_total = sum(len(c.plan.grids) for c in communities)
        bar = tqdm(
            total=grids_total,
            desc=f"生成 {self.root.name}",
            unit="网格",
            file=sys.stderr,
            disable=not self.progress,
            dynamic_ncols=True,
        )
        try:
            t0 = time.monotonic()
            for c in communities:
                self._community(c, bar)
            self.timings["generate"] = time.monotonic() - t0
            if self.progress:
                bar.set_description("写入并重建索引")
            w.close()
            self.timings.update(w.timings)
        finally:
            bar.close()
        return bool(defer_indexes)

    def _community(self, c: _Community, bar) -> None:
        rng = random.Random(f"{self.seed}:community:{c.area.code}")
        c.roads = road_names(rng, rng.randint(3, 6))
        geom = parse_boundary(c.area.boundary)
        pieces = tessellate(geom, len(c.plan.grids), f"{self.seed}:{c.area.code}")
        for gp, piece in zip(c.plan.grids, pieces, strict=True):
            self._grid(c, gp, piece)
            bar.update(1)

    # -- areas -----------------------------------------------------------------------

    def _area(self, pk, parent_id, path, level, code, name, grid_kind, dedicated_kind, geom):
        x0, y0, x1, y1 = geom.bounds
        p = geom.representative_point()
        self.w.add(
            self.t_area,
            (
                pk,
                parent_id,
                path,
                len(path) // 5,
                level,
                code,
                name,
                grid_kind,
                dedicated_kind,
                "",
                to_geojson(geom),
                x0,
                y0,
                x1,
                y1,
                round(p.x, 6),
                round(p.y, 6),
            ),
        )

    def _grid(self, c: _Community, gp: GridPlan, geom) -> None:
        rng = random.Random(f"{self.seed}:grid:{gp.code}")
        gid = self.t_area.new_id()
        path = child_path(c.area.path, gp.index)
        title, org_specs = "", []
        if gp.kind == GridKind.DEDICATED:
            title, org_specs = org_names.dedicated(rng, gp.dedicated_kind, c.place)
            name = f"{title}专属网格"
        elif gp.kind == GridKind.SEA:
            name = f"{c.name}海上网格"
        else:
            c.basic_no += 1
            name = f"{c.name}第{c.basic_no}网格"
        self._area(
            gid, c.area.pk, path, Level.GRID, gp.code, name, gp.kind, gp.dedicated_kind, geom
        )
        g = _Grid(gid, path, gp.code, name, gp.kind, c.district.pk)
        if gp.kind == GridKind.DEDICATED:
            self._dedicated(rng, c, g, geom, title, org_specs)
        else:
            self._micro_grids(rng, c, g, gp, geom)
        self._team(c, g)

    def _micro_grids(self, rng, c: _Community, g: _Grid, gp: GridPlan, geom) -> None:
        pieces = tessellate(geom, gp.micro_grids, f"{self.seed}:{gp.code}")
        sea = gp.kind == GridKind.SEA
        villages = village_names(rng, len(pieces)) if c.rural and not sea else None
        shops = 0 if sea else rng.randint(0, 3) if c.rural else rng.randint(1, 6)
        shop_in = set(rng.sample(range(len(pieces)), min(shops, len(pieces))))
        for j, piece in enumerate(pieces, 1):
            mid = self.t_area.new_id()
            mpath = child_path(g.path, j)
            mcode = f"{g.code}{j:03d}"
            if sea:
                mname = f"第{j}渔船组"
            elif villages:
                mname = f"{villages[j - 1]}微网格"
            else:
                mname = f"{j}号微网格"
            self._area(mid, g.id, mpath, Level.MICRO_GRID, mcode, mname, "", "", piece)
            leader = self._micro_content(
                rng, c, g, mid, mpath, piece, sea, villages and villages[j - 1]
            )
            g.micro.append((mid, mpath, mcode, leader))
            if j - 1 in shop_in:
                spec = org_names.shop(rng, c.place, rural=c.rural)
                self._org(rng, c, g, mid, mpath, piece, spec)

    def _dedicated(self, rng, c: _Community, g: _Grid, geom, title: str, specs) -> None:
        n_buildings = rng.randint(1, 4)
        points = sample_points(geom, n_buildings + len(specs), rng)
        road = rng.choice(c.roads)
        number = self._house_number(rng, c, road)
        address = f"{c.place.street}{c.name}{road}{number}号"
        kind = (
            Building.Kind.COMMERCIAL if "大厦" in title or "中心" in title else Building.Kind.PUBLIC
        )
        for k in range(1, n_buildings + 1):
            g.buildings += 1
            x, y = points[k - 1]
            self.w.add(
                self.t_building,
                (
                    self.t_building.new_id(),
                    g.district_id,
                    g.id,
                    None,
                    g.path,
                    f"{g.buildings:05d}",
                    f"{title}{k}号楼" if n_buildings > 1 else title,
                    address,
                    kind,
                    rng.randint(2, 24) if kind == Building.Kind.COMMERCIAL else rng.randint(2, 8),
                    round(x, 6),
                    round(y, 6),
                ),
            )
        for spec, (x, y) in zip(specs, points[n_buildings:], strict=True):
            self._org(rng, c, g, None, g.path, None, spec, point=(x, y), address=address)

    # -- buildings, households, residents ------------------------------------------------

    def _house_number(self, rng, c: _Community, road: str) -> int:
        n = c.house_numbers.get(road, rng.randint(1, 40)) + rng.randint(1, 4)
        c.house_numbers[road] = n
        return n

    def _micro_content(self, rng, c, g, mid, mpath, geom, sea: bool, village: str | None) -> str:
        """Buildings and households of one micro-grid; -> its leader's name."""
        if sea:
            n_households = rng.randint(4, 12)
        else:
            n_households = max(3, round(rng.gauss(HOUSEHOLDS_PER_MICRO, 5.5)))
        # (name, address, kind, floors, [(unit, room)])
        buildings: list[tuple[str, str, str, int | None, list[tuple[str, str]]]] = []
        if sea:
            abbr = (
                "平" if "平湖" in c.district.name else ("盐" if "海盐" in c.district.name else "嘉")
            )
            for _ in range(n_households):
                boat = f"浙{abbr}渔{rng.randint(10000, 99999)}"
                buildings.append((boat, f"{c.place.street}{c.name}渔港 {boat}", Building.Kind.OTHER, None, [("", "1")]))  # fmt: skip
        elif c.rural:
            for _ in range(n_households):
                number = self._house_number(rng, c, village or "")
                name = f"{village}{number}号"
                buildings.append((name, f"{c.place.street}{c.name}{name}", Building.Kind.HOUSE, rng.randint(2, 4), [("", "1")]))  # fmt: skip
        else:
            left = n_households
            while left > 0:
                units = rng.choice((1, 2, 2, 3))
                floors = rng.choice((5, 6, 6, 6, 7, 11, 12, 15, 18))
                capacity = units * floors * 2
                take = min(left, capacity)
                slots = sorted(rng.sample(range(capacity), take))
                rooms = [
                    (str(s // (floors * 2) + 1), f"{(s // 2) % floors + 1}{s % 2 + 1:02d}")
                    for s in slots
                ]
                road = c.roads[int(rng.random() * len(c.roads))]
                number = self._house_number(rng, c, road)
                g_no = g.buildings + len(buildings) + 1
                buildings.append(
                    (
                        f"{g_no}幢",
                        f"{c.place.street}{c.name}{road}{number}号",
                        Building.Kind.RESIDENTIAL,
                        floors,
                        rooms,
                    )
                )
                left -= take
        points = sample_points(geom, len(buildings), rng)
        leader = ""
        for (bname, address, kind, floors, rooms), (x, y) in zip(buildings, points, strict=True):
            g.buildings += 1
            bid = self.t_building.new_id()
            self.w.add(
                self.t_building,
                (
                    bid,
                    g.district_id,
                    g.id,
                    mid,
                    mpath,
                    f"{g.buildings:05d}",
                    bname,
                    address,
                    kind,
                    floors,
                    round(x, 6),
                    round(y, 6),
                ),  # fmt: skip
            )
            for unit, room in rooms:
                if kind == Building.Kind.RESIDENTIAL:
                    h_address = f"{address}{bname}{unit}单元{room}室"
                else:
                    h_address = address
                name = self._household(rng, c, g, mid, mpath, bid, unit, room, h_address, sea)
                leader = leader or name
        return leader

    def _household(self, rng, c, g, mid, mpath, bid, unit, room, address, sea) -> str:
        """One household and its residents; -> the name of a party member
        (or adult) in it, a candidate for micro-grid leader."""
        r = rng.random
        profile = "sea" if sea else ("rural" if c.rural else "urban")
        migrant = r() < MIGRANT_HOUSEHOLDS[profile]
        kind = household_type(rng, "migrant" if migrant else ("rural" if c.rural else "urban"))
        people = members(rng, kind)
        name_members(rng, people, local=not migrant)
        hid = self.t_household.new_id()
        self.w.add(
            self.t_household,
            (hid, g.district_id, g.id, mid, mpath, bid, unit, room, len(people), address),
        )
        own = c.district.code[:6]
        origin = None
        if migrant:
            origin = self.regions[_pick(rng, self.region_cum)]
        hardship = r() < HARDSHIP_HOUSEHOLDS
        candidate = first = ""
        t_res, t_care, add = self.t_resident, self.t_care, self.w.add
        care = self.care
        for m in people:
            age = m.age
            birth = REF_ORDINAL - int(age * 365.2425) - int(r() * 365)
            if migrant:
                region = origin.code if r() < 0.85 else own
                residence = "migrant"
                registered = origin.address
            else:
                x = r()
                if x < 0.82:
                    region = own
                elif x < 0.95:
                    region = self.district_codes[int(r() * len(self.district_codes))]
                else:
                    region = self.regions[_pick(rng, self.region_cum)].code
                residence = "away" if r() < AWAY_SHARE else "registered"
                registered = c.registered_prefix
            id_number, birth = self.ids.allocate(region, birth, m.sex)
            year = int(id_number[6:10])
            name = m.surname + names.given(rng, m.sex, year)
            if age >= 16 and (age < 75 or r() < 0.6) and r() < 0.96:
                phone = mobile(rng)
                phone_cols = (crypto.encrypt(phone), crypto.keyed_hash(phone), mask_phone(phone))
            else:
                phone_cols = ("", "", "")
            party = False
            for limit, share in PARTY:
                if age < limit:
                    party = r() < share
                    break
            if party and not candidate:
                candidate = name
            if not first:
                first = name
            rid = t_res.new_id()
            add(
                t_res,
                (
                    rid,
                    g.district_id,
                    g.id,
                    mid,
                    mpath,
                    hid,
                    name,
                    m.sex,
                    f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
                    crypto.encrypt(id_number),
                    crypto.keyed_hash(id_number),
                    mask_id_number(id_number),
                    *phone_cols,
                    m.relationship,
                    residence,
                    registered,
                    party,
                ),
            )
            since = None
            if kind == "single_elderly" and r() < ELDERLY_ALONE_OF_SINGLE_ELDERLY:
                since = _since(rng)
                add(t_care, (t_care.new_id(), rid, care["elderly_alone"], since))
            if hardship:
                add(t_care, (t_care.new_id(), rid, care["hardship"], _since(rng)))
            if r() < DISABLED[age >= 60]:
                add(t_care, (t_care.new_id(), rid, care["disabled"], _since(rng)))
        return candidate or first

    # -- organizations ---------------------------------------------------------------------

    def _uscc(self, region: str, kind: str) -> str:
        while True:
            self.uscc_serial += 1
            serial = (self.uscc_serial * 7_919 + 31_415_926) % 100_000_000
            value = make_uscc(region, serial, kind)
            if value not in self.usccs:
                self.usccs.add(value)
                return value

    def _org(self, rng, c, g, mid, path, geom, spec, *, point=None, address=None) -> None:
        if point is None:
            point = sample_points(geom, 1, rng)[0]
        if address is None:
            road = c.roads[int(rng.random() * len(c.roads))]
            address = f"{c.place.street}{c.name}{road}{self._house_number(rng, c, road)}号"
        contact_sex = "M" if rng.random() < 0.55 else "F"
        contact = names.name(rng, contact_sex, REFERENCE_DATE.year - rng.randint(25, 60))
        self.w.add(
            self.t_org,
            (
                self.t_org.new_id(),
                g.district_id,
                g.id,
                mid,
                path,
                spec.name[:200],
                self._uscc(c.district.code[:6], spec.uscc_type),
                spec.kind,
                address,
                contact,
                mobile(rng),
                spec.employees,
                round(float(point[0]), 6),
                round(float(point[1]), 6),
            ),
        )

    # -- teams -------------------------------------------------------------------------------

    def _user(self, rng, username: str, area_id: int, slot: int, name: str = "") -> int:
        if username in self.usernames:
            raise DomainError("duplicate_user", f"用户名 {username} 重复")
        self.usernames.add(username)
        n = area_id * 32 + slot
        phone = staff_mobile(n)
        while (phone_hash := crypto.keyed_hash(phone)) in self.phones:
            n += 31 * 10**7
            phone = staff_mobile(n)
        self.phones.add(phone_hash)
        if not name:
            sex = "M" if rng.random() < 0.55 else "F"
            name = names.name(rng, sex, REFERENCE_DATE.year - rng.randint(24, 58))
        password = "!" + "".join(rng.choices(_ALNUM, k=40))  # unusable
        uid = self.t_user.new_id()
        self.w.add(
            self.t_user,
            (uid, password, username, True, "staff", name, crypto.encrypt(phone), phone_hash),
        )
        self.counts["users"] += 1
        return uid

    def _assign(self, uid: int, role: str, area_id: int, path: str, dept_id=None) -> None:
        self.w.add(self.t_assign, (self.t_assign.new_id(), uid, role, area_id, path, dept_id))

    def _team(self, c: _Community, g: _Grid) -> None:
        rng = random.Random(f"{self.seed}:team:{g.code}")
        code = g.code
        self._assign(self._user(rng, f"g{code}-leader", g.id, 0), Role.GRID_LEADER, g.id, g.path)
        if rng.random() >= NO_WORKER_SHARE:
            uid = self._user(rng, f"g{code}-worker", g.id, 1)
            self._assign(uid, Role.GRID_WORKER, g.id, g.path)
        depts = self.departments.get(c.district.pk) or []
        dept = depts[int(rng.random() * (len(depts) - 1))] if depts and rng.random() < 0.5 else None
        uid = self._user(rng, f"g{code}-instructor", g.id, 2)
        self._assign(uid, Role.GRID_INSTRUCTOR, g.id, g.path, dept.pk if dept else None)
        for k in range(1, rng.choice((1, 2, 2)) + 1):
            uid = self._user(rng, f"g{code}-part{k}", g.id, 2 + k)
            self._assign(uid, Role.PART_TIME_WORKER, g.id, g.path)
        for mid, mpath, mcode, leader in g.micro:
            uid = self._user(rng, f"m{mcode}", mid, 0, leader)
            self._assign(uid, Role.MICRO_GRID_LEADER, mid, mpath)


def _pick(rng: random.Random, cum: tuple[int, ...]) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


def _since(rng: random.Random) -> str:
    return dt.date.fromordinal(REF_ORDINAL - rng.randint(30, 3650)).isoformat()


def _province_name(code2: str) -> str:
    for r in _csv("provinces.csv"):
        if r["code"] == code2:
            return r["name"]
    return ""


def city_totals() -> dict[str, int]:
    """Row counts of the tables the generator writes (for reports)."""
    return {
        "areas": Area.objects.count(),
        "grids": Area.objects.filter(level=Level.GRID).count(),
        "micro_grids": Area.objects.filter(level=Level.MICRO_GRID).count(),
        "buildings": Building.objects.count(),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "care_links": ResidentCareGroup.objects.count(),
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "role_assignments": RoleAssignment.objects.count(),
    }
