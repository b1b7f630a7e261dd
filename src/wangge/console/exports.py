"""The console's Excel export of the filtered case list.

Scoped: the rows are exactly the queue tab and filters the actor is looking
at (`selectors.filtered_cases`, which starts from the case engine's scoped
list). Personal data:

- roles that may not unmask personal data (dispatchers, street cadres,
  department staff, leaders) get no reporter columns at all, and phone and
  ID numbers typed into a description are masked;
- roles that may unmask (community cadres, city administrators) get the
  reporter's name, phone and the address, masked; with `clear` and a reason
  they get them in clear, and the export is written to the personal-data
  access log (who, when, why, how many rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from wangge.audit.services import personal_data_access_record
from wangge.cases.models import Alert, CaseReporter, Handling, Status, Team
from wangge.core.crypto import decrypt
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.masking import mask_name, mask_phone
from wangge.core.watermark import Watermark, apply_xlsx
from wangge.teams.scope import scope_for

from .selectors import TAB_BY_KEY, ConsoleFilters, filtered_cases

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 100_000
BATCH = 2000
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B91C1C")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_IDNO = re.compile(r"(?<![0-9Xx])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9Xx])")

COLUMNS = (
    ("工单号", 15),
    ("上报时间", 17),
    ("事项大类", 14),
    ("事项小类", 18),
    ("办理类型", 9),
    ("状态", 9),
    ("时限预警", 9),
    ("督办", 6),
    ("区县", 10),
    ("镇街", 12),
    ("村社区", 14),
    ("网格", 18),
    ("位置", 18),
    ("承办方", 9),
    ("牵头部门", 18),
    ("办理时限", 17),
    ("处置完成时间", 17),
    ("结案时间", 17),
    ("评价", 6),
    ("问题描述", 50),
)
PERSONAL_COLUMNS = (("上报人", 10), ("联系电话", 14), ("详细地址", 30))


def mask_text(text: str) -> str:
    text = _PHONE.sub(r"\1****\2", text or "")
    return _IDNO.sub(lambda m: m.group(1) + "********" + m.group(2), text)


@dataclass
class CaseExport:
    rows: int
    personal: str  # "" (none), "masked" or "clear"
    file_stem: str


def _fmt(dt: datetime | None) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def case_export(
    *,
    actor,
    filters: ConsoleFilters,
    tab: str,
    out: IO[bytes],
    clear: bool = False,
    reason: str = "",
    request=None,
) -> CaseExport:
    """Write the workbook to `out`; return what went into it."""
    scope = scope_for(actor)
    may_unmask = scope.unrestricted or any(scope.may_unmask(p) for p in scope.paths)
    if clear:
        if not may_unmask:
            raise PermissionDenied("unmask_forbidden", "您的角色无权导出上报人明文信息")
        if not (reason or "").strip():
            raise DomainError("reason_required", "导出明文须填写事由", status=422)
    t = TAB_BY_KEY[tab]
    qs = filtered_cases(actor=actor, filters=filters)
    if t.q is not None:
        qs = qs.filter(t.q)
    qs = qs.select_related(
        "category__parent", "district", "street", "community", "grid", "building", "department"
    ).defer(
        *(
            f"{rel}__{f}"
            for rel in ("district", "street", "community", "grid")
            for f in ("boundary", "min_lng", "min_lat", "max_lng", "max_lat")
        )
    )
    qs = qs.order_by(*t.order)[:MAX_ROWS]

    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    columns = COLUMNS + (PERSONAL_COLUMNS if may_unmask else ())
    for i, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    header = []
    for name, _ in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A2"

    handling = dict(Handling.choices)
    status = dict(Status.choices)
    alert = dict(Alert.choices)
    team = dict(Team.choices)
    n = clear_rows = 0
    batch: list = []

    def flush() -> None:
        nonlocal n, clear_rows
        reporters: dict[int, CaseReporter] = {}
        if may_unmask:
            for r in (
                CaseReporter.objects.filter(
                    case_id__in=[c.pk for c in batch], from_case_id__isnull=True
                )
                .select_related("user")
                .order_by("pk")
            ):
                reporters.setdefault(r.case_id, r)
        for c in batch:
            cat = c.category
            row = [
                c.number,
                _fmt(c.created_at),
                cat.parent.name if cat.parent_id else cat.name,
                cat.name,
                str(handling.get(c.handling, c.handling)),
                str(status.get(c.status, c.status)),
                str(alert.get(c.alert, "")) if c.alert else "正常",
                "是" if c.supervised else "",
                c.district.name if c.district_id else "",
                c.street.name if c.street_id else "",
                c.community.name if c.community_id else "",
                c.grid.name if c.grid_id else "",
                c.building.name if c.building_id else c.area.name,
                str(team.get(c.team, "")) if c.team else "",
                c.department.name if c.department_id else "",
                _fmt(c.due_at),
                _fmt(c.handled_at),
                _fmt(c.closed_at),
                c.rating or "",
            ]
            row_clear = clear and (scope.unrestricted or scope.may_unmask(c.area_path))
            row.append(c.description if row_clear else mask_text(c.description))
            if may_unmask:
                row += _personal(reporters.get(c.pk), c, row_clear, scope)
                clear_rows += row_clear
            sheet.append(row)
            n += 1
        batch.clear()

    for case in qs.iterator(chunk_size=BATCH):
        batch.append(case)
        if len(batch) >= BATCH:
            flush()
    flush()
    apply_xlsx(book, Watermark.for_user(actor))  # who exported, when (core.watermark)
    book.save(out)
    if clear_rows:
        personal_data_access_record(
            actor=actor,
            action="export",
            subject_type="case",
            fields=["reporter_name", "reporter_phone", "address"],
            area_path=_area_path(filters, scope),
            reason=reason.strip(),
            row_count=clear_rows,
            request=request,
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return CaseExport(
        rows=n,
        personal=("clear" if clear_rows else "masked") if may_unmask else "",
        file_stem=f"工单-{t.label}-{stamp}",
    )


def _personal(r: CaseReporter | None, case, clear: bool, scope) -> list[str]:
    masked_ok = scope.unrestricted or scope.may_unmask(case.area_path)
    if r is None or r.anonymous or not masked_ok:
        return ["匿名" if r is not None and r.anonymous else "", "", ""]
    user = r.user if r.user_id else None
    name = r.name or (user.name if user else "")
    if clear:
        phone = decrypt(r.phone_enc) if r.phone_enc else (user.phone or "" if user else "")
        return [name, phone, case.address]
    phone = r.phone_masked or (mask_phone(user.phone or "") if user else "")
    return [mask_name(name), phone, "***" if case.address else ""]


def _area_path(filters: ConsoleFilters, scope) -> str:
    if filters.area_id:
        from wangge.areas.models import Area

        return Area.objects.filter(pk=filters.area_id).values_list("path", flat=True).first() or ""
    return scope.paths[0] if len(scope.paths) == 1 else ""
