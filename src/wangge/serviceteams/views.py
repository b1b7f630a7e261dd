"""Pages: the contact card PDF of a grid and of a whole street, the grid
map (网格示意图), the console page (/console/serviceteams/) and the grid
worker's service page (/w/serviceteams/). Thin: access_*, one call, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.areas import selectors as area_selectors
from wangge.areas.models import Level
from wangge.core.errors import DomainError
from wangge.h5.views import resident_required
from wangge.teams.scope import scope_for
from wangge.teams.selectors import access_grid
from wangge.worker.views import _ctx, worker_page

from . import cards, selectors, services
from .gridmap import grid_map_data
from .models import ActivitySignup


def _login_first(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{filename}"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def grid_card(request, grid_id: int):
    """民情联系卡 of one grid (A6 PDF)."""
    if (r := _login_first(request)) is not None:
        return r
    try:
        grid = access_grid(actor=request.user, grid_id=grid_id)
        pdf, _ = cards.grid_card_pdf(actor=request.user, grid=grid)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return _pdf(pdf, f"card-{grid.code}.pdf")


@require_GET
def area_cards(request, area_id: int):
    """All contact cards of a street (or community): one PDF for printing."""
    if (r := _login_first(request)) is not None:
        return r
    if not scope_for(request.user).is_staff_scope:
        raise Http404("未找到，或不在您的管辖范围内")
    try:
        area = area_selectors.access_area(actor=request.user, area_id=area_id)
        pdf, _ = cards.street_cards_pdf(actor=request.user, area=area)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        return HttpResponse(
            exc.message, status=exc.status, content_type="text/plain; charset=utf-8"
        )
    return _pdf(pdf, f"cards-{area.code}.pdf")


@require_GET
def grid_map(request, grid_id: int):
    """网格示意图: printable."""
    if (r := _login_first(request)) is not None:
        return r
    try:
        grid = access_grid(actor=request.user, grid_id=grid_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    data = grid_map_data(grid=grid)
    return render(
        request,
        "serviceteams/grid_map.html",
        {
            "grid": grid,
            "crumbs": area_selectors.area_breadcrumb(area=grid),
            "data": data,
            "is_staff": scope_for(request.user).is_staff_scope,
        },
    )


@require_GET
def grid_page(request, code: str):
    """The page the contact card's QR code opens (/m/grid/<code>/, also
    reached from /m/?grid=<code>): the grid's team with roles and phones as
    the card prints them, service teams, promises, the supervision hotline,
    and a button to report a problem in this grid. Public: whoever holds the
    card sees what it prints, nothing more."""
    try:
        card, team = cards.public_card(code=code)
    except DomainError as exc:
        return render(
            request, "serviceteams/grid_page.html", {"error": exc.message}, status=exc.status
        )
    return render(
        request,
        "serviceteams/grid_page.html",
        {"card": card, "team": team, "members": team.members},
    )


# ------------------------------------------------------------------ console


def _counted(acts: list) -> list:
    counts = selectors.activity_counts(activity_ids=[a.pk for a in acts])
    for a in acts:
        a.n_signed, a.n_attended = counts[a.pk]["signed"], counts[a.pk]["attended"]
    return acts


def _console_area(request):
    area_id = request.GET.get("area") or request.POST.get("area")
    if area_id:
        try:
            return area_selectors.access_area(actor=request.user, area_id=int(area_id))
        except (DomainError, ValueError) as exc:
            raise Http404("未找到，或不在您的管辖范围内") from exc
    return area_selectors.area_tops(actor=request.user).first()


@require_http_methods(["GET", "POST"])
def console_page(request):
    """组团服务 in the command centre: teams, service days, activities and
    contact-card printing for an area; sets the month's service day."""
    if (r := _login_first(request)) is not None:
        return r
    if not scope_for(request.user).is_staff_scope:
        return render(request, "console/forbidden.html", status=403)
    area = _console_area(request)
    if request.method == "POST" and area is not None:
        try:
            date = dt.date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            messages.error(request, "请填写正确的服务日日期")
        else:
            try:
                services.service_day_set(
                    actor=request.user, area=area, date=date, theme=request.POST.get("theme", "")
                )
                messages.success(request, "已保存服务日")
            except DomainError as exc:
                messages.error(request, exc.message)
        return redirect(f"{request.path}?area={area.pk}")
    ctx = {"area": area, "nav": "serviceteams"}
    if area is not None:
        acts = list(selectors.activity_list(actor=request.user, area=area)[:100])
        ctx.update(
            crumbs=area_selectors.area_breadcrumb(area=area),
            children=list(area_selectors.area_children(actor=request.user, area=area)[:200]),
            teams=list(selectors.team_list(actor=request.user, area=area)[:200]),
            days=list(selectors.service_day_list(actor=request.user, area=area)[:12]),
            activities=_counted(acts),
            may_manage=services.may_manage(request.user, area.path),
            printable=area.level in (Level.STREET, Level.COMMUNITY),
            is_grid=area.level == Level.GRID,
        )
    return render(request, "serviceteams/console.html", ctx)


# ------------------------------------------------------------------- worker


@require_GET
@worker_page
def worker_page_view(request):
    """服务: upcoming activities in the worker's areas, my grid's card and map."""
    since = timezone.now() - dt.timedelta(days=1)
    acts = list(selectors.activity_list(actor=request.user, since=since)[:50])
    grids = [p for p in _ctx(request)["places"] if p.level == Level.GRID]
    return render(
        request,
        "serviceteams/worker.html",
        _ctx(
            request,
            activities=_counted(acts),
            grids=grids,
            nav="serviceteams",
        ),
    )


@require_GET
@worker_page
def worker_activity(request, activity_id: int):
    try:
        activity = selectors.access_activity(actor=request.user, activity_id=activity_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "serviceteams/worker_activity.html",
        _ctx(
            request,
            activity=activity,
            signups=list(selectors.activity_signups(actor=request.user, activity=activity)),
            may_check_in=services.may_check_in(request.user, activity.area_path),
            nav="serviceteams",
        ),
    )


@require_POST
@worker_page
def worker_check_in(request, activity_id: int):
    try:
        activity = selectors.access_activity(actor=request.user, activity_id=activity_id)
        signup_id = int(request.POST.get("signup", "0"))
        s = services.activity_check_in(
            actor=request.user,
            activity=activity,
            signup_id=signup_id,
            hours=request.POST.get("hours") or None,
        )
        messages.success(request, f"{s.name} 已签到，记 {s.hours} 小时")
    except ValueError:
        messages.error(request, "请选择报名人员")
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
    return redirect("serviceteams:worker-activity", activity_id=activity_id)


# ----------------------------------------------------------------- resident


@require_http_methods(["GET", "POST"])
@resident_required
def resident_activities(request):
    """居民 H5: service activities of my grid and the areas above it, with
    sign-up and cancel (POST activity=<id>, action=signup|cancel)."""
    if request.method == "POST":
        try:
            activity = selectors.access_activity(
                actor=request.user, activity_id=int(request.POST.get("activity", "0"))
            )
            if request.POST.get("action") == "cancel":
                services.activity_signup_cancel(actor=request.user, activity=activity)
                messages.success(request, f"已取消报名：{activity.title}")
            else:
                services.activity_signup(actor=request.user, activity=activity)
                messages.success(request, f"报名成功：{activity.title}")
        except ValueError:
            messages.error(request, "请选择活动")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("serviceteams:resident")
    since = timezone.now()
    acts = _counted(list(selectors.activity_list(actor=request.user, since=since)[:50]))
    mine = dict(
        ActivitySignup.objects.filter(activity__in=acts, user=request.user).values_list(
            "activity_id", "status"
        )
    )
    for a in acts:
        a.my_status = mine.get(a.pk, "")
    days = list(selectors.service_day_list(actor=request.user).filter(date__gte=since.date())[:3])
    return render(
        request, "serviceteams/resident.html", {"activities": acts, "days": days, "nav": "home"}
    )
