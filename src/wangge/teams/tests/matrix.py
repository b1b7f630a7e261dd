"""The machinery of the scope matrix (tests/test_scope_matrix.py): who asks,
what a route needs, what each user may get.

An app adds its own entries without touching the matrix file: a module
`wangge.<app>.tests.scope_matrix` may define

- `ROUTES: dict[str, Route]` — "METHOD /path-under-/api/v1" → Route,
- `PARAMS: dict[str, Builder]` — path parameter name → builder,
- `ADMIN_OBJECTS: dict[str, AdminObject]` — "app.model" → AdminObject,
- `populate(side: Side, matrix: Matrix) -> None` — put the app's objects on
  each side (in `side.extra`), called once per side before the requests.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.teams.roles import ROLE_CAPS, Role

from .world import DISTRICT_B_MARKERS, OTHER_CITY_MARKERS, Side, World

PASSWORD = "pass-Wangge-2026"


@dataclass
class Principal:
    key: str  # a role value, "resident" or "anonymous"
    kind: str  # staff / resident / anonymous
    user: User | None = None
    role: str | None = None
    area: Area | None = None  # where the role is held (resident: the home grid)
    own: Side | None = None
    foreign: Side | None = None
    markers: tuple[str, ...] = ()
    token: str = ""

    @property
    def headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def covers(self, area: Area) -> bool:
        """Computed from the assignment, independently of teams.scope."""
        return self.kind == "staff" and area.path.startswith(self.area.path)

    @property
    def caps(self):
        return ROLE_CAPS[self.role]


@dataclass
class Matrix:
    world: World
    principals: list[Principal]
    newcomer: User  # a staff user with no role yet
    extra: dict = field(default_factory=dict)

    def principal(self, key: str) -> Principal:
        return next(p for p in self.principals if p.key == key)


Builder = Callable[[Side, Principal, Matrix], Any]
Expect = Callable[[Principal, Matrix], int]


@dataclass(frozen=True)
class Route:
    expect: Expect = lambda p, m: 200  # status on own objects, per user  # noqa: E731
    params: dict[str, Builder] = field(default_factory=dict)
    query: Builder | None = None
    body: Builder | None = None  # sent as JSON
    form: Builder | None = None  # sent as multipart (files as SimpleUploadedFile)
    # Takes an object of a side (path, query or body): foreign ones are 404.
    # Default: true when the path has parameters.
    objects: bool | None = None
    # False: not restricted to the user's areas (the foreign call is judged
    # like the own one, and may name foreign places).
    scoped: bool = True
    public: bool = False  # no login needed
    # Users for whom this route is not restricted to their areas (e.g. a
    # resident reporting a problem anywhere in the city).
    unscoped_for: Callable[[Principal], bool] | None = None
    # Status on foreign objects, where it is not 404 because the route
    # refuses the user before looking at any object (e.g. staff-only routes
    # answer a resident 403 whatever the id).
    foreign_expect: Expect | None = None


@dataclass(frozen=True)
class AdminObject:
    get: Builder  # the object of a side
    path: Callable[[Any], str] | None  # its scope path; None: a global catalogue
    # Whether a user who may use this admin page sees the own object; by
    # default: their areas cover its path.
    visible: Callable[[Principal, Any], bool] | None = None


# ---------------------------------------------------------------- principals


def role_area(world: World, role: str) -> tuple[Area, Side]:
    """The highest level inside district A the role may hold; city-only
    roles get the city, and the other city becomes their foreign side."""
    own = world.own
    for area in (own.district, own.street, own.community, own.grid, own.micro_grid):
        if area.level in ROLE_CAPS[role].levels:
            return area, world.foreign
    assert "city" in ROLE_CAPS[role].levels, role
    return own.city, world.other_city


def build_principals(world: World) -> list[Principal]:
    """Every role (staff users made through the services), a verified
    resident of the own side's household, and an anonymous visitor."""
    from wangge.accounts.services import resident_register, resident_verify, token_issue

    from .world import make_resident, make_user

    principals = []
    for role in Role:
        area, foreign = role_area(world, role)
        department = world.own.department if role == Role.DEPARTMENT_STAFF else None
        if department is not None and not area.path.startswith(department.area_path):
            department = None
        user = make_user(role, area, name=f"本区{role.label}", department=department)
        markers = OTHER_CITY_MARKERS
        if foreign is world.foreign:
            markers = DISTRICT_B_MARKERS + OTHER_CITY_MARKERS
        principals.append(
            Principal(
                key=role.value,
                kind="staff",
                user=user,
                role=role.value,
                area=area,
                own=world.own,
                foreign=foreign,
                markers=markers,
                token=token_issue(user=user, label="matrix"),
            )
        )
    resident_user = resident_register(
        phone="13612345678", password=PASSWORD, name="本区居民用户", grid=world.own.grid
    )
    verifier = next(p.user for p in principals if p.role == Role.GRID_WORKER)
    record = make_resident(world.own.household, name="本区居民用户")
    resident_verify(actor=verifier, user=resident_user, resident=record)
    principals.append(
        Principal(
            key="resident",
            kind="resident",
            user=resident_user,
            area=world.own.grid,
            own=world.own,
            foreign=world.foreign,
            markers=DISTRICT_B_MARKERS + OTHER_CITY_MARKERS,
            token=token_issue(user=resident_user, label="matrix"),
        )
    )
    principals.append(Principal(key="anonymous", kind="anonymous", own=world.own))
    return principals


# -------------------------------------------------------------- expectations


def own_area(side: Side, p: Principal, m: Matrix) -> Area:
    """An area on `side` inside every own-side user's view: the micro-grid
    (for a resident: the home grid)."""
    return side.grid if p.kind == "resident" else side.micro_grid


def read(p: Principal, m: Matrix) -> int:
    return 200


def staff_read(p: Principal, m: Matrix) -> int:
    """Staff only; a resident is told no (there is no object to hide)."""
    return 200 if p.kind == "staff" else 403


def staff_object(p: Principal, m: Matrix) -> int:
    """An object residents cannot see at all."""
    return 200 if p.kind == "staff" else 404


def at_micro_grid(side: Side) -> Area:
    return side.micro_grid


def at_grid(side: Side) -> Area:
    return side.grid


def place_read(where: Callable[[Side], Area], resident: int) -> Expect:
    """Read an object placed at `where(own side)`: staff whose areas cover
    it get it, others 404; a resident gets `resident`."""

    def expect(p: Principal, m: Matrix) -> int:
        if p.kind == "resident":
            return resident
        return 200 if p.covers(where(m.world.own)) else 404

    return expect


def place_write(
    where: Callable[[Side], Area], *caps: str, ok: int = 200, resident: int = 404
) -> Expect:
    """Change something placed at `where(own side)`: not covered → 404; the
    role lacks one of `caps` → 403; else `ok`."""

    def expect(p: Principal, m: Matrix) -> int:
        if p.kind == "resident":
            return resident
        if not p.covers(where(m.world.own)):
            return 404
        return ok if all(getattr(p.caps, c) for c in caps) else 403

    return expect


# ------------------------------------------------------------ contributions


@dataclass
class Contributions:
    routes: dict[str, Route] = field(default_factory=dict)
    params: dict[str, Builder] = field(default_factory=dict)
    admin_objects: dict[str, AdminObject] = field(default_factory=dict)
    populators: list[Callable[[Side, Matrix], None]] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)


def app_contributions() -> Contributions:
    """Entries from every `wangge.<app>.tests.scope_matrix` module."""
    import wangge

    out = Contributions()
    for info in pkgutil.iter_modules(wangge.__path__):
        name = f"wangge.{info.name}.tests.scope_matrix"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        out.modules.append(name)
        # An app's PARAMS builders apply to its own routes first: two apps may
        # both name a path parameter `member_id` (party members, team members).
        local = getattr(module, "PARAMS", {})
        for key, value in getattr(module, "ROUTES", {}).items():
            assert key not in out.routes, f"{name}: {key} is defined twice"
            out.routes[key] = dataclasses.replace(value, params={**local, **value.params})
        out.params.update(getattr(module, "PARAMS", {}))
        out.admin_objects.update(getattr(module, "ADMIN_OBJECTS", {}))
        if hasattr(module, "populate"):
            out.populators.append(module.populate)
    return out
