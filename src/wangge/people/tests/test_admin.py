import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.core import crypto
from wangge.people.models import CareGroup, Resident
from wangge.people.tests.factories import HouseholdFactory, ResidentFactory, id_number_for
from wangge.teams.roles import Role

ADMIN = "/admin/people"


@pytest.fixture
def staff_login(client, make_staff, world):
    def login(role, area_name):
        user = make_staff(role, getattr(world.tree, area_name), is_staff=True)
        client.force_login(user)
        return user

    return login


def test_resident_changelist_is_scoped_and_masked(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    r = client.get(f"{ADMIN}/resident/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "张建国" in html and "王芳" in html and "陈明" not in html and "赵强" not in html
    assert world.head_a.id_number_masked in html
    assert crypto.decrypt(world.head_a.id_number_enc) not in html
    assert crypto.decrypt(world.head_a.phone_enc) not in html


def test_search_by_exact_id_number_and_by_name(client, staff_login, world):
    staff_login(Role.COMMUNITY_CADRE, "community_a1a")
    number = crypto.decrypt(world.spouse_a.id_number_enc)
    html = client.get(f"{ADMIN}/resident/", {"q": number}).content.decode()
    assert "李秀英" in html and "张建国" not in html
    html = client.get(f"{ADMIN}/resident/", {"q": "建国"}).content.decode()
    assert "张建国" in html and "李秀英" not in html
    # a foreign resident's number finds nothing
    other = crypto.decrypt(world.resident_x.id_number_enc)
    assert "陈明" not in client.get(f"{ADMIN}/resident/", {"q": other}).content.decode()


def test_changelist_queries_do_not_grow_with_rows(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{ADMIN}/resident/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        ResidentFactory(household=HouseholdFactory(building=world.building_a))
    assert count() == few


@pytest.mark.parametrize(
    ("model", "attr"),
    [("resident", "resident_x"), ("household", "household_x"), ("building", "building_x"),
     ("organization", "org_x")],
)  # fmt: skip
def test_foreign_object_pages_are_404(client, staff_login, world, model, attr):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    assert client.get(f"{ADMIN}/{model}/{getattr(world, attr).pk}/change/").status_code == 404


def test_add_resident_through_the_service(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    number = id_number_for(7100)
    data = {
        "household": world.household_a.pk, "name": "后台新增", "id_number": number,
        "phone": "13811112222", "relationship": "child", "residence": "registered",
        "registered_address": "", "care_groups": [world.hardship.pk],
    }  # fmt: skip
    r = client.post(f"{ADMIN}/resident/add/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    resident = Resident.objects.get(name="后台新增")
    assert crypto.decrypt(resident.id_number_enc) == number
    assert resident.area_path == world.household_a.area_path
    assert list(resident.care_links.values_list("group_id", flat=True)) == [world.hardship.pk]


def test_add_resident_with_bad_id_number_shows_the_error(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    data = {"household": world.household_a.pk, "name": "x", "id_number": "330402199001011234",
            "relationship": "head", "residence": "registered"}  # fmt: skip
    r = client.post(f"{ADMIN}/resident/add/", data)
    assert r.status_code == 200
    assert "身份证号校验位错误" in r.content.decode()
    assert not Resident.objects.filter(name="x").exists()


def test_add_resident_into_foreign_household_is_refused(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    data = {"household": world.household_x.pk, "name": "越权", "id_number": id_number_for(7101),
            "relationship": "head", "residence": "registered"}  # fmt: skip
    r = client.post(f"{ADMIN}/resident/add/", data)
    assert r.status_code == 200 and not Resident.objects.filter(name="越权").exists()


def test_change_resident_keeps_id_when_left_blank(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    r = world.head_a
    before = r.id_number_enc
    data = {"household": r.household_id, "name": "张建国改", "id_number": "", "phone": "",
            "relationship": "head", "residence": "registered", "registered_address": "",
            "is_party_member": "on"}  # fmt: skip
    resp = client.post(f"{ADMIN}/resident/{r.pk}/change/", data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    r.refresh_from_db()
    assert r.name == "张建国改" and r.id_number_enc == before and r.phone_enc


def test_dispatcher_views_without_care_groups_or_edit_rights(client, staff_login, world):
    staff_login(Role.DISPATCHER, "street_a1")
    r = client.get(f"{ADMIN}/resident/{world.spouse_a.pk}/change/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "重点人群" not in html.split("<form", 1)[1].split("</form>", 1)[0]
    assert client.post(f"{ADMIN}/resident/{world.spouse_a.pk}/change/", {"name": "x"}).status_code == 403  # fmt: skip
    assert client.get(f"{ADMIN}/resident/add/").status_code == 403


def test_delete_household_with_residents_is_refused(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    r = client.post(f"{ADMIN}/household/{world.household_a.pk}/delete/", {"post": "yes"})
    assert r.status_code == 200  # Django lists the protected residents instead
    assert world.household_a.__class__.objects.filter(pk=world.household_a.pk).exists()


def test_building_add_through_the_service(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    tree = world.tree
    data = {"grid": tree.grid_a1a_1.pk, "micro_grid": tree.mg_a1b_1_1.pk, "code": "8",
            "name": "8幢", "address": "路8号", "kind": "residential"}  # fmt: skip
    r = client.post(f"{ADMIN}/building/add/", data)
    assert r.status_code == 200 and "微网格不属于所选网格" in r.content.decode()
    data["micro_grid"] = tree.mg_a1a_1_2.pk
    assert client.post(f"{ADMIN}/building/add/", data).status_code == 302
    assert world.building_a.__class__.objects.get(code="00008").area_path == tree.mg_a1a_1_2.path


def test_care_group_list_edited_by_city_admin_only(client, staff_login, world):
    staff_login(Role.GRID_WORKER, "grid_a1a_1")
    assert client.get(f"{ADMIN}/caregroup/").status_code == 200
    assert client.get(f"{ADMIN}/caregroup/add/").status_code == 403
    client.logout()
    staff_login(Role.CITY_ADMIN, "city")
    r = client.post(f"{ADMIN}/caregroup/add/", {"code": "left_behind", "name": "留守儿童", "sort": 40, "is_active": "on"})  # fmt: skip
    assert r.status_code == 302
    assert CareGroup.objects.filter(name="留守儿童").exists()
    builtin = CareGroup.objects.get(code="elderly_alone")
    assert client.get(f"{ADMIN}/caregroup/{builtin.pk}/delete/").status_code == 403
