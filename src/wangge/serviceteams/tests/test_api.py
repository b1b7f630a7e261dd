"""Bad input over HTTP: a clear zh-Hans message with a machine code, and nothing written."""

import datetime as dt

from django.utils import timezone

from wangge.party.models import HouseholdLink, PartyOrg
from wangge.serviceteams.models import ServiceActivity, ServiceTeam


def test_bad_team_and_activity_are_refused(tree, client, make_staff):
    cadre = make_staff("community_cadre", tree.community_a1a)
    client.force_login(cadre)
    r = client.post(
        "/api/v1/serviceteams/",
        {"area_id": tree.community_a1a.pk, "name": "家电维修队", "kind": "repair"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_kind" and "管理、专业或志愿" in r.json()["message"]
    assert not ServiceTeam.objects.exists()
    r = client.post(
        "/api/v1/serviceteams/",
        {
            "area_id": tree.community_a1a.pk,
            "name": "家电维修队",
            "kind": "professional",
            "services": ["家电维修"],
        },
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["services"] == ["家电维修"]
    start = timezone.now() + dt.timedelta(days=1)
    r = client.post(
        "/api/v1/serviceteams/activities",
        {
            "team_id": r.json()["id"],
            "area_id": tree.grid_a1a_1.pk,
            "title": "义修",
            "starts_at": start.isoformat(),
            "ends_at": (start - dt.timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["message"] == "结束时间须晚于开始时间"
    assert not ServiceActivity.objects.exists()


def test_bad_party_input_is_refused(tree, client, make_staff):
    from wangge.teams.tests.world import make_building, make_household

    cadre = make_staff("community_cadre", tree.community_a1a)
    client.force_login(cadre)
    r = client.post(
        "/api/v1/party/orgs",
        {"area_id": tree.grid_a1a_1.pk, "kind": "branch", "name": "第一网格党支部"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["code"] == "parent_required"
    assert r.json()["message"] == "党支部须有上级党组织"
    assert not PartyOrg.objects.exists()
    committee = client.post(
        "/api/v1/party/orgs",
        {"area_id": tree.community_a1a.pk, "kind": "committee", "name": "社区党委"},
        content_type="application/json",
    ).json()
    branch = client.post(
        "/api/v1/party/orgs",
        {
            "area_id": tree.grid_a1a_1.pk,
            "kind": "branch",
            "name": "网格党支部",
            "parent_id": committee["id"],
        },
        content_type="application/json",
    ).json()
    member = client.post(
        "/api/v1/party/members",
        {"org_id": branch["id"], "user_id": cadre.pk},
        content_type="application/json",
    ).json()
    far = make_household(make_building(tree.grid_a1a_2))
    r = client.post(
        f"/api/v1/party/members/{member['id']}/links",
        {"household_id": far.pk},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["message"] == "该户不在党员所在党组织的区域内"
    assert not HouseholdLink.objects.exists()
    r = client.get(f"/api/v1/party/members/{member['id']}?period=2026-13")
    assert r.status_code == 422 and r.json()["code"] == "invalid_period"
    r = client.get(f"/api/v1/party/members/{member['id']}?period=2026")
    assert r.status_code == 200 and r.json()["vanguard"]["score"] == 0.0
