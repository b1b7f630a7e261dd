import io

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from python_calamine import load_workbook

from wangge.accounts.models import ApiToken
from wangge.audit.models import PersonalDataAccess
from wangge.core import crypto
from wangge.people.models import Building, Household, Resident
from wangge.people.tests.factories import HouseholdFactory, ResidentFactory, id_number_for
from wangge.people.tests.sheets import resident_row, xlsx
from wangge.teams.roles import Role

BASE = "/api/v1/people"


@pytest.fixture
def as_role(client, make_staff, world):
    def login(role, area_name):
        user = make_staff(role, getattr(world.tree, area_name))
        client.force_login(user)
        return user

    return login


# ---------------------------------------------------------------------- reads


def test_resident_list_masked_and_paginated(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    r = client.get(f"{BASE}/residents", {"page_size": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3 and len(body["items"]) == 2 and body["page_size"] == 2
    head = next(i for i in client.get(f"{BASE}/residents").json()["items"] if i["name"] == "张建国")
    assert head["id_number"] == world.head_a.id_number_masked
    assert crypto.decrypt(world.head_a.id_number_enc) not in r.content.decode()
    assert head["care_groups"] == [] and head["care_groups_masked"] is False


def test_resident_list_for_dispatcher_masks_care_groups(client, as_role, world):
    as_role(Role.DISPATCHER, "street_a1")
    items = client.get(f"{BASE}/residents").json()["items"]
    assert len(items) == 4
    assert all(i["care_groups"] is None and i["care_groups_masked"] for i in items)
    r = client.get(f"{BASE}/residents", {"care_group": "elderly_alone"})
    assert r.status_code == 403


def test_list_request_query_count_is_flat(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{BASE}/residents", {"area": world.tree.grid_a1a_1.pk}).status_code == 200  # fmt: skip
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        ResidentFactory(household=HouseholdFactory(building=world.building_a))
    assert count() == few


@pytest.mark.parametrize(
    "path",
    [
        "buildings/{building_x}",
        "households/{household_x}",
        "residents/{resident_x}",
        "organizations/{org_x}",
    ],
)
def test_foreign_objects_are_404(client, as_role, world, path):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    ids = {k: getattr(world, k).pk for k in ("building_x", "household_x", "resident_x", "org_x")}
    r = client.get(f"{BASE}/{path.format(**ids)}")
    assert r.status_code == 404
    assert r.json()["message"] == "未找到，或不在您的管辖范围内"
    r = client.get(f"{BASE}/residents", {"area": world.tree.district_b.pk})
    assert r.status_code == 404


def test_unauthenticated_is_401(client, world):
    assert client.get(f"{BASE}/residents").status_code == 401


def test_bearer_token(client, make_staff, world):
    user = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    raw = ApiToken.new_raw()
    from django.utils import timezone

    ApiToken.objects.create(
        user=user, key_hash=ApiToken.hash(raw), prefix=raw[:8],
        expires_at=timezone.now() + timezone.timedelta(days=1),
    )  # fmt: skip
    r = client.get(f"{BASE}/buildings", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200 and r.json()["count"] == 2


def test_resident_user_sees_own_household(client, world):
    from wangge.accounts.models import User

    user = User.objects.create_user(username="jm", password="x", kind="resident", resident=world.head_a, resident_status="verified")  # fmt: skip
    client.force_login(user)
    names = sorted(i["name"] for i in client.get(f"{BASE}/residents").json()["items"])
    assert names == ["张建国", "李秀英"]
    assert client.get(f"{BASE}/residents/{world.resident_a2.pk}").status_code == 404
    assert client.get(f"{BASE}/organizations").json()["count"] == 0


# --------------------------------------------------------------------- writes


def test_create_building_household_resident(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    tree = world.tree
    r = client.post(f"{BASE}/buildings", {"grid_id": tree.grid_a1a_1.pk, "micro_grid_id": tree.mg_a1a_1_1.pk,
                    "code": "12", "name": "12幢", "address": "芦席汇路12号"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.json()
    assert r.json()["code"] == "00012" and r.json()["micro_grid_name"] == "1号微网格"
    building_id = r.json()["id"]
    r = client.post(f"{BASE}/households", {"building_id": building_id, "unit": "1", "room": "101"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 201
    household_id = r.json()["id"]
    number = id_number_for(8001)
    r = client.post(
        f"{BASE}/residents",
        {"household_id": household_id, "name": "新居民", "id_number": number, "phone": "13812345678",
         "relationship": "户主", "care_groups": ["孤寡老人"]},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["id_number"] == number[:6] + "********" + number[-4:]
    assert body["phone"] == "138****5678" and body["care_groups"] == ["孤寡老人"]
    r = client.post(
        f"{BASE}/residents",
        {"household_id": household_id, "name": "重复", "id_number": number, "relationship": "head"},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "duplicate_id_number"


def test_create_with_invalid_values_is_422_with_field_errors(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    r = client.post(
        f"{BASE}/residents",
        {"household_id": world.household_a.pk, "name": "x", "id_number": "330402199001011234",
         "relationship": "head"},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"] == {"id_number": "身份证号校验位错误"}


def test_create_in_foreign_grid_is_404_and_without_right_is_403(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    payload = {"grid_id": world.tree.grid_b1a_1.pk, "code": "1", "name": "x", "address": "y"}
    assert client.post(f"{BASE}/buildings", payload, content_type="application/json").status_code == 404  # fmt: skip
    client.logout()
    as_role(Role.LEADER, "city")
    payload["grid_id"] = world.tree.grid_a1a_1.pk
    r = client.post(f"{BASE}/buildings", payload, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_patch_and_delete(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    r = client.patch(f"{BASE}/residents/{world.head_a.pk}", {"name": "张建军", "household_id": world.household_a2.pk}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["name"] == "张建军"
    assert r.json()["micro_grid_id"] == world.tree.mg_a1a_1_2.pk
    r = client.patch(f"{BASE}/residents/{world.head_a.pk}", {"household_id": world.household_x.pk}, content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    r = client.delete(f"{BASE}/households/{world.household_a2.pk}")
    assert r.status_code == 409 and r.json()["message"] == "该户下还有居民，不能删除"
    r = client.patch(f"{BASE}/buildings/{world.building_a.pk}", {"floors": 11}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["floors"] == 11
    r = client.put(f"{BASE}/residents/{world.spouse_a.pk}/care-groups", {"groups": ["hardship", "残障人士"]}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["care_groups"] == ["困难家庭", "残障人士"]
    r = client.delete(f"{BASE}/residents/{world.spouse_a.pk}")
    assert r.status_code == 204 and not Resident.objects.filter(pk=world.spouse_a.pk).exists()
    assert client.delete(f"{BASE}/organizations/{world.org_x.pk}").status_code == 404


def test_organization_create_and_update(client, as_role, world):
    from wangge.core.idnumbers import make_uscc

    as_role(Role.COMMUNITY_CADRE, "community_a1a")
    r = client.post(f"{BASE}/organizations", {"grid_id": world.tree.grid_a1a_2.pk, "name": "一中", "uscc": make_uscc("330402", 99),
                    "kind": "school", "address": "学校路"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.json()
    r = client.patch(f"{BASE}/organizations/{r.json()['id']}", {"employees": 120}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["employees"] == 120


# -------------------------------------------------------------------- unmask


def test_unmask_is_audited(client, as_role, world):
    user = as_role(Role.GRID_WORKER, "grid_a1a_1")
    r = client.post(f"{BASE}/residents/{world.head_a.pk}/unmask", {"fields": ["id_number", "phone"], "reason": "走访核实"},
                    content_type="application/json", REMOTE_ADDR="10.0.0.8")  # fmt: skip
    assert r.status_code == 200
    assert r.json()["id_number"] == crypto.decrypt(world.head_a.id_number_enc)
    assert r.json()["phone"] == crypto.decrypt(world.head_a.phone_enc)
    audit = PersonalDataAccess.objects.get()
    assert (audit.actor, audit.action, audit.subject_id, audit.ip) == (user, "unmask", world.head_a.pk, "10.0.0.8")  # fmt: skip


def test_unmask_forbidden_and_foreign(client, as_role, world):
    as_role(Role.DISPATCHER, "street_a1")
    r = client.post(f"{BASE}/residents/{world.head_a.pk}/unmask", {"reason": "x"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 403 and "无权" in r.json()["message"]
    r = client.post(f"{BASE}/residents/{world.resident_x.pk}/unmask", {"reason": "x"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    r = client.post(f"{BASE}/residents/{world.head_a.pk}/unmask", {"reason": ""}, content_type="application/json")  # fmt: skip
    assert r.status_code == 422
    assert not PersonalDataAccess.objects.exists()


# --------------------------------------------------------- import and export


def _upload(client, kind, data, name="居民.xlsx", **form):
    return client.post(f"{BASE}/import/{kind}", {"file": _file(data, name), **form})


def _file(data, name):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_import_upload_ok_and_idempotent(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    rows = [resident_row(world.tree.grid_a1a_1, "1", "901", "上传", id_number_for(9001))]
    r = _upload(client, "residents", xlsx(rows), area=world.tree.grid_a1a_1.pk)
    assert r.status_code == 200, r.json()
    assert r.json()["created"] == 1 and r.json()["written"] is True
    r = _upload(client, "residents", xlsx(rows))
    assert r.json()["unchanged"] == 1 and r.json()["created"] == 0


def test_import_upload_invalid_is_422_with_row_errors(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    rows = [resident_row(world.tree.grid_a1a_1, "1", "901", "上传", "12345")]
    r = _upload(client, "residents", xlsx(rows))
    assert r.status_code == 422
    assert r.json()["errors"] == [{"row": 2, "column": "身份证号", "message": "身份证号应为18位（当前5位）"}]  # fmt: skip
    assert r.json()["written"] is False
    r = client.post(f"{BASE}/import/residents/report", {"file": _file(xlsx(rows), "a.xlsx")})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert sheet[1][:2] == [2, "身份证号"]


def test_import_upload_too_large_is_413(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    with override_settings(WANGGE_IMPORT_MAX_BYTES=1024):
        r = _upload(client, "residents", b"x" * 4096)
    assert r.status_code == 413 and r.json()["code"] == "file_too_large"


def test_import_upload_renamed_file_and_rights(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    r = _upload(client, "residents", b"not a spreadsheet at all")
    assert r.status_code == 422 and "不是有效的 Excel" in r.json()["message"]
    assert _upload(client, "residents", b"x", area=world.tree.district_b.pk).status_code == 404
    assert client.post(f"{BASE}/import/people", {"file": _file(b"x", "a.xlsx")}).status_code == 422
    client.logout()
    as_role(Role.LEADER, "city")
    assert _upload(client, "buildings", b"x").status_code == 403


def test_export_and_template_downloads(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    r = client.get(f"{BASE}/export/residents", {"area": world.tree.grid_a1a_1.pk})
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    sheet = (
        load_workbook(io.BytesIO(b"".join(r.streaming_content))).get_sheet_by_index(0).to_python()
    )
    assert len(sheet) == 4 and sheet[0][0] == "网格编码"
    r = client.get(f"{BASE}/export/buildings", {"area": world.tree.grid_a1a_1.pk, "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("网格编码,微网格编码,楼栋编码")
    r = client.get(f"{BASE}/export/residents", {"area": world.tree.grid_a1a_1.pk, "clear": True})
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = client.get(f"{BASE}/export/residents", {"area": world.tree.grid_b1a_1.pk})
    assert r.status_code == 404
    r = client.get(f"{BASE}/templates/households")
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.content)).sheet_names == ["户", "填写说明"]


def test_care_group_list(client, as_role, world):
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    codes = [g["code"] for g in client.get(f"{BASE}/care-groups").json()]
    assert codes[:3] == ["elderly_alone", "hardship", "disabled"]


def test_openapi_declares_every_people_route(client, world):
    doc = client.get("/api/v1/openapi.json").json()
    paths = {p: v for p, v in doc["paths"].items() if p.startswith(BASE)}
    assert len(paths) == 15
    for path, operations in paths.items():
        for method, op in operations.items():
            assert "200" in op["responses"] or "201" in op["responses"] or "204" in op["responses"], (path, method)  # fmt: skip
            assert "404" in op["responses"] or path.endswith(("/care-groups", "/templates/{kind}")), (path, method)  # fmt: skip
    assert "ResidentOut" in doc["components"]["schemas"]
    assert "ImportReportOut" in doc["components"]["schemas"]


def test_no_writes_escape_scope_via_household_of_other_grid(client, as_role, world):
    """A resident created through the API lands where its household is."""
    as_role(Role.GRID_WORKER, "grid_a1a_1")
    r = client.post(f"{BASE}/residents", {"household_id": world.household_x.pk, "name": "x",
                    "id_number": id_number_for(8100), "relationship": "head"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    assert Household.objects.count() == 4 and Building.objects.count() == 4
