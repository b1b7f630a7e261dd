"""Export of base data in the import layouts, the blank templates, and the
import error report as a spreadsheet.

Exports are scoped like every read, masked unless the actor's role may see
clear values and asks for them with a reason (then the export is written to
the personal-data access log with its row count), and streamed: rows are
read in keyset-paginated chunks and written straight to CSV or to
openpyxl's write-only workbook, so a million rows never sit in memory."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from wangge.areas.models import Area, Level
from wangge.areas.paths import ancestor_paths, subtree_q
from wangge.audit.services import personal_data_access_record
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.masking import MASKED, mask_phone
from wangge.core.watermark import HEADER as WATERMARK_HEADER
from wangge.core.watermark import Watermark, apply_xlsx
from wangge.teams.scope import Scope, scope_for, scoped

from .importers import ImportReport, check_file_right
from .layouts import LAYOUTS, Layout
from .models import Building, CareGroup, Household, Organization, Resident
from .selectors import care_names

CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F6FB2")
REQUIRED_FILL = PatternFill("solid", fgColor="C0392B")
EXAMPLE_FONT = Font(italic=True, color="808080")


def _labels(choices) -> dict[str, str]:
    return {code: str(label) for code, label in choices.choices}


def _keyset(qs: QuerySet, fields: tuple[str, ...]) -> Iterator[list[tuple]]:
    """Chunks of `values_list(id, *fields)` in id order, each one query."""
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


class AreaCodes(dict):
    """grid/micro-grid id -> official code, loaded once for the area."""

    def __init__(self, area: Area):
        # The subtree, plus the grid above when the area is a micro-grid.
        super().__init__(
            Area.objects.filter(
                subtree_q(area.path) | Q(path__in=ancestor_paths(area.path)),
                level__in=(Level.GRID, Level.MICRO_GRID),
            )
            .values_list("pk", "code")
            .iterator(chunk_size=10000)
        )


def _num(value) -> Any:
    return "" if value is None else value


@dataclass
class Export:
    kind: str
    area: Area
    clear: bool
    count: int
    rows: Iterator[list[Any]]
    layout: Layout
    watermark: Watermark | None = None

    @property
    def file_stem(self) -> str:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return f"{self.layout.title}-{self.area.code}-{stamp}"


def _building_rows(qs: QuerySet, area: Area, scope: Scope, clear: bool) -> Iterator[list]:
    codes = AreaCodes(area)
    kinds = _labels(Building.Kind)
    fields = ("grid_id", "micro_grid_id", "code", "name", "address", "kind", "floors", "lng", "lat")
    for chunk in _keyset(qs, fields):
        for _, grid, mg, code, name, address, kind, floors, lng, lat in chunk:
            yield [codes[grid], codes.get(mg, ""), code, name, address, kinds.get(kind, kind),
                   _num(floors), _num(lng), _num(lat)]  # fmt: skip


def _household_rows(qs: QuerySet, area: Area, scope: Scope, clear: bool) -> Iterator[list]:
    codes = AreaCodes(area)
    fields = ("grid_id", "building__code", "unit", "room", "size", "address")
    for chunk in _keyset(qs, fields):
        for _, grid, building, unit, room, size, address in chunk:
            yield [codes[grid], building, unit, room, size, address]


def _resident_rows(qs: QuerySet, area: Area, scope: Scope, clear: bool) -> Iterator[list]:
    from wangge.core import crypto

    codes = AreaCodes(area)
    relationships = _labels(Resident.Relationship)
    residences = _labels(Resident.Residence)
    id_field, phone_field = (
        ("id_number_enc", "phone_enc") if clear else ("id_number_masked", "phone_masked")
    )
    fields = ("grid_id", "household__building__code", "household__unit", "household__room",
              "name", id_field, phone_field, "relationship", "residence", "registered_address",
              "is_party_member", "area_path")  # fmt: skip
    for chunk in _keyset(qs, fields):
        care = care_names([row[0] for row in chunk if scope.sees_care(row[-1])])
        for (pk, grid, building, unit, room, name, id_number, phone, rel, res, reg, party,
             path) in chunk:  # fmt: skip
            if clear:
                id_number, phone = crypto.decrypt(id_number), crypto.decrypt(phone)
            groups = "、".join(care.get(pk, [])) if scope.sees_care(path) else MASKED
            yield [codes[grid], building, unit, room, name, id_number, phone,
                   relationships.get(rel, rel), residences.get(res, res), reg,
                   "是" if party else "否", groups]  # fmt: skip


def _organization_rows(qs: QuerySet, area: Area, scope: Scope, clear: bool) -> Iterator[list]:
    codes = AreaCodes(area)
    kinds = _labels(Organization.Kind)
    fields = ("grid_id", "micro_grid_id", "name", "uscc", "kind", "address", "contact_name",
              "contact_phone", "employees", "lng", "lat", "area_path")  # fmt: skip
    for chunk in _keyset(qs, fields):
        for (_, grid, mg, name, uscc, kind, address, contact, phone, employees, lng, lat,
             path) in chunk:  # fmt: skip
            if not (clear or scope.may_unmask(path)):
                phone = mask_phone(phone)
            yield [codes[grid], codes.get(mg, ""), name, uscc, kinds.get(kind, kind), address,
                   contact, phone, _num(employees), _num(lng), _num(lat)]  # fmt: skip


SOURCES = {
    "buildings": (Building, _building_rows),
    "households": (Household, _household_rows),
    "residents": (Resident, _resident_rows),
    "organizations": (Organization, _organization_rows),
}


def export_start(
    *, actor, kind: str, area: Area, clear: bool = False, reason: str = "", request=None
) -> Export:
    """Check the right to export, audit it, and return the lazy rows."""
    scope = scope_for(actor)
    check_file_right(actor, scope, area)
    if clear:
        if not scope.may_unmask(area.path):
            raise PermissionDenied("unmask_forbidden", "您的角色无权导出明文身份证号和电话")
        if not (reason or "").strip():
            raise DomainError("reason_required", "导出明文须填写事由", status=422)
    model, rows = SOURCES[kind]
    qs = scoped(model.objects.filter(subtree_q(area.path, "area_path")), actor)
    count = qs.count()
    if kind == "residents" or clear:
        personal_data_access_record(
            actor=actor,
            action="export",
            subject_type=kind.removesuffix("s"),
            fields=["id_number", "phone"] if clear else [],
            area_path=area.path,
            reason=(reason or "").strip() or "导出（已脱敏）",
            row_count=count,
            request=request,
        )
    return Export(kind, area, clear, count, rows(qs, area, scope, clear), LAYOUTS[kind],
                  Watermark.for_user(actor))  # fmt: skip


# --------------------------------------------------------------------- writing


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(export: Export) -> Iterator[bytes]:
    """UTF-8 with a BOM, so Excel on Chinese Windows opens it correctly. The
    last column is the watermark (who exported, when) on every row; the
    importer ignores it (core.watermark)."""
    writer = csv.writer(_Echo())
    mark = [export.watermark.text] if export.watermark else []
    head = [*export.layout.headers, WATERMARK_HEADER] if mark else export.layout.headers
    yield codecs.BOM_UTF8 + writer.writerow(head).encode()
    buffer: list[str] = []
    for row in export.rows:
        buffer.append(writer.writerow([*row, *mark]))
        if len(buffer) >= 1000:
            yield "".join(buffer).encode()
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode()


def write_xlsx(export: Export, out: IO[bytes]) -> None:
    """A write-only workbook: rows go to a temporary file as they come."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(export.layout.title)
    for index, col in enumerate(export.layout.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = col.width
    header = []
    for col in export.layout.columns:
        cell = WriteOnlyCell(sheet, value=col.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header.append(cell)
    sheet.append(header)
    for row in export.rows:
        sheet.append(row)
    if export.watermark:
        apply_xlsx(book, export.watermark)
    book.save(out)


def write_csv(export: Export, out: IO[bytes]) -> None:
    for chunk in csv_chunks(export):
        out.write(chunk)


# ------------------------------------------------------------------ templates


def template_xlsx(kind: str) -> bytes:
    """A blank sheet to fill in: styled headers (required ones in red), one
    grey example row to delete, dropdowns for fixed choices, text-formatted
    columns so Excel keeps ID numbers and codes intact, and a notes sheet."""
    layout = LAYOUTS[kind]
    book = Workbook()
    sheet = book.active
    sheet.title = layout.title
    sheet.freeze_panes = "A2"
    for index, col in enumerate(layout.columns, start=1):
        letter = get_column_letter(index)
        dims = sheet.column_dimensions[letter]
        dims.width = col.width
        dims.number_format = "@"
        head = sheet.cell(row=1, column=index, value=col.header)
        head.font = HEADER_FONT
        head.fill = REQUIRED_FILL if col.required else HEADER_FILL
        head.alignment = Alignment(horizontal="center")
        example = sheet.cell(row=2, column=index, value=col.example)
        example.font = EXAMPLE_FONT
        example.number_format = "@"
        if col.choices:
            rule = DataValidation(
                type="list",
                formula1='"' + ",".join(col.choices) + '"',
                allow_blank=not col.required,
                showErrorMessage=True,
                errorTitle="输入有误",
                error=f"{col.header}请从下拉列表中选择",
            )
            rule.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(rule)
    notes = book.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 60
    notes.column_dimensions["D"].width = 60
    notes.append([f"{layout.title}导入模板填写说明"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append(
        ["第2行灰色斜体为示例，导入前请删除。红色表头为必填列。列的顺序可以调整，列名不能改。"]
    )
    notes.append([layout.key_note])
    notes.append([])
    notes.append(["列名", "是否必填", "说明", "可选值"])
    for cell in notes[5]:
        cell.font = Font(bold=True)
    care = "、".join(CareGroup.objects.filter(is_active=True).values_list("name", flat=True))
    for col in layout.columns:
        choices = "、".join(col.choices)
        if col.key == "care_groups":
            choices = care
        notes.append([col.header, "必填" if col.required else "选填", col.note, choices])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def error_report_xlsx(report: ImportReport) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "错误报告"
    sheet.append(["行号", "列", "问题"])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 80
    sheet.freeze_panes = "A2"
    for error in report.errors:
        sheet.append(["" if error.row is None else error.row, error.column, error.message])
    summary = book.create_sheet("概况")
    summary.column_dimensions["A"].width = 12
    summary.column_dimensions["B"].width = 80
    for label, value in (
        ("文件", report.file_name),
        ("类别", report.title),
        ("结果", report.message),
        ("数据行数", report.rows),
        ("错误数", report.error_count),
    ):
        summary.append([label, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
