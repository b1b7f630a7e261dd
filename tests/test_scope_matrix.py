"""Every role sees exactly its subtree, on every route that exists.

The routes are not listed by hand: they are read from the NinjaAPI object
(`wangge.api.api`) and from the admin site's registry, so a new route or a
newly registered model is covered the day it appears — and this test FAILS
until the tables below say how to build its parameters and what each role
may do with it.

For every role in `teams.roles.Role` (assigned at the highest level it may
hold inside district A of the `tree` fixture; city-only roles at the city,
with a second city as their foreign land), a verified resident and an
anonymous visitor, each route is called on objects of the user's own side and
of the foreign side (district B, or the other city):

- own: the status the table expects for that user (2xx where the role may
  act, 403 where it may see the object but not do this, 404 where the object
  is outside what it can see at all);
- foreign: 404 — never 403, never data — for every logged-in user;
- anonymous: 401 (admin: a redirect to the login page);
- and no response, own or foreign, contains any marker of the foreign side's
  data (names and codes that only exist there).
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from ninja.utils import normalize_path

from wangge.accounts.models import ApiToken
from wangge.accounts.services import token_issue
from wangge.api import api
from wangge.areas.models import Area
from wangge.audit.services import personal_data_access_record
from wangge.teams.roles import Role
from wangge.teams.tests.matrix import (
    PASSWORD,
    AdminObject,
    Builder,
    Matrix,
    Principal,
    Route,
    app_contributions,
    at_grid,
    at_micro_grid,
    build_principals,
    own_area,
    place_read,
    place_write,
    staff_object,
    staff_read,
)
from wangge.teams.tests.world import Side, build_world, make_user

API_ROOT = "/api/v1"
CONTRIB = app_contributions()


@pytest.fixture
def matrix(tree) -> Matrix:
    world = build_world(tree)
    m = Matrix(
        world=world,
        principals=build_principals(world),
        newcomer=make_user(None, None, name="新入职人员"),
    )
    for side in (world.own, world.foreign, world.other_city):
        raw = token_issue(user=side.assignment.user, label="矩阵")
        side.extra["token"] = ApiToken.objects.get(key_hash=ApiToken.hash(raw))
        side.extra["case"] = _make_case(
            side, m.principal("resident").user if side is world.own else None
        )
        side.extra["access"] = personal_data_access_record(
            actor=side.assignment.user,
            action="unmask",
            subject_type="people.resident",
            subject_id=side.resident.pk,
            fields=["id_number"],
            area_path=side.resident.area_path,
            reason="入户核实",
        )
        for populate in CONTRIB.populators:
            populate(side, m)
    return m


def _make_case(side: Side, reporter):
    """A case in the side's micro-grid (on the own side reported by the
    resident), with one photo."""
    from django.core.files.base import ContentFile

    from wangge.cases.models import CaseAttachment
    from wangge.cases.services import case_report

    case, _ = case_report(
        actor=reporter,
        description=f"{side.micro_grid.name}楼道堆放杂物，{side.building.name}门口",
        area=side.micro_grid,
        check_scope=False,
    )
    side.extra["attachment"] = CaseAttachment.objects.create(
        case=case,
        kind="intake",
        file=ContentFile(b"\x89PNG\r\n\x1a\n", name="photo.png"),
        content_type="image/png",
        ext="png",
        size=8,
        width=1,
        height=1,
        sha256="0" * 64,
    )
    return case


# --------------------------------------------------------------------------
# What each route needs, and what each user may do with it

# Path parameters by name; a route may override them.
PARAMS: dict[str, Builder] = {
    "area_id": lambda s, p, m: own_area(s, p, m).pk,
    "user_id": lambda s, p, m: s.pending_user.pk,
    "assignment_id": lambda s, p, m: s.assignment.pk,
    "department_id": lambda s, p, m: s.department.pk,
    "building_id": lambda s, p, m: s.building.pk,
    "household_id": lambda s, p, m: s.household.pk,
    "resident_id": lambda s, p, m: s.resident.pk,
    "organization_id": lambda s, p, m: s.organization.pk,
}


VERIFIERS = {Role.GRID_LEADER, Role.GRID_WORKER, Role.COMMUNITY_CADRE}


def verify_expect(p: Principal, m: Matrix) -> int:
    if not p.covers(m.world.own.grid):
        return 404
    return 200 if p.role in VERIFIERS else 403


def assign_expect(p: Principal, m: Matrix) -> int:
    if not p.covers(m.world.own.grid):
        return 404
    return 201 if p.caps.manages_users else 403


def revoke_expect(p: Principal, m: Matrix) -> int:
    if not p.covers(m.world.own.micro_grid):
        return 404
    return 204 if p.caps.manages_users else 403


def _register_body(s: Side, p: Principal, m: Matrix) -> dict:
    m.extra["n"] = m.extra.get("n", 0) + 1
    return {
        "phone": f"1351234{m.extra['n']:04d}",
        "password": PASSWORD,
        "name": "新居民",
        "grid_id": s.grid.pk,
    }


ROUTES: dict[str, Route] = {
    # accounts
    "POST /auth/token": Route(
        body=lambda s, p, m: {
            "username": p.user.username if p.user else "nobody",
            "password": PASSWORD,
        },
        expect=lambda p, m: 200 if p.user else 401,
        scoped=False,
        public=True,
    ),
    "DELETE /auth/token": Route(expect=lambda p, m: 204, scoped=False),
    "GET /auth/me": Route(),
    "POST /auth/residents/register": Route(
        body=_register_body, expect=lambda p, m: 201, scoped=False, public=True
    ),
    "GET /auth/residents/pending": Route(expect=staff_read),
    "POST /auth/residents/{user_id}/verify": Route(
        body=lambda s, p, m: {"resident_id": s.resident.pk}, expect=verify_expect
    ),
    "POST /auth/residents/{user_id}/reject": Route(
        body=lambda s, p, m: {"reason": "查无此人"}, expect=verify_expect
    ),
    # areas
    "GET /areas/": Route(),
    "GET /areas/search": Route(query=lambda s, p, m: {"q": "网格"}),
    "GET /areas/locate": Route(
        query=lambda s, p, m: {"lat": s.micro_grid.center_lat, "lng": s.micro_grid.center_lng},
        objects=True,
        scoped=False,
    ),
    "GET /areas/{area_id}": Route(),
    "GET /areas/{area_id}/children": Route(expect=staff_object),
    "GET /areas/{area_id}/geojson": Route(),
    # teams
    "GET /teams/grids/{area_id}": Route(params={"area_id": lambda s, p, m: s.grid.pk}),
    "GET /teams/incomplete": Route(
        query=lambda s, p, m: {"area_id": own_area(s, p, m).pk}, objects=True, expect=staff_read
    ),
    "GET /teams/departments": Route(),
    "POST /teams/assignments": Route(
        body=lambda s, p, m: {
            "user_id": m.newcomer.pk,
            "role": Role.PART_TIME_WORKER.value,
            "area_id": s.grid.pk,
        },
        objects=True,
        expect=lambda p, m: 404 if p.kind == "resident" else assign_expect(p, m),
    ),
    "DELETE /teams/assignments/{assignment_id}": Route(
        expect=lambda p, m: 404 if p.kind == "resident" else revoke_expect(p, m)
    ),
}

# ---- people: base data (wangge.people.api)


def _buildings_csv(s: Side, p: Principal, m: Matrix) -> dict:
    """One building row for the side's grid, as a grid worker would fill in
    the import template (a dry run: nothing is written)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wangge.people.layouts import LAYOUTS

    row = [s.grid.code, s.micro_grid.code, "00088", "导入楼", "导入路1号", "住宅楼", "6", "", ""]
    text = ",".join(LAYOUTS["buildings"].headers) + "\n" + ",".join(row) + "\n"
    return {
        "file": SimpleUploadedFile("楼栋.csv", text.encode("utf-8"), content_type="text/csv"),
        "area": _file_area(s, p).pk,
        "dry_run": "true",
    }


def _file_area(s: Side, p: Principal) -> Area:
    return s.micro_grid


def _file_right(p: Principal, m: Matrix) -> int:
    """Import and export need the `imports` capability on the chosen area
    (a micro-grid; outside one's areas it is 404)."""
    if p.kind == "resident" or not p.covers(m.world.own.micro_grid):
        return 404
    return 200 if p.caps.imports else 403


PARAMS["kind"] = lambda s, p, m: "buildings"

ROUTES.update(
    {
        "GET /people/buildings": Route(),
        "GET /people/households": Route(),
        "GET /people/residents": Route(),
        "GET /people/organizations": Route(),
        "GET /people/care-groups": Route(),
        "GET /people/templates/{kind}": Route(objects=False),
        "GET /people/buildings/{building_id}": Route(expect=place_read(at_micro_grid, 200)),
        "GET /people/households/{household_id}": Route(expect=place_read(at_micro_grid, 200)),
        "GET /people/residents/{resident_id}": Route(expect=place_read(at_micro_grid, 200)),
        "GET /people/organizations/{organization_id}": Route(expect=place_read(at_grid, 404)),
        "PATCH /people/buildings/{building_id}": Route(
            body=lambda s, p, m: {"floors": 6}, expect=place_write(at_micro_grid, "edits_base_data")
        ),
        "PATCH /people/households/{household_id}": Route(
            body=lambda s, p, m: {"size": 3}, expect=place_write(at_micro_grid, "edits_base_data")
        ),
        "PATCH /people/residents/{resident_id}": Route(
            body=lambda s, p, m: {"is_party_member": True},
            expect=place_write(at_micro_grid, "edits_base_data"),
        ),
        "PATCH /people/organizations/{organization_id}": Route(
            body=lambda s, p, m: {"employees": 12}, expect=place_write(at_grid, "edits_base_data")
        ),
        "PUT /people/residents/{resident_id}/care-groups": Route(
            body=lambda s, p, m: {"groups": ["孤寡老人"]},
            expect=place_write(at_micro_grid, "edits_base_data", "sees_care"),
        ),
        "POST /people/residents/{resident_id}/unmask": Route(
            body=lambda s, p, m: {"fields": ["id_number"], "reason": "入户核实"},
            expect=place_write(at_micro_grid, "may_unmask", resident=403),
        ),
        # Deleting a building or household that still has rows is refused (409)
        # after the scope and role checks.
        "DELETE /people/buildings/{building_id}": Route(
            expect=place_write(at_micro_grid, "edits_base_data", ok=409)
        ),
        "DELETE /people/households/{household_id}": Route(
            expect=place_write(at_micro_grid, "edits_base_data", ok=409)
        ),
        # The world's resident has a care pair (visits' matrix): deleting them
        # is refused with 409, which still proves who may reach the route.
        "DELETE /people/residents/{resident_id}": Route(
            expect=place_write(at_micro_grid, "edits_base_data", ok=409)
        ),
        "DELETE /people/organizations/{organization_id}": Route(
            expect=place_write(at_grid, "edits_base_data", ok=204)
        ),
        "POST /people/buildings": Route(
            body=lambda s, p, m: {
                "grid_id": s.grid.pk,
                "micro_grid_id": s.micro_grid.pk,
                "code": "77",
                "name": "新楼",
                "address": "新路1号",
            },
            objects=True,
            expect=place_write(at_grid, "edits_base_data", ok=201),
        ),
        "POST /people/households": Route(
            body=lambda s, p, m: {"building_id": s.building.pk, "room": "909"},
            objects=True,
            expect=place_write(at_micro_grid, "edits_base_data", ok=201),
        ),
        "POST /people/residents": Route(
            body=lambda s, p, m: {
                "household_id": s.household.pk,
                "name": "新登记",
                "id_number": _new_id_number(),
                "relationship": "spouse",
            },
            objects=True,
            expect=place_write(at_micro_grid, "edits_base_data", ok=201),
        ),
        "POST /people/organizations": Route(
            body=lambda s, p, m: {
                "grid_id": s.grid.pk,
                "name": "新单位",
                "uscc": _new_uscc(),
                "kind": "enterprise",
                "address": "新路2号",
            },
            objects=True,
            expect=place_write(at_grid, "edits_base_data", ok=201),
        ),
        "GET /people/export/{kind}": Route(
            query=lambda s, p, m: {"area": _file_area(s, p).pk}, objects=True, expect=_file_right
        ),
        "POST /people/import/{kind}": Route(form=_buildings_csv, objects=True, expect=_file_right),
        "POST /people/import/{kind}/report": Route(
            form=_buildings_csv, objects=True, expect=_file_right
        ),
    }
)


# ---- cases (wangge.cases.api)

DISPATCH_ROLES = {Role.DISPATCHER, Role.STREET_CADRE, Role.COMMUNITY_CADRE, Role.CITY_ADMIN}
REPORTER_ROLES = DISPATCH_ROLES | {
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.PART_TIME_WORKER,
    Role.MICRO_GRID_LEADER,
    Role.GRID_ASSISTANT,
}


def case_seen(p: Principal, m: Matrix) -> bool:
    """Staff see the cases under their areas (department staff: only those
    sent to their department); a resident sees the cases they reported."""
    if p.kind == "resident":
        return True  # the own side's case was reported by the resident
    return p.role != Role.DEPARTMENT_STAFF and p.covers(m.world.own.micro_grid)


def case_read(p: Principal, m: Matrix) -> int:
    return 200 if case_seen(p, m) else 404


def case_accept(p: Principal, m: Matrix) -> int:
    if not case_seen(p, m):
        return 404
    return 200 if p.role in DISPATCH_ROLES | {Role.GRID_LEADER} else 403


def case_report_expect(p: Principal, m: Matrix) -> int:
    if p.kind == "resident":
        return 201
    return 201 if p.role in REPORTER_ROLES else 403


def _notification(s: Side, p: Principal, m: Matrix) -> int:
    """The user's own notice on the own side; someone else's on the foreign one."""
    from wangge.cases.models import Notification

    user = p.user if s is p.own and p.user is not None else s.assignment.user
    return Notification.objects.create(user=user, kind="accept", text="您反映的问题已受理").pk


def _hotline_file(s: Side, p: Principal, m: Matrix) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("12345.csv", b"", content_type="text/csv")}


PARAMS["case_id"] = lambda s, p, m: s.extra["case"].pk
PARAMS["attachment_id"] = lambda s, p, m: s.extra["attachment"].pk
PARAMS["notification_id"] = _notification
PARAMS["move"] = lambda s, p, m: "accept"

ROUTES.update(
    {
        "GET /cases/categories": Route(public=True, scoped=False),
        "GET /cases/categories/suggest": Route(
            query=lambda s, p, m: {"text": "楼道里堆满杂物"}, public=True, scoped=False
        ),
        # The public board (挂牌销账) of any area, with no personal data.
        "GET /cases/board/{area_id}": Route(
            params={"area_id": lambda s, p, m: s.grid.pk}, public=True, scoped=False
        ),
        "GET /cases/": Route(),
        "GET /cases/notifications": Route(),
        "POST /cases/notifications/{notification_id}/read": Route(expect=lambda p, m: 204),
        "GET /cases/metrics": Route(
            query=lambda s, p, m: {
                "start": "2026-01-01",
                "end": "2027-01-01",
                "area_id": own_area(s, p, m).pk,
            },
            objects=True,
            expect=staff_read,
            foreign_expect=lambda p, m: 403 if p.kind == "resident" else 404,
        ),
        "POST /cases/": Route(
            form=lambda s, p, m: {"description": "小区门口路灯不亮", "area_id": s.micro_grid.pk},
            objects=True,
            expect=case_report_expect,
            # A resident may report anywhere in the city.
            unscoped_for=lambda p: p.kind == "resident",
            foreign_expect=lambda p, m: 404 if p.role in REPORTER_ROLES else 403,
        ),
        # An empty batch: allowed roles get past the gate to the file check (422).
        "POST /cases/import": Route(
            form=_hotline_file,
            expect=lambda p, m: (
                422 if p.role in {"dispatcher", "city_admin", "street_cadre"} else 403
            ),
        ),
        "GET /cases/{case_id}": Route(expect=case_read),
        "GET /cases/{case_id}/timeline": Route(expect=case_read),
        "GET /cases/attachments/{attachment_id}": Route(expect=case_read),
        "POST /cases/{case_id}/moves/{move}": Route(expect=case_accept),
    }
)


def _new_id_number() -> str:
    import datetime as dt

    from wangge.core.idnumbers import make_id_number

    return make_id_number("330402", dt.date(1990, 5, 17), 42, "F")


def _new_uscc() -> str:
    from wangge.core.idnumbers import make_uscc

    return make_uscc("330402", 987654)


# Entries from the apps' own scope_matrix modules (see teams/tests/matrix.py).
_twice = set(ROUTES) & set(CONTRIB.routes)
assert not _twice, f"defined here and in an app's scope_matrix: {sorted(_twice)}"
ROUTES.update(CONTRIB.routes)
PARAMS.update(CONTRIB.params)


# --------------------------------------------------------------------------
# Discovering the routes


def api_routes() -> list[tuple[str, str]]:
    """(method, path under /api/v1) of every operation the API serves."""
    found = []
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.append((method, normalize_path(f"{bound.prefix}/{path}")))
    return sorted(set(found), key=lambda mp: (mp[1], mp[0]))


ALL_ROUTES = api_routes()

# Known violations, each with the fix it waits for. Strict: once fixed, the
# test passes, the xfail fails, and the entry must go.
KNOWN_ROUTE_VIOLATIONS: dict[str, str] = {}


def _route_params():
    out = []
    for method, path in ALL_ROUTES:
        key = f"{method} {path}"
        marks = []
        if key in KNOWN_ROUTE_VIOLATIONS:
            marks.append(pytest.mark.xfail(reason=KNOWN_ROUTE_VIOLATIONS[key], strict=True))
        out.append(pytest.param(method, path, marks=marks, id=key))
    return out


def test_route_discovery_matches_the_openapi_document():
    """If ninja's internals change, fail here rather than skip routes."""
    schema = api.get_openapi_schema()
    documented = {
        (method.upper(), path.removeprefix(API_ROOT))
        for path, ops in schema["paths"].items()
        for method in ops
    }
    assert documented <= set(ALL_ROUTES)
    assert len(ALL_ROUTES) >= len(ROUTES) > 10


@pytest.mark.parametrize(("method", "path"), ALL_ROUTES, ids=[f"{m} {p}" for m, p in ALL_ROUTES])
def test_every_route_has_an_entry(method, path):
    key = f"{method} {path}"
    assert key in ROUTES, (
        f"{key} has no entry in tests/test_scope_matrix.py ROUTES (or in a "
        "wangge.<app>.tests.scope_matrix module): say how to build its parameters "
        "and which status each role gets on its own objects"
    )
    route = ROUTES[key]
    for name in _path_params(path):
        assert name in route.params or name in PARAMS, f"{key}: no builder for {{{name}}}"


def test_no_stale_entries():
    assert set(ROUTES) <= {f"{m} {p}" for m, p in ALL_ROUTES}, "ROUTES names routes that are gone"


def _path_params(path: str) -> list[str]:
    return [name.split(":")[-1] for name in re.findall(r"{([^}]+)}", path)]


# --------------------------------------------------------------------------
# Calling them


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        # The test client closes it once consumed (keeping the connection).
        return b"".join(response.streaming_content)
    return response.content


def _text(response) -> str:
    kind = response.get("Content-Type", "")
    content = _body(response)
    if not content:
        return ""
    if "json" in kind:
        return json.dumps(json.loads(content), ensure_ascii=False)
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            " ".join(">" + ("" if v is None else str(v)) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8-sig", "replace")


def _call(client, method: str, path: str, route: Route, side: Side, p: Principal, m: Matrix):
    # Each call in a savepoint rolled back after it: writes (and objects the
    # builders make) leave no trace.
    with transaction.atomic():
        url = API_ROOT + path
        for name in _path_params(path):
            builder = route.params.get(name) or PARAMS[name]
            value = str(builder(side, p, m))
            url = url.replace("{" + name + "}", value).replace("{int:" + name + "}", value)
        if route.query is not None:
            url += "?" + urlencode(route.query(side, p, m))
        kwargs = dict(p.headers)
        if route.form is not None:
            assert method == "POST", "multipart is sent with POST"
            response = client.post(url, data=route.form(side, p, m), **kwargs)
        else:
            if route.body is not None:
                body = json.dumps(route.body(side, p, m))
                kwargs.update(data=body, content_type="application/json")
            response = client.generic(method, url, **kwargs)
        transaction.set_rollback(True)
    return response, url


def _check_no_leak(response, p: Principal, label: str) -> None:
    text = _text(response)
    leaked = [marker for marker in p.markers if marker in text]
    assert not leaked, f"{label}: {p.key} sees foreign data {leaked}: {text[:300]}"


@pytest.mark.parametrize(("method", "path"), _route_params())
def test_route_scope(client, matrix, method, path):
    key = f"{method} {path}"
    if key not in ROUTES:
        pytest.fail(f"{key} has no entry in ROUTES (see test_every_route_has_an_entry)")
    route = ROUTES[key]
    takes_objects = route.objects if route.objects is not None else bool(_path_params(path))
    failures = []
    for p in matrix.principals:
        response, url = _call(client, method, path, route, p.own, p, matrix)
        if p.kind == "anonymous":
            expected = route.expect(p, matrix) if route.public else 401
        else:
            expected = route.expect(p, matrix)
        if response.status_code != expected:
            failures.append(
                f"own     {p.key:18} {method} {url}: {response.status_code} != {expected}"
            )
        if p.kind != "anonymous":
            _check_no_leak(response, p, f"{method} {url}")
        if not takes_objects or p.kind == "anonymous":
            continue
        response, url = _call(client, method, path, route, p.foreign, p, matrix)
        scoped = route.scoped and not (route.unscoped_for and route.unscoped_for(p))
        if not scoped:
            expected = route.expect(p, matrix)
        elif route.foreign_expect is not None:
            expected = route.foreign_expect(p, matrix)
        else:
            expected = 404
        if response.status_code != expected:
            failures.append(
                f"foreign {p.key:18} {method} {url}: {response.status_code} != {expected}"
            )
        if scoped:
            _check_no_leak(response, p, f"{method} {url}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------
# The admin site


def _case_visible(p: Principal, case) -> bool:
    """Department staff see only cases sent to their department."""
    if p.role == Role.DEPARTMENT_STAFF:
        return False
    return p.covers(_area_at(case.area_path))


ADMIN_OBJECTS: dict[str, AdminObject] = {
    "areas.area": AdminObject(lambda s, p, m: s.micro_grid, lambda o: o.path),
    "accounts.user": AdminObject(
        lambda s, p, m: s.assignment.user, lambda o: o.assignments.get().area_path
    ),
    "accounts.apitoken": AdminObject(
        lambda s, p, m: s.extra["token"],
        lambda o: o.user.assignments.get().area_path,
    ),
    "teams.department": AdminObject(lambda s, p, m: s.department, lambda o: o.area_path),
    "teams.roleassignment": AdminObject(lambda s, p, m: s.assignment, lambda o: o.area_path),
    "audit.personaldataaccess": AdminObject(
        lambda s, p, m: s.extra["access"], lambda o: o.area_path
    ),
    "people.building": AdminObject(lambda s, p, m: s.building, lambda o: o.area_path),
    "people.household": AdminObject(lambda s, p, m: s.household, lambda o: o.area_path),
    "people.resident": AdminObject(lambda s, p, m: s.resident, lambda o: o.area_path),
    "people.organization": AdminObject(lambda s, p, m: s.organization, lambda o: o.area_path),
    "people.caregroup": AdminObject(lambda s, p, m: _care_group(), None),
    "cases.case": AdminObject(
        lambda s, p, m: s.extra["case"], lambda o: o.area_path, visible=_case_visible
    ),
    "cases.category": AdminObject(lambda s, p, m: s.extra["case"].category, None),
}


def _care_group():
    from wangge.people.models import CareGroup

    return CareGroup.objects.order_by("pk").first()


_twice = set(ADMIN_OBJECTS) & set(CONTRIB.admin_objects)
assert not _twice, f"defined here and in an app's scope_matrix: {sorted(_twice)}"
ADMIN_OBJECTS.update(CONTRIB.admin_objects)

ADMIN_MODELS = sorted(model._meta.label_lower for model in admin.site._registry)

# Known violations, each with the fix it waits for. Strict: once fixed, the
# test passes, the xfail fails, and the entry must go.
KNOWN_VIOLATIONS: dict[str, str] = {}


def _admin_param(label: str):
    marks = []
    if label in KNOWN_VIOLATIONS:
        marks.append(pytest.mark.xfail(reason=KNOWN_VIOLATIONS[label], strict=True))
    return pytest.param(label, marks=marks, id=label)


def _may_view(model_admin, user) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = user
    return model_admin.has_view_permission(request)


@pytest.mark.parametrize("label", [_admin_param(label) for label in ADMIN_MODELS])
def test_admin_scope(client, matrix, label):
    assert label in ADMIN_OBJECTS, (
        f"admin model {label} has no entry in tests/test_scope_matrix.py ADMIN_OBJECTS"
    )
    entry = ADMIN_OBJECTS[label]
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    model_admin = admin.site._registry[model]
    app, name = label.split(".")
    changelist = reverse(f"admin:{app}_{name}_changelist")
    failures = []
    for p in matrix.principals:
        client.logout()
        if p.user is not None:
            client.force_login(p.user)
        own = entry.get(p.own, p, matrix)
        assert own is not None, f"{label}: no own object in the test world"
        urls = [("list", changelist), ("own", reverse(f"admin:{app}_{name}_change", args=[own.pk]))]
        if entry.path is not None and p.foreign is not None:
            foreign = entry.get(p.foreign, p, matrix)
            urls.append(("foreign", reverse(f"admin:{app}_{name}_change", args=[foreign.pk])))
        for which, url in urls:
            response = client.get(url)
            if p.kind != "staff":
                ok = response.status_code == 302 and "/admin/login/" in response["Location"]
                if not ok:
                    failures.append(
                        f"{which:8} {p.key:18} {url}: {response.status_code}, not sent to login"
                    )
                continue
            may_view = _may_view(model_admin, p.user)
            if not may_view:
                expected = 403
            elif which == "list":
                expected = 200
            elif which == "foreign":
                expected = 404
            elif entry.path is None:
                expected = 200
            else:
                if entry.visible is not None:
                    covered = entry.visible(p, own)
                else:
                    covered = p.covers(_area_at(entry.path(own)))
                expected = 200 if covered else 404
            if response.status_code != expected:
                failures.append(f"{which:8} {p.key:18} {url}: {response.status_code} != {expected}")
            _check_no_leak(response, p, f"admin {url}")
    assert not failures, "\n".join(failures)


def _area_at(path: str) -> Area:
    return Area.objects.get(path=path)
