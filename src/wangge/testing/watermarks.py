"""Test helpers for export watermarks (wangge.core.watermark): the minutes an
export's time may show, and the marks an Excel file must carry."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone


def minutes_between(before: dt.datetime, after: dt.datetime) -> set[str]:
    """The local 'YYYY-MM-DD HH:MM' strings a time between the two shows."""
    out, t = set(), timezone.localtime(before).replace(second=0, microsecond=0)
    while t <= timezone.localtime(after):
        out.add(t.strftime("%Y-%m-%d %H:%M"))
        t += dt.timedelta(minutes=1)
    return out


def check_xlsx(data: bytes, *, username: str, minutes: set[str], name: str = "") -> None:
    """Document properties and every sheet's header/footer name the user and
    the time."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    props = book.properties
    assert username in props.creator and name in props.creator
    assert username in props.description and any(m in props.description for m in minutes)
    for sheet in book.worksheets:
        footer = sheet.oddFooter.left.text
        assert username in footer and name in footer and any(m in footer for m in minutes)
        assert username in sheet.oddHeader.right.text
