"""Pages and endpoints of the grid worker's phone app (平安通, `/w/`).

Thin: parse, `access_*`, one selector or service call, render. Every id
from a request becomes an object through an `access_*` function, so an
object outside the worker's areas is a 404 exactly like a missing one.

Writes (reports, moves) go to the `sync/` endpoints, which the page's outbox
(static/worker/outbox.js) calls with an idempotency key made when the user
tapped send; they answer JSON and are safe to repeat."""

from __future__ import annotations

import functools
import hashlib
import io
import json

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wangge.areas.models import Area
from wangge.cases import selectors as case_selectors
from wangge.cases import services as case_services
from wangge.cases.flow import Move, allowed
from wangge.core.errors import DomainError
from wangge.people import selectors as people
from wangge.teams.scope import scope_for

from . import selectors, services

# The moves the app offers, in the order they are shown, and what each form
# asks for. Other moves (merge, whistle, joint, …) belong to the console.
MOVE_FORMS: dict[str, dict] = {
    "handle": {"label": "开始处置", "primary": True},
    "report_back": {
        "label": "处置反馈",
        "primary": True,
        "note": "处置情况",
        "note_required": True,
        "photos_required": True,
    },
    "verify_pass": {"label": "核查通过", "primary": True, "note": "核查意见"},
    "verify_fail": {
        "label": "退回返工",
        "note": "退回原因",
        "note_required": True,
        "danger": True,
    },
    "accept": {"label": "受理", "primary": True},
    "register": {"label": "立案", "primary": True},
    "dispatch": {"label": "派给本网格处置", "primary": True, "params": {"team": "grid"}},
    "close": {"label": "结案", "primary": True},
    "extension_request": {"label": "申请延期", "days": True, "reason": True},
    "escalate": {"label": "上报上级", "note": "上报说明"},
}
MOVE_PARAMS = ("days", "reason", "team")


# ---------------------------------------------------------------- guards
def worker_page(view):
    """Pages: log in first; residents and staff without areas get a 403 page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.is_worker(request.user):
            return render(request, "worker/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def worker_json(view):
    """JSON endpoints: 401/403/404/4xx as `{"code", "message"}`, never a
    redirect (the outbox must tell "log in again" from "rejected")."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"code": "unauthenticated", "message": "请先登录"}, status=401)
        if not selectors.is_worker(request.user):
            return JsonResponse({"code": "not_allowed", "message": "仅工作人员可用"}, status=403)
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        except Http404:
            return JsonResponse({"code": "not_found", "message": people.NOT_FOUND}, status=404)

    return wrapped


def _ctx(request, **extra) -> dict:
    places = selectors.worker_places(actor=request.user)
    return {"places": places, "place_name": places[0].name if places else "", **extra}


# ---------------------------------------------------------------- pages
@require_GET
@worker_page
def today(request):
    return render(
        request,
        "worker/today.html",
        _ctx(
            request,
            now=timezone.localtime(),
            counts=selectors.today_counts(actor=request.user),
            care=selectors.care_summary(actor=request.user),
            households=selectors.household_count(actor=request.user),
            visits=_visits_today(request.user),
            nav="today",
        ),
    )


@require_GET
@worker_page
def cases(request):
    tab = request.GET.get("tab", "handle")
    if tab not in selectors.TABS:
        tab = "handle"
    offset = max(_int(request.GET.get("offset"), 0), 0)
    rows, total = selectors.task_cases(actor=request.user, tab=tab, offset=offset)
    return render(
        request,
        "worker/cases.html",
        _ctx(
            request,
            tab=tab,
            tab_label=selectors.TABS[tab],
            tabs=selectors.TABS,
            counts=selectors.today_counts(actor=request.user),
            rows=rows,
            total=total,
            offset=offset,
            next_offset=offset + len(rows) if offset + len(rows) < total else None,
            nav="cases",
        ),
    )


@require_GET
@worker_page
def case_detail(request, case_id: int):
    case = case_selectors.access_case(actor=request.user, case_id=case_id)
    who = case_services.who_is(request.user, case)
    moves = [
        {"move": name, **spec}
        for name, spec in MOVE_FORMS.items()
        if all(allowed(Move(name), case.status, who))
    ]
    events = case_selectors.case_timeline(actor=request.user, case=case)
    labels = _event_labels()
    for e in events:
        e.label = labels.get(e.kind, e.kind)
    return render(
        request,
        "worker/case.html",
        _ctx(
            request,
            case=case,
            moves=moves,
            events=events,
            photos=list(case.attachments.filter(kind="intake").order_by("pk").only("pk")),
            proxy=people.resident_detail(actor=request.user, resident=case.on_behalf_of)
            if case.on_behalf_of_id and scope_for(request.user).covers(case.on_behalf_of.area_path)
            else None,
            nav="cases",
        ),
    )


@require_GET
@worker_page
def report(request):
    proxy = None
    if request.GET.get("proxy"):
        resident = people.access_resident(request.user, _int(request.GET["proxy"], 0))
        proxy = people.resident_detail(actor=request.user, resident=resident)
    return render(
        request,
        "worker/report.html",
        _ctx(
            request,
            proxy=proxy,
            categories=case_selectors.category_tree(),
            nav="report",
        ),
    )


@require_GET
@worker_page
def proxy(request):
    """Pick the resident a proxy report (代办) is made for."""
    return _people(request, mode="proxy")


@require_GET
@worker_page
def people_page(request):
    """Household and resident look-up in the worker's areas (masked)."""
    return _people(request, mode="people")


def _people(request, *, mode: str):
    q = request.GET.get("q", "").strip()[:50]
    kind = request.GET.get("kind", "residents")
    care = request.GET.get("care", "").strip()[:30]
    page = max(_int(request.GET.get("page"), 1), 1)
    result = None
    if mode == "proxy" or kind == "residents":
        kind = "residents"
        if q or care:
            result = people.resident_list(
                actor=request.user, q=q, care_group=care or None, page=page, page_size=20
            )
    elif q:
        result = people.household_list(actor=request.user, q=q, page=page, page_size=20)
    ctx = _ctx(
        request,
        q=q,
        kind=kind,
        care=care,
        mode=mode,
        result=result,
        care_summary=selectors.care_summary(actor=request.user),
        nav="people" if mode == "people" else "report",
    )
    if request.headers.get("HX-Request"):
        return render(request, "worker/_people_results.html", ctx)
    return render(request, "worker/people.html", ctx)


@require_GET
@worker_page
def household(request, household_id: int):
    h = people.access_household(request.user, household_id)
    members = people.resident_list(actor=request.user, household_id=h.pk, page_size=50)
    return render(
        request,
        "worker/household.html",
        _ctx(
            request,
            household=people.household_detail(actor=request.user, household=h),
            members=members.items,
            may_unmask=scope_for(request.user).may_unmask(h.area_path),
            nav="people",
        ),
    )


@require_GET
@worker_page
def resident(request, resident_id: int):
    r = people.access_resident(request.user, resident_id)
    return render(
        request,
        "worker/resident.html",
        _ctx(
            request,
            r=people.resident_detail(actor=request.user, resident=r),
            may_unmask=scope_for(request.user).may_unmask(r.area_path),
            nav="people",
        ),
    )


@require_POST
@worker_page
@never_cache
def unmask(request, resident_id: int):
    """The audited clear view of a resident's ID number and phone (htmx)."""
    r = people.access_resident(request.user, resident_id)
    try:
        clear = people.resident_unmask(
            actor=request.user,
            resident=r,
            fields=request.POST.getlist("fields") or ["id_number", "phone"],
            reason=request.POST.get("reason", "")[:200],
            request=request,
        )
    except DomainError as exc:
        return render(
            request, "worker/_unmasked.html", {"error": exc.message, "r": r}, status=exc.status
        )
    return render(request, "worker/_unmasked.html", {"clear": clear, "r": r})


@require_GET
@worker_page
def suggest(request):
    text = request.GET.get("description", "")[:2000]
    found = case_services.category_suggest(text=text, limit=3) if len(text.strip()) >= 2 else []
    return render(request, "worker/_suggest.html", {"found": found})


@require_GET
def offline(request):
    """The page the service worker shows for a page it has not cached."""
    return render(request, "worker/offline.html")


# ---------------------------------------------------------------- sync
def _key(request) -> str:
    return (
        request.headers.get("Idempotency-Key", "") or request.POST.get("idempotency_key", "")
    ).strip()


@require_POST
@worker_json
def sync_report(request):
    """Quick report, proxy report (代办) and "found on a visit", as the
    outbox sends them (multipart, Idempotency-Key header)."""
    p = request.POST
    key = _key(request)
    if not key:
        raise DomainError("idempotency_key_required", "缺少幂等键", status=422)
    area = None
    if p.get("area_id"):
        area = Area.objects.filter(pk=_int(p["area_id"], 0), is_active=True).first()
        if area is None:
            raise DomainError("unknown_area", "区域不存在", status=422)
    case, created = case_services.case_report(
        actor=request.user,
        description=p.get("description", ""),
        category=p.get("category") or None,
        lng=p.get("lng") or None,
        lat=p.get("lat") or None,
        area=area,
        address=p.get("address", ""),
        photos=request.FILES.getlist("photos"),
        proxy_for=_int(p["proxy_resident_id"], 0) if p.get("proxy_resident_id") else None,
        found_on_visit=p.get("found_on_visit") in ("1", "on", "true"),
        idempotency_key=key,
    )
    return JsonResponse(_case_json(case, created), status=201 if created else 200)


@require_POST
@worker_json
def sync_move(request, case_id: int, move: str):
    """One case move from the app, at most once per idempotency key."""
    if move not in MOVE_FORMS:
        raise DomainError("unknown_move", "该操作请在指挥平台办理", status=422)
    case_selectors.access_case(actor=request.user, case_id=case_id)
    p = request.POST
    params = {k: p[k] for k in MOVE_PARAMS if p.get(k)}
    params.update(MOVE_FORMS[move].get("params", {}))
    case, created = services.case_move_once(
        actor=request.user,
        key=_key(request),
        case_id=case_id,
        move=move,
        version=_int(p["version"], 0) if p.get("version") else None,
        note=p.get("note", ""),
        photos=request.FILES.getlist("photos"),
        **params,
    )
    return JsonResponse(_case_json(case, created), status=200)


@require_POST
@worker_json
def presence(request):
    """Heartbeat while the app is open (once a minute)."""
    services.presence_record(user=request.user)
    return HttpResponse(status=204)


def _case_json(case, created: bool) -> dict:
    return {
        "created": created,
        "case": {
            "id": case.pk,
            "number": case.number,
            "status": case.status,
            "status_label": case.get_status_display(),
            "url": reverse("worker:case", args=[case.pk]),
        },
    }


# ---------------------------------------------------------------- installable app
STATIC_FILES = (
    "wangge/mobile.css",
    "worker/worker.css",
    "worker/outbox.js",
    "worker/app.js",
    "vendor/htmx/htmx.min.js",
    "vendor/alpinejs/cdn.min.js",
)


@functools.lru_cache(maxsize=1)
def _app_version() -> str:
    """Changes whenever a file of the app shell changes, so phones pick up a
    new service worker (and drop the old caches) after an update."""
    h = hashlib.sha256()
    for name in (*STATIC_FILES, "worker/sw.js"):
        path = finders.find(name)
        if path:
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:12]


@require_GET
def service_worker(request):
    path = finders.find("worker/sw.js")
    with open(path, encoding="utf-8") as f:
        body = f.read()
    config = {
        "version": _app_version(),
        "shell": [settings.STATIC_URL + n for n in STATIC_FILES],
        "offline": reverse("worker:offline"),
    }
    body = f"self.WANGGE = {json.dumps(config)};\n{body}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("worker:today")
    return response


@require_GET
def manifest(request):
    body = render_to_string("worker/manifest.json", request=request)
    return HttpResponse(body, content_type="application/manifest+json; charset=utf-8")


@functools.lru_cache(maxsize=4)
def _icon_png(size: int) -> bytes:
    """The app icon: a 3×3 grid on the party red, drawn (no font needed)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), (185, 28, 28))
    d = ImageDraw.Draw(img)
    pad, gap = size * 0.22, size * 0.04
    cell = (size - 2 * pad - 2 * gap) / 3
    for i in range(3):
        for j in range(3):
            x, y = pad + i * (cell + gap), pad + j * (cell + gap)
            d.rectangle(
                [x, y, x + cell, y + cell],
                fill=(255, 255, 255) if (i + j) % 2 == 0 else (254, 202, 202),
            )
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


@require_GET
def icon(request, size: int):
    if size not in (192, 512):
        raise Http404
    response = HttpResponse(_icon_png(size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# ---------------------------------------------------------------- helpers
def _visits_today(actor) -> dict:
    from wangge.visits.selectors import today_summary

    return today_summary(actor=actor)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _event_labels() -> dict[str, str]:
    from wangge.cases.api import EVENT_LABELS

    return EVENT_LABELS
