"""12345 hotline batches: CSV, XLSX or JSON rows of (external id, time,
caller, phone, text, address, category text [, area code, longitude,
latitude]). Every row is checked first; a batch with any bad row writes
nothing and returns the row-by-row report. Rows whose external id was
already imported are skipped, so a batch can be sent again safely."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wangge.areas.models import Area, Level
from wangge.core.errors import DomainError

from .models import Case, Source
from .services import _check_point, _locate, case_report, category_suggest
from .workdays import TZ

# Accepted headers (Chinese as the hotline exports them, or English keys).
COLUMNS = {
    "external_id": ("工单编号", "热线编号", "external_id", "id"),
    "time": ("来电时间", "受理时间", "time", "reported_at"),
    "caller": ("来电人", "诉求人", "caller", "name"),
    "phone": ("联系电话", "来电号码", "phone"),
    "text": ("诉求内容", "来电内容", "text", "description"),
    "address": ("地址", "事发地址", "address"),
    "category": ("诉求分类", "问题分类", "category"),
    "area_code": ("区划代码", "网格编码", "area_code"),
    "lng": ("经度", "lng", "long"),
    "lat": ("纬度", "lat"),
}
REQUIRED = ("external_id", "time", "text")
MAX_ROWS = 20_000


@dataclass
class ImportReport:
    created: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": len(self.created),
            "skipped": len(self.skipped),
            "case_ids": self.created,
            "skipped_ids": self.skipped,
            "errors": self.errors,
        }


def read_rows(*, name: str, data: bytes) -> list[dict]:
    """Rows as dicts keyed by the canonical column names."""
    lower = name.lower()
    try:
        if lower.endswith(".json"):
            raw = json.loads(data.decode("utf-8-sig"))
            if isinstance(raw, dict):
                raw = raw.get("rows", [])
            if not isinstance(raw, list):
                raise ValueError
            table = [dict(r) for r in raw]
        elif lower.endswith(".xlsx"):
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            it = wb.active.iter_rows(values_only=True)
            headers = [str(h or "").strip() for h in next(it, [])]
            table = [
                dict(zip(headers, r, strict=False))
                for r in it
                if any(v not in (None, "") for v in r)
            ]
        elif lower.endswith(".csv") or lower.endswith(".txt"):
            text = data.decode("utf-8-sig")
            table = list(csv.DictReader(io.StringIO(text)))
        else:
            raise DomainError("bad_file", "仅支持 CSV、XLSX 或 JSON 文件", status=422)
    except DomainError:
        raise
    except Exception as exc:
        raise DomainError("bad_file", "文件无法读取，请检查格式", status=422) from exc
    if not table:
        raise DomainError("empty_file", "文件中没有数据行", status=422)
    if len(table) > MAX_ROWS:
        raise DomainError("too_many_rows", f"一次最多导入 {MAX_ROWS} 行", status=422)
    headers = set().union(*(r.keys() for r in table))
    mapping = {}
    for key, names in COLUMNS.items():
        for n in names:
            if n in headers:
                mapping[key] = n
                break
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in mapping]
    if missing:
        raise DomainError(
            "bad_headers", f"缺少必需的列：{'、'.join(missing)}", status=422, details=missing
        )
    out = []
    for r in table:
        out.append({k: r.get(col) for k, col in mapping.items()})
    return out


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _time(v) -> datetime | None:
    if isinstance(v, datetime):
        dt = v
    else:
        s = _text(v).replace("/", "-")
        try:
            dt = parse_datetime(s) or parse_datetime(s + ":00") if s else None
        except ValueError:  # well formed but no such moment (2026-13-45 25:61)
            return None
    if dt is None:
        return None
    return timezone.make_aware(dt, TZ) if timezone.is_naive(dt) else dt


class _Places:
    """Address text → the deepest street/community named in it (cached)."""

    def __init__(self) -> None:
        self._rows = None

    def rows(self):
        if self._rows is None:
            self._rows = list(
                Area.objects.filter(
                    level__in=[Level.STREET, Level.COMMUNITY], is_active=True
                ).values("pk", "name", "level", "parent_id")
            )
            self._names = {r["pk"]: r["name"] for r in self._rows}
        return self._rows

    def match(self, address: str) -> int | None:
        best, best_score, tie = None, 0, False
        for r in self.rows():
            if not r["name"] or r["name"] not in address:
                continue
            score = 1
            if r["level"] == Level.COMMUNITY:
                score = 2 + (1 if self._names.get(r["parent_id"], "\0") in address else 0)
            if score > best_score:
                best, best_score, tie = r["pk"], score, False
            elif score == best_score:
                tie = True
        return None if tie else best


def _category(text: str, description: str):
    from .models import Category

    text = text.strip()
    if text:
        name = text.replace("／", "/").split("/")[-1].strip()
        c = (
            Category.objects.filter(is_active=True, parent__isnull=False).filter(code=name).first()
            or Category.objects.filter(is_active=True, parent__isnull=False, name=name).first()
        )
        if c:
            return c, False
    found = category_suggest(text=f"{text} {description}", limit=1)
    return (found[0] if found else None), True


def import_hotline(*, actor, name: str, data: bytes, now: datetime | None = None) -> ImportReport:
    rows = read_rows(name=name, data=data)
    return import_rows(actor=actor, rows=rows, now=now)


def import_rows(*, actor, rows: list[dict], now: datetime | None = None) -> ImportReport:
    now = now or timezone.now()
    report = ImportReport()
    places = _Places()
    planned = []
    seen: set[str] = set()
    existing = set(
        Case.objects.filter(
            source=Source.HOTLINE,
            external_id__in=[_text(r.get("external_id")) for r in rows],
        ).values_list("external_id", flat=True)
    )
    for i, r in enumerate(rows, start=2):  # row 1 is the header line

        def err(column: str, message: str, i=i) -> None:
            report.errors.append({"row": i, "column": column, "message": message})

        ext = _text(r.get("external_id"))
        if not ext:
            err("工单编号", "不能为空")
            continue
        if len(ext) > 64:
            err("工单编号", "不能超过 64 个字符")
            continue
        if ext in seen:
            err("工单编号", f"文件内重复：{ext}")
            continue
        seen.add(ext)
        if ext in existing:
            report.skipped.append(ext)
            continue
        when = _time(r.get("time"))
        if when is None:
            err("来电时间", "时间格式不正确（如 2026-02-13 10:30）")
        elif when > now:
            err("来电时间", "不能晚于当前时间")
        text = _text(r.get("text"))
        if not text:
            err("诉求内容", "不能为空")
        elif len(text) > 2000:
            err("诉求内容", "不能超过 2000 字")
        phone = _text(r.get("phone")).replace("-", "").replace(" ", "")
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
            err("联系电话", "号码格式不正确")
        address = _text(r.get("address"))
        area, point = None, None
        try:
            if _text(r.get("lng")) and _text(r.get("lat")):
                point = _check_point(r.get("lng"), r.get("lat"))
                if not _locate(*point):
                    err("经度/纬度", "该位置不在本市范围内")
                    point = None
        except DomainError as exc:
            err("经度/纬度", exc.message)
        if point is None:
            code = _text(r.get("area_code"))
            if code:
                area = Area.objects.filter(code=code, is_active=True).first()
                if area is None:
                    err("区划代码", f"未找到区域：{code}")
                elif area.level in (Level.CITY, Level.DISTRICT):
                    err("区划代码", "须到镇街或更小的区域")
            elif address:
                pk = places.match(address)
                area = Area.objects.filter(pk=pk).first() if pk else None
                if area is None:
                    err("地址", "无法从地址确定所在镇街或社区，请补充区划代码")
            else:
                err("地址", "须提供地址、区划代码或经纬度之一")
        category, suggested = _category(_text(r.get("category")), text)
        if category is None:
            from .services import _fallback_category

            category, suggested = _fallback_category(), True
        planned.append(
            {
                "external_id": ext,
                "at": when,
                "description": text,
                "reporter_name": _text(r.get("caller"))[:50],
                "reporter_phone": phone,
                "address": address,
                "area": area,
                "lng": point[0] if point else None,
                "lat": point[1] if point else None,
                "category": category,
                "category_suggested": suggested,
            }
        )
    if report.errors:
        return report
    with transaction.atomic():
        for p in planned:
            case, created = case_report(actor=actor, source=Source.HOTLINE, check_scope=False, **p)
            if created:
                report.created.append(case.pk)
            else:
                report.skipped.append(p["external_id"])
    return report
