"""The resident H5 pages through Django's test client: who gets in, what the
home page shows, 报事 (with photos, a point, the idempotency key), my cases,
rating, 评事 and the honest empty states, sign-up pending a check."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wangge.cases.models import Case, CaseAttachment

from .conftest import PASSWORD, PHONE, close_case, png_bytes

pytestmark = pytest.mark.django_db


def login(client, phone=PHONE, password=PASSWORD):
    r = client.post("/m/login/", {"mode": "password", "username": phone, "password": password})
    assert r.status_code == 302, r.content.decode()[:500]
    return r


def test_anonymous_visitor_is_sent_to_the_login_page(client, place):
    r = client.get("/m/cases/")
    assert r.status_code == 302
    assert r["Location"] == "/m/login/?next=/m/cases/"


def test_resident_logs_in_and_sees_grid_team_and_five_entries(client, place):
    r = login(client)
    assert r["Location"] == "/m/"
    page = client.get("/m/").content.decode()
    assert "芦席汇社区第一网格" in page
    assert "张网格长" in page and 'href="tel:13700000001"' in page
    assert "李专职" in page and 'href="tel:13700000002"' in page
    for entry in ("报事", "议事", "知事", "办事", "评事"):
        assert f">{entry}<" in page
    assert "等待网格员核实" in page  # registered, not yet checked
    assert 'id="grid-geojson"' in page


def test_wrong_password_is_refused_with_a_message(client, place):
    r = client.post("/m/login/", {"mode": "password", "username": PHONE, "password": "nope-nope"})
    assert r.status_code == 401
    assert "手机号或密码错误" in r.content.decode()
    assert client.get("/m/").status_code == 302


def test_staff_cannot_use_the_resident_login_or_pages(client, place):
    r = client.post(
        "/m/login/", {"mode": "password", "username": "13700000001", "password": "pass-Wangge-2026"}
    )
    assert r.status_code == 403
    assert "工作人员请从工作台登录" in r.content.decode()
    client.force_login(place.leader)
    r = client.get("/m/")
    assert r.status_code == 403
    assert "居民端仅供居民使用" in r.content.decode()


def _report(client, key="key-1", **fields):
    data = {
        "description": "3幢楼下路灯不亮，晚上很黑",
        "where": "grid",
        "idempotency_key": key,
        **fields,
    }
    return client.post("/m/report/", data)


def test_report_with_photo_creates_one_case_even_when_sent_twice(client, place):
    login(client)
    photo = SimpleUploadedFile("路灯.png", png_bytes(), content_type="image/png")
    r = _report(client, photos=[photo])
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == f"/m/cases/{case.pk}/?new=1"
    assert case.area_id == place.tree.grid_a1a_1.pk
    assert case.category.name  # suggested from the text
    assert CaseAttachment.objects.filter(case=case).count() == 1
    # the phone retries the same form: same key, no second case
    r2 = _report(client, photos=[SimpleUploadedFile("路灯.png", png_bytes(), "image/png")])
    assert r2["Location"] == r["Location"]
    assert Case.objects.count() == 1
    page = client.get(r["Location"]).content.decode()
    assert "已提交" in page and case.number in page and "上报" in page


def test_report_at_a_point_on_the_grid_map_is_routed_to_its_micro_grid(client, place):
    login(client)
    r = _report(client, where="map", lng="120.06", lat="30.25", category="0101")
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.area_id == place.tree.mg_a1a_1_1.pk
    assert (case.lng, case.lat) == (120.06, 30.25)
    assert case.category.code == "0101"


def test_report_errors_are_shown_and_nothing_is_written(client, place):
    login(client)
    r = _report(client, where="gps", lng="119.5", lat="30.5")
    assert r.status_code == 422
    page = r.content.decode()
    assert "该位置不在本市范围内" in page
    assert 'value="key-1"' in page  # the retry keeps its key
    r = _report(client, description="   ")
    assert r.status_code == 422 and "请填写问题描述" in r.content.decode()
    r = _report(client, photos=[SimpleUploadedFile("a.png", b"%PDF-1.4", "image/png")])
    assert r.status_code == 422 and "不是有效的图片" in r.content.decode()
    assert Case.objects.count() == 0


def test_my_cases_lists_only_mine_and_a_foreign_case_is_not_found(client, place):
    from wangge.accounts.services import resident_register
    from wangge.cases.services import case_report

    other = resident_register(
        phone="13911112222", password=PASSWORD, name="钱先生", grid=place.tree.grid_a1a_1
    )
    theirs, _ = case_report(actor=other, description="楼道堆放杂物")
    login(client)
    _report(client)
    mine = Case.objects.exclude(pk=theirs.pk).get()
    page = client.get("/m/cases/").content.decode()
    assert mine.number in page and theirs.number not in page
    assert client.get(f"/m/cases/{theirs.pk}/").status_code == 404
    assert client.post(f"/m/cases/{theirs.pk}/rate/", {"rating": "5"}).status_code == 404


def test_resident_rates_a_closed_case_once(client, place):
    login(client)
    _report(client)
    case = Case.objects.get()
    page = client.get(f"/m/cases/{case.pk}/").content.decode()
    assert 'data-testid="rate-form"' not in page  # not closed yet
    close_case(place, case.pk)
    assert "评事" in client.get("/m/ratings/").content.decode()
    assert case.number in client.get("/m/ratings/").content.decode()
    page = client.get(f"/m/cases/{case.pk}/").content.decode()
    assert 'data-testid="rate-form"' in page
    assert "已修好路灯" in page  # the report-back note is public
    assert "/api/v1/cases/attachments/" in page  # with its photo
    r = client.post(f"/m/cases/{case.pk}/rate/", {"comment": "很快"})
    assert r.status_code == 422 and "请选择 1 到 5 星" in r.content.decode()
    r = client.post(f"/m/cases/{case.pk}/rate/", {"rating": "4", "comment": "修得很快"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.rating, case.rating_comment) == ("rated", 4, "修得很快")
    page = client.get(f"/m/cases/{case.pk}/").content.decode()
    assert 'data-testid="rate-form"' not in page and "修得很快" in page
    assert case.number not in client.get("/m/ratings/").content.decode()


def test_entries_of_later_issues_show_their_empty_state(client, place):
    login(client)
    assert "暂无议事" in client.get("/m/discuss/").content.decode()
    assert "办事指南" in client.get("/m/services/").content.decode()  # wangge.civic
    page = client.get("/m/notices/").content.decode()
    assert "暂无通知公告" in page
    assert "在办工单已清零" in page  # the grid's real public board
    _report(client)
    page = client.get("/m/notices/").content.decode()
    assert "在办 1 件" in page and Case.objects.get().number in page
    assert "赵阿姨" not in page and PHONE not in page


def test_sign_up_picks_the_grid_and_waits_for_the_check(client, tree):
    from wangge.accounts.models import User

    districts = client.get("/m/register/areas/").json()["items"]
    assert [d["name"] for d in districts] == ["南湖区", "秀洲区"]
    streets = client.get(f"/m/register/areas/?parent={tree.district_a.pk}").json()["items"]
    assert [s["name"] for s in streets] == ["解放街道"]
    grids = client.get(f"/m/register/areas/?parent={tree.community_a1a.pk}").json()["items"]
    assert {g["name"] for g in grids} == {"芦席汇社区第一网格", "嘉兴一中专属网格"}
    # micro-grids are not offered
    assert client.get(f"/m/register/areas/?parent={tree.grid_a1a_1.pk}").json()["items"] == []
    located = client.get("/m/register/locate/?lng=120.06&lat=30.25").json()["chain"]
    assert located[-1]["id"] == tree.grid_a1a_1.pk
    assert client.get("/m/register/locate/?lng=119.5&lat=30.5").status_code == 404

    form = {
        "name": "孙大爷",
        "username": "13655556666",
        "password": PASSWORD,
        "password2": PASSWORD + "x",
        "grid": str(tree.grid_a1a_1.pk),
    }
    r = client.post("/m/register/", form)
    assert r.status_code == 422 and "两次输入的密码不一致" in r.content.decode()
    r = client.post(
        "/m/register/", {**form, "password2": PASSWORD, "grid": str(tree.mg_a1a_1_1.pk)}
    )
    assert r.status_code == 422 and "请选择您居住的网格" in r.content.decode()
    r = client.post("/m/register/", {**form, "password2": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/m/"
    user = User.objects.with_phone("13655556666").get()
    assert (user.kind, user.resident_status, user.home_grid_id) == (
        "resident",
        "pending",
        tree.grid_a1a_1.pk,
    )
    assert "等待网格员核实" in client.get("/m/").content.decode()


def test_verified_resident_sees_their_micro_grid_leader_first_and_the_rest_folded(
    client, place, make_staff
):
    import datetime as dt

    from wangge.accounts.services import resident_verify
    from wangge.core.idnumbers import make_id_number
    from wangge.people import services as people

    t = place.tree
    make_staff("micro_grid_leader", t.mg_a1a_1_1, name="周微格", phone="13700000011")
    for i in range(4):
        make_staff("part_time_worker", t.grid_a1a_1, name=f"兼职{i}", phone=f"1370000002{i}")
    building = people.building_create(
        actor=place.worker, grid=t.grid_a1a_1, micro_grid=t.mg_a1a_1_1,
        code="00001", name="1幢", address="芦席汇1幢",
    )  # fmt: skip
    household = people.household_create(actor=place.worker, building=building, room="101")
    record = people.resident_create(
        actor=place.worker, household=household, name="赵阿姨", relationship="本人",
        id_number=make_id_number("330402", dt.date(1956, 3, 8), 12, "F"),
    )  # fmt: skip
    resident_verify(actor=place.worker, user=place.resident, resident=record)
    login(client)
    page = client.get("/m/").content.decode()
    assert "等待网格员核实" not in page
    head, folded = page.split('<details class="h5-more">')
    assert "张网格长" in head and "周微格" in head and "1号微网格" in head
    assert "其他成员（4 人）" in folded and "兼职3" in folded and "兼职3" not in head


def test_home_and_my_cases_query_counts_do_not_grow(client, place, make_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wangge.cases.services import case_report

    login(client)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    case_report(actor=place.resident, description="楼道灯坏了")
    few = {url: count(url) for url in ("/m/", "/m/cases/", "/m/ratings/")}
    for i in range(5):
        case_report(actor=place.resident, description=f"垃圾桶满了 {i}")
        make_staff("part_time_worker", place.tree.grid_a1a_1, phone=f"1370000003{i}")
    assert {url: count(url) for url in few} == few
    assert few["/m/"] <= 12, few  # session, user, scope, grid, team, counts…
