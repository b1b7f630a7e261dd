"""The command-centre console (`/console/`): one desktop page, and the
fragments and JSON it loads with htmx and fetch.

Thin: parse, `access_*`, one selector or service call, render. A case, area
or department id from a request becomes an object only through the case
engine's `access_case`, the area tree's `access_area` or the scoped
department list, so anything outside the actor's scope is a 404 exactly like
a missing id. Moves go through `cases.services.case_move` (or
`console.services.case_dispatch`, which chains 立案 + 派遣)."""

from __future__ import annotations

import functools
import re
import tempfile
from dataclasses import replace
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.areas import selectors as area_selectors
from wangge.areas.models import Area
from wangge.cases import selectors as case_selectors
from wangge.cases import services as case_services
from wangge.cases.api import EVENT_LABELS
from wangge.cases.deadlines import RATING_DAYS
from wangge.cases.flow import MOVE_LABELS, Move, allowed
from wangge.cases.models import Alert, CaseAttachment, Handling, Status
from wangge.core.errors import DomainError
from wangge.core.masking import mask_name, mask_phone
from wangge.teams.scope import scope_for

from . import exports, selectors, services


def poll_seconds() -> int:
    """How often the live feed polls (setting WANGGE_CONSOLE_POLL_SECONDS)."""
    return int(getattr(settings, "WANGGE_CONSOLE_POLL_SECONDS", 5))


def idle_pause_seconds() -> int:
    """Live refresh pauses after this long without a key, click or mouse move
    in the page (WANGGE_CONSOLE_IDLE_PAUSE_SECONDS), so that a console left
    alone still reaches the 30-minute idle session timeout: polls would
    otherwise keep the session alive forever."""
    return int(getattr(settings, "WANGGE_CONSOLE_IDLE_PAUSE_SECONDS", 10 * 60))


PERIODS = (7, 30, 90, 365)

# What each move's form in the side panel asks for. "dispatch" is the
# console's 派遣 (立案 + 派遣 for an accepted case).
MOVE_FORMS: dict[str, dict] = {
    "accept": {},
    "dispatch": {
        "team": True,
        "department": True,
        "handling": True,
        "due": True,
        "note": "派遣说明",
    },
    "merge": {"target": True, "note": "合并说明"},
    "whistle": {"departments": True, "note": "吹哨事由"},
    "escalate": {"note": "上报说明"},
    "supervise": {"note": "督办意见"},
    "register": {"handling": True, "due": True},
    "void": {"reason": "作废原因"},
    "handle": {"due": True},
    "report_back": {"note": "处置情况", "note_required": True, "photos": True},
    "verify_pass": {"note": "核查意见"},
    "verify_fail": {"note": "退回原因", "note_required": True},
    "close": {"note": "结案说明"},
    "archive": {},
    "extension_request": {"days": True, "reason": "延期理由"},
    "extension_approve": {"note": "审批意见"},
    "extension_reject": {"note": "驳回理由"},
    "park": {"reason": "挂账原因"},
    "unpark": {"note": "说明"},
    "joint": {"joint": True, "note": "联办说明"},
    "whistle_respond": {"note": "报到响应意见", "note_required": True},
}
LABELS = {**{m.value: label for m, label in MOVE_LABELS.items()}, "dispatch": "派遣"}
# Shown in the panel first (the one-click six), then the rest.
PRIMARY = ("accept", "dispatch", "merge", "whistle", "escalate", "supervise")
DANGER = frozenset({"void", "verify_fail", "park"})


# ---------------------------------------------------------------- guards
def console_page(view):
    """The page: log in first; users the console is not for get a 403 page
    that points them to their own app."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.is_console_user(request.user):
            return render(request, "console/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def console_part(view):
    """Fragments and JSON: 401 with an HX-Redirect to the login page (an
    expired session must not swap the login form into a panel), 403 for
    users the console is not for, a domain error's own status, 404 for
    anything outside the actor's scope."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            resp = HttpResponse("请先登录", status=401, content_type="text/plain; charset=utf-8")
            resp["HX-Redirect"] = f"{settings.LOGIN_URL}?next={reverse('console:index')}"
            return resp
        if not selectors.is_console_user(request.user):
            return HttpResponse("无权访问", status=403, content_type="text/plain; charset=utf-8")
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from exc
            return JsonResponse(exc.as_dict(), status=exc.status)

    return wrapped


# ---------------------------------------------------------------- parsing
def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


_CATEGORY = re.compile(r"^\d{2}(\d{2})?$")


def filters_from(request, data=None) -> selectors.ConsoleFilters:
    """The filter bar's values, each checked against its choices (anything
    else counts as "any"); the area goes through `access_area` (404)."""
    g = data if data is not None else request.GET
    area_id = _int(g.get("area"))
    if area_id is not None:
        area_id = area_selectors.access_area(actor=request.user, area_id=area_id).pk
    category = (g.get("category") or "").strip()
    return selectors.ConsoleFilters(
        category=category if _CATEGORY.match(category) else "",
        handling=g.get("handling") if g.get("handling") in Handling.values else "",
        status=g.get("status") if g.get("status") in Status.values else "",
        light=g.get("light") if g.get("light") in selectors.LIGHTS else "",
        area_id=area_id,
        department_id=_int(g.get("department")),
        q=(g.get("q") or "").strip()[:50],
    )


def _tab(value) -> str:
    return value if value in selectors.TAB_BY_KEY else "new"


def _current_area(request, filters: selectors.ConsoleFilters) -> Area:
    if filters.area_id:
        return Area.objects.defer("boundary").get(pk=filters.area_id)
    top = area_selectors.area_tops(actor=request.user).order_by("path").first()
    if top is None:
        raise Http404("无辖区")
    return top


# ---------------------------------------------------------------- the page
@require_GET
@console_page
def index(request):
    try:
        filters = filters_from(request)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    area = _current_area(request, filters)
    filters = replace(filters, area_id=area.pk)
    tab = _tab(request.GET.get("tab"))
    scope = scope_for(request.user)
    tops = list(area_selectors.area_tops(actor=request.user).order_by("path").defer("boundary"))
    return render(
        request,
        "console/index.html",
        {
            "area": area,
            "tops": tops,
            "filters": filters,
            "choices": selectors.filter_choices(actor=request.user),
            "queue": _queue_context(request, filters, tab, 0),
            "events": _feed_rows(request, selectors.feed(actor=request.user)),
            "poll_seconds": poll_seconds(),
            "idle_pause_seconds": idle_pause_seconds(),
            "periods": PERIODS,
            "may_unmask": scope.unrestricted or any(scope.may_unmask(p) for p in scope.paths),
            "roles": sorted({str(g.role) for g in scope.grants}),
        },
    )


# ---------------------------------------------------------------- the queue
def _queue_context(request, filters, tab: str, offset: int) -> dict:
    scope = scope_for(request.user)
    rows = selectors.queue_page(actor=request.user, filters=filters, tab=tab, offset=offset)
    for c in rows:
        c.quick = [
            (move, label, move in selectors.DIRECT)
            for move, label in selectors.quick_moves(scope, c)
        ]
    counts = selectors.queue_counts(actor=request.user, filters=filters)
    total = counts.get(tab, 0)
    return {
        "tab": tab,
        "tabs": [(t.key, t.label, counts.get(t.key, 0)) for t in selectors.TABS],
        "rows": rows,
        "counts": counts,
        "offset": offset,
        "next_offset": offset + len(rows)
        if len(rows) == selectors.PAGE_SIZE and offset + len(rows) < total
        else None,
    }


@require_GET
@console_part
def queue(request):
    filters = filters_from(request)
    tab = _tab(request.GET.get("tab"))
    offset = max(_int(request.GET.get("offset"), 0), 0)
    template = "console/_queue_rows.html" if offset else "console/_queue.html"
    return render(
        request, template, {"queue": _queue_context(request, filters, tab, offset), "oob": True}
    )


# ---------------------------------------------------------------- live feed
def actor_label(event) -> str:
    """Who made a move, as the console shows it: staff by name, a resident
    (a reporter) masked like any personal data, the sweep as 系统."""
    if event.actor_id is None:
        return "系统"
    name = event.actor.name or event.actor.username
    return mask_name(name) if event.actor.kind == "resident" else name


def _feed_rows(request, events) -> list:
    for e in events:
        e.label = EVENT_LABELS.get(e.kind, e.kind)
        e.who = actor_label(e)
    return events


@require_GET
@console_part
def feed(request):
    after = _int(request.GET.get("after"))
    events = _feed_rows(request, selectors.feed(actor=request.user, after=after))
    resp = render(request, "console/_feed_items.html", {"events": events})
    if after is not None and events:
        resp["HX-Trigger"] = "cases-changed"
    return resp


# ---------------------------------------------------------------- the panel
def _panel(
    request, case_id: int, *, open_move: str = "", error: str = "", done: str = "", status=200
):
    case = case_selectors.access_case(actor=request.user, case_id=case_id)
    scope = scope_for(request.user)
    who = case_services.who_is(request.user, case)
    names = [m.value for m in Move if all(allowed(m, case.status, who))]
    if Move.REGISTER.value in names or Move.DISPATCH.value in names:
        names.append("dispatch")
    in_rating_window = (
        case.status == Status.CLOSED
        and case.closed_at is not None
        and timezone.now() < case.closed_at + timedelta(days=RATING_DAYS)
    )
    if in_rating_window and Move.ARCHIVE.value in names:
        names.remove(Move.ARCHIVE.value)  # the reporter's 7 days to rate come first
    names = [n for n in dict.fromkeys([*PRIMARY, *MOVE_FORMS]) if n in names and n in MOVE_FORMS]
    depts = None
    if {"dispatch", "whistle", "joint"} & set(names):
        depts = selectors.departments_for_case(case=case)
    moves = [
        {
            "move": n,
            "label": LABELS[n],
            "spec": MOVE_FORMS[n],
            "primary": n in PRIMARY,
            "danger": n in DANGER,
            "open": n == open_move,
        }
        for n in names
    ]
    events = case_selectors.case_timeline(actor=request.user, case=case)
    for e in events:
        e.label = EVENT_LABELS.get(e.kind, e.kind)
        e.who = actor_label(e)
    reporters = [
        {
            "name": "匿名"
            if r.anonymous
            else mask_name(r.name or (r.user.name if r.user_id else "")),
            "phone": ""
            if r.anonymous
            else (r.phone_masked or (mask_phone(r.user.phone or "") if r.user_id else "")),
            "merged_from": r.from_case_id,
        }
        for r in case.reporters.select_related("user").order_by("pk")
    ]
    duplicate_of = None
    if case.duplicate_of_id:
        duplicate_of = (
            case_selectors.visible_cases(request.user)
            .filter(pk=case.duplicate_of_id)
            .only("pk", "created_at", "status", "description")
            .first()
        )
    ctx = {
        "case": case,
        "duplicate_of": duplicate_of,
        "moves": moves,
        "events": events,
        "photos": list(
            case.attachments.filter(kind=CaseAttachment.Kind.INTAKE).order_by("pk").only("pk")
        ),
        "reporters": reporters,
        "case_departments": list(case.departments.select_related("department").order_by("pk")),
        "departments": depts,
        "handlings": Handling.choices,
        "light": dict(Alert.choices).get(case.alert, "") if case.alert else "",
        "error": error,
        "done": done,
        "open_move": open_move,
        "staff": scope.is_staff_scope,
    }
    return render(request, "console/_panel.html", ctx, status=status)


@require_GET
@console_part
def case_panel(request, case_id: int):
    move = request.GET.get("move", "")
    return _panel(request, case_id, open_move=move if move in MOVE_FORMS else "")


def _ids(values) -> list[int]:
    return [i for i in (_int(v) for v in values) if i is not None]


@require_POST
@console_part
def case_move(request, case_id: int, move: str):
    case = case_selectors.access_case(actor=request.user, case_id=case_id)
    p = request.POST
    version = _int(p.get("version"))
    note = p.get("note", "")
    try:
        if move == "dispatch":
            services.case_dispatch(
                case_id=case.pk,
                actor=request.user,
                version=version,
                team=p.get("team", ""),
                department_id=_int(p.get("department_id")),
                handling=p.get("handling", ""),
                due_at=p.get("due_at", ""),
                note=note,
            )
        else:
            params = {
                "reason": p.get("reason", ""),
                "days": _int(p.get("days")) if p.get("days") else p.get("days"),
                "target_id": _int(p.get("target_id")),
                "handling": p.get("handling", ""),
                "due_at": p.get("due_at", ""),
                "lead_department_id": _int(p.get("lead_department_id")),
                "assist_department_ids": _ids(p.getlist("assist_department_ids")),
                "department_ids": _ids(p.getlist("department_ids")),
            }
            case_services.case_move(
                case_id=case.pk,
                move=move,
                actor=request.user,
                version=version,
                note=note,
                photos=request.FILES.getlist("photos"),
                **{k: v for k, v in params.items() if v not in (None, "", [])},
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _panel(
            request,
            case.pk,
            open_move=move if move in MOVE_FORMS else "",
            error=exc.message,
            status=exc.status,
        )
    resp = _panel(request, case.pk, done=LABELS.get(move, move))
    resp["HX-Trigger"] = "cases-changed"
    return resp


# ---------------------------------------------------------------- map
def _level(request, area: Area) -> str:
    levels = selectors.map_levels(area)
    if not levels:
        raise DomainError("no_children", "该区域没有下级区域", status=422)
    level = request.GET.get("level", "")
    return level if level in levels else levels[0]


@require_GET
@gzip_page
@console_part
def map_shapes(request, area_id: int):
    """Boundaries change rarely: the browser may keep them a minute, and they
    go compressed (a city's 1,202 communities: ~400 KB of JSON, ~4x less
    gzipped). Nothing secret in them, so compression leaks nothing."""
    area = area_selectors.access_area(actor=request.user, area_id=area_id)
    data = selectors.map_shapes(actor=request.user, area=area, level=_level(request, area))
    resp = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    patch_cache_control(resp, private=True, max_age=60)
    return resp


@require_GET
@console_part
def map_counts(request, area_id: int):
    area = area_selectors.access_area(actor=request.user, area_id=area_id)
    data = selectors.map_counts(
        actor=request.user, area=area, level=_level(request, area), filters=filters_from(request)
    )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


# ---------------------------------------------------------------- charts
def period(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` calendar days up to and including today (Asia/Shanghai)."""
    today = timezone.localtime(now).date()
    tz = timezone.get_current_timezone()
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)
    return end - timedelta(days=days), end


@require_GET
@console_part
def charts(request):
    filters = filters_from(request)
    area = _current_area(request, filters)
    days = _int(request.GET.get("days"), 30)
    start, end = period(days if days in PERIODS else 30)
    data = selectors.chart_data(
        actor=request.user, filters=filters, area=area, start=start, end=end
    )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


# ---------------------------------------------------------------- export
@require_http_methods(["GET", "POST"])
@console_part
def export(request):
    """GET: the filtered list as .xlsx (personal data masked or left out);
    POST with `clear` and a reason: reporters in clear, for roles that may
    unmask, written to the personal-data access log."""
    data = request.POST if request.method == "POST" else request.GET
    filters = filters_from(request, data)
    clear = request.method == "POST" and data.get("clear") == "1"
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    result = exports.case_export(
        actor=request.user,
        filters=filters,
        tab=data.get("tab") if data.get("tab") in selectors.TAB_BY_KEY else "all",
        out=spool,
        clear=clear,
        reason=data.get("reason", ""),
        request=request,
    )
    spool.seek(0)
    resp = FileResponse(
        spool,
        as_attachment=True,
        filename=f"{result.file_stem}.xlsx",
        content_type=exports.XLSX_TYPE,
    )
    resp["X-Export-Rows"] = str(result.rows)
    return resp
