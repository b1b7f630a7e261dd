from wangge.teams.models import Department, RoleAssignment
from wangge.teams.roles import Role
from wangge.teams.tests.world import make_user


def test_cadre_assigns_a_role_in_the_admin(client, tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    newcomer = make_user(None, None, name="新人")
    client.force_login(cadre)
    r = client.post(
        "/admin/teams/roleassignment/add/",
        {"user": newcomer.pk, "role": "grid_worker", "area": tree.grid_a1a_2.pk},
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    a = RoleAssignment.objects.get(user=newcomer)
    assert (a.area, a.area_path, a.is_active) == (tree.grid_a1a_2, tree.grid_a1a_2.path, True)


def test_admin_form_shows_the_service_rules(client, tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    newcomer = make_user(None, None, name="新人")
    client.force_login(cadre)
    r = client.post(
        "/admin/teams/roleassignment/add/",
        {"user": newcomer.pk, "role": "grid_worker", "area": tree.community_a1a.pk},
    )
    assert r.status_code == 200 and "只能分配在网格层级" in r.content.decode()
    r = client.post(
        "/admin/teams/roleassignment/add/",
        {"user": newcomer.pk, "role": "grid_worker", "area": tree.grid_b1a_1.pk},
    )
    assert r.status_code == 200 and "不在您的管辖范围内" in r.content.decode()
    assert not RoleAssignment.objects.filter(user=newcomer).exists()


def test_revoke_action(client, tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    a = worker.assignments.get()
    client.force_login(cadre)
    r = client.post(
        "/admin/teams/roleassignment/",
        {"action": "revoke_selected", "_selected_action": [a.pk]},
    )
    assert r.status_code == 302
    a.refresh_from_db()
    assert not a.is_active


def test_street_cadre_adds_and_edits_a_department(client, tree):
    street = make_user(Role.STREET_CADRE, tree.street_a1, name="街道干部")
    client.force_login(street)
    r = client.post(
        "/admin/teams/department/add/",
        {
            "name": "城管中队",
            "short_name": "",
            "level": "street",
            "area": tree.street_a1.pk,
            "phone": "",
            "is_active": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    d = Department.objects.get(name="城管中队")
    assert d.area_path == tree.street_a1.path
    r = client.post(
        f"/admin/teams/department/{d.pk}/change/",
        {"name": "综合执法中队", "short_name": "执法", "phone": "0573-1", "is_active": "on"},
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert (d.name, d.short_name, d.area_path) == ("综合执法中队", "执法", tree.street_a1.path)
    r = client.post(
        "/admin/teams/department/add/",
        {"name": "某局", "level": "district", "area": tree.district_a.pk, "is_active": "on"},
    )
    assert r.status_code == 200 and "不在您的管辖范围内" in r.content.decode()
