"""Console forms for party records: organizations, members, 党员联户 and
双报到 through the same services; bad input shows the Chinese message and
changes nothing."""

from __future__ import annotations

from wangge.party.models import DualRegistration, HouseholdLink, PartyMember, PartyOrg
from wangge.teams.tests.world import make_building, make_household, make_resident


def test_party_forms(tree, client, make_staff):
    cadre = make_staff("community_cadre", tree.community_a1a, name="社区干部")
    leader = make_staff("grid_leader", tree.grid_a1a_1, name="网格长")
    b = make_building(tree.grid_a1a_1, tree.mg_a1a_1_1)
    hh1, hh2 = make_household(b, room="101"), make_household(b, room="102")
    old_wang = make_resident(hh1, name="党员老王")
    client.force_login(cadre)
    assert (
        "新建党组织" in client.get(f"/console/party/?area={tree.community_a1a.pk}").content.decode()
    )

    new = "/console/party/orgs/new/"
    r = client.post(new, {"area": tree.grid_a1a_1.pk, "kind": "branch", "name": "第一网格党支部"})
    assert r.status_code == 422  # a branch needs its committee: no root but a committee
    r = client.post(new, {"area": tree.community_a1a.pk, "kind": "committee", "name": ""})
    assert r.status_code == 422 and "请填写党组织名称" in r.content.decode()
    assert not PartyOrg.objects.exists()
    r = client.post(
        new, {"area": tree.community_a1a.pk, "kind": "committee", "name": "芦席汇社区党委"}
    )
    committee = PartyOrg.objects.get()
    assert r.status_code == 302
    html = client.get(f"{new}?area={tree.grid_a1a_1.pk}").content.decode()
    assert "芦席汇社区党委" in html  # offered as the parent
    r = client.post(
        new,
        {
            "area": tree.grid_a1a_1.pk,
            "kind": "branch",
            "name": "第一网格党支部",
            "parent_id": committee.pk,
            "secretary": "网格长",
        },
    )
    branch = PartyOrg.objects.get(kind="branch")
    assert r["Location"] == f"/console/party/orgs/{branch.pk}/"

    org_page = f"/console/party/orgs/{branch.pk}/"
    r = client.post(org_page, {"source": "resident", "resident_id": "", "status": "formal"})
    assert r.status_code == 422 and "请从居民或工作人员中选择一人" in r.content.decode()
    r = client.post(
        org_page, {"source": "resident", "resident_id": old_wang.pk, "joined_on": "2099-01-01"}
    )
    assert r.status_code == 422 and "入党日期不能晚于今天" in r.content.decode()
    assert not PartyMember.objects.exists()
    r = client.post(
        org_page,
        {
            "source": "resident",
            "resident_id": old_wang.pk,
            "status": "formal",
            "joined_on": "1990-07-01",
            "in_service": "1",
            "workplace": "市供电局",
        },
    )
    member = PartyMember.objects.get()
    assert r.status_code == 302 and member.in_service
    assert "党员老王" in client.get(org_page).content.decode()

    page = f"/console/party/members/{member.pk}/"
    html = client.get(page).content.decode()
    assert hh1.address in html and hh2.address in html  # households to link
    assert client.post(page, {"form": "link_add", "household_id": hh1.pk}).status_code == 302
    r = client.post(page, {"form": "link_add", "household_id": hh1.pk})
    assert r.status_code == 409 and "该党员已联系此户" in r.content.decode()
    r = client.post(page, {"form": "link_add", "household_id": ""})
    assert r.status_code == 422 and "该户不在党员所在党组织的区域内" in r.content.decode()
    assert HouseholdLink.objects.count() == 1
    link = HouseholdLink.objects.get()
    assert client.post(page, {"form": "link_remove", "link_id": link.pk}).status_code == 302
    assert not HouseholdLink.objects.exists()

    r = client.post(page, {"form": "register", "community_id": tree.community_a1b.pk})
    assert r.status_code == 404 or "须到本人居住地所在的村社区报到" in r.content.decode()
    assert not DualRegistration.objects.exists()
    r = client.post(page, {"form": "register", "community_id": tree.community_a1a.pk})
    assert r.status_code == 302
    assert "已于" in client.get(page).content.decode()

    # the grid leader keeps members and links but does not create organizations
    client.force_login(leader)
    assert client.post(page, {"form": "link_add", "household_id": hh2.pk}).status_code == 302
    r = client.post(
        new, {"area": tree.grid_a1a_1.pk, "kind": "group", "name": "小组", "parent_id": branch.pk}
    )
    assert r.status_code == 403 and PartyOrg.objects.count() == 2
    # another district's cadre: 404
    client.force_login(make_staff("community_cadre", tree.community_b1a))
    assert client.get(page).status_code == 404
    assert client.get(org_page).status_code == 404
