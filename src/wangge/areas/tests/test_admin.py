from wangge.teams.roles import Role
from wangge.teams.tests.world import make_user


def test_area_admin_is_scoped_and_searchable(client, tree):
    street = make_user(Role.STREET_CADRE, tree.street_a1, name="街道干部")
    client.force_login(street)
    html = client.get("/admin/areas/area/").content.decode()
    assert "芦席汇社区" in html and "新城社区" not in html and "秀洲区" not in html
    html = client.get("/admin/areas/area/?q=330402001002").content.decode()
    assert "新塍村" in html and "芦席汇社区第一网格" not in html
    html = client.get("/admin/areas/area/?level__exact=micro_grid").content.decode()
    assert "330402001001001001" in html and "330402001001" + "</a>" not in html
    assert client.get(f"/admin/areas/area/{tree.grid_b1a_1.pk}/change/").status_code == 404
    page = client.get(f"/admin/areas/area/{tree.grid_a1a_1.pk}/change/").content.decode()
    assert "0000100001" in page  # the path, read-only
    assert client.get("/admin/areas/area/add/").status_code == 403
