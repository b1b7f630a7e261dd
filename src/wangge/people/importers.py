"""Import of buildings, households, residents and organizations from the
spreadsheets grid workers fill in (.xlsx, or .csv in UTF-8 or GBK).

Three passes, nothing written until all rows pass:
1. read and check every row on its own (formats, check digits, duplicates
   within the file), collecting a row-by-row report in Chinese;
2. look up everything the rows refer to with a few batched queries keyed by
   code or hash (grids, buildings, households, existing rows) — never one
   query per row — and check scope, references and what changes;
3. if there is no error (and it is not a dry run), write in one transaction
   with bulk inserts and batched updates.

Re-importing the same file changes nothing: rows are matched on natural keys
(residents on the ID-number hash, buildings on grid+code, households on
building+unit+room, organizations on the credit code) and only fields that
differ are written."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404

from wangge.areas.models import Area, Level
from wangge.audit.services import personal_data_access_record
from wangge.core.errors import PermissionDenied
from wangge.core.watermark import HEADER as WATERMARK_HEADER
from wangge.teams.roles import ROLE_CAPS
from wangge.teams.scope import Scope, scope_for

from . import rules
from .layouts import LAYOUTS, Column, Layout
from .models import Building, CareGroup, Household, Organization, Resident, ResidentCareGroup
from .selectors import access_area
from .services import default_household_address

MAX_REPORTED_ERRORS = 1000
CHUNK = 900  # ids per IN (...) list: under SQLite's variable limit
OUT_OF_SCOPE = "不存在或不在您的管辖范围内"


def chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -------------------------------------------------------------------- report


@dataclass
class RowError:
    row: int | None  # the row number Excel shows (1 = header row); None: the whole file
    column: str
    message: str


@dataclass
class ImportReport:
    kind: str
    file_name: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    households_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    code: str = "ok"
    dry_run: bool = False
    written: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, row: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if self.code == "ok":
            self.code = "invalid_rows"
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def file_error(self, message: str, *, code: str = "invalid_file", row=None, column="") -> None:
        self.code = code
        self.add(row, column, message)

    @property
    def title(self) -> str:
        return LAYOUTS[self.kind].title

    @property
    def message(self) -> str:
        if self.code in ("invalid_file", "file_too_large"):
            return f"文件无法导入：{self.errors[0].message}"
        if not self.ok:
            more = (
                f"（仅列出前{MAX_REPORTED_ERRORS}处）"
                if self.error_count > len(self.errors)
                else ""
            )
            return (
                f"共{self.rows}行，发现{self.error_count}处错误{more}，未导入任何数据。"
                "请按错误报告修改后重新导入。"
            )
        counts = f"新增{self.created}条，更新{self.updated}条，未变{self.unchanged}条"
        if self.households_created:
            counts += f"，新建户{self.households_created}户"
        if self.dry_run:
            return f"校验通过（试运行，未写入）：共{self.rows}行，将{counts}。"
        return f"导入成功：共{self.rows}行，{counts}。"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ok": self.ok,
            "code": self.code,
            "message": self.message,
            "file_name": self.file_name,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "households_created": self.households_created,
            "dry_run": self.dry_run,
            "written": self.written,
            "error_count": self.error_count,
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in self.errors
            ],
        }


# ------------------------------------------------------------------- reading


class FileProblem(Exception):
    def __init__(self, message: str, code: str = "invalid_file"):
        super().__init__(message)
        self.message = message
        self.code = code


def _looks_like_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    if data[:8] == OLE2:
        raise FileProblem(
            "这是旧版 .xls 文件（或加密的 Excel 文件），请在 Excel 中另存为 .xlsx 后再导入"
        )
    if not _looks_like_xlsx(data):
        raise FileProblem("文件不是有效的 Excel (.xlsx) 文件，可能是其他格式的文件改了扩展名")
    from python_calamine import load_workbook

    try:
        book = load_workbook(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as exc:  # calamine raises several types for broken files
        raise FileProblem("Excel 文件已损坏或无法读取，请用 Excel 打开后重新保存为 .xlsx") from exc
    # iter_rows starts at row 1 (index 0) and at the first used column.
    for index, row in enumerate(rows):
        yield index + 1, row


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 — what
    Excel saves on Chinese Windows."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileProblem("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV 文件") from exc


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = decode_text(data)
    except UnicodeDecodeError as exc:
        raise FileProblem("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV 文件") from exc
    if "\x00" in text:
        raise FileProblem("文件内容不是文本表格，不是有效的 CSV 文件")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise FileProblem(f"CSV 文件格式错误（第{reader.line_num}行）") from exc


def read_rows(name: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """(row number as the spreadsheet shows it, cells) for every row."""
    suffix = Path(name or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(data)
    if suffix in (".csv", ".txt"):
        return _csv_rows(data)
    if suffix == ".xls":
        raise FileProblem("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入")
    if not suffix and _looks_like_xlsx(data):
        return _xlsx_rows(data)
    raise FileProblem("只支持 Excel (.xlsx) 和 CSV (.csv) 文件")


SPACES = str.maketrans({"\u3000": " ", "\xa0": " ", "\ufeff": ""})


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.translate(SPACES).strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _blank(cells: list[Any]) -> bool:
    return all(cell_text(c) == "" for c in cells)


# ----------------------------------------------------------------- importers


class Importer:
    """One kind of row. Subclasses implement `parse` (per row, no queries),
    `resolve` (batched look-ups over all parsed rows) and `write`."""

    layout: Layout

    def __init__(self, *, actor, scope: Scope, area: Area | None, report: ImportReport,
                 present: set[str]):  # fmt: skip
        self.actor = actor
        self.scope = scope
        self.area = area
        self.report = report
        self.present = present
        self.columns = {c.key: c for c in self.layout.columns}
        self.row_ok = True
        self.grids: dict[str, Area] = {}
        self.districts: dict[str, int] = {}

    # -- per-field helpers
    def err(self, row: int, key: str, message: str) -> None:
        self.row_ok = False
        self.report.add(row, self.columns[key].header, message)

    def value(self, values: dict[str, Any], key: str) -> str:
        return cell_text(values.get(key))

    def field(self, row: int, values: dict[str, Any], key: str, fn, *args, **kwargs):
        col = self.columns[key]
        raw = values.get(key)
        if col.exact_text and isinstance(raw, int | float) and not isinstance(raw, bool):
            self.err(row, key, f"{col.header}被Excel保存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写")  # fmt: skip
            return None
        text = cell_text(raw)
        if col.required and not text:
            self.err(row, key, f"{col.header}不能为空")
            return None
        try:
            return fn(text, *args, **kwargs)
        except rules.Invalid as exc:
            self.err(row, key, exc.message)
            return None

    def code(self, row: int, values: dict[str, Any], key: str, length: int) -> str:
        def check(text: str) -> str:
            if text and (not text.isdigit() or len(text) != length):
                raise rules.Invalid(f"{self.columns[key].header}应为{length}位数字")
            return text

        return self.field(row, values, key, check) or ""

    # -- scope and places
    def allowed(self, path: str) -> bool:
        return self.scope.imports(path)

    def load_areas(self, codes: set[str]) -> None:
        for batch in chunks(sorted(c for c in codes if c and c not in self.grids)):
            for area in Area.objects.filter(code__in=batch, is_active=True).only(
                "id", "path", "level", "grid_kind", "parent_id", "code", "name"
            ):
                self.grids[area.code] = area
        prefixes = {a.path[: rules.DISTRICT_PATH_LENGTH] for a in self.grids.values()}
        missing = prefixes - set(self.districts)
        if missing:
            self.districts.update(
                Area.objects.filter(path__in=missing).values_list("path", "pk")  # type: ignore[arg-type]
            )

    def check_path(self, row: int, key: str, path: str, what: str) -> bool:
        if not self.scope.covers(path):
            self.err(row, key, f"{what}{OUT_OF_SCOPE}")
            return False
        if not self.allowed(path):
            self.err(row, key, f"您在{what}没有导入权限")
            return False
        if self.area is not None and not path.startswith(self.area.path):
            self.err(row, key, f"{what}不在所选区域“{self.area.name}”内")
            return False
        return True

    def grid(self, row: int, code: str) -> Area | None:
        grid = self.grids.get(code)
        what = f"网格“{code}”"
        if grid is None or grid.level != Level.GRID or not self.scope.covers(grid.path):
            self.err(row, "grid_code", f"{what}{OUT_OF_SCOPE}")
            return None
        return grid

    def place(self, row: int, grid_code: str, micro_grid_code: str) -> rules.Place | None:
        grid = self.grid(row, grid_code)
        if grid is None:
            return None
        micro_grid = None
        if micro_grid_code:
            micro_grid = self.grids.get(micro_grid_code)
            if micro_grid is None or not self.scope.covers(micro_grid.path):
                self.err(row, "micro_grid_code", f"微网格“{micro_grid_code}”{OUT_OF_SCOPE}")
                return None
        try:
            place = rules.place_in(
                grid, micro_grid, self.districts[grid.path[: rules.DISTRICT_PATH_LENGTH]]
            )
        except rules.Invalid as exc:
            self.err(row, "micro_grid_code", exc.message)
            return None
        if not self.check_path(row, "grid_code", place.area_path, f"网格“{grid_code}”"):
            return None
        return place

    # -- to implement
    def parse(self, row: int, values: dict[str, Any]) -> None:
        raise NotImplementedError

    def resolve(self) -> None:
        raise NotImplementedError

    def write(self) -> None:
        raise NotImplementedError


def _insert_rows(model, columns: tuple[str, ...], rows: list) -> None:
    """Plain INSERTs of many rows, without building model instances:
    COPY on PostgreSQL, executemany on SQLite (both far faster than
    bulk_create, which SQLite limits to 999 parameters a statement)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for batch in chunks(rows, 5000):
            cursor.executemany(sql, batch)


def _update_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """UPDATE … WHERE id = ? for many rows at once (each tuple: values in
    `columns` order, then the id)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(c)} = %s" for c in columns)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote('id')} = %s"
    with connection.cursor() as cursor:
        for batch in chunks(rows, 5000):
            cursor.executemany(sql, batch)


# ------------------------------------------------------------------ buildings


@dataclass(slots=True)
class BuildingRec:
    row: int
    grid_code: str
    micro_grid_code: str
    code: str
    values: dict[str, Any]
    place: rules.Place | None = None


class BuildingImporter(Importer):
    layout = LAYOUTS["buildings"]
    FIELDS = ("name", "address", "kind", "floors", "lng", "lat")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.recs: list[BuildingRec] = []
        self.seen: dict[tuple[str, str], int] = {}
        self.creates: list[Building] = []
        self.updates: list[tuple] = []
        self.moved: list[tuple[int, rules.Place]] = []

    def parse(self, row, values):
        grid_code = self.code(row, values, "grid_code", 15)
        mg_code = self.code(row, values, "micro_grid_code", 18)
        code = self.field(row, values, "building_code", rules.building_code)
        vals = {
            "name": self.field(row, values, "name", rules.text, label="楼栋名称", max_length=100),
            "address": self.field(row, values, "address", rules.text, label="地址", max_length=200),
            "kind": self.field(row, values, "kind", rules.building_kind),
            "floors": self.field(row, values, "floors", rules.positive_int, label="层数", maximum=200),
            "lng": self.field(row, values, "lng", rules.lng),
            "lat": self.field(row, values, "lat", rules.lat),
        }  # fmt: skip
        if grid_code and code:
            first = self.seen.setdefault((grid_code, code), row)
            if first != row:
                self.err(row, "building_code", f"与第{first}行重复（同一网格、同一楼栋编码）")
        if self.row_ok:
            self.recs.append(BuildingRec(row, grid_code, mg_code, code, vals))

    def resolve(self):
        self.load_areas({r.grid_code for r in self.recs} | {r.micro_grid_code for r in self.recs})
        for rec in self.recs:
            rec.place = self.place(rec.row, rec.grid_code, rec.micro_grid_code)
        grid_ids = {r.place.grid_id for r in self.recs if r.place}
        existing: dict[tuple[int, str], tuple] = {}
        cols = ("id", "grid_id", "code", "micro_grid_id", "area_path", *self.FIELDS)
        for batch in chunks(sorted(grid_ids)):
            for values in Building.objects.filter(grid_id__in=batch).values_list(*cols):
                existing[(values[1], values[2])] = values
        fields = [f for f in self.FIELDS if self.present_key(f)]
        for rec in self.recs:
            if rec.place is None:
                continue
            old = existing.get((rec.place.grid_id, rec.code))
            if old is None:
                building = Building(code=rec.code, **rec.values)
                rec.place.apply(building)
                self.creates.append(building)
                continue
            old_values = dict(zip(cols, old, strict=True))
            if not self.allowed(old_values["area_path"]):
                self.err(rec.row, "building_code", f"楼栋{rec.code}{OUT_OF_SCOPE}")
                continue
            changed = [f for f in fields if rec.values[f] != old_values[f]]
            place_changed = (old_values["micro_grid_id"], old_values["area_path"]) != (
                rec.place.micro_grid_id,
                rec.place.area_path,
            )
            if place_changed:
                self.moved.append((old_values["id"], rec.place))
            if changed or place_changed:
                self.updates.append(
                    (
                        *(rec.values[f] for f in fields),
                        rec.place.micro_grid_id,
                        rec.place.area_path,
                        old_values["id"],
                    )  # fmt: skip
                )
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self.update_columns = [*fields, "micro_grid_id", "area_path"]
        self.report.created = len(self.creates)

    def present_key(self, key: str) -> bool:
        return key in self.present or self.columns[key].required

    def write(self):
        Building.objects.bulk_create(self.creates, batch_size=2000)
        _update_rows(Building, self.update_columns, self.updates)
        for building_id, place in self.moved:
            columns = {"micro_grid_id": place.micro_grid_id, "area_path": place.area_path}
            Household.objects.filter(building_id=building_id).update(**columns)
            Resident.objects.filter(household__building_id=building_id).update(**columns)


# ----------------------------------------------------------------- households


@dataclass(slots=True)
class HouseholdRec:
    row: int
    grid_code: str
    building_code: str
    unit: str
    room: str
    size: int | None
    address: str


class HouseholdImporter(Importer):
    layout = LAYOUTS["households"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.recs: list[HouseholdRec] = []
        self.seen: dict[tuple[str, str, str, str], int] = {}
        self.creates: list[Household] = []
        self.updates: list[tuple] = []
        self.buildings: dict[tuple[int, str], Building] = {}

    def parse(self, row, values):
        grid_code = self.code(row, values, "grid_code", 15)
        building_code = self.field(row, values, "building_code", rules.building_code)
        unit = self.field(row, values, "unit", rules.text, label="单元", max_length=20)
        room = self.field(row, values, "room", rules.text, label="室号", max_length=20)
        size = self.field(row, values, "size", rules.positive_int, label="户人数", maximum=99)
        address = self.field(row, values, "address", rules.text, label="住址", max_length=200)
        if grid_code and building_code and room:
            first = self.seen.setdefault((grid_code, building_code, unit or "", room), row)
            if first != row:
                self.err(row, "room", f"与第{first}行重复（同一楼栋、单元、室号）")
        if self.row_ok:
            self.recs.append(
                HouseholdRec(row, grid_code, building_code, unit or "", room, size, address or "")
            )

    def load_buildings(self, grid_ids: set[int]) -> None:
        for batch in chunks(sorted(grid_ids)):
            for b in Building.objects.filter(grid_id__in=batch).only(
                "id", "grid_id", "code", "district_id", "micro_grid_id", "area_path", "address"
            ):
                self.buildings[(b.grid_id, b.code)] = b

    def building(self, row: int, grid: Area, code: str) -> Building | None:
        building = self.buildings.get((grid.pk, code))
        if building is None:
            self.err(
                row, "building_code", f"楼栋编码“{code}”在网格“{grid.code}”中不存在，请先导入楼栋"
            )
            return None
        if not self.check_path(row, "building_code", building.area_path, f"楼栋“{code}”"):
            return None
        return building

    def resolve(self):
        self.load_areas({r.grid_code for r in self.recs})
        grids = {r.row: self.grid(r.row, r.grid_code) for r in self.recs}
        self.load_buildings({g.pk for g in grids.values() if g})
        existing: dict[tuple[int, str, str], tuple] = {}
        for batch in chunks(sorted({b.pk for b in self.buildings.values()})):
            for values in Household.objects.filter(building_id__in=batch).values_list(
                "id", "building_id", "unit", "room", "size", "address", "area_path"
            ):
                existing[(values[1], values[2], values[3])] = values
        write_size = "size" in self.present
        write_address = "address" in self.present
        for rec in self.recs:
            grid = grids[rec.row]
            if grid is None:
                continue
            building = self.building(rec.row, grid, rec.building_code)
            if building is None:
                continue
            address = rec.address or default_household_address(building, rec.unit, rec.room)
            old = existing.get((building.pk, rec.unit, rec.room))
            if old is None:
                household = Household(
                    building_id=building.pk, unit=rec.unit, room=rec.room,
                    size=rec.size or 1, address=address,
                )  # fmt: skip
                rules.Place.of(building).apply(household)
                self.creates.append(household)
                continue
            new_size = rec.size if write_size and rec.size is not None else old[4]
            new_address = address if write_address and rec.address else old[5]
            if (new_size, new_address) != (old[4], old[5]):
                self.updates.append((new_size, new_address, old[0]))
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self.report.created = len(self.creates)

    def write(self):
        Household.objects.bulk_create(self.creates, batch_size=2000)
        _update_rows(Household, ["size", "address"], self.updates)


# ------------------------------------------------------------------ residents


@dataclass(slots=True)
class ResidentRec:
    row: int
    grid_code: str
    building_code: str
    unit: str
    room: str
    name: str
    number: rules.IdNumber
    phone: rules.Phone
    relationship: str
    residence: str
    registered_address: str
    is_party_member: bool
    care: frozenset[int] | None


# Resident columns the import may write, in UPDATE order.
RESIDENT_COLUMNS = (
    "household_id", "district_id", "grid_id", "micro_grid_id", "area_path", "name",
    "phone_enc", "phone_hash", "phone_masked", "relationship", "residence",
    "registered_address", "is_party_member",
)  # fmt: skip
RESIDENT_INSERT_COLUMNS = (
    *RESIDENT_COLUMNS, "sex", "birth_date", "id_number_enc", "id_number_hash", "id_number_masked",
)  # fmt: skip
HOUSEHOLD_INSERT_COLUMNS = (
    "building_id", "unit", "room", "size", "address", "district_id", "grid_id", "micro_grid_id",
    "area_path",
)  # fmt: skip
HouseholdKey = tuple[int, str, str]


class ResidentImporter(HouseholdImporter):
    layout = LAYOUTS["residents"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.recs: list[ResidentRec] = []  # type: ignore[assignment]
        self.seen_ids: dict[str, int] = {}
        self.care_groups = {g.name: g.pk for g in CareGroup.objects.filter(is_active=True)}
        self.new_households: dict[HouseholdKey, list] = {}
        # Rows in RESIDENT_INSERT_COLUMNS order; a household this import creates
        # is given by its key (its id is known only after the insert).
        self.new_residents: list[tuple[list, HouseholdKey | None]] = []
        self.moves: list[tuple[dict[str, Any], HouseholdKey]] = []
        self.resident_updates: list[tuple] = []
        self.care_add: list[tuple[int | None, int, ResidentRec]] = []
        self.care_remove: list[tuple[int, int]] = []

    def care(self, text: str) -> frozenset[int]:
        names = rules.care_group_names(text)
        unknown = [n for n in names if n not in self.care_groups]
        if unknown:
            raise rules.Invalid(
                f"未知的重点人群“{'、'.join(unknown)}”，可填：{'、'.join(self.care_groups)}"
            )
        return frozenset(self.care_groups[n] for n in names)

    def parse(self, row, values):
        grid_code = self.code(row, values, "grid_code", 15)
        building_code = self.field(row, values, "building_code", rules.building_code)
        unit = self.field(row, values, "unit", rules.text, label="单元", max_length=20) or ""
        room = self.field(row, values, "room", rules.text, label="室号", max_length=20)
        name = self.field(row, values, "name", rules.text, label="姓名", max_length=50)
        number = self.field(row, values, "id_number", rules.id_number)
        phone = self.field(row, values, "phone", rules.phone)
        relationship = self.field(row, values, "relationship", rules.relationship)
        residence = self.field(row, values, "residence", rules.residence)
        registered = self.field(row, values, "registered_address", rules.text, label="户籍地址", max_length=200)  # fmt: skip
        party = self.field(row, values, "is_party_member", rules.yes_no, label="是否党员")
        care = (
            self.field(row, values, "care_groups", self.care)
            if "care_groups" in self.present
            else None
        )
        if number is not None:
            first = self.seen_ids.setdefault(number.hash, row)
            if first != row:
                self.err(row, "id_number", f"身份证号与第{first}行重复")
        if self.row_ok:
            self.recs.append(
                ResidentRec(
                    row,
                    grid_code,
                    building_code,
                    unit,
                    room,
                    name,
                    number,
                    phone or rules.NO_PHONE,
                    relationship,
                    residence,
                    registered or "",
                    bool(party),
                    care,
                )  # fmt: skip
            )

    def resolve(self):
        self.load_areas({r.grid_code for r in self.recs})
        grids = {r.row: self.grid(r.row, r.grid_code) for r in self.recs}
        self.load_buildings({g.pk for g in grids.values() if g})
        households: dict[tuple[int, str, str], int] = {}
        for batch in chunks(sorted({b.pk for b in self.buildings.values()})):
            for pk, building_id, unit, room in Household.objects.filter(
                building_id__in=batch
            ).values_list("id", "building_id", "unit", "room"):
                households[(building_id, unit, room)] = pk
        existing: dict[str, dict[str, Any]] = {}
        cols = ("id", "id_number_hash", "phone_enc", *RESIDENT_COLUMNS)
        for batch in chunks(sorted(self.seen_ids)):
            for values in Resident.objects.filter(id_number_hash__in=batch).values_list(*cols):
                existing[values[1]] = dict(zip(cols, values, strict=True))
        care_now: dict[int, set[int]] = {}
        if "care_groups" in self.present:
            for batch in chunks(sorted(v["id"] for v in existing.values())):
                for resident_id, group_id in ResidentCareGroup.objects.filter(
                    resident_id__in=batch
                ).values_list("resident_id", "group_id"):
                    care_now.setdefault(resident_id, set()).add(group_id)
        present = self.present
        new_sizes: dict[tuple[int, str, str], int] = {}

        for rec in self.recs:
            grid = grids[rec.row]
            if grid is None:
                continue
            building = self.building(rec.row, grid, rec.building_code)
            if building is None:
                continue
            place = rules.Place.of(building)
            care = rec.care
            if care is not None and not self.scope.sees_care(place.area_path):
                if care:
                    self.err(rec.row, "care_groups", "您的角色不能填写重点人群")
                    continue
                care = None  # an empty cell the actor cannot see behind: leave as is
            key = (building.pk, rec.unit, rec.room)
            household_id = households.get(key)
            if household_id is None and key not in self.new_households:
                self.new_households[key] = [
                    building.pk, rec.unit, rec.room, 1,
                    default_household_address(building, rec.unit, rec.room),
                    place.district_id, place.grid_id, place.micro_grid_id, place.area_path,
                ]  # fmt: skip
            if household_id is None:
                new_sizes[key] = new_sizes.get(key, 0) + 1
            old = existing.get(rec.number.hash)
            if old is None:
                number, phone = rec.number, rec.phone
                self.new_residents.append((
                    [household_id, place.district_id, place.grid_id, place.micro_grid_id,
                     place.area_path, rec.name, phone.encrypt(), phone.hash, phone.masked,
                     rec.relationship, rec.residence, rec.registered_address,
                     rec.is_party_member, number.sex, number.birth_date, number.encrypt(),
                     number.hash, number.masked],
                    None if household_id else key,
                ))  # fmt: skip
                if care:
                    self.care_add.extend((None, g, rec) for g in care)
                continue
            if not self.allowed(old["area_path"]):
                self.err(rec.row, "id_number", "该身份证号已在您管辖范围以外登记，请联系上级核实")
                continue
            new = dict(old)
            new.update(household_id=household_id, name=rec.name, relationship=rec.relationship,
                       district_id=place.district_id, grid_id=place.grid_id,
                       micro_grid_id=place.micro_grid_id, area_path=place.area_path)  # fmt: skip
            if "residence" in present:
                new["residence"] = rec.residence
            if "registered_address" in present:
                new["registered_address"] = rec.registered_address
            if "is_party_member" in present:
                new["is_party_member"] = rec.is_party_member
            if "phone" in present and rec.phone.hash != old["phone_hash"]:
                new.update(phone_enc=rec.phone.encrypt(), phone_hash=rec.phone.hash,
                           phone_masked=rec.phone.masked)  # fmt: skip
            changed = household_id is None or any(new[c] != old[c] for c in RESIDENT_COLUMNS)
            if household_id is None:
                # Moves into a household this import creates: id known after insert.
                self.moves.append((new, key))
            elif changed:
                self.resident_updates.append((*(new[c] for c in RESIDENT_COLUMNS), old["id"]))
            care_changed = False
            if care is not None:
                before = care_now.get(old["id"], set())
                self.care_add.extend((old["id"], g, rec) for g in care - before)
                self.care_remove.extend((old["id"], g) for g in before - care)
                care_changed = before != care
            if changed or care_changed:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        for key, household in self.new_households.items():
            household[3] = new_sizes.get(key, 1)
        self.report.created = len(self.new_residents)
        self.report.households_created = len(self.new_households)

    def write(self):
        _insert_rows(Household, HOUSEHOLD_INSERT_COLUMNS, list(self.new_households.values()))
        ids: dict[HouseholdKey, int] = {}
        new_buildings = sorted({key[0] for key in self.new_households})
        for batch in chunks(new_buildings):
            for pk, building_id, unit, room in Household.objects.filter(
                building_id__in=batch
            ).values_list("id", "building_id", "unit", "room"):
                ids[(building_id, unit, room)] = pk
        rows = []
        for values, key in self.new_residents:
            if key is not None:
                values[0] = ids[key]
            rows.append(values)
        _insert_rows(Resident, RESIDENT_INSERT_COLUMNS, rows)
        for moved, key in self.moves:
            moved["household_id"] = ids[key]
            self.resident_updates.append((*(moved[c] for c in RESIDENT_COLUMNS), moved["id"]))
        _update_rows(Resident, list(RESIDENT_COLUMNS), self.resident_updates)
        if self.care_add or self.care_remove:
            wanted = sorted({rec.number.hash for pk, _, rec in self.care_add if pk is None})
            new_ids: dict[str, int] = {}
            for batch in chunks(wanted):
                new_ids.update(
                    Resident.objects.filter(id_number_hash__in=batch).values_list(
                        "id_number_hash", "id"
                    )
                )
            by_group: dict[int, list[int]] = {}
            for resident_id, group_id in self.care_remove:
                by_group.setdefault(group_id, []).append(resident_id)
            for group_id, resident_ids in by_group.items():
                for batch in chunks(resident_ids):
                    ResidentCareGroup.objects.filter(
                        group_id=group_id, resident_id__in=batch
                    ).delete()
            _insert_rows(
                ResidentCareGroup,
                ("resident_id", "group_id"),
                [
                    (resident_id or new_ids[rec.number.hash], group_id)
                    for resident_id, group_id, rec in self.care_add
                ],
            )
        personal_data_access_record(
            actor=self.actor,
            action="import",
            subject_type="resident",
            fields=["id_number", "phone"],
            area_path=self.area.path if self.area else "",
            reason=f"导入文件 {self.report.file_name}"[:200],
            row_count=self.report.rows,
        )


# -------------------------------------------------------------- organizations


@dataclass(slots=True)
class OrganizationRec:
    row: int
    grid_code: str
    micro_grid_code: str
    values: dict[str, Any]
    place: rules.Place | None = None


class OrganizationImporter(Importer):
    layout = LAYOUTS["organizations"]
    FIELDS = ("name", "uscc", "kind", "address", "contact_name", "contact_phone", "employees",
              "lng", "lat")  # fmt: skip

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.recs: list[OrganizationRec] = []
        self.seen: dict[str, int] = {}
        self.creates: list[Organization] = []
        self.updates: list[tuple] = []

    def parse(self, row, values):
        grid_code = self.code(row, values, "grid_code", 15)
        mg_code = self.code(row, values, "micro_grid_code", 18)
        vals = {
            "name": self.field(row, values, "name", rules.text, label="单位名称", max_length=200),
            "uscc": self.field(row, values, "uscc", rules.uscc),
            "kind": self.field(row, values, "kind", rules.organization_kind),
            "address": self.field(row, values, "address", rules.text, label="地址", max_length=200),
            "contact_name": self.field(row, values, "contact_name", rules.text, label="联系人", max_length=50) or "",
            "contact_phone": self.field(row, values, "contact_phone", rules.clear_phone) or "",
            "employees": self.field(row, values, "employees", rules.positive_int, label="从业人数", maximum=10_000_000),
            "lng": self.field(row, values, "lng", rules.lng),
            "lat": self.field(row, values, "lat", rules.lat),
        }  # fmt: skip
        if vals["uscc"]:
            first = self.seen.setdefault(vals["uscc"], row)
            if first != row:
                self.err(row, "uscc", f"统一社会信用代码与第{first}行重复")
        if self.row_ok:
            self.recs.append(OrganizationRec(row, grid_code, mg_code, vals))

    def resolve(self):
        self.load_areas({r.grid_code for r in self.recs} | {r.micro_grid_code for r in self.recs})
        cols = ("id", "grid_id", "micro_grid_id", "area_path", *self.FIELDS)
        existing: dict[str, dict[str, Any]] = {}
        for batch in chunks(sorted(self.seen)):
            for values in Organization.objects.filter(uscc__in=batch).values_list(*cols):
                existing[values[cols.index("uscc")]] = dict(zip(cols, values, strict=True))
        fields = [f for f in self.FIELDS if f in self.present or self.columns[f].required]
        self.update_columns = [*fields, "district_id", "grid_id", "micro_grid_id", "area_path"]
        for rec in self.recs:
            place = self.place(rec.row, rec.grid_code, rec.micro_grid_code)
            if place is None:
                continue
            old = existing.get(rec.values["uscc"])
            if old is None:
                org = Organization(**rec.values)
                place.apply(org)
                self.creates.append(org)
                continue
            if not self.allowed(old["area_path"]):
                self.err(
                    rec.row, "uscc", "该统一社会信用代码已在您管辖范围以外登记，请联系上级核实"
                )
                continue
            changed = any(rec.values[f] != old[f] for f in fields) or (
                old["grid_id"],
                old["micro_grid_id"],
                old["area_path"],
            ) != (place.grid_id, place.micro_grid_id, place.area_path)
            if changed:
                self.updates.append(
                    (
                        *(rec.values[f] for f in fields),
                        place.district_id,
                        place.grid_id,
                        place.micro_grid_id,
                        place.area_path,
                        old["id"],
                    )  # fmt: skip
                )
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self.report.created = len(self.creates)

    def write(self):
        Organization.objects.bulk_create(self.creates, batch_size=2000)
        _update_rows(Organization, self.update_columns, self.updates)


IMPORTERS: dict[str, type[Importer]] = {
    "buildings": BuildingImporter,
    "households": HouseholdImporter,
    "residents": ResidentImporter,
    "organizations": OrganizationImporter,
}


# ---------------------------------------------------------------- the entry


def may_import(scope: Scope) -> bool:
    return scope.unrestricted or any(ROLE_CAPS[g.role].imports for g in scope.grants)


def check_file_right(actor, scope: Scope, area: Area | None) -> None:
    if area is not None:
        if not scope.covers(area.path):
            raise Http404("未找到，或不在您的管辖范围内")
        if not scope.imports(area.path):
            raise PermissionDenied("forbidden", "您的角色不能在该区域导入或导出基础数据")
    elif not may_import(scope):
        raise PermissionDenied("forbidden", "您的角色不能导入或导出基础数据")


def _headers(layout: Layout, row: int, cells: list[Any], report: ImportReport) -> dict[int, Column]:
    index: dict[int, Column] = {}
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        header = cell_text(cell).replace(" ", "").rstrip("*＊")
        if not header or header == WATERMARK_HEADER:  # an export's watermark column
            continue
        col = layout.by_header.get(header)
        if col is None:
            report.file_error(
                f"未知的列“{header}”：{layout.title}表应使用模板中的列名（{'、'.join(layout.headers)}）",
                row=row, column=header,
            )  # fmt: skip
            continue
        if col.key in seen:
            report.file_error(f"列“{col.header}”出现了两次", row=row, column=col.header)
            continue
        seen[col.key] = i
        index[i] = col
    for col in layout.columns:
        if col.required and col.key not in seen:
            report.file_error(f"缺少必填列“{col.header}”", row=row, column=col.header)
    return index


def import_file(
    *,
    actor,
    kind: str,
    name: str,
    data: bytes,
    area: Area | None = None,
    dry_run: bool = False,
    declared_size: int | None = None,
) -> ImportReport:
    """Check every row of `data` (the file's bytes; `name` gives its type) and,
    when all pass and this is not a dry run, write them in one transaction.
    `declared_size` lets a caller refuse an upload by size before reading it."""
    started = time.perf_counter()
    layout = LAYOUTS[kind]
    scope = scope_for(actor)
    check_file_right(actor, scope, area)
    report = ImportReport(kind=kind, file_name=Path(name or "").name, dry_run=dry_run)
    limit = settings.WANGGE_IMPORT_MAX_BYTES
    size = len(data) if declared_size is None else declared_size
    if size > limit:
        report.file_error(
            f"文件大小{size / 1048576:.1f}MB，超过了{limit / 1048576:.0f}MB的上限，请拆分后分批导入",
            code="file_too_large",
        )  # fmt: skip
        return report
    if not data.strip():
        report.file_error("文件是空的")
        return report
    try:
        _run(layout, kind, actor, scope, area, report, name, data, dry_run)
    except FileProblem as exc:
        report.errors.clear()
        report.error_count = 0
        report.file_error(exc.message, code=exc.code)
    report.seconds = time.perf_counter() - started
    return report


def _run(layout, kind, actor, scope, area, report, name, data, dry_run) -> None:
    rows = read_rows(name, data)
    header_row = None
    index: dict[int, Column] = {}
    importer: Importer | None = None
    for row, cells in rows:
        if _blank(cells):
            continue
        if header_row is None:
            header_row = row
            index = _headers(layout, row, cells, report)
            if not report.ok:
                return
            present = {col.key for col in index.values()}
            importer = IMPORTERS[kind](
                actor=actor, scope=scope, area=area, report=report, present=present
            )
            continue
        values = {col.key: cells[i] if i < len(cells) else None for i, col in index.items()}
        report.rows += 1
        if all(
            cell_text(values.get(c.key)) == c.example for c in layout.columns if c.key in values
        ):
            report.add(row, "", "这是模板中的示例行，请删除后再导入")
            continue
        importer.row_ok = True  # type: ignore[union-attr]
        importer.parse(row, values)  # type: ignore[union-attr]
    if header_row is None or importer is None:
        raise FileProblem("文件是空的，没有表头和数据")
    if report.rows == 0:
        report.file_error("文件中只有表头，没有数据行")
        return
    importer.resolve()
    if not report.ok:
        report.created = report.updated = report.unchanged = report.households_created = 0
        return
    if dry_run:
        return
    from wangge.audit import recorder

    # One audit event for the whole import, with its counts, in the import's
    # transaction (no row-by-row events: docs/security.md).
    with transaction.atomic(), recorder.batch(
        what=f"导入{layout.title}", model=f"people.{kind.removesuffix('s')}", actor=actor,
        area_path=area.path if area is not None else "",
    ) as counts:
        importer.write()
        counts.update(file=report.file_name, rows=report.rows, created=report.created,
                      updated=report.updated, unchanged=report.unchanged)
    report.written = True


def resolve_area(actor, area_id: int | None) -> Area | None:
    return access_area(actor, area_id) if area_id is not None else None
