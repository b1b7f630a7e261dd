"""Writes of the points app: awards from real events (a case accepted or
closed, a vote, volunteer hours), corrections, redemptions and their check.

Every write that reads a balance first locks the holder's row (the Resident,
or the part-time worker's User): two redemptions by one holder run one after
the other, so the second sees the first's entry and cannot overspend. Stock
is taken with one conditional UPDATE (stock >= quantity), so concurrent
redemptions by different holders cannot oversell."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from wangge.accounts.models import User
from wangge.areas.models import Area, Level
from wangge.areas.paths import ancestor_paths
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.people.models import Resident
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for

from .expiry import code_expires_at, refund
from .models import EntryKind, PointsEntry, PointsRule, Redemption, RuleKind, Shop, ShopItem

# Rules a city starts with; editable in the admin afterwards.
DEFAULT_RULES = {
    RuleKind.REPORT_VALID: (5, 20, None),
    RuleKind.CASE_USEFUL: (10, None, 100),
    RuleKind.VOLUNTEER_HOUR: (10, 80, None),
    RuleKind.VOTE: (2, None, 20),
}
# Who may award volunteer hours (on holders under their areas).
AWARD_ROLES = {
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.COMMUNITY_CADRE,
    Role.STREET_CADRE,
    Role.CITY_ADMIN,
}
# Who may correct a ledger (a new entry, never an edit).
CORRECT_ROLES = {Role.COMMUNITY_CADRE, Role.STREET_CADRE, Role.CITY_ADMIN}
# Who may check redemption codes at a shop besides its named keepers.
KEEPER_ROLES = {Role.COMMUNITY_CADRE, Role.STREET_CADRE, Role.CITY_ADMIN}
MAX_QUANTITY = 10
MAX_HOURS = 24


@dataclass(frozen=True)
class Holder:
    """Whose ledger: a resident, or a part-time grid worker."""

    resident_id: int | None
    worker_id: int | None
    grid_id: int
    area_path: str
    name: str = ""
    district_id: int | None = None  # looked up from area_path when not known

    def q(self) -> Q:
        if self.resident_id is not None:
            return Q(resident_id=self.resident_id)
        return Q(worker_id=self.worker_id)

    def fields(self) -> dict:
        return {"resident_id": self.resident_id, "worker_id": self.worker_id}


def resident_holder(resident: Resident) -> Holder:
    return Holder(
        resident.pk, None, resident.grid_id, resident.area_path, resident.name, resident.district_id
    )


def holder_of(user) -> Holder:
    """The actor's own account: a verified resident or a part-time worker."""
    if user is not None and user.is_authenticated:
        if user.kind == "resident" and user.resident_id and user.resident_status == "verified":
            return resident_holder(Resident.objects.get(pk=user.resident_id))
        grant = next((g for g in scope_for(user).grants if g.role == Role.PART_TIME_WORKER), None)
        if grant is not None:
            return Holder(None, user.pk, grant.area_id, grant.path, user.name)
    raise PermissionDenied("no_points_account", "只有经网格员核实的居民和兼职网格员有积分账户")


def worker_holder(user: User) -> Holder | None:
    grant = next((g for g in scope_for(user).grants if g.role == Role.PART_TIME_WORKER), None)
    if grant is None:
        return None
    return Holder(None, user.pk, grant.area_id, grant.path, user.name)


def _lock(holder: Holder) -> None:
    if holder.resident_id is not None:
        Resident.objects.select_for_update().filter(pk=holder.resident_id).values("pk").first()
    else:
        User.objects.select_for_update().filter(pk=holder.worker_id).values("pk").first()


def _district_id(holder: Holder) -> int:
    """The district of the holder's grid: each ledger line carries it (the
    partition key, docs/scale.md)."""
    if holder.district_id is not None:
        return holder.district_id
    paths = [*ancestor_paths(holder.area_path), holder.area_path]
    return Area.objects.values_list("pk", flat=True).get(path__in=paths, level=Level.DISTRICT)


def balance(holder: Holder) -> int:
    return PointsEntry.objects.filter(holder.q()).aggregate(s=Sum("amount"))["s"] or 0


def _city_of(path: str) -> Area:
    return Area.objects.get(path=path[:5])


def rules_ensure(city: Area) -> dict[str, PointsRule]:
    """The city's rules, creating the defaults the first time."""
    rules = {r.kind: r for r in PointsRule.objects.filter(city=city)}
    for kind, (points, daily, monthly) in DEFAULT_RULES.items():
        if kind not in rules:
            rules[kind], _ = PointsRule.objects.get_or_create(
                city=city,
                kind=kind,
                defaults={
                    "points": points,
                    "daily_cap": daily,
                    "monthly_cap": monthly,
                    "area_path": city.path,
                },
            )
    return rules


def _earned_since(holder: Holder, kind: str, since: dt.datetime) -> int:
    return (
        PointsEntry.objects.filter(holder.q(), rule=kind, created_at__gte=since).aggregate(
            s=Sum("amount")
        )["s"]
        or 0
    )


def _day_and_month_start(at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    local = timezone.localtime(at)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


def points_award(
    *,
    holder: Holder,
    kind: str,
    reason: str,
    source: str | None = None,
    units: int = 1,
    actor=None,
    at: dt.datetime | None = None,
) -> PointsEntry | None:
    """Pay a rule's points for an event, within the daily and monthly caps.
    Returns None when nothing is paid (no active rule, cap reached, the
    event already paid)."""
    at = at or timezone.now()
    rule = rules_ensure(_city_of(holder.area_path)).get(kind)
    if rule is None or not rule.is_active or rule.points == 0:
        return None
    amount = rule.points * units
    with transaction.atomic():
        _lock(holder)
        if source and PointsEntry.objects.filter(source=source).exists():
            return None
        day, month = _day_and_month_start(at)
        if rule.daily_cap is not None:
            amount = min(amount, rule.daily_cap - _earned_since(holder, kind, day))
        if rule.monthly_cap is not None:
            amount = min(amount, rule.monthly_cap - _earned_since(holder, kind, month))
        if amount <= 0:
            return None
        return PointsEntry.objects.create(
            **holder.fields(),
            grid_id=holder.grid_id,
            district_id=_district_id(holder),
            area_path=holder.area_path,
            kind=EntryKind.EARN,
            rule=kind,
            amount=amount,
            reason=reason[:200],
            source=source,
            created_by=actor,
            created_at=at,
        )


def points_for_case_move(*, case, move: str, at: dt.datetime) -> None:
    """Called by wangge.cases.services.case_move: a resident's report that is
    accepted is a valid report; one that is closed was confirmed useful."""
    kind = {"accept": RuleKind.REPORT_VALID, "close": RuleKind.CASE_USEFUL}.get(move)
    if kind is None:
        return
    residents = Resident.objects.filter(
        user__case_reports__case=case, user__resident_status="verified"
    ).distinct()
    label = "有效报事" if kind == RuleKind.REPORT_VALID else "报事经核实办结"
    for resident in residents:
        points_award(
            holder=resident_holder(resident),
            kind=kind,
            reason=f"{label}：工单{case.number}",
            source=f"case:{case.pk}:{kind}:{resident.pk}",
            at=at,
        )


def _may(actor, path: str, roles: set) -> bool:
    scope = scope_for(actor)
    if scope.unrestricted:
        return True
    return any(g.role in roles and path.startswith(g.path) for g in scope.grants)


def access_holder(*, actor, resident_id: int | None = None, worker_id: int | None = None) -> Holder:
    """A holder under the staff actor's areas (404 otherwise)."""
    from django.http import Http404

    scope = scope_for(actor)
    if not scope.is_staff_scope:
        raise Http404
    if resident_id is not None:
        resident = Resident.objects.filter(scope.q(), pk=resident_id).first()
        if resident is None:
            raise Http404
        return resident_holder(resident)
    user = User.objects.filter(pk=worker_id, kind="staff").first() if worker_id else None
    holder = worker_holder(user) if user is not None else None
    if holder is None or not scope.covers(holder.area_path):
        raise Http404
    return holder


def access_holder_by_id_number(*, actor, id_number: str) -> Holder:
    """A resident under the staff actor's areas, found by the ID number the
    resident shows (exact match through the keyed hash; 404 otherwise)."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from wangge.core import crypto
    from wangge.core.validators import normalize_id_number

    scope = scope_for(actor)
    try:
        value = normalize_id_number(id_number or "")
    except ValidationError as exc:
        raise DomainError("bad_id_number", exc.messages[0], status=422) from exc
    resident = (
        Resident.objects.filter(scope.q(), id_number_hash=crypto.keyed_hash(value)).first()
        if scope.is_staff_scope and value
        else None
    )
    if resident is None:
        raise Http404
    return resident_holder(resident)


def points_award_volunteer(*, actor, holder: Holder, hours: int, note: str) -> PointsEntry:
    if not _may(actor, holder.area_path, AWARD_ROLES):
        raise PermissionDenied("not_allowed", "您无权为志愿服务记积分")
    if not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        raise DomainError("bad_hours", f"志愿服务时长须为 1–{MAX_HOURS} 小时的整数", status=422)
    note = (note or "").strip()
    if not note:
        raise DomainError("reason_required", "请填写志愿服务内容", status=422)
    entry = points_award(
        holder=holder,
        kind=RuleKind.VOLUNTEER_HOUR,
        reason=f"志愿服务 {hours} 小时：{note}",
        units=hours,
        actor=actor,
    )
    if entry is None:
        raise Conflict("cap_reached", "已达到志愿服务积分的每日或每月上限，本次未记积分")
    return entry


def points_correct(*, actor, holder: Holder, amount: int, reason: str) -> PointsEntry:
    """A correction is a new entry (positive or negative), never an edit;
    it may not take the balance below zero."""
    if not _may(actor, holder.area_path, CORRECT_ROLES):
        raise PermissionDenied("not_allowed", "只有社区、街道干部可以更正积分")
    if not isinstance(amount, int) or amount == 0 or abs(amount) > 10_000:
        raise DomainError("bad_amount", "更正积分须为非零整数（绝对值不超过 10000）", status=422)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "请填写更正原因", status=422)
    with transaction.atomic():
        _lock(holder)
        if balance(holder) + amount < 0:
            raise Conflict("insufficient_points", "更正后积分余额不能为负")
        return PointsEntry.objects.create(
            **holder.fields(),
            grid_id=holder.grid_id,
            district_id=_district_id(holder),
            area_path=holder.area_path,
            kind=EntryKind.CORRECTION,
            amount=amount,
            reason=f"更正：{reason}"[:200],
            created_by=actor,
        )


# ------------------------------------------------------------------ shop


def access_item(*, actor, item_id: int, holder: Holder) -> ShopItem:
    """An item of a shop in the holder's community (404 otherwise)."""
    from django.http import Http404

    item = ShopItem.objects.select_related("shop").filter(pk=item_id).first()
    if item is None or not holder.area_path.startswith(item.area_path):
        raise Http404
    return item


def _new_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def redemption_create(*, actor, item_id: int, quantity: int = 1) -> Redemption:
    """Spend points on an item: checks the balance under the holder's lock,
    takes the stock with a conditional UPDATE, writes the negative entry
    and a one-time code. Nothing is written when any check fails."""
    holder = holder_of(actor)
    item = access_item(actor=actor, item_id=item_id, holder=holder)
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError("bad_quantity", f"兑换数量须为 1–{MAX_QUANTITY}", status=422)
    if not item.is_active or not item.shop.is_active:
        raise Conflict("item_unavailable", "该商品已下架")
    cost = item.price * quantity
    with transaction.atomic():
        _lock(holder)
        have = balance(holder)
        if have < cost:
            raise Conflict(
                "insufficient_points",
                f"积分不足：当前余额 {have} 分，兑换需要 {cost} 分",
                details={"balance": have, "cost": cost},
            )
        taken = ShopItem.objects.filter(pk=item.pk, stock__gte=quantity).update(
            stock=F("stock") - quantity
        )
        if not taken:
            raise Conflict("out_of_stock", f"“{item.name}”库存不足")
        entry = PointsEntry.objects.create(
            **holder.fields(),
            grid_id=holder.grid_id,
            district_id=_district_id(holder),
            area_path=holder.area_path,
            kind=EntryKind.REDEEM,
            amount=-cost,
            reason=f"兑换{item.name} ×{quantity}（{item.shop.name}）"[:200],
            created_by=actor,
        )
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    return Redemption.objects.create(
                        item=item,
                        shop=item.shop,
                        area_path=item.area_path,
                        **holder.fields(),
                        user=actor,
                        quantity=quantity,
                        points=cost,
                        code=_new_code(),
                        entry=entry,
                        expires_at=code_expires_at(item.shop.weekdays, timezone.now()),
                    )
            except IntegrityError:
                continue
        raise Conflict("code_exhausted", "兑换码生成失败，请重试")


def may_keep(actor, shop: Shop) -> bool:
    return _may(actor, shop.area_path, KEEPER_ROLES) or shop.keepers.filter(pk=actor.pk).exists()


def _refuse_expired(redemption: Redemption, at: dt.datetime) -> None:
    """409 `code_expired` for a code past its expiry (its points come back
    by the periodic task, or already have)."""
    if redemption.status == Redemption.Status.EXPIRED:
        raise Conflict("code_expired", "该兑换码已过期，积分已退回兑换人账户，不能领取")
    if (
        redemption.status == Redemption.Status.PENDING
        and redemption.expires_at is not None
        and at >= redemption.expires_at
    ):
        until = timezone.localtime(redemption.expires_at) - dt.timedelta(seconds=1)
        raise Conflict(
            "code_expired",
            f"该兑换码已于 {until:%Y-%m-%d %H:%M} 过期，不能领取；积分将自动退回兑换人账户",
        )


def redemption_check(*, actor, code: str, at: dt.datetime | None = None) -> Redemption:
    """The shop keeper checks a code and hands the item over: once."""
    from django.http import Http404

    at = at or timezone.now()
    code = (code or "").strip()
    if not code.isdigit() or len(code) != 8:
        raise DomainError("bad_code", "兑换码为 8 位数字", status=422)
    redemption = Redemption.objects.select_related("shop", "item").filter(code=code).first()
    if (
        redemption is None
        or not scope_for(actor).is_staff_scope
        or not may_keep(actor, redemption.shop)
    ):
        raise Http404
    _refuse_expired(redemption, at)
    if timezone.localtime(at).isoweekday() not in redemption.shop.weekdays:
        raise Conflict(
            "not_exchange_day",
            f"今天不是{redemption.shop.name}的兑换日（{redemption.shop.exchange_label}）",
        )
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    done = Redemption.objects.filter(
        live, pk=redemption.pk, status=Redemption.Status.PENDING
    ).update(status=Redemption.Status.FULFILLED, fulfilled_at=at, fulfilled_by=actor)
    if not done:
        redemption.refresh_from_db()
        _refuse_expired(redemption, at)
        raise Conflict("code_used", f"该兑换码{redemption.get_status_display()}，不能重复领取")
    redemption.refresh_from_db()
    return redemption


def redemption_cancel(*, actor, redemption_id: int) -> Redemption:
    """The holder (or a keeper) cancels a pending redemption: the points come
    back as a new entry and the stock returns."""
    from django.http import Http404

    redemption = Redemption.objects.select_related("shop", "item").filter(pk=redemption_id).first()
    if redemption is None:
        raise Http404
    own = redemption.user_id == getattr(actor, "pk", None)
    if not own and not (scope_for(actor).is_staff_scope and may_keep(actor, redemption.shop)):
        raise Http404
    holder = Holder(redemption.resident_id, redemption.worker_id, 0, redemption.entry.area_path)
    with transaction.atomic():
        _lock(holder)
        entry = refund(
            redemption,
            status=Redemption.Status.CANCELLED,
            reason=f"取消兑换{redemption.item.name}，积分退回",
            actor=actor,
        )
        if entry is None:
            raise Conflict("not_pending", "只有待领取的兑换可以取消")
    redemption.refresh_from_db()
    return redemption
