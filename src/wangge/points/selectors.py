"""Reads of the points app: ledgers, shops, redemptions, rankings."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone

from wangge.areas.models import Area
from wangge.areas.paths import subtree_q
from wangge.core.masking import mask_name
from wangge.people.models import Household, Resident
from wangge.teams.scope import scope_for, scoped

from .models import EntryKind, PointsEntry, Redemption, Shop, ShopItem
from .services import Holder, may_keep

RANK_LIMIT = 20


def ledger(holder: Holder, *, limit: int = 100) -> list[PointsEntry]:
    return list(PointsEntry.objects.filter(holder.q()).order_by("-created_at", "-id")[:limit])


def shops_for(*, actor, holder: Holder | None = None) -> list[Shop]:
    """A holder sees the shops of their community (and street); staff the
    shops under their areas."""
    qs = Shop.objects.filter(is_active=True).prefetch_related("items").order_by("area_path", "id")
    if holder is not None:
        ancestors = [holder.area_path[:i] for i in range(5, len(holder.area_path) + 1, 5)]
        return list(qs.filter(area_path__in=ancestors))
    return list(scoped(qs, actor))


def items_of(shop: Shop) -> list[ShopItem]:
    return [i for i in shop.items.all() if i.is_active]


def redemptions_of(*, actor, limit: int = 50) -> list[Redemption]:
    return list(
        Redemption.objects.filter(user=actor)
        .select_related("item", "shop")
        .order_by("-created_at", "-id")[:limit]
    )


def keeper_shops(*, actor) -> list[Shop]:
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return []
    candidates = Shop.objects.filter(scope.q() | Q(keepers=actor)).distinct().order_by("id")
    return [s for s in candidates if may_keep(actor, s)]


def pending_at(*, actor, limit: int = 50) -> list[Redemption]:
    shops = keeper_shops(actor=actor)
    return list(
        Redemption.objects.filter(shop__in=shops, status=Redemption.Status.PENDING)
        .select_related("item", "shop")
        .order_by("-created_at")[:limit]
    )


def period_start(period: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    local = timezone.localtime(now or timezone.now())
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    match period:
        case "month":
            return day.replace(day=1)
        case "year":
            return day.replace(month=1, day=1)
        case _:
            return None


def _earned(since: dt.datetime | None):
    q = PointsEntry.objects.filter(kind=EntryKind.EARN)
    if since is not None:
        q = q.filter(created_at__gte=since)
    return q


def access_ranking_area(*, actor, area_id: int) -> Area:
    """Staff: an area under their areas; a resident: their home grid or an
    area above it (rankings are published with masked names)."""
    area = Area.objects.filter(pk=area_id, is_active=True).first()
    if area is None:
        raise Http404
    scope = scope_for(actor)
    if scope.is_staff_scope:
        if not scope.covers(area.path):
            raise Http404
        return area
    if (
        scope.home_grid_path
        and scope.home_grid_path.startswith(area.path)
        and area.level
        in (
            "grid",
            "community",
            "street",
        )
    ):
        return area
    raise Http404


def residents_ranking(*, grid: Area, since: dt.datetime | None) -> list[dict]:
    """The residents of a grid by points earned in the period (名字脱敏)."""
    rows = (
        _earned(since)
        .filter(grid=grid, resident__isnull=False)
        .values("resident_id")
        .annotate(points=Sum("amount"))
        .order_by("-points", "resident_id")[:RANK_LIMIT]
    )
    names = dict(
        Resident.objects.filter(pk__in=[r["resident_id"] for r in rows]).values_list("pk", "name")
    )
    return [
        {"rank": i + 1, "name": mask_name(names.get(r["resident_id"], "")), "points": r["points"]}
        for i, r in enumerate(rows)
    ]


def grids_ranking(*, area: Area, since: dt.datetime | None) -> list[dict]:
    """网格排名: the grids under an area by points earned per 100 households
    (participation, fair between big and small grids)."""
    grids = list(
        Area.objects.filter(subtree_q(area.path), level="grid", is_active=True).values_list(
            "pk", "name"
        )
    )
    ids = [g[0] for g in grids]
    earned = {
        r["grid_id"]: (r["points"], r["people"])
        for r in _earned(since)
        .filter(grid_id__in=ids)
        .values("grid_id")
        .annotate(points=Sum("amount"), people=Count("resident_id", distinct=True))
    }
    households = dict(
        Household.objects.filter(grid_id__in=ids)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    out = []
    for pk, name in grids:
        points, people = earned.get(pk, (0, 0))
        n = households.get(pk, 0)
        out.append(
            {
                "grid_id": pk,
                "name": name,
                "points": points,
                "participants": people,
                "households": n,
                "per_100_households": round(points * 100 / n, 1) if n else 0.0,
            }
        )
    out.sort(key=lambda r: (-r["per_100_households"], -r["points"], r["grid_id"]))
    for i, r in enumerate(out):
        r["rank"] = i + 1
    return out


def part_time_workers(*, actor) -> list:
    """The part-time grid workers under the actor's areas (for awarding)."""
    from wangge.accounts.models import User
    from wangge.teams.models import RoleAssignment

    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return []
    ids = RoleAssignment.objects.filter(
        scope.q(), role="part_time_worker", is_active=True
    ).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=ids).order_by("name")[:100])
