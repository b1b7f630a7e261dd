"""/api/v1/points: my balance and ledger, shops, redemptions and their
check by the shop keeper, volunteer-hour awards, rankings."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.areas.schemas import ErrorOut
from wangge.core.errors import PermissionDenied

from . import selectors, services
from .models import PointsEntry, Redemption

router = Router(tags=["积分"], auth=[BearerAuth(), SessionAuth()])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class EntryOut(Schema):
    id: int
    kind: str
    amount: int
    reason: str
    created_at: datetime


class AccountOut(Schema):
    balance: int
    entries: list[EntryOut]


class ItemOut(Schema):
    id: int
    name: str
    price: int
    stock: int


class ShopOut(Schema):
    id: int
    name: str
    address: str
    exchange_days: list[int] = Field(description="兑换日：1=周一 … 7=周日")
    hours: str
    items: list[ItemOut]


class RedeemIn(Schema):
    item_id: int
    quantity: int = 1


class RedemptionOut(Schema):
    id: int
    item: str
    shop: str
    quantity: int
    points: int
    code: str
    status: str
    created_at: datetime
    expires_at: datetime | None = Field(
        None, description="兑换码在此时刻失效（过期未领取，积分自动退回）"
    )
    fulfilled_at: datetime | None


class CodeIn(Schema):
    code: str


class AwardIn(Schema):
    resident_id: int | None = None
    worker_id: int | None = None
    hours: int
    note: str


class RankOut(Schema):
    area: str
    residents: list[dict]
    grids: list[dict]


def _entry(e: PointsEntry) -> dict:
    return {
        "id": e.pk,
        "kind": e.kind,
        "amount": e.amount,
        "reason": e.reason,
        "created_at": e.created_at,
    }


def _redemption(r: Redemption) -> dict:
    return {
        "id": r.pk,
        "item": r.item.name,
        "shop": r.shop.name,
        "quantity": r.quantity,
        "points": r.points,
        "code": r.code,
        "status": r.status,
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "fulfilled_at": r.fulfilled_at,
    }


@router.get("/me", response={200: AccountOut, **ERRORS}, summary="我的积分余额与明细")
def account(request):
    holder = services.holder_of(request.auth)
    return {
        "balance": services.balance(holder),
        "entries": [_entry(e) for e in selectors.ledger(holder)],
    }


@router.get("/shops", response=list[ShopOut], summary="积分超市与商品")
def shops(request):
    try:
        holder = services.holder_of(request.auth)
    except PermissionDenied:
        holder = None
    return [
        {
            "id": s.pk,
            "name": s.name,
            "address": s.address,
            "exchange_days": s.weekdays,
            "hours": s.hours,
            "items": [
                {"id": i.pk, "name": i.name, "price": i.price, "stock": i.stock}
                for i in selectors.items_of(s)
            ],
        }
        for s in selectors.shops_for(actor=request.auth, holder=holder)
    ]


@router.get("/redemptions", response=list[RedemptionOut], summary="我的兑换（兑换码）")
def redemption_list(request):
    return [_redemption(r) for r in selectors.redemptions_of(actor=request.auth)]


@router.post(
    "/redemptions", response={201: RedemptionOut, **ERRORS}, summary="兑换商品，得到一次性兑换码"
)
def redeem(request, payload: RedeemIn):
    r = services.redemption_create(
        actor=request.auth, item_id=payload.item_id, quantity=payload.quantity
    )
    return Status(201, _redemption(r))


@router.post(
    "/redemptions/check", response={200: RedemptionOut, **ERRORS}, summary="店员核验兑换码并发放"
)
def redemption_check(request, payload: CodeIn):
    return _redemption(services.redemption_check(actor=request.auth, code=payload.code))


@router.post(
    "/redemptions/{redemption_id}/cancel",
    response={200: RedemptionOut, **ERRORS},
    summary="取消未领取的兑换",
)
def redemption_cancel(request, redemption_id: int):
    return _redemption(services.redemption_cancel(actor=request.auth, redemption_id=redemption_id))


@router.post("/awards", response={201: EntryOut, **ERRORS}, summary="登记志愿服务时长并记积分")
def award(request, payload: AwardIn):
    holder = services.access_holder(
        actor=request.auth, resident_id=payload.resident_id, worker_id=payload.worker_id
    )
    e = services.points_award_volunteer(
        actor=request.auth, holder=holder, hours=payload.hours, note=payload.note
    )
    return Status(201, _entry(e))


@router.get(
    "/rankings",
    response={200: RankOut, **ERRORS},
    summary="积分排名：网格内居民、下辖网格（网格排名）",
)
def rankings(request, area_id: int, period: str = "month"):
    area = selectors.access_ranking_area(actor=request.auth, area_id=area_id)
    since = selectors.period_start(period)
    residents = selectors.residents_ranking(grid=area, since=since) if area.level == "grid" else []
    return {
        "area": area.name,
        "residents": residents,
        "grids": selectors.grids_ranking(area=area, since=since),
    }
