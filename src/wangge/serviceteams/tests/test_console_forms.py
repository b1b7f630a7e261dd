"""Console forms for service teams: create, edit, members add/remove, grids;
bad input shows the service's Chinese message and changes nothing."""

from __future__ import annotations

from wangge.serviceteams.models import ServiceTeam, ServiceTeamGrid, ServiceTeamMember
from wangge.teams.tests.world import make_building, make_household, make_resident


def test_team_forms(tree, client, make_staff):
    cadre = make_staff("community_cadre", tree.community_a1a, name="社区干部")
    worker = make_staff("grid_worker", tree.grid_a1a_1, name="王网格")
    hh = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    volunteer = make_resident(hh, name="志愿者钱", phone="13812340000")
    client.force_login(cadre)
    html = client.get(f"/console/serviceteams/?area={tree.community_a1a.pk}").content.decode()
    assert "新建服务团队" in html

    url = "/console/serviceteams/teams/new/"
    r = client.post(url, {"area": tree.community_a1a.pk, "name": "", "kind": "volunteer"})
    assert r.status_code == 422 and "请填写团队名称" in r.content.decode()
    r = client.post(url, {"area": tree.community_a1a.pk, "name": "助老队", "kind": "x"})
    assert r.status_code == 422 and "团队类型应为管理、专业或志愿服务团队" in r.content.decode()
    assert not ServiceTeam.objects.exists()
    r = client.post(
        url,
        {
            "area": tree.community_a1a.pk,
            "name": "助老队",
            "kind": "volunteer",
            "services": "上门理发\n陪同就医",
            "phone": "13957300000",
        },
    )
    team = ServiceTeam.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/console/serviceteams/teams/{team.pk}/"
    assert team.service_list == ["上门理发", "陪同就医"]
    # the same name again: 409 in Chinese
    r = client.post(url, {"area": tree.community_a1a.pk, "name": "助老队", "kind": "volunteer"})
    assert r.status_code == 409 and "已有名为“助老队”的服务团队" in r.content.decode()

    page = f"/console/serviceteams/teams/{team.pk}/"
    assert (
        client.post(
            page, {"form": "member_add", "source": "staff", "user_id": worker.pk}
        ).status_code
        == 302
    )
    client.post(page, {"form": "member_add", "source": "resident", "resident_id": volunteer.pk})
    r = client.post(page, {"form": "member_add", "source": "external", "name": "刘律师"})
    assert r.status_code == 422 and "外部专业人员请填写工作电话" in r.content.decode()
    client.post(
        page,
        {
            "form": "member_add",
            "source": "external",
            "name": "刘律师",
            "work_phone": "13900000000",
            "is_leader": "1",
        },
    )
    html = client.get(page).content.decode()
    assert "王网格" in html and "刘律师（队长）" in html
    # a resident volunteer's phone is masked, as everywhere
    assert "志愿者钱" in html and "13812340000" not in html
    assert ServiceTeamMember.objects.filter(team=team).count() == 3

    lawyer = ServiceTeamMember.objects.get(name="刘律师")
    assert client.post(page, {"form": "member_remove", "member_id": lawyer.pk}).status_code == 302
    assert not ServiceTeamMember.objects.filter(pk=lawyer.pk).exists()
    r = client.post(page, {"form": "member_remove", "member_id": lawyer.pk})
    assert r.status_code == 404 and "未找到" in r.content.decode()

    r = client.post(page, {"form": "grids", "grid_ids": [tree.grid_a1a_1.pk, tree.grid_b1a_1.pk]})
    assert r.status_code == 404 and not ServiceTeamGrid.objects.exists()
    r = client.post(page, {"form": "grids", "grid_ids": [tree.grid_a1a_1.pk]})
    assert r.status_code == 302
    assert list(ServiceTeamGrid.objects.values_list("grid_id", flat=True)) == [tree.grid_a1a_1.pk]

    r = client.post(
        page, {"form": "edit", "name": "", "services": "", "phone": "", "is_active": "1"}
    )
    assert r.status_code == 422 and "请填写团队名称" in r.content.decode()
    r = client.post(
        page,
        {
            "form": "edit",
            "name": "助老服务队",
            "services": "上门理发",
            "phone": "",
            "is_active": "",
        },
    )
    team.refresh_from_db()
    assert (team.name, team.services, team.is_active) == ("助老服务队", "上门理发", False)

    # the grid worker sees the team but no forms, and cannot post
    client.force_login(worker)
    html = client.get(page).content.decode()
    assert "助老服务队" in html and "添加成员" not in html
    r = client.post(page, {"form": "edit", "name": "改名"})
    assert r.status_code == 404  # the team's community is outside the worker's grid
    team.refresh_from_db()
    assert team.name == "助老服务队"
    # staff of another district: 404
    client.force_login(make_staff("community_cadre", tree.community_b1a))
    assert client.get(page).status_code == 404
