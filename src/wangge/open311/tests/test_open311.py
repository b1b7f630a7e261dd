"""Open311 GeoReport v2: plain requests through the test client, and the
independent `georeport` client from PyPI against a live server."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from wangge.cases.models import Case
from wangge.cases.tests.conftest import IN_MG_A1A_1_1, OUTSIDE_CITY, move, report, walk_to
from wangge.open311.services import apikey_create

BASE = "/open311/v2"


@pytest.fixture
def key(world):
    from wangge.accounts.models import User

    svc = User.objects.create_user(username="app-client", password="x-Wangge-2026", kind="staff")
    _, raw = apikey_create(name="随手拍小程序", user=svc)
    return raw


def xml(resp):
    assert resp["Content-Type"].startswith("text/xml")
    return ET.fromstring(resp.content)


def test_discovery_both_formats(client, db):
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    ep = root.find("endpoints/endpoint")
    assert ep.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in ep.findall("formats/format")] == ["text/xml", "application/json"]
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["url"].endswith("/open311/v2")


def test_services_from_the_catalogue(client, db):
    root = xml(client.get(f"{BASE}/services.xml"))
    services = root.findall("service")
    assert len(services) >= 90
    first = services[0]
    assert [c.tag for c in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("service_code") == "0101" and first.findtext("group") == "市容环境"
    js = client.get(f"{BASE}/services.json").json()
    clue = next(s for s in js if s["service_code"] == "1301")
    assert clue["metadata"] is True and clue["service_name"] == "作风监督"
    d = client.get(f"{BASE}/services/1301.json").json()
    assert d["service_code"] == "1301" and d["attributes"][0]["code"] == "anonymous"
    root = xml(client.get(f"{BASE}/services/1301.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "true"
    err = client.get(f"{BASE}/services/0000.xml")
    assert err.status_code == 404 and xml(err).find("error/code").text == "404"


def test_post_request_needs_a_key_and_creates_a_case(client, world, key):
    lng, lat = IN_MG_A1A_1_1
    data = {
        "service_code": "0602",
        "lat": lat,
        "long": lng,
        "description": "路灯不亮，电话13912345678",
    }
    r = client.post(f"{BASE}/requests.xml", data)
    assert r.status_code == 403 and xml(r).find("error/code").text == "403"
    r = client.post(f"{BASE}/requests.xml", {**data, "api_key": "o311_wrong"})
    assert r.status_code == 403
    assert Case.objects.count() == 0
    r = client.post(
        f"{BASE}/requests.xml",
        {**data, "api_key": key, "first_name": "明", "last_name": "李", "phone": "13912345678"},
    )
    assert r.status_code == 201
    req = xml(r).find("request")
    case = Case.objects.get(pk=int(req.findtext("service_request_id")))
    assert case.source == "open311" and case.micro_grid == world.tree.mg_a1a_1_1
    assert case.reporters.get().name == "李 明"
    token = req.findtext("token")
    t = client.get(f"{BASE}/tokens/{token}.json").json()
    assert t == [{"service_request_id": str(case.pk), "token": token}]
    # JSON posting, by address instead of a point.
    r = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": key,
            "service_code": "0101",
            "address_string": "解放街道芦席汇社区中山路",
            "media_url": "https://example.org/a.jpg",
        },
    )
    assert r.status_code == 201
    c2 = Case.objects.get(pk=int(r.json()[0]["service_request_id"]))
    assert c2.community == world.tree.community_a1a and c2.media_url.endswith("a.jpg")


@pytest.mark.parametrize(
    "data,status",
    [
        ({"service_code": "9999", "lat": 30.25, "long": 120.06}, 400),
        ({"service_code": "0602"}, 400),
        ({"service_code": "0602", "lat": OUTSIDE_CITY[1], "long": OUTSIDE_CITY[0]}, 400),
        ({"service_code": "0602", "lat": 30.25, "long": 120.06, "jurisdiction_id": "110000"}, 404),
        ({"service_code": "0602", "lat": 30.25, "long": 120.06, "media_url": "file:///etc"}, 400),
    ],
)
def test_post_errors(client, world, key, data, status):
    r = client.post(f"{BASE}/requests.json", {**data, "api_key": key})
    assert r.status_code == status
    body = r.json()
    assert body[0]["code"] == status and body[0]["description"]
    assert Case.objects.count() == 0


def test_get_requests_filters_and_extensions(client, world):
    a = report(world, description="暴露垃圾，联系13900001234")
    b = report(world, category="0602", description="路灯不亮", point=(120.2, 30.3))
    walk_to(world, b, "closed")
    report(world, category="1302", description="匿名线索", anonymous=True)  # never public
    rows = client.get(f"{BASE}/requests.json").json()
    assert {r["service_request_id"] for r in rows} == {str(a.pk), str(b.pk)}
    ra = next(r for r in rows if r["service_request_id"] == str(a.pk))
    assert ra["status"] == "open" and "139****1234" in ra["description"]
    assert "13900001234" not in client.get(f"{BASE}/requests.json").content.decode()
    assert ra["address"] == world.tree.mg_a1a_1_1.name and "extended_attributes" not in ra
    closed = client.get(f"{BASE}/requests.json", {"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [str(b.pk)]
    only = client.get(f"{BASE}/requests.json", {"service_code": "0101"}).json()
    assert [r["service_request_id"] for r in only] == [str(a.pk)]
    ext = client.get(f"{BASE}/requests.json", {"extensions": "true"}).json()
    details = {r["service_request_id"]: r["extended_attributes"]["detailed_status"] for r in ext}
    assert details == {str(a.pk): "received", str(b.pk): "done"}
    root = xml(client.get(f"{BASE}/requests/{b.pk}.xml", {"extensions": "true"}))
    req = root.find("request")
    assert req.findtext("status") == "closed"
    assert req.findtext("extended_attributes/detailed_status") == "done"
    assert req.findtext("extended_attributes/case_number") == b.number
    future = client.get(
        f"{BASE}/requests.json",
        {"start_date": "2030-01-01T00:00:00Z", "end_date": "2030-02-01T00:00:00Z"},
    ).json()
    assert future == []
    too_long = client.get(
        f"{BASE}/requests.xml",
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400
    assert client.get(f"{BASE}/requests.json", {"status": "pending"}).status_code == 400
    assert client.get(f"{BASE}/requests/999999.json").status_code == 404
    ids = client.get(f"{BASE}/requests.json", {"service_request_id": f"{a.pk},{b.pk}"}).json()
    assert len(ids) == 2


def test_detailed_status_follows_the_case(client, world):
    case = report(world)

    def detailed():
        r = client.get(f"{BASE}/requests/{case.pk}.json", {"extensions": "true"}).json()
        return r[0]["status"], r[0]["extended_attributes"]["detailed_status"]

    assert detailed() == ("open", "received")
    move(case, "accept", world.dispatcher)
    move(case, "register", world.dispatcher)
    move(case, "dispatch", world.dispatcher, team="grid")
    assert detailed() == ("open", "allocated")
    move(case, "handle", world.grid_worker)
    assert detailed() == ("open", "handling")


# ---------------------------------------------------------------- independent client
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_against_live_server(live_server, world, fmt):
    from georeport import GeoReport

    a = report(world, description="人行道暴露垃圾")
    b = report(world, category="0602", description="路灯不亮", point=(120.2, 30.3))
    gr = GeoReport(f"{live_server.url}/open311/v2", jurisdiction="330400", output_format=fmt)
    services = gr.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "0101" in codes and "1301" in codes
    definition = gr.get_service_definition("1301")
    assert definition["service_code"] == "1301"
    reqs = gr.get_service_requests()
    if isinstance(reqs, dict):  # xmltodict gives a dict for a single element
        reqs = [reqs]
    assert {r["service_request_id"] for r in reqs} == {str(a.pk), str(b.pk)}
    one = gr.get_service_request(str(b.pk))
    assert one["service_code"] == "0602" and one["status"] == "open"
    filtered = gr.get_service_requests(service_code="0602", status="open")
    if isinstance(filtered, dict):
        filtered = [filtered]
    assert [r["service_request_id"] for r in filtered] == [str(b.pk)]
