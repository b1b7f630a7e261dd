"""积分 pages: the resident H5 (/m/points/: balance, ledger, shop, codes,
ranking) and the shop keeper's code check (worker app and console).
Thin: access, one service call, render."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wangge.core.errors import DomainError
from wangge.h5.views import resident_required

from . import selectors, services


def _page(request, *, status: int = 200, error: str = ""):
    holder = services.holder_of(request.user)
    grid = request.user.home_grid
    return render(
        request,
        "points/h5_points.html",
        {
            "balance": services.balance(holder),
            "entries": selectors.ledger(holder, limit=50),
            "shops": [
                (s, selectors.items_of(s))
                for s in selectors.shops_for(actor=request.user, holder=holder)
            ],
            "redemptions": selectors.redemptions_of(actor=request.user, limit=20),
            "ranking": selectors.residents_ranking(grid=grid, since=selectors.period_start("month"))
            if grid is not None
            else [],
            "error": error,
        },
        status=status,
    )


@resident_required
def points_page(request):
    try:
        return _page(request)
    except DomainError as exc:
        return render(
            request,
            "h5/soon.html",
            {"title": "积分", "empty": "暂无积分账户", "text": exc.message},
            status=exc.status,
        )


@require_POST
@resident_required
def redeem(request):
    item = request.POST.get("item_id", "")
    quantity = request.POST.get("quantity", "1")
    try:
        services.redemption_create(
            actor=request.user,
            item_id=int(item) if item.isdigit() else 0,
            quantity=int(quantity) if quantity.isdigit() else 0,
        )
    except DomainError as exc:
        return _page(request, status=exc.status, error=exc.message)
    return redirect("h5:points")


@require_POST
@resident_required
def cancel(request, redemption_id: int):
    try:
        services.redemption_cancel(actor=request.user, redemption_id=redemption_id)
    except DomainError as exc:
        return _page(request, status=exc.status, error=exc.message)
    return redirect("h5:points")
