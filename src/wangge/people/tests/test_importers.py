import datetime as dt
import io

import pytest
from django.http import Http404
from django.test import override_settings
from python_calamine import load_workbook

from wangge.audit.models import PersonalDataAccess
from wangge.core import crypto
from wangge.core.errors import PermissionDenied
from wangge.core.idnumbers import make_uscc
from wangge.people.exporters import error_report_xlsx
from wangge.people.importers import import_file
from wangge.people.layouts import LAYOUTS
from wangge.people.models import Building, Household, Organization, Resident, ResidentCareGroup
from wangge.people.tests.factories import id_number_for
from wangge.people.tests.sheets import csv_bytes, resident_row, xlsx
from wangge.teams.roles import Role


@pytest.fixture
def worker(make_staff, tree):
    return make_staff(Role.GRID_WORKER, tree.grid_a1a_1)


def run(actor, data, *, kind="residents", name=None, **kw):
    return import_file(actor=actor, kind=kind, name=name or f"{kind}.xlsx", data=data, **kw)


def errors(report):
    return [(e.row, e.column, e.message) for e in report.errors]


def snapshot():
    return {
        "residents": list(Resident.objects.order_by("pk").values()),
        "households": list(Household.objects.order_by("pk").values()),
        "buildings": list(Building.objects.order_by("pk").values()),
        "care": list(ResidentCareGroup.objects.order_by("pk").values("resident_id", "group_id")),
        "orgs": list(Organization.objects.order_by("pk").values()),
    }


def good_rows(world, n=3, start=100):
    g = world.tree.grid_a1a_1
    rows = [
        resident_row(g, "1", "601", "周一", id_number_for(start), phone="13900000001",
                     relationship="户主", party="是", care="孤寡老人、困难家庭"),
        resident_row(g, "00001", "601", "周二", id_number_for(start + 1), relationship="配偶",
                     residence="流动人口", registered_address="安徽省合肥市"),
        resident_row(g, "2", "101", "周三", id_number_for(start + 2), unit=""),
    ]  # fmt: skip
    return rows[:n]


# ------------------------------------------------------------------ the happy path


def test_import_residents_creates_rows_households_and_care_groups(worker, world):
    report = run(worker, xlsx(good_rows(world)))
    assert errors(report) == []
    assert (report.rows, report.created, report.updated, report.households_created) == (3, 3, 0, 2)
    assert report.written and report.ok
    first = Resident.objects.get(name="周一")
    number = id_number_for(100)
    assert crypto.decrypt(first.id_number_enc) == number
    assert first.birth_date.isoformat().replace("-", "") == number[6:14]
    assert first.phone_masked == "139****0001"
    assert first.is_party_member and first.relationship == "head"
    assert set(first.care_links.values_list("group__name", flat=True)) == {"孤寡老人", "困难家庭"}
    assert first.area_path == world.building_a.area_path
    second = Resident.objects.get(name="周二")
    assert second.household_id == first.household_id
    assert second.residence == "migrant" and second.registered_address == "安徽省合肥市"
    household = first.household
    assert (household.unit, household.room, household.size) == ("1", "601", 2)
    assert household.address == f"{world.building_a.address}1单元601室"
    third = Resident.objects.get(name="周三")
    assert third.household.building_id == world.building_a2.pk and third.household.unit == ""
    audit = PersonalDataAccess.objects.get(action="import")
    assert (audit.actor, audit.row_count, audit.subject_type) == (worker, 3, "resident")


def test_reimport_same_file_changes_nothing(worker, world):
    data = xlsx(good_rows(world))
    run(worker, data)
    before = snapshot()
    report = run(worker, data)
    assert errors(report) == []
    assert (report.created, report.updated, report.unchanged, report.households_created) == (0, 0, 3, 0)  # fmt: skip
    assert snapshot() == before


def test_reimport_updates_only_changed_fields(worker, world):
    run(worker, xlsx(good_rows(world)))
    rows = good_rows(world)
    rows[0][6] = "13900000009"  # phone
    rows[0][11] = "困难家庭"  # one care group fewer
    rows[1][3] = "602"  # moves to a new household
    before = Resident.objects.get(name="周三").id_number_enc
    report = run(worker, xlsx(rows))
    assert errors(report) == []
    assert (report.created, report.updated, report.unchanged, report.households_created) == (0, 2, 1, 1)  # fmt: skip
    first = Resident.objects.get(name="周一")
    assert crypto.decrypt(first.phone_enc) == "13900000009"
    assert list(first.care_links.values_list("group__name", flat=True)) == ["困难家庭"]
    assert Resident.objects.get(name="周二").household.room == "602"
    assert Resident.objects.get(name="周三").id_number_enc == before  # not re-encrypted


def test_existing_resident_matched_on_id_number(worker, world):
    number = crypto.decrypt(world.head_a.id_number_enc)
    row = resident_row(world.tree.grid_a1a_1, "1", world.household_a.room, "张建国（改名）", number, party="是")  # fmt: skip
    report = run(worker, xlsx([row]))
    assert errors(report) == [] and (report.created, report.updated) == (0, 1)
    world.head_a.refresh_from_db()
    assert world.head_a.name == "张建国（改名）"
    assert Resident.objects.count() == 5


def test_dry_run_writes_nothing(worker, world):
    before = snapshot()
    report = run(worker, xlsx(good_rows(world)), dry_run=True)
    assert report.ok and not report.written and report.created == 3
    assert "试运行" in report.message
    assert snapshot() == before


# ------------------------------------------------------------------ CSV encodings


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_in_gbk_and_utf8(worker, world, encoding):
    data = csv_bytes(good_rows(world), encoding=encoding)
    report = run(worker, data, name="居民.csv")
    assert errors(report) == []
    assert report.created == 3
    assert set(Resident.objects.filter(name__startswith="周").values_list("name", flat=True)) == {"周一", "周二", "周三"}  # fmt: skip


def test_gbk_csv_really_is_not_utf8(world):
    data = csv_bytes(good_rows(world), encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_csv_from_excel_with_scientific_id_numbers(worker, world):
    rows = good_rows(world, 1)
    rows[0][5] = "3.30402E+17"
    report = run(worker, csv_bytes(rows), name="x.csv")
    assert report.errors[0].column == "身份证号"
    assert "科学计数法" in report.errors[0].message


# ------------------------------------------------------------------ broken files


def test_wrong_headers_are_named(worker, world):
    headers = LAYOUTS["residents"].headers
    headers = [h for h in headers if h != "身份证号"] + ["备注"]
    report = run(worker, xlsx([["x"] * len(headers)], headers=headers))
    assert report.code == "invalid_file"
    assert (1, "备注") in [(e.row, e.column) for e in report.errors]
    assert (1, "身份证号", "缺少必填列“身份证号”") in errors(report)
    assert "未知的列“备注”" in report.errors[0].message
    assert Resident.objects.count() == 5


def test_header_aliases_and_reordered_columns(worker, world):
    headers = ["姓名", "身份证号码", "网格编码", "楼栋编码", "室号", "与户主关系"]
    row = ["钱七", id_number_for(300), world.tree.grid_a1a_1.code, "1", "808", "户主"]
    report = run(worker, xlsx([row], headers=headers))
    assert errors(report) == [] and report.created == 1


def test_optional_columns_left_out_are_not_cleared(worker, world):
    """A file without the 联系电话 column keeps the phones on record."""
    number = crypto.decrypt(world.head_a.id_number_enc)
    headers = ["网格编码", "楼栋编码", "单元", "室号", "姓名", "身份证号", "与户主关系"]
    h = world.household_a
    report = run(worker, xlsx([[world.tree.grid_a1a_1.code, "1", h.unit, h.room, "张建国", number, "户主"]], headers=headers))  # fmt: skip
    assert errors(report) == [] and report.unchanged == 1
    world.head_a.refresh_from_db()
    assert world.head_a.phone_enc and world.head_a.is_party_member


def test_bad_id_check_digit_reported_with_excel_row_and_column(worker, world):
    rows = good_rows(world)
    number = rows[1][5]
    rows[1][5] = number[:17] + ("0" if number[17] != "0" else "1")
    before = snapshot()
    report = run(worker, xlsx(rows))
    assert errors(report) == [(3, "身份证号", "身份证号校验位错误")]
    assert not report.written and report.created == 0
    assert snapshot() == before


def test_many_problems_in_one_report(worker, world):
    g = world.tree.grid_a1a_1
    rows = [
        resident_row(g, "1", "1", "", id_number_for(401)),  # row 2: no name
        resident_row(g, "1", "1", "甲", "12345"),  # row 3: short id
        resident_row(g, "1", "1", "乙", id_number_for(402), phone="12345"),  # row 4: phone
        resident_row(g, "1", "1", "丙", id_number_for(403), relationship="邻居"),  # row 5
        resident_row(g, "1", "1", "丁", id_number_for(404), care="留守儿童"),  # row 6
        resident_row(g, "1", "1", "戊", id_number_for(405), party="也许"),  # row 7
        resident_row(g, "abc", "1", "己", id_number_for(406)),  # row 8: building code
    ]
    report = run(worker, xlsx(rows))
    got = {(row, col) for row, col, _ in errors(report)}
    assert got == {(2, "姓名"), (3, "身份证号"), (4, "联系电话"), (5, "与户主关系"),
                   (6, "重点人群"), (7, "是否党员"), (8, "楼栋编码")}  # fmt: skip
    messages = {(r, c): m for r, c, m in errors(report)}
    assert messages[(2, "姓名")] == "姓名不能为空"
    assert messages[(3, "身份证号")] == "身份证号应为18位（当前5位）"
    assert "留守儿童" in messages[(6, "重点人群")] and "孤寡老人" in messages[(6, "重点人群")]
    assert "户主" in messages[(5, "与户主关系")]
    assert report.error_count == 7 and "未导入任何数据" in report.message
    assert Resident.objects.count() == 5


def test_duplicate_rows_within_the_file(worker, world):
    rows = good_rows(world)
    rows.append(list(rows[0]))
    report = run(worker, xlsx(rows))
    assert errors(report) == [(5, "身份证号", "身份证号与第2行重复")]
    assert Resident.objects.count() == 5


def test_nothing_written_when_one_row_fails_late(worker, world):
    """A row that only fails at look-up time (unknown building) still stops all."""
    rows = good_rows(world)
    rows.append(resident_row(world.tree.grid_a1a_1, "77", "1", "孤", id_number_for(420)))
    before = snapshot()
    report = run(worker, xlsx(rows))
    assert errors(report) == [(5, "楼栋编码", f"楼栋编码“00077”在网格“{world.tree.grid_a1a_1.code}”中不存在，请先导入楼栋")]  # fmt: skip
    assert snapshot() == before


def test_unknown_grid_and_rows_outside_scope(worker, world):
    tree = world.tree
    rows = [
        resident_row(tree.grid_a1a_1, "1", "1", "甲", id_number_for(501)),
        resident_row(tree.grid_b1a_1, "1", "1", "乙", id_number_for(502)),  # other district
        resident_row(tree.grid_a1a_1, "1", "1", "丙", id_number_for(503)),
    ]
    rows[2][0] = "330402001001099"  # no such grid
    report = run(worker, xlsx(rows))
    assert errors(report) == [
        (3, "网格编码", f"网格“{tree.grid_b1a_1.code}”不存在或不在您的管辖范围内"),
        (4, "网格编码", "网格“330402001001099”不存在或不在您的管辖范围内"),
    ]


def test_existing_resident_outside_scope_is_an_error(worker, world):
    number = crypto.decrypt(world.resident_x.id_number_enc)
    report = run(worker, xlsx([resident_row(world.tree.grid_a1a_1, "1", "1", "陈明", number)]))
    assert errors(report) == [(2, "身份证号", "该身份证号已在您管辖范围以外登记，请联系上级核实")]
    world.resident_x.refresh_from_db()
    assert world.resident_x.area_path.startswith(world.tree.district_b.path)


def test_chosen_area_limits_rows(make_staff, world):
    cadre = make_staff(Role.STREET_CADRE, world.tree.street_a1)
    rows = [resident_row(world.tree.grid_a1b_1, "1", "1", "甲", id_number_for(601))]
    report = run(cadre, xlsx(rows), area=world.tree.community_a1a)
    assert errors(report) == [(2, "楼栋编码", "楼栋“00001”不在所选区域“芦席汇社区”内")]
    assert run(cadre, xlsx(rows), area=world.tree.community_a1b).ok


def test_roles_without_import_right_are_refused(make_staff, world):
    dispatcher = make_staff(Role.DISPATCHER, world.tree.city)
    with pytest.raises(PermissionDenied):
        run(dispatcher, xlsx(good_rows(world)))
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    with pytest.raises(Http404):
        run(worker, xlsx(good_rows(world)), area=world.tree.district_b)


def test_id_number_stored_as_a_number_by_excel(worker, world):
    rows = good_rows(world, 1)
    rows[0][5] = 330402195603181234  # Excel keeps 15 significant digits
    report = run(worker, xlsx(rows))
    assert errors(report)[0][:2] == (2, "身份证号")
    assert "设为文本格式" in errors(report)[0][2]


def test_numeric_cells_for_codes_rooms_and_phones_are_fine(worker, world):
    rows = good_rows(world, 1)
    rows[0][0] = int(world.tree.grid_a1a_1.code)
    rows[0][1] = 1  # building code 00001
    rows[0][3] = 601
    rows[0][6] = 13900000001
    report = run(worker, xlsx(rows))
    assert errors(report) == [] and report.created == 1


def test_template_example_row_is_refused(worker, world):
    report = run(worker, xlsx([LAYOUTS["residents"].example_row]))
    assert errors(report) == [(2, "", "这是模板中的示例行，请删除后再导入")]


def test_empty_file(worker):
    report = run(worker, b"")
    assert report.code == "invalid_file" and "空" in report.errors[0].message
    report = run(worker, xlsx([], headers=[]))
    assert report.code == "invalid_file" and "空" in report.errors[0].message


def test_header_only_file(worker):
    report = run(worker, xlsx([]))
    assert errors(report) == [(None, "", "文件中只有表头，没有数据行")]


def test_twenty_megabyte_file_is_refused_by_size(worker, world):
    big = b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024)
    with override_settings(WANGGE_IMPORT_MAX_BYTES=10 * 1024 * 1024):
        report = run(worker, big)
    assert report.code == "file_too_large"
    assert "20.0MB" in report.errors[0].message and "10MB" in report.errors[0].message
    assert Resident.objects.count() == 5


def test_twenty_megabyte_junk_under_the_limit_is_not_excel(worker):
    junk = b"PK\x03\x04" + bytes(range(256)) * (20 * 4096)
    report = run(worker, junk)
    assert report.code == "invalid_file"
    assert "损坏" in report.errors[0].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "不是有效的 Excel (.xlsx) 文件"),
        ("姓名,身份证号\n张三,1\n".encode(), "不是有效的 Excel (.xlsx) 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 .xls"),
    ],
)
def test_non_excel_file_renamed_xlsx(worker, content, expected):
    report = run(worker, content, name="居民.xlsx")
    assert report.code == "invalid_file"
    assert expected in report.errors[0].message


def test_unsupported_extension(worker):
    report = run(worker, b"hello", name="居民.docx")
    assert "只支持" in report.errors[0].message


def test_binary_renamed_csv(worker):
    report = run(worker, b"\0\1\2\3" * 100, name="居民.csv")
    assert report.code == "invalid_file"


def test_error_report_as_xlsx(worker, world):
    rows = good_rows(world)
    rows[0][5] = "123"
    report = run(worker, xlsx(rows))
    book = load_workbook(io.BytesIO(error_report_xlsx(report)))
    sheet = book.get_sheet_by_name("错误报告").to_python()
    assert sheet[0] == ["行号", "列", "问题"]
    assert sheet[1][:2] == [2, "身份证号"] and "18位" in sheet[1][2]


# ------------------------------------------------------------------ other kinds


def test_import_buildings_and_reimport(make_staff, tree):
    cadre = make_staff(Role.COMMUNITY_CADRE, tree.community_a1a)
    rows = [
        [tree.grid_a1a_1.code, tree.mg_a1a_1_1.code, "1", "1幢", "芦席汇路1号", "住宅楼", 6, 120.1, 30.2],
        [tree.grid_a1a_1.code, "", "2", "2幢", "芦席汇路2号", "", "", "", ""],
        [tree.grid_a1a_2.code, "", "1", "教学楼", "学校路1号", "公共建筑", 4, "", ""],
    ]  # fmt: skip
    data = xlsx(rows, kind="buildings")
    report = run(cadre, data, kind="buildings")
    assert errors(report) == [] and report.created == 3
    b = Building.objects.get(grid=tree.grid_a1a_1, code="00001")
    assert (b.area_path, b.floors, b.lng, b.kind) == (tree.mg_a1a_1_1.path, 6, 120.1, "residential")
    before = snapshot()
    report = run(cadre, data, kind="buildings")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert snapshot() == before
    rows[1][1] = tree.mg_a1a_1_2.code
    report = run(cadre, xlsx(rows, kind="buildings"), kind="buildings")
    assert report.updated == 1
    assert (
        Building.objects.get(grid=tree.grid_a1a_1, code="00002").area_path == tree.mg_a1a_1_2.path
    )


def test_import_buildings_checks_micro_grids_and_duplicates(make_staff, tree):
    cadre = make_staff(Role.COMMUNITY_CADRE, tree.community_a1a)
    rows = [
        [tree.grid_a1a_1.code, tree.mg_a1b_1_1.code, "1", "1幢", "路1号"],
        [tree.grid_a1a_2.code, tree.mg_a1a_1_1.code, "1", "1幢", "路1号"],
        [tree.grid_a1a_1.code, "", "3", "3幢", "路3号"],
        [tree.grid_a1a_1.code, "", "00003", "3幢", "路3号"],
    ]
    headers = ["网格编码", "微网格编码", "楼栋编码", "楼栋名称", "地址"]
    report = run(cadre, xlsx(rows, headers=headers), kind="buildings")
    assert errors(report) == [
        (5, "楼栋编码", "与第4行重复（同一网格、同一楼栋编码）"),
        (2, "微网格编码", f"微网格“{tree.mg_a1b_1_1.code}”不存在或不在您的管辖范围内"),
        (3, "微网格编码", "专属网格不设微网格"),
    ]


def test_import_households_and_reimport(worker, world):
    g = world.tree.grid_a1a_1.code
    rows = [[g, "1", "2", "201", 4, ""], [g, "1", "2", "202", "", "自定义地址"]]
    data = xlsx(rows, kind="households")
    report = run(worker, data, kind="households")
    assert errors(report) == [] and report.created == 2
    h = Household.objects.get(building=world.building_a, unit="2", room="201")
    assert (h.size, h.address, h.area_path) == (4, f"{world.building_a.address}2单元201室", world.building_a.area_path)  # fmt: skip
    assert Household.objects.get(room="202").address == "自定义地址"
    report = run(worker, data, kind="households")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    rows[0][4] = 5
    report = run(worker, xlsx(rows, kind="households"), kind="households")
    assert report.updated == 1 and Household.objects.get(room="201").size == 5


def test_import_households_duplicate_rows(worker, world):
    g = world.tree.grid_a1a_1.code
    rows = [[g, "1", "2", "201", 4, ""], [g, "00001", "2", "201", 3, ""]]
    report = run(worker, xlsx(rows, kind="households"), kind="households")
    assert errors(report) == [(3, "室号", "与第2行重复（同一楼栋、单元、室号）")]


def test_import_organizations_and_reimport(make_staff, world):
    cadre = make_staff(Role.COMMUNITY_CADRE, world.tree.community_a1a)
    tree = world.tree
    code = make_uscc("330402", 777)
    rows = [
        [tree.grid_a1a_2.code, "", "嘉兴一中", code, "学校", "学校路1号", "校办", "0573-82012345", 300, "", ""],
        [tree.grid_a1a_1.code, tree.mg_a1a_1_1.code, "小卖部", make_uscc("330402", 778, "92"), "个体商户", "芦席汇路3号", "", "", "", "", ""],
    ]  # fmt: skip
    data = xlsx(rows, kind="organizations")
    report = run(cadre, data, kind="organizations")
    assert errors(report) == [] and report.created == 2
    org = Organization.objects.get(uscc=code)
    assert (org.kind, org.contact_phone, org.employees, org.area_path) == ("school", "057382012345", 300, tree.grid_a1a_2.path)  # fmt: skip
    before = snapshot()
    assert run(cadre, data, kind="organizations").unchanged == 2
    assert snapshot() == before
    rows[0][8] = 310
    assert run(cadre, xlsx(rows, kind="organizations"), kind="organizations").updated == 1
    # A credit code registered outside the actor's areas is an error.
    rows = [[tree.grid_a1a_1.code, "", "x", world.org_x.uscc, "企业", "y", "", "", "", "", ""]]
    report = run(cadre, xlsx(rows, kind="organizations"), kind="organizations")
    assert errors(report)[0][:2] == (2, "统一社会信用代码")


def test_import_organizations_bad_uscc_and_duplicates(make_staff, tree):
    cadre = make_staff(Role.COMMUNITY_CADRE, tree.community_a1a)
    code = make_uscc("330402", 779)
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    rows = [
        [tree.grid_a1a_2.code, "", "甲", bad, "企业", "路1号"],
        [tree.grid_a1a_2.code, "", "乙", code, "企业", "路2号"],
        [tree.grid_a1a_2.code, "", "丙", code, "公司", "路3号"],
    ]
    headers = ["网格编码", "微网格编码", "单位名称", "统一社会信用代码", "单位类型", "地址"]
    report = run(cadre, xlsx(rows, headers=headers), kind="organizations")
    assert errors(report)[0] == (2, "统一社会信用代码", "统一社会信用代码校验位错误")
    assert (4, "统一社会信用代码", "统一社会信用代码与第3行重复") in errors(report)
    assert any(r == 4 and c == "单位类型" for r, c, _ in errors(report))


def test_birth_dates_from_id_numbers_on_import(worker, world):
    number = id_number_for(700, born=dt.date(2000, 2, 29))
    report = run(worker, xlsx([resident_row(world.tree.grid_a1a_1, "1", "9", "闰", number)]))
    assert report.ok
    assert Resident.objects.get(name="闰").birth_date == dt.date(2000, 2, 29)
