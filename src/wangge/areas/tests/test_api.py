import pytest

from wangge.accounts.services import resident_register, token_issue
from wangge.teams.roles import Role
from wangge.teams.tests.world import make_building, make_household, make_resident, make_user


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=user, label='test')}"}


@pytest.fixture
def cadre(tree):
    return make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")


def test_tops(client, tree, cadre):
    body = client.get("/api/v1/areas/", **bearer(cadre)).json()
    assert [(a["code"], a["level_label"]) for a in body] == [("330402001001", "村社区")]


def test_detail_with_counts_and_breadcrumb(client, tree, cadre):
    make_resident(make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1)), name="居民")
    body = client.get(f"/api/v1/areas/{tree.grid_a1a_1.pk}", **bearer(cadre)).json()
    assert body["code"] == "330402001001001" and body["grid_kind_label"] == "基础网格"
    assert body["counts"] == {"children": 2, "households": 1, "residents": 1}
    assert [b["name"] for b in body["breadcrumb"]] == ["嘉兴市", "南湖区", "解放街道", "芦席汇社区"]
    assert body["bbox"] == [120.0, 30.0, 120.25, 30.5]
    r = client.get(f"/api/v1/areas/{tree.grid_b1a_1.pk}", **bearer(cadre))
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert client.get("/api/v1/areas/999999", **bearer(cadre)).status_code == 404


def test_children_paginated(client, tree, cadre):
    r = client.get(f"/api/v1/areas/{tree.community_a1a.pk}/children?page_size=1", **bearer(cadre))
    body = r.json()
    assert body["count"] == 2 and [c["name"] for c in body["items"]] == ["芦席汇社区第一网格"]
    page2 = client.get(
        f"/api/v1/areas/{tree.community_a1a.pk}/children?page_size=1&page=2", **bearer(cadre)
    )
    assert [c["name"] for c in page2.json()["items"]] == ["嘉兴一中专属网格"]


def test_geojson(client, tree, cadre):
    body = client.get(
        f"/api/v1/areas/{tree.community_a1a.pk}/geojson?depth=2", **bearer(cadre)
    ).json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 1 + 2 + 2  # community, 2 grids, 2 micro-grids
    assert (
        client.get(
            f"/api/v1/areas/{tree.community_a1a.pk}/geojson?depth=7", **bearer(cadre)
        ).status_code
        == 422
    )


def test_search(client, tree, cadre):
    body = client.get("/api/v1/areas/search?q=网格", **bearer(cadre)).json()
    assert {a["code"][:12] for a in body} == {"330402001001"}
    assert client.get("/api/v1/areas/search", **bearer(cadre)).status_code == 422


def test_locate_point_in_a_micro_grid(client, tree, cadre):
    body = client.get("/api/v1/areas/locate?lat=30.25&lng=120.05", **bearer(cadre)).json()
    assert body["area"]["code"] == "330402001001001001"
    assert [a["level"] for a in body["ancestors"]] == [
        "city",
        "district",
        "street",
        "community",
        "grid",
    ]
    # Not scope-restricted: a point in district B is found for a district A user too.
    body = client.get("/api/v1/areas/locate?lat=30.5&lng=120.75", **bearer(cadre)).json()
    assert body["area"]["code"] == "330411001001001001"


def test_locate_outside_and_bad_coordinates(client, tree, cadre):
    h = bearer(cadre)
    r = client.get("/api/v1/areas/locate?lat=39.9&lng=116.4", **h)
    assert r.status_code == 404
    assert r.json() == {"code": "outside", "message": "该位置不在本市网格范围内"}
    for query in (
        "lat=abc&lng=120.1",
        "lat=91&lng=120.1",
        "lat=30&lng=-181",
        "lng=120.1",
        "lat=nan&lng=120",
        "",
    ):
        r = client.get(f"/api/v1/areas/locate?{query}", **h)
        assert r.status_code == 422, query
        assert r.json()["code"] == "bad_coordinates" and (
            "纬度" in r.json()["message"] or "经度" in r.json()["message"]
        )
    assert client.get("/api/v1/areas/locate?lat=30.25&lng=120.05").status_code == 401


def test_resident_sees_names_only(client, tree):
    user = resident_register(
        phone="13700001111", password="pass-Wangge-2026", name="居民", grid=tree.grid_a1a_1
    )
    h = bearer(user)
    body = client.get(f"/api/v1/areas/{tree.grid_a1a_1.pk}", **h).json()
    assert body["name"] == "芦席汇社区第一网格" and body["counts"] is None and body["bbox"] is None
    assert client.get(f"/api/v1/areas/{tree.city.pk}", **h).status_code == 200
    assert client.get(f"/api/v1/areas/{tree.mg_a1a_1_1.pk}", **h).status_code == 404
    assert client.get(f"/api/v1/areas/{tree.grid_a1a_1.pk}/children", **h).status_code == 404
    shapes = client.get(f"/api/v1/areas/{tree.grid_a1a_1.pk}/geojson", **h).json()
    assert [f["id"] for f in shapes["features"]] == [tree.grid_a1a_1.pk]
    assert [a["name"] for a in client.get("/api/v1/areas/search?q=街道", **h).json()] == [
        "解放街道"
    ]


def test_children_and_search_queries_do_not_grow(client, tree, cadre):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wangge.areas.models import Level
    from wangge.areas.services import area_create

    headers = bearer(cadre)

    client.get("/api/v1/auth/me", **headers)  # the token's first use also records it

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **headers).status_code == 200
        return len(ctx.captured_queries)

    url = f"/api/v1/areas/{tree.community_a1a.pk}/children"
    before = (count(url), count("/api/v1/areas/search?q=网格"))
    for i in range(3, 9):
        area_create(
            level=Level.GRID,
            code=f"330402001001{i:03d}",
            name=f"芦席汇社区第{i}网格",
            parent=tree.community_a1a,
            grid_kind="basic",
        )
    assert (count(url), count("/api/v1/areas/search?q=网格")) == before
