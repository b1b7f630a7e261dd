import pytest

from wangge.accounts.services import token_issue
from wangge.teams.models import Department, RoleAssignment
from wangge.teams.roles import Role
from wangge.teams.tests.world import make_user


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=user, label='test')}"}


@pytest.fixture
def cadre(tree):
    return make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")


def test_grid_team_route(client, tree, cadre):
    make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员甲", phone="13900000002")
    body = client.get(f"/api/v1/teams/grids/{tree.grid_a1a_1.pk}", **bearer(cadre)).json()
    assert body["worker"]["name"] == "网格员甲" and body["worker"]["phone"] == "13900000002"
    assert body["leader"] is None and body["incomplete"] is True
    assert body["missing"] == ["grid_leader"] and body["missing_labels"] == ["网格长"]
    r = client.get(f"/api/v1/teams/grids/{tree.community_a1a.pk}", **bearer(cadre))
    assert r.status_code == 404  # not a grid
    assert (
        client.get(f"/api/v1/teams/grids/{tree.grid_b1a_1.pk}", **bearer(cadre)).status_code == 404
    )


def test_incomplete_route(client, tree, cadre):
    r = client.get(f"/api/v1/teams/incomplete?area_id={tree.community_a1a.pk}", **bearer(cadre))
    assert [t["grid_code"] for t in r.json()] == ["330402001001001", "330402001001002"]
    assert (
        client.get(
            f"/api/v1/teams/incomplete?area_id={tree.community_b1a.pk}", **bearer(cadre)
        ).status_code
        == 404
    )
    assert len(client.get("/api/v1/teams/incomplete", **bearer(cadre)).json()) == 2


def test_assign_and_revoke_by_api(client, tree, cadre):
    newcomer = make_user(None, None, name="新人")
    headers = bearer(cadre)
    r = client.post(
        "/api/v1/teams/assignments",
        {"user_id": newcomer.pk, "role": "grid_worker", "area_id": tree.grid_a1a_2.pk},
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 201, r.content
    assert r.json()["area"]["code"] == "330402001001002" and r.json()["role_label"] == "专职网格员"
    r2 = client.post(
        "/api/v1/teams/assignments",
        {"user_id": newcomer.pk, "role": "grid_worker", "area_id": tree.community_a1a.pk},
        content_type="application/json",
        **headers,
    )
    assert r2.status_code == 422 and "只能分配在网格层级" in r2.json()["message"]
    assignment_id = r.json()["id"]
    assert client.delete(f"/api/v1/teams/assignments/{assignment_id}", **headers).status_code == 204
    assert not RoleAssignment.objects.get(pk=assignment_id).is_active


def test_assignments_outside_are_not_found(client, tree, cadre):
    foreign_user = make_user(Role.GRID_WORKER, tree.grid_b1a_1, name="外区网格员")
    newcomer = make_user(None, None, name="新人")
    headers = bearer(cadre)

    def post(user, area):
        return client.post(
            "/api/v1/teams/assignments",
            {"user_id": user.pk, "role": "part_time_worker", "area_id": area.pk},
            content_type="application/json",
            **headers,
        )

    assert post(foreign_user, tree.grid_a1a_1).status_code == 404  # a user of another district
    assert post(newcomer, tree.grid_b1a_1).status_code == 404  # an area of another district
    foreign_assignment = foreign_user.assignments.get()
    assert (
        client.delete(f"/api/v1/teams/assignments/{foreign_assignment.pk}", **headers).status_code
        == 404
    )
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    own = worker.assignments.get()
    r = client.delete(f"/api/v1/teams/assignments/{own.pk}", **bearer(worker))
    assert r.status_code == 403  # in scope, but a grid worker does not manage users


def test_departments_route(client, tree, cadre):
    Department.objects.create(
        name="南湖住建局", level="district", area=tree.district_a, area_path=tree.district_a.path
    )
    Department.objects.create(
        name="秀洲住建局", level="district", area=tree.district_b, area_path=tree.district_b.path
    )
    body = client.get("/api/v1/teams/departments", **bearer(cadre)).json()
    assert [d["name"] for d in body] == ["南湖住建局"] and body[0]["level_label"] == "区县级"


def test_team_and_department_routes_do_not_grow_queries_with_size(client, tree, cadre):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = bearer(cadre)

    client.get("/api/v1/auth/me", **headers)  # the token's first use also records it

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **headers).status_code == 200
        return len(ctx.captured_queries)

    team_url = f"/api/v1/teams/grids/{tree.grid_a1a_1.pk}"
    make_user(Role.PART_TIME_WORKER, tree.grid_a1a_1, name="兼职1")
    Department.objects.create(name="部门1", level="city", area=tree.city, area_path=tree.city.path)
    small = (count(team_url), count("/api/v1/teams/departments"))
    for i in range(5):
        make_user(Role.GRID_ASSISTANT, tree.mg_a1a_1_1, name=f"助理{i}")
        Department.objects.create(
            name=f"部门{i + 2}",
            level="district",
            area=tree.district_a,
            area_path=tree.district_a.path,
        )
    assert (count(team_url), count("/api/v1/teams/departments")) == small
