"""Pages: 党建 in the console (/console/party/) and in the grid worker app
(/w/party/): organizations, 党员联户 coverage, 先锋指数 ranking, 堡垒指数."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wangge.areas import selectors as area_selectors
from wangge.areas.models import Level
from wangge.core.errors import DomainError
from wangge.serviceteams.services import may_manage
from wangge.teams.scope import scope_for
from wangge.worker.views import _ctx, worker_page

from . import indices, selectors
from .models import PartyOrg

MAX_RANKED = 200
MAX_BRANCHES = 60


def _summary(actor, area, period):
    start, end, label = indices.period_bounds(period)
    orgs = list(selectors.org_list(actor=actor, area=area)[:500])
    branches = [o for o in orgs if o.kind == PartyOrg.Kind.BRANCH][:MAX_BRANCHES]
    members = list(
        selectors.member_list(actor=actor, area=area).filter(is_active=True)[:MAX_RANKED]
    )
    ranked = sorted(indices.vanguard(members, start, end), key=lambda x: (-x.score, x.name))
    return {
        "period": label,
        "orgs": orgs,
        "bastions": sorted(
            (indices.bastion(b, start, end) for b in branches), key=lambda x: (-x.score, x.name)
        ),
        "ranked": ranked,
        "coverage": selectors.link_coverage(actor=actor, area=area),
        "capped": len(members) >= MAX_RANKED,
    }


@require_GET
def console_page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not scope_for(request.user).is_staff_scope:
        return render(request, "console/forbidden.html", status=403)
    try:
        if request.GET.get("area"):
            area = area_selectors.access_area(actor=request.user, area_id=int(request.GET["area"]))
        else:
            area = area_selectors.area_tops(actor=request.user).first()
        ctx = {"area": area}
        if area is not None:
            ctx["may_manage"] = may_manage(request.user, area.path)
        if area is not None:
            ctx.update(
                _summary(request.user, area, request.GET.get("period")),
                crumbs=area_selectors.area_breadcrumb(area=area),
                children=list(area_selectors.area_children(actor=request.user, area=area)[:200]),
            )
    except ValueError as exc:
        raise Http404("未找到") from exc
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        ctx = {"area": None, "error": exc.message}
    return render(request, "party/console.html", ctx)


@require_GET
@worker_page
def worker_page_view(request):
    places = [p for p in _ctx(request)["places"] if p.level in (Level.GRID, Level.MICRO_GRID)]
    grid = next((p for p in places if p.level == Level.GRID), None)
    ctx = {"grid": grid, "nav": "party"}
    if grid is not None:
        ctx.update(_summary(request.user, grid, None))
    return render(request, "party/worker.html", _ctx(request, **ctx))
