"""/api/v1/cases through the HTTP client."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.cases.models import Case, CaseAttachment, CaseEvent

from .conftest import IN_MG_A1A_1_1, IN_MG_A1A_1_2, IN_MG_B1A_1_1, OUTSIDE_CITY, photo, png, report

URL = "/api/v1/cases/"


def login(client, user):
    client.force_login(user)
    return client


def post_case(client, **fields):
    photos = fields.pop("photos", [])
    data = {"description": "人行道上有暴露垃圾", "category": "0101", **fields}
    if photos:
        data["photos"] = photos
    headers = {}
    if "key" in data:
        headers["HTTP_IDEMPOTENCY_KEY"] = data.pop("key")
    return client.post(URL, data, **headers)


def test_report_with_photos_and_idempotency_key(client, world):
    login(client, world.resident)
    lng, lat = IN_MG_A1A_1_1
    r = post_case(client, lng=lng, lat=lat, photos=[photo(), photo("b.png")], key="k-1")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["created"] is True
    case = body["case"]
    assert case["status"] == "reported" and case["category"] == "0101"
    assert case["area"]["level"] == "micro_grid" and len(body["attachments"]) == 2
    assert case["number"].startswith("20") and len(case["number"]) == 12
    # A retry from the phone: same key, same case, nothing new.
    again = post_case(client, lng=lng, lat=lat, photos=[photo()], key="k-1")
    assert again.status_code == 200 and again.json()["case"]["id"] == case["id"]
    assert Case.objects.count() == 1 and CaseAttachment.objects.count() == 2
    # The reporter can fetch the photo; someone from another district cannot.
    assert len(again.json()["attachments"]) == 2
    att = body["attachments"][0]["url"]
    got = client.get(att)
    assert got.status_code == 200 and b"".join(got.streaming_content) == png()
    login(client, world.outsider)
    assert client.get(att).status_code == 404


@pytest.mark.parametrize(
    "fields,code",
    [
        ({"photos": [photo("x.png", b"GIF89a-not-really")]}, "not_an_image"),
        ({"photos": [photo("x.txt", b"hello", content_type="text/plain")]}, "not_an_image"),
        ({"photos": [photo(f"{i}.png") for i in range(10)]}, "too_many_photos"),
        ({"lng": OUTSIDE_CITY[0], "lat": OUTSIDE_CITY[1]}, "outside_city"),
        ({"category": "7777"}, "unknown_category"),
        ({"description": ""}, "description_required"),
        ({"lng": "东经120", "lat": "30"}, "invalid"),
        ({"area_id": 999999}, "unknown_area"),
    ],
)
def test_bad_intake_is_refused_and_changes_nothing(client, world, fields, code):
    login(client, world.resident)
    fields.setdefault("lng", IN_MG_A1A_1_1[0])
    fields.setdefault("lat", IN_MG_A1A_1_1[1])
    r = post_case(client, **fields)
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == code and body["message"] and not body["message"].isascii()
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_anonymous_needs_a_clue_category(client, world):
    login(client, world.resident)
    lng, lat = IN_MG_A1A_1_1
    r = post_case(client, lng=lng, lat=lat, anonymous="true")
    assert r.status_code == 422 and r.json()["code"] == "anonymous_not_allowed"
    r = post_case(
        client, lng=lng, lat=lat, anonymous="true", category="1301", description="办事吃拿卡要"
    )
    assert r.status_code == 201


def test_bearer_token_posts_without_csrf_but_sessions_need_it(world):
    from django.test import Client

    from wangge.accounts.services import token_issue

    strict = Client(enforce_csrf_checks=True)
    token = token_issue(user=world.resident, label="手机")
    r = strict.post(
        URL,
        {"description": "路灯不亮", "category": "0602", "area_id": world.tree.grid_a1a_1.pk},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 201, r.content
    strict.force_login(world.resident)
    r = strict.post(URL, {"description": "路灯不亮", "area_id": world.tree.grid_a1a_1.pk})
    assert r.status_code == 403  # a browser session without the CSRF token


def test_unauthenticated_intake_is_401(client, world):
    assert post_case(client, area_id=world.tree.grid_a1a_1.pk).status_code == 401


def test_moves_stale_forbidden_and_invalid(client, world):
    case = report(world)
    url = f"{URL}{case.pk}/moves/"
    login(client, world.dispatcher)
    r = client.post(url + "accept", {"version": 1, "note": "已受理"})
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["version"] == 2
    # Someone still holding version 1 tries to void: 409, nothing changes.
    r = client.post(url + "void", {"version": 1, "reason": "重复"})
    assert r.status_code == 409 and r.json()["code"] == "stale"
    # A move the status does not allow.
    r = client.post(url + "close", {"version": 2})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    # A move this actor may not make.
    login(client, world.micro_leader)
    r = client.post(url + "register", {})
    assert r.status_code == 403 and r.json()["code"] == "not_allowed"
    # Unknown move name.
    login(client, world.dispatcher)
    assert client.post(url + "teleport", {}).json()["code"] == "unknown_move"
    # Someone outside the area does not even see it.
    login(client, world.outsider_dispatcher)
    assert client.post(url + "register", {}).status_code == 404
    case.refresh_from_db()
    assert case.status == "accepted" and case.version == 2


def test_full_walk_over_http_with_report_back_photos(client, world):
    case = report(world, category="0602", description="路灯不亮")
    url = f"{URL}{case.pk}/moves/"
    login(client, world.dispatcher)
    assert client.post(url + "accept").status_code == 200
    assert client.post(url + "register").status_code == 200
    r = client.post(url + "dispatch", {"team": "department", "department_id": world.dept_zj.pk})
    assert r.status_code == 200 and r.json()["department"] == "住房和城乡建设局"
    assert "handle" not in r.json()["moves"]
    login(client, world.zj_staff)
    detail = client.get(f"{URL}{case.pk}").json()
    assert "handle" in detail["moves"]
    assert client.post(url + "handle").status_code == 200
    r = client.post(url + "report_back", {"note": "已更换灯泡"})
    assert r.status_code == 422 and r.json()["code"] == "photos_required"
    r = client.post(url + "report_back", {"note": "已更换灯泡", "photos": [photo()]})
    assert r.status_code == 200 and r.json()["status"] == "handled"
    login(client, world.grid_worker)
    assert client.post(url + "verify_fail", {"note": "仍有一盏不亮"}).json()["status"] == "handling"
    login(client, world.zj_staff)
    client.post(url + "report_back", {"note": "全部修好", "photos": [photo(), photo()]})
    login(client, world.grid_worker)
    assert client.post(url + "verify_pass").json()["status"] == "verified"
    login(client, world.dispatcher)
    assert client.post(url + "close").json()["status"] == "closed"
    login(client, world.resident)
    r = client.post(url + "rate", {"rating": 5, "note": "修得很快"})
    assert r.status_code == 200 and r.json()["rating"] == 5
    # The reporter's timeline: public steps only, no staff names, no internal data.
    tl = client.get(f"{URL}{case.pk}/timeline").json()
    kinds = [e["kind"] for e in tl]
    assert kinds == [
        "report",
        "accept",
        "dispatch",
        "handle",
        "report_back",
        "report_back",
        "close",
    ]
    assert {e["actor"] for e in tl} <= {"本人", "工作人员", "系统"}
    assert all(e["data"] == {} for e in tl)
    assert len(tl[-2]["attachments"]) == 2
    login(client, world.dispatcher)
    staff_tl = client.get(f"{URL}{case.pk}/timeline").json()
    assert [e["kind"] for e in staff_tl].count("verify_fail") == 1
    assert "rate" in [e["kind"] for e in staff_tl]


def test_list_is_scoped_per_role(client, world):
    a1 = report(world)
    a2 = report(world, point=IN_MG_A1A_1_2, category="0602", description="路灯不亮")
    b1 = report(world, actor=world.outsider, point=IN_MG_B1A_1_1)
    from .conftest import move

    move(a2, "accept", world.dispatcher)
    move(a2, "register", world.dispatcher)
    move(a2, "dispatch", world.dispatcher, team="department", department_id=world.dept_zj.pk)

    def ids(user, **params):
        login(client, user)
        r = client.get(URL, params)
        assert r.status_code == 200
        return {c["id"] for c in r.json()["items"]}

    assert ids(world.dispatcher) == {a1.pk, a2.pk}
    assert ids(world.district_dispatcher) == {a1.pk, a2.pk}
    assert ids(world.micro_leader) == {a1.pk}
    assert ids(world.outsider) == {b1.pk}
    assert ids(world.outsider_dispatcher) == {b1.pk}
    assert ids(world.zj_staff) == {a2.pk}  # only their department's cases
    assert ids(world.zf_staff) == set()
    assert ids(world.resident) == {a1.pk, a2.pk}  # reported both
    assert ids(world.resident2) == set()
    assert ids(world.dispatcher, status="reported") == {a1.pk}
    assert ids(world.dispatcher, area_id=world.tree.mg_a1a_1_2.pk) == {a2.pk}
    login(client, world.resident2)
    assert client.get(f"{URL}{a1.pk}").status_code == 404


def test_list_query_count_is_pinned(client, world):
    login(client, world.dispatcher)

    def count():
        client.get(URL)  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(URL)
        assert r.status_code == 200
        return len(ctx.captured_queries), r.json()["count"]

    report(world)
    few, n = count()
    for i in range(8):
        report(world, point=(120.05 + i * 0.003, 30.3), description=f"第{i}处垃圾")
    many, m = count()
    assert (n, m) == (1, 9)
    # session, user, grants, count, the page's ids, its rows: whatever the size
    assert few == many <= 6


def test_board_is_public_numbered_and_personal_data_free(client, world):
    from wangge.teams.tests.world import make_building

    b = make_building(world.tree.grid_a1a_1, world.tree.mg_a1a_1_1, name="芦席汇3幢")
    report(world, description="张三家门口垃圾，电话13900001234", building=b)
    report(world, point=IN_GRID_A1A_2_POINT, description="校门口占道经营", category="0401")
    r = client.get(f"{URL}board/{world.tree.street_a1.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["open"] == 2 and len(body["items"]) == 2
    places = {i["place"] for i in body["items"]}
    assert places == {"芦席汇3幢", "嘉兴一中专属网格"}
    text = r.content.decode()
    for secret in ("张三", "13900001234", "居民", world.resident.username):
        assert secret not in text
    cleared = {g["name"]: g["cleared"] for g in body["grids"]}
    assert cleared == {
        "芦席汇社区第一网格": False,
        "嘉兴一中专属网格": False,
        "新塍村第一网格": True,
    }
    assert client.get(f"{URL}board/999999").status_code == 404


IN_GRID_A1A_2_POINT = (120.10, 30.75)


def test_categories_and_suggest_are_public(client, db):
    r = client.get(f"{URL}categories")
    assert r.status_code == 200 and len(r.json()) >= 17
    r = client.get(f"{URL}categories/suggest", {"text": "楼下有人占道摆摊"})
    assert r.json()[0]["code"] == "0401"


def test_openapi_lists_case_routes(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/cases/{case_id}/moves/{move}" in paths


def test_notifications_for_the_reporter(client, world, django_capture_on_commit_callbacks):
    case = report(world)
    login(client, world.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}{case.pk}/moves/accept")
    login(client, world.resident)
    items = client.get(f"{URL}notifications", {"unread": "true"}).json()
    assert len(items) == 1 and "已受理" in items[0]["text"]
    assert client.post(f"{URL}notifications/{items[0]['id']}/read").status_code == 204
    assert client.get(f"{URL}notifications", {"unread": "true"}).json() == []
    login(client, world.resident2)
    assert client.post(f"{URL}notifications/{items[0]['id']}/read").status_code == 404


def test_wide_scope_page_matches_the_plain_list(world):
    from wangge.cases.selectors import CaseFilters, case_list, case_page

    for i in range(6):
        report(world, point=(120.05 + i * 0.02, 30.3), description=f"第{i}处")
    report(world, actor=world.outsider, point=IN_MG_B1A_1_1)
    for user in (world.dispatcher, world.district_dispatcher, world.grid_worker):
        for f in (CaseFilters(), CaseFilters(open=True), CaseFilters(category="0101")):
            count, items = case_page(actor=user, filters=f, offset=1, limit=3, cap=4)
            plain = list(case_list(actor=user, filters=f))
            assert [c.pk for c in items] == [c.pk for c in plain[1:4]]
            assert count == min(len(plain), 5)


def test_wide_page_merges_several_areas_newest_first(world, tree, make_staff):
    """A scope of two streets in two districts, and one of a district and a
    street elsewhere, read each area along its own index and merge by time:
    every page equals the plain list's slice, and the page holds cases of
    both areas (not vacuous)."""
    from wangge.cases.selectors import CaseFilters, case_list, case_page
    from wangge.teams.models import RoleAssignment

    for i in range(4):
        report(world, point=(120.05 + i * 0.02, 30.3), description=f"甲{i}")
        report(world, actor=world.outsider, point=IN_MG_B1A_1_1, description=f"乙{i}")
    two_streets = make_staff("dispatcher", tree.street_a1)
    RoleAssignment.objects.create(
        user=two_streets, role="dispatcher", area=tree.street_b1, area_path=tree.street_b1.path
    )
    district_and_street = make_staff("dispatcher", tree.district_a)
    RoleAssignment.objects.create(
        user=district_and_street,
        role="dispatcher",
        area=tree.street_b1,
        area_path=tree.street_b1.path,
    )
    city = make_staff("leader", tree.city)
    for user in (two_streets, district_and_street, city):
        for f in (CaseFilters(), CaseFilters(category="0101")):
            plain = [c.pk for c in case_list(actor=user, filters=f)]
            assert len(plain) >= 8 or f.category
            for offset in range(0, len(plain) + 1, 3):
                _, items = case_page(actor=user, filters=f, offset=offset, limit=3, cap=100)
                assert [c.pk for c in items] == plain[offset : offset + 3], (user, f, offset)
        first = case_page(actor=user, offset=0, limit=2, cap=100)[1]
        assert {c.street_id for c in first} == {tree.street_a1.pk, tree.street_b1.pk}
