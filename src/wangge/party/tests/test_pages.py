import datetime as dt

from wangge.party import services
from wangge.teams.tests.world import make_building, make_household, make_resident


def test_console_and_worker_pages(tree, client, make_staff):
    cadre = make_staff("community_cadre", tree.community_a1a)
    leader = make_staff("grid_leader", tree.grid_a1a_1)
    committee = services.org_create(
        actor=cadre, area=tree.community_a1a, kind="committee", name="芦席汇社区党委"
    )
    branch = services.org_create(
        actor=cadre, area=tree.grid_a1a_1, kind="branch", name="第一网格党支部", parent=committee
    )
    hh = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    m = services.member_add(
        actor=cadre, org=branch, resident_id=make_resident(hh, name="党员老王").pk
    )
    services.link_add(actor=cadre, member=m, household_id=hh.pk, since=dt.date(2026, 1, 1))
    client.force_login(cadre)
    html = client.get(f"/console/party/?area={tree.community_a1a.pk}").content.decode()
    for text in (
        "芦席汇社区党委",
        "第一网格党支部",
        "党员老王",
        "堡垒指数",
        "先锋指数",
        "1 名党员联系 1 / 1 户",
    ):
        assert text in html, text
    assert client.get(f"/console/party/?area={tree.community_b1a.pk}").status_code == 404
    client.force_login(leader)
    html = client.get("/w/party/").content.decode()
    assert "第一网格党支部" in html and "党员老王" in html
