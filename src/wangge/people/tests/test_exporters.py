import io
import types

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook as openpyxl_load
from python_calamine import load_workbook

from wangge.audit.models import PersonalDataAccess
from wangge.core import crypto
from wangge.core.errors import DomainError, PermissionDenied
from wangge.people import exporters
from wangge.people.importers import import_file
from wangge.people.layouts import LAYOUTS
from wangge.people.models import Resident
from wangge.people.tests.factories import ResidentFactory
from wangge.teams.roles import Role


def export_xlsx(**kw) -> list[list]:
    export = exporters.export_start(**kw)
    out = io.BytesIO()
    exporters.write_xlsx(export, out)
    return load_workbook(io.BytesIO(out.getvalue())).get_sheet_by_index(0).to_python()


def by_name(rows):
    header = rows[0]
    return {row[header.index("姓名")]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def test_masked_resident_export_in_the_import_layout(make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    rows = export_xlsx(actor=worker, kind="residents", area=world.tree.grid_a1a_1)
    assert rows[0] == LAYOUTS["residents"].headers
    people = by_name(rows)
    assert set(people) == {"张建国", "李秀英", "王芳"}
    spouse = people["李秀英"]
    clear = crypto.decrypt(world.spouse_a.id_number_enc)
    assert spouse["身份证号"] == world.spouse_a.id_number_masked != clear
    assert spouse["联系电话"] == world.spouse_a.phone_masked
    assert spouse["网格编码"] == world.tree.grid_a1a_1.code
    assert spouse["楼栋编码"] == "00001"
    assert spouse["与户主关系"] == "配偶"
    assert spouse["重点人群"] == "孤寡老人"
    assert people["张建国"]["是否党员"] == "是"
    audit = PersonalDataAccess.objects.get(action="export")
    assert (audit.row_count, audit.fields, audit.area_path) == (3, "", world.tree.grid_a1a_1.path)


def test_export_care_groups_masked_for_roles_that_do_not_see_them(make_staff, world, monkeypatch):
    from wangge.teams import roles

    # A street cadre sees care groups; take that away to check the mask.
    caps = roles.ROLE_CAPS[Role.STREET_CADRE]
    monkeypatch.setitem(roles.ROLE_CAPS, Role.STREET_CADRE, caps.__class__(**{**caps.__dict__, "sees_care": False}))  # fmt: skip
    cadre = make_staff(Role.STREET_CADRE, world.tree.street_a1)
    people = by_name(export_xlsx(actor=cadre, kind="residents", area=world.tree.street_a1))
    assert {p["重点人群"] for p in people.values()} == {"***"}
    assert len(people) == 4


def test_export_needs_the_import_right_and_a_covered_area(make_staff, world):
    from django.http import Http404

    dispatcher = make_staff(Role.DISPATCHER, world.tree.city)
    with pytest.raises(PermissionDenied):
        exporters.export_start(actor=dispatcher, kind="residents", area=world.tree.city)
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    with pytest.raises(Http404):
        exporters.export_start(actor=worker, kind="residents", area=world.tree.grid_b1a_1)


def test_clear_export_is_audited_with_row_count(make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    with pytest.raises(DomainError) as exc:
        exporters.export_start(actor=worker, kind="residents", area=world.tree.grid_a1a_1, clear=True)  # fmt: skip
    assert exc.value.code == "reason_required"
    rows = export_xlsx(
        actor=worker, kind="residents", area=world.tree.grid_a1a_1, clear=True, reason="年度核查"
    )
    people = by_name(rows)
    assert people["张建国"]["身份证号"] == crypto.decrypt(world.head_a.id_number_enc)
    assert people["张建国"]["联系电话"] == crypto.decrypt(world.head_a.phone_enc)
    audit = PersonalDataAccess.objects.get(action="export")
    assert (audit.fields, audit.reason, audit.row_count, audit.actor) == ("id_number,phone", "年度核查", 3, worker)  # fmt: skip


def test_clear_export_refused_without_unmask_right(make_staff, world):
    cadre = make_staff(Role.STREET_CADRE, world.tree.street_a1)
    with pytest.raises(PermissionDenied):
        exporters.export_start(
            actor=cadre, kind="residents", area=world.tree.street_a1, clear=True, reason="x"
        )
    assert not PersonalDataAccess.objects.exists()


def test_clear_export_imports_back_unchanged(make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    for kind in ("buildings", "households", "residents"):
        export = exporters.export_start(
            actor=worker, kind=kind, area=world.tree.grid_a1a_1, clear=True, reason="备份"
        )
        out = io.BytesIO()
        exporters.write_xlsx(export, out)
        report = import_file(actor=worker, kind=kind, name="x.xlsx", data=out.getvalue())
        assert report.ok, report.errors
        assert (report.created, report.updated) == (0, 0)
        assert report.unchanged == export.count > 0


def test_csv_export_streams_in_chunks(make_staff, world, monkeypatch):
    for _ in range(5):
        ResidentFactory(household=world.household_a2)
    monkeypatch.setattr(exporters, "CHUNK", 2)
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    export = exporters.export_start(actor=worker, kind="residents", area=world.tree.grid_a1a_1)
    assert isinstance(export.rows, types.GeneratorType)
    chunks = list(exporters.csv_chunks(export))
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == ",".join([*LAYOUTS["residents"].headers, "导出水印"])
    assert len(lines) == 1 + 8
    ids = sorted(Resident.objects.filter(area_path__startswith=world.tree.grid_a1a_1.path).values_list("id_number_masked", flat=True))  # fmt: skip
    assert sorted(line.split(",")[5] for line in lines[1:]) == ids


def test_organization_export_masks_contact_phone_without_unmask_right(make_staff, world):
    cadre = make_staff(Role.STREET_CADRE, world.tree.street_a1)
    rows = export_xlsx(actor=cadre, kind="organizations", area=world.tree.street_a1)
    phone = world.org_a.contact_phone
    assert rows[1][rows[0].index("联系电话")] == phone[:3] + "****" + phone[-4:]
    assert rows[1][rows[0].index("统一社会信用代码")] == world.org_a.uscc


@pytest.mark.parametrize("kind", ["buildings", "households", "residents", "organizations"])
def test_template_has_headers_example_dropdowns_and_notes(kind, db):
    layout = LAYOUTS[kind]
    book = openpyxl_load(io.BytesIO(exporters.template_xlsx(kind)))
    sheet = book.worksheets[0]
    assert sheet.title == layout.title
    assert [c.value for c in sheet[1]] == layout.headers
    assert [c.value or "" for c in sheet[2]] == layout.example_row
    with_choices = [c.header for c in layout.columns if c.choices]
    assert len(sheet.data_validations.dataValidation) == len(with_choices)
    assert book.sheetnames[1] == "填写说明"
    notes = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert all(h in notes for h in layout.headers)


def test_resident_template_example_validates(db):
    """The example row is itself valid data (only refused because it is the example)."""
    from wangge.people import rules

    layout = LAYOUTS["residents"]
    example = dict(zip([c.key for c in layout.columns], layout.example_row, strict=True))
    assert rules.id_number(example["id_number"]).value == example["id_number"]
    assert rules.phone(example["phone"]).value == example["phone"]
    assert rules.uscc(LAYOUTS["organizations"].example_row[3])
    assert rules.clear_phone(LAYOUTS["organizations"].example_row[7])


def test_export_command_and_import_command(make_staff, world, tmp_path):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1, username="wgy")
    out = tmp_path / "居民.csv"
    stdout = io.StringIO()
    call_command(
        "export_data", kind="residents", area=world.tree.grid_a1a_1.code, actor="wgy",
        out=str(out), clear=True, reason="备份", stdout=stdout,
    )  # fmt: skip
    assert "已导出居民3行（明文）" in stdout.getvalue()
    stdout = io.StringIO()
    call_command("import_data", kind="residents", file=str(out), actor=worker.username, dry_run=True, stdout=stdout)  # fmt: skip
    assert "校验通过（试运行，未写入）" in stdout.getvalue() and "未变3条" in stdout.getvalue()
    broken = tmp_path / "broken.csv"
    broken.write_bytes(out.read_bytes().replace(crypto.decrypt(world.head_a.id_number_enc).encode(), b"123"))  # fmt: skip
    stdout = io.StringIO()
    report_out = tmp_path / "report.xlsx"
    with pytest.raises(CommandError):
        call_command("import_data", kind="residents", file=str(broken), actor="wgy", report_out=str(report_out), stdout=stdout)  # fmt: skip
    assert "【身份证号】身份证号应为18位（当前3位）" in stdout.getvalue()
    assert report_out.exists()


def test_commands_refuse_unknown_user_area_and_rights(make_staff, world, tmp_path):
    make_staff(Role.DISPATCHER, world.tree.city, username="ddy")
    with pytest.raises(CommandError, match="不存在"):
        call_command("export_data", kind="residents", area="1", actor="ddy", out=str(tmp_path / "a.xlsx"))  # fmt: skip
    with pytest.raises(CommandError, match="不能"):
        call_command("export_data", kind="residents", area=world.tree.city.code, actor="ddy", out=str(tmp_path / "a.xlsx"))  # fmt: skip
    with pytest.raises(CommandError, match="用户"):
        call_command("import_data", kind="residents", file=__file__, actor="nobody")
