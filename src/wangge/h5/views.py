"""The resident H5 (/m/): home (the grid's contact card), 报事, my cases with
their timelines and ratings, 评事, and the entries whose features come later
(知事); 议事, 办事 and 积分 pages live in their apps (deliberation, civic, points); login by password or SMS
code, and sign-up pending a grid worker's check.

Thin: parse, access through selectors, one service call, render."""

from __future__ import annotations

import secrets
from functools import wraps
from urllib.parse import quote

from django.contrib.auth import authenticate, login, logout
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from wangge.accounts import otp
from wangge.accounts import services as account_services
from wangge.areas import selectors as area_selectors
from wangge.areas.models import Area
from wangge.cases import selectors as case_selectors
from wangge.cases import services as case_services
from wangge.cases.api import EVENT_LABELS
from wangge.cases.flow import Move, allowed
from wangge.cases.media import MAX_PHOTOS
from wangge.cases.models import Status
from wangge.core.errors import DomainError
from wangge.teams.selectors import grid_team

from . import selectors

PASSWORD_BACKEND = "wangge.accounts.backends.PhoneOrUsernameBackend"
LIST_LIMIT = 50


# ---------------------------------------------------------------- helpers
def resident_required(view):
    """Residents only: anonymous users go to the login page, staff see a page
    that sends them to their own desk."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('h5:login')}?next={quote(request.get_full_path())}")
        if user.kind != "resident":
            return render(request, "h5/staff.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _home_grid(user):
    return area_selectors.area_tops(actor=user).first()


def _grid_geojson(user, grid) -> dict | None:
    if grid is None:
        return None
    try:
        features, _ = area_selectors.area_features(actor=user, area=grid, depth=0)
    except DomainError:  # a grid scanned from a card: no outline beyond one's own
        return None
    return {"type": "FeatureCollection", "features": features}


def _next_url(request, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return default


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _counts(user) -> dict:
    open_n = case_selectors.case_list(
        actor=user, filters=case_selectors.CaseFilters(open=True)
    ).count()
    to_rate = case_selectors.case_list(
        actor=user, filters=case_selectors.CaseFilters(status=Status.CLOSED)
    ).count()
    from wangge.surveys.selectors import open_surveys

    return {"open": open_n, "to_rate": to_rate, "surveys": len(open_surveys(actor=user))}


# ---------------------------------------------------------------- login
def login_view(request):
    """Phone + password (mode=password) or phone + SMS code (mode=code)."""
    mode = request.POST.get("mode") or request.GET.get("mode") or "password"
    if mode not in ("password", "code"):
        mode = "password"
    ctx = {"mode": mode, "next": _next_url(request, ""), "username": ""}
    if request.method == "GET":
        if request.user.is_authenticated and request.user.kind == "resident":
            return redirect("h5:home")
        return render(request, "h5/login.html", ctx)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    phone = request.POST.get("username", "").strip()
    ctx["username"] = phone
    if mode == "password":
        user = authenticate(request, username=phone, password=request.POST.get("password", ""))
        if user is None:
            ctx["error"] = "手机号或密码错误，请重试"
            return render(request, "h5/login.html", ctx, status=401)
        if user.kind != "resident":
            ctx["error"] = "工作人员请从工作台登录"
            return render(request, "h5/login.html", ctx, status=403)
    else:
        try:
            user = otp.otp_verify(phone=phone, code=request.POST.get("code", ""))
        except DomainError as exc:
            ctx["error"] = exc.message
            return render(request, "h5/login.html", ctx, status=exc.status)
    login(request, user, backend=PASSWORD_BACKEND)
    return redirect(_next_url(request, reverse("h5:home")))


@require_POST
def code_send(request):
    """Send a login code (htmx: answers with a one-line message)."""
    try:
        otp.otp_send(phone=request.POST.get("username", ""), ip=_client_ip(request))
    except DomainError as exc:
        return render(request, "h5/_code_sent.html", {"error": exc.message}, status=200)
    return render(request, "h5/_code_sent.html", {"sent": True})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("h5:login")


# ---------------------------------------------------------------- sign-up
def register(request):
    ctx: dict = {"form": {}}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in ("name", "username", "grid")}
        ctx["form"] = form
        password = request.POST.get("password", "")
        grid = selectors.public_grid(grid_id=form["grid"])
        try:
            if password != request.POST.get("password2", ""):
                raise DomainError("password_mismatch", "两次输入的密码不一致", status=422)
            if grid is None:
                raise DomainError("invalid_grid", "请选择您居住的网格", status=422)
            user = account_services.resident_register(
                phone=form["username"], password=password, name=form["name"], grid=grid
            )
        except DomainError as exc:
            ctx["error"] = exc.message
            return render(request, "h5/register.html", ctx, status=exc.status)
        login(request, user, backend=PASSWORD_BACKEND)
        return redirect("h5:home")
    return render(request, "h5/register.html", ctx)


@require_GET
def register_areas(request):
    parent = request.GET.get("parent") or None
    try:
        parent_id = int(parent) if parent else None
    except ValueError:
        parent_id = None
    return JsonResponse({"items": selectors.public_children(parent_id=parent_id)})


@require_GET
def register_locate(request):
    try:
        lng, lat = float(request.GET["lng"]), float(request.GET["lat"])
    except (KeyError, ValueError):
        return JsonResponse({"message": "定位失败，请手动选择"}, status=422)
    chain = selectors.grid_chain(lng=lng, lat=lat)
    if not chain or chain[-1]["level"] != "grid":
        return JsonResponse({"message": "您的位置不在本市网格内，请手动选择"}, status=404)
    return JsonResponse({"chain": chain})


# ---------------------------------------------------------------- home
def home(request):
    # The contact card's QR code opens /m/?grid=<code>: that grid's page, for
    # anyone (logged in or not).
    code = request.GET.get("grid", "").strip()
    if code:
        return redirect("serviceteams:grid-page", code=code[:18])
    return _resident_home(request)


@resident_required
def _resident_home(request):
    user = request.user
    grid = _home_grid(user)
    team = grid_team(actor=user, grid=grid) if grid is not None else None
    crumbs = area_selectors.area_breadcrumb(area=grid) if grid is not None else []
    # The resident's own micro-grid leader first; the rest of the N folded away.
    micro_grid_id = None
    if user.resident_id and user.resident_status == "verified":
        micro_grid_id = user.resident.micro_grid_id
    members = list(team.members) if team is not None else []
    near = [m for m in members if micro_grid_id and m.area_id == micro_grid_id]
    others = [m for m in members if m not in near]
    return render(
        request,
        "h5/home.html",
        {
            "grid": grid,
            "crumbs": [a for a in crumbs if a.level in ("street", "community")],
            "team": team,
            "near": near,
            "others": others,
            "grid_geojson": _grid_geojson(user, grid),
            "counts": _counts(user),
            "nav": "home",
        },
    )


# ---------------------------------------------------------------- 报事
def _report_context(request, user, grid, **extra) -> dict:
    return {
        "grid": grid,
        "grid_geojson": _grid_geojson(user, grid),
        "majors": case_selectors.category_tree(),
        "max_photos": MAX_PHOTOS,
        "idempotency_key": secrets.token_urlsafe(16),
        "form": {},
        "nav": "report",
        "scanned": grid is not None and grid != _home_grid(user),
        **extra,
    }


def _float_or_none(value: str):
    value = (value or "").strip()
    return value or None


def _scanned_grid(request):
    """The grid a resident came from (the contact card's page: ?grid=<code>),
    or None."""
    code = (request.POST.get("grid") or request.GET.get("grid") or "").strip()[:18]
    if not code:
        return None
    return Area.objects.filter(code=code, level="grid", is_active=True).first()


@resident_required
def report(request):
    user = request.user
    scanned = _scanned_grid(request)
    grid = scanned or _home_grid(user)
    if request.method == "GET":
        return render(request, "h5/report.html", _report_context(request, user, grid))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    p = request.POST
    form = {
        k: p.get(k, "").strip()
        for k in ("description", "category", "address", "lng", "lat", "where")
    }
    form["anonymous"] = p.get("anonymous") == "1"
    lng, lat = _float_or_none(form["lng"]), _float_or_none(form["lat"])
    if form["where"] == "grid" or lng is None or lat is None:
        lng = lat = None
    try:
        case, _created = case_services.case_report(
            actor=user,
            description=form["description"],
            category=form["category"] or None,
            lng=lng,
            lat=lat,
            area=grid if lng is None else None,
            address=form["address"],
            photos=request.FILES.getlist("photos"),
            anonymous=form["anonymous"],
            idempotency_key=p.get("idempotency_key", ""),
        )
    except DomainError as exc:
        ctx = _report_context(request, user, grid, form=form, error=exc.message)
        # Keep the key: a retry of the same form must not make a second case.
        ctx["idempotency_key"] = p.get("idempotency_key") or ctx["idempotency_key"]
        return render(request, "h5/report.html", ctx, status=exc.status)
    return redirect(f"{reverse('h5:case', args=[case.pk])}?new=1")


# ---------------------------------------------------------------- my cases
@resident_required
def my_cases(request):
    cases = list(case_selectors.case_list(actor=request.user)[:LIST_LIMIT])
    return render(request, "h5/cases.html", {"cases": cases, "nav": "cases"})


def _event_rows(user, case) -> list[dict]:
    rows = []
    for e in case_selectors.case_timeline(actor=user, case=case):
        if e.actor_id is None:
            who = "系统"
        elif e.actor_id == user.pk:
            who = "本人"
        else:
            who = "工作人员"
        rows.append(
            {
                "label": EVENT_LABELS.get(e.kind, e.kind),
                "to_status": Status(e.to_status).label if e.to_status else "",
                "at": e.at,
                "who": who,
                "note": e.note,
                "photos": [a.pk for a in e.attachments.all()],
            }
        )
    return rows


def _case_page(request, case, status: int = 200, **extra):
    user = request.user
    who = case_services.who_is(user, case)
    may_rate = all(allowed(Move.RATE, case.status, who))
    return render(
        request,
        "h5/case.html",
        {
            "case": case,
            "status_label": Status(case.status).label,
            "events": _event_rows(user, case),
            "may_rate": may_rate,
            "is_new": request.GET.get("new") == "1",
            "nav": "cases",
            **extra,
        },
        status=status,
    )


def _access(user, case_id: int):
    return case_selectors.access_case(actor=user, case_id=case_id)  # Http404 if not theirs


@resident_required
def case_detail(request, case_id: int):
    return _case_page(request, _access(request.user, case_id))


@resident_required
@require_POST
def case_rate(request, case_id: int):
    case = _access(request.user, case_id)
    try:
        rating = int(request.POST.get("rating", ""))
    except ValueError:
        return _case_page(request, case, status=422, error="请选择 1 到 5 星")
    try:
        case_services.case_move(
            case_id=case.pk,
            move=Move.RATE,
            actor=request.user,
            version=request.POST.get("version") or None,
            note=request.POST.get("comment", ""),
            rating=rating,
        )
    except DomainError as exc:
        return _case_page(
            request, _access(request.user, case_id), status=exc.status, error=exc.message
        )
    return redirect("h5:case", case_id=case.pk)


# ---------------------------------------------------------------- 知事 评事 (议事 in wangge.deliberation, 办事 in wangge.civic, 积分 in wangge.points)
@resident_required
def notices(request):
    from wangge.notices.selectors import resident_notices

    grid = _home_grid(request.user)
    board = case_selectors.board(area=grid, limit=30) if grid is not None else None
    return render(
        request,
        "h5/notices.html",
        {"grid": grid, "board": board, "notices": resident_notices(actor=request.user)},
    )


@resident_required
def ratings(request):
    cases = list(
        case_selectors.case_list(
            actor=request.user, filters=case_selectors.CaseFilters(status=Status.CLOSED)
        )[:LIST_LIMIT]
    )
    return render(request, "h5/ratings.html", {"cases": cases})
