"""Open311 GeoReport v2 at /open311/v2/, the city as one jurisdiction.

Every resource answers as `.xml` (the required format) or `.json`, shaped as
the specification shows them: discovery, services, service definitions,
POST/GET requests, GET requests/{id}, GET tokens/{id}, and errors as
`<errors><error><code/><description/></error></errors>` (JSON: a list).

Extensions (`extensions=true`): `extended_attributes` with the detailed
status (received / allocated / handling / done), the public case number and
`media_urls`.

The feed is public: descriptions have phone and ID numbers masked, the place
is the building or area (never a home address), and clue/report categories
(those that allow anonymous reports) are left out of it altogether."""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wangge.cases.models import Case, Category, Source, Status
from wangge.core.errors import DomainError

from .models import ApiKey

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00Z"
MAX_RANGE = timedelta(days=90)
DEFAULT_LIMIT = 1000
DETAILED = {
    Status.REPORTED: "received",
    Status.ACCEPTED: "received",
    Status.REGISTERED: "allocated",
    Status.DISPATCHED: "allocated",
    Status.HANDLING: "handling",
    Status.PARKED: "handling",
    Status.HANDLED: "handling",
    Status.VERIFIED: "handling",
    Status.CLOSED: "done",
    Status.RATED: "done",
    Status.ARCHIVED: "done",
    Status.VOIDED: "done",
    Status.MERGED: "done",
}
OPEN = {
    Status.REPORTED,
    Status.ACCEPTED,
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.HANDLING,
    Status.PARKED,
    Status.HANDLED,
    Status.VERIFIED,
}
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_IDNO = re.compile(r"(?<![0-9Xx])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9Xx])")


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


# ---------------------------------------------------------------- rendering
def _xml_el(parent, tag: str, value) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_el(el, k, v)
    elif isinstance(value, list):
        item_tag = {"media_urls": "media_url", "formats": "format"}.get(tag, "value")
        for v in value:
            _xml_el(el, item_tag, v)
    elif value is None:
        pass
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    else:
        el.text = str(value)


def _xml(root: str, item: str | None, data) -> HttpResponse:
    top = ET.Element(root)
    if item is None:
        for k, v in data.items():
            _xml_el(top, k, v)
    else:
        for row in data:
            node = ET.SubElement(top, item)
            for k, v in row.items():
                _xml_el(node, k, v)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


def _render(fmt: str, root: str, item: str | None, data, status: int = 200):
    if fmt == "json":
        resp = JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False})
    else:
        resp = _xml(root, item, data)
    resp.status_code = status
    return resp


def _error(fmt: str, status: int, description: str):
    return _render(fmt, "errors", "error", [{"code": status, "description": description}], status)


def _fmt(fmt: str) -> str:
    if fmt not in ("xml", "json"):
        raise Open311Error(404, "不支持的格式（仅 xml 或 json）")
    return fmt


def _check_jurisdiction(request) -> None:
    j = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    if j and j != settings.WANGGE_CITY_CODE:
        raise Open311Error(404, f"未知的管辖区：{j}")


def endpoint(fn):
    """Format check, jurisdiction check, and errors rendered the Open311 way."""

    def view(request, fmt: str, **kw):
        try:
            fmt = _fmt(fmt)
            _check_jurisdiction(request)
            return fn(request, fmt, **kw)
        except Open311Error as exc:
            return _error(fmt if fmt in ("xml", "json") else "xml", exc.status, exc.description)
        except DomainError as exc:
            status = 403 if exc.status == 403 else 404 if exc.status == 404 else 400
            return _error(fmt if fmt in ("xml", "json") else "xml", status, exc.message)

    view.__name__ = fn.__name__
    return view


def _iso(dt: datetime | None) -> str | None:
    return timezone.localtime(dt).isoformat(timespec="seconds") if dt else None


# ---------------------------------------------------------------- discovery
@require_http_methods(["GET"])
@endpoint
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2")
    return _render(
        fmt,
        "discovery",
        None,
        {
            "changeset": CHANGESET,
            "contact": "网格化管理综合指挥中心 / 12345",
            "key_service": "向指挥中心申请 API 密钥",
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ]
            if fmt == "json"
            else {
                "endpoint": {
                    "specification": SPEC,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            },
        },
    )


# ---------------------------------------------------------------- services
def _service(c: Category) -> dict:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.parent.name} · {c.name}（{c.get_handling_display()}）",
        "metadata": c.anonymous_allowed,
        "type": "realtime",
        "keywords": ", ".join(c.keywords.split()),
        "group": c.parent.name,
    }


def _categories():
    return (
        Category.objects.filter(is_active=True, parent__isnull=False)
        .select_related("parent")
        .order_by("code")
    )


@require_http_methods(["GET"])
@endpoint
def services(request, fmt):
    return _render(fmt, "services", "service", [_service(c) for c in _categories()])


def _attributes(c: Category) -> list[dict]:
    if not c.anonymous_allowed:
        return []
    return [
        {
            "variable": True,
            "code": "anonymous",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "匿名上报时选择“是”",
            "order": 1,
            "description": "是否匿名上报",
            "values": [{"key": "true", "name": "是"}, {"key": "false", "name": "否"}],
        }
    ]


@require_http_methods(["GET"])
@endpoint
def service_definition(request, fmt, code: str):
    c = _categories().filter(code=code).first()
    if c is None:
        raise Open311Error(404, f"服务编码不存在：{code}")
    attrs = _attributes(c)
    if fmt == "json":
        return _render(fmt, "", None, {"service_code": c.code, "attributes": attrs})
    top = ET.Element("service_definition")
    _xml_el(top, "service_code", c.code)
    attributes = ET.SubElement(top, "attributes")
    for a in attrs:
        node = ET.SubElement(attributes, "attribute")
        for k, v in a.items():
            if k == "values":
                values = ET.SubElement(node, "values")
                for val in v:
                    _xml_el(values, "value", val)
            else:
                _xml_el(node, k, v)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


# ---------------------------------------------------------------- requests
def _public_text(text: str) -> str:
    text = _PHONE.sub(r"\1****\2", text)
    return _IDNO.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)


def _request_row(c: Case, extensions: bool) -> dict:
    status = "open" if c.status in OPEN else "closed"
    notes = ""
    if c.status == Status.VOIDED:
        notes = f"已作废：{c.void_reason}"
    elif c.status == Status.MERGED:
        notes = "重复问题，已合并处理"
    elif c.status == Status.PARKED:
        notes = f"挂账：{c.park_reason}"
    row = {
        "service_request_id": str(c.pk),
        "status": status,
        "status_notes": notes,
        "service_name": c.category.name,
        "service_code": c.category.code,
        "description": _public_text(c.description),
        "agency_responsible": c.department.name if c.department_id else "",
        "service_notice": "",
        "requested_datetime": _iso(c.created_at),
        "updated_datetime": _iso(
            max(
                t
                for t in (
                    c.created_at,
                    c.accepted_at,
                    c.dispatched_at,
                    c.handled_at,
                    c.closed_at,
                    c.archived_at,
                )
                if t
            )
        ),
        "expected_datetime": _iso(c.due_at),
        "address": c.building.name if c.building_id else c.area.name,
        "address_id": c.area.code,
        "zipcode": "",
        "lat": c.lat,
        "long": c.lng,
        "media_url": c.media_url,
    }
    if extensions:
        row["extended_attributes"] = {
            "detailed_status": DETAILED[Status(c.status)],
            "case_number": c.number,
            "media_urls": [c.media_url] if c.media_url else [],
        }
    return row


def _public_cases():
    return (
        Case.objects.filter(category__anonymous_allowed=False)
        .select_related("category", "department", "area", "building")
        .order_by("-created_at", "-pk")
    )


def _date(value: str, name: str) -> datetime:
    dt = parse_datetime(value)
    if dt is None:
        raise Open311Error(400, f"{name} 应为 W3C 时间格式，如 2026-03-01T00:00:00Z")
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


@csrf_exempt
@require_http_methods(["GET", "POST"])
@endpoint
def requests_view(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    ext = request.GET.get("extensions", "").lower() == "true"
    qs = _public_cases()
    ids = request.GET.get("service_request_id", "")
    if ids:
        wanted = [i.strip() for i in ids.split(",") if i.strip()]
        if not all(i.isdigit() for i in wanted):
            raise Open311Error(400, "service_request_id 格式不正确")
        rows = list(qs.filter(pk__in=[int(i) for i in wanted]))
        return _render(fmt, "service_requests", "request", [_request_row(c, ext) for c in rows])
    now = timezone.now()
    start = (
        _date(request.GET["start_date"], "start_date") if request.GET.get("start_date") else None
    )
    end = _date(request.GET["end_date"], "end_date") if request.GET.get("end_date") else None
    if start is None and end is None:
        end, start = now, now - MAX_RANGE
    elif start is None:
        start = end - MAX_RANGE
    elif end is None:
        end = min(start + MAX_RANGE, now) if start < now else start + MAX_RANGE
    if end < start or end - start > MAX_RANGE:
        raise Open311Error(400, "start_date 与 end_date 的间隔不能超过 90 天")
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    codes = [c for c in request.GET.get("service_code", "").split(",") if c]
    if codes:
        qs = qs.filter(category__code__in=codes)
    statuses = {s.strip() for s in request.GET.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status 只能是 open 或 closed")
    if statuses == {"open"}:
        qs = qs.filter(status__in=OPEN)
    elif statuses == {"closed"}:
        qs = qs.exclude(status__in=OPEN)
    rows = list(qs[:DEFAULT_LIMIT])
    return _render(fmt, "service_requests", "request", [_request_row(c, ext) for c in rows])


@require_http_methods(["GET"])
@endpoint
def request_detail(request, fmt, request_id: str):
    ext = request.GET.get("extensions", "").lower() == "true"
    c = _public_cases().filter(pk=int(request_id)).first() if request_id.isdigit() else None
    if c is None:
        raise Open311Error(404, f"服务请求不存在：{request_id}")
    return _render(fmt, "service_requests", "request", [_request_row(c, ext)])


@require_http_methods(["GET"])
@endpoint
def token_detail(request, fmt, token: str):
    c = Case.objects.filter(source=Source.OPEN311, idempotency_key=f"o311:{token}").first()
    if c is None:
        raise Open311Error(404, f"令牌不存在：{token}")
    return _render(
        fmt, "service_requests", "request", [{"service_request_id": str(c.pk), "token": token}]
    )


def _post_request(request, fmt):
    from wangge.cases.imports import _Places
    from wangge.cases.services import case_report

    p = request.POST
    raw = p.get("api_key", "")
    key = (
        ApiKey.objects.select_related("user")
        .filter(key_hash=ApiKey.hash(raw), is_active=True)
        .first()
        if raw
        else None
    )
    if key is None or not key.user.is_active:
        raise Open311Error(403, "api_key 无效，无法创建服务请求")
    code = p.get("service_code", "")
    category = _categories().filter(code=code).first()
    if category is None:
        raise Open311Error(400, f"service_code 无效：{code}")
    lat, lng = p.get("lat"), p.get("long")
    address = p.get("address_string", "").strip()
    area = None
    if not (lat and lng):
        lat = lng = None
        from wangge.areas.models import Area

        if p.get("address_id"):
            area = Area.objects.filter(code=p["address_id"], is_active=True).first()
        elif address:
            pk = _Places().match(address)
            area = Area.objects.filter(pk=pk).first() if pk else None
        if area is None:
            raise Open311Error(400, "须提供 lat/long、address_string 或 address_id，且位于本市")
    description = p.get("description", "").strip() or category.name
    name = " ".join(x for x in (p.get("last_name", ""), p.get("first_name", "")) if x).strip()
    anonymous = p.get("attribute[anonymous]", "").lower() == "true"
    token = secrets.token_urlsafe(12)
    media_url = p.get("media_url", "").strip()
    if media_url and not re.match(r"^https?://", media_url):
        raise Open311Error(400, "media_url 须为 http(s) 链接")
    case, _ = case_report(
        actor=key.user,
        description=description,
        category=category,
        lng=lng,
        lat=lat,
        area=area,
        address=address,
        anonymous=anonymous,
        source=Source.OPEN311,
        reporter_name="" if anonymous else name,
        reporter_phone="" if anonymous else p.get("phone", "").strip()[:20],
        idempotency_key=f"o311:{token}",
        media_url=media_url,
        check_scope=False,
    )
    return _render(
        fmt,
        "service_requests",
        "request",
        [
            {
                "service_request_id": str(case.pk),
                "token": token,
                "service_notice": f"已收到，工单编号 {case.number}",
                "account_id": None,
            }
        ],
        status=201,
    )
