"""Building spreadsheet files in tests."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from wangge.people.layouts import LAYOUTS


def xlsx(rows: list[list], *, kind: str = "residents", headers: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers if headers is not None else LAYOUTS[kind].headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(
    rows: list[list],
    *,
    kind: str = "residents",
    headers: list[str] | None = None,
    encoding: str = "utf-8",
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers if headers is not None else LAYOUTS[kind].headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def resident_row(grid, building_code, room, name, id_number, **kw) -> list:
    """A residents row in template order."""
    return [
        grid.code,
        building_code,
        kw.get("unit", "1"),
        room,
        name,
        id_number,
        kw.get("phone", ""),
        kw.get("relationship", "户主"),
        kw.get("residence", ""),
        kw.get("registered_address", ""),
        kw.get("party", "否"),
        kw.get("care", ""),
    ]
