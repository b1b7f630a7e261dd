"""Reads for notices. Every id from a request becomes a notice through
`access_notice`; lists start from the central scope rule."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Sum
from django.db.models.functions import Substr
from django.utils import timezone

from wangge.areas.models import Area, Level
from wangge.areas.paths import ancestor_paths, subtree_q
from wangge.core.errors import DomainError
from wangge.people.models import Household
from wangge.teams.scope import scope_for

from .models import Audience, Delivery, GridProgress, Notice, NoticeStatus, StaffDelivery

NOT_FOUND = "通知不存在，或不在您的管辖范围内"
VISIBLE = (NoticeStatus.SENDING, NoticeStatus.SENT)


def _not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND, status=404)


def _household(scope) -> dict | None:
    if not scope.household_id:
        return None
    return (
        Household.objects.filter(pk=scope.household_id).values("id", "grid_id", "area_path").first()
    )


def access_notice(*, actor, notice_id: int) -> Notice:
    """Staff: notices sent to an area they cover or above their own areas
    (a city-wide notice reaches every grid worker), or sent to them.
    Residents: notices delivered to their household."""
    notice = Notice.objects.select_related("area").filter(pk=notice_id).first()
    if notice is None:
        raise _not_found()
    scope = scope_for(actor)
    if scope.is_staff_scope:
        if (
            scope.covers(notice.area_path)
            or any(p.startswith(notice.area_path) for p in scope.paths)
            or StaffDelivery.objects.filter(notice_id=notice.pk, user_id=actor.pk).exists()
        ):
            return notice
        raise _not_found()
    hh = _household(scope)
    if (
        hh
        and notice.status in VISIBLE
        and Delivery.objects.filter(
            notice_id=notice.pk, grid_id=hh["grid_id"], household_id=hh["id"]
        ).exists()
    ):
        return notice
    raise _not_found()


def may_follow(*, actor, notice: Notice) -> bool:
    """Sees the progress of a notice: the area lies in the actor's areas."""
    return scope_for(actor).covers(notice.area_path)


def notice_list(*, actor, limit: int = 50) -> list[Notice]:
    """Notices sent to the actor's areas (the sender's list), newest first."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return []
    return list(
        Notice.objects.filter(scope.q("area_path"))
        .select_related("area", "created_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def resident_notices(*, actor, limit: int = 50) -> list[Notice]:
    """Notices delivered to the resident's household, newest first, each
    with `read_at` (None: not opened yet)."""
    hh = _household(scope_for(actor))
    if hh is None:
        return []
    paths = [*ancestor_paths(hh["area_path"]), hh["area_path"]]
    notices = list(
        Notice.objects.filter(area_path__in=paths, status__in=VISIBLE)
        .select_related("area")
        .exclude(audience=Audience.STAFF)
        .order_by("-created_at", "-pk")[: limit * 2]
    )
    read = dict(
        Delivery.objects.filter(
            notice_id__in=[n.pk for n in notices], grid_id=hh["grid_id"], household_id=hh["id"]
        ).values_list("notice_id", "read_at")
    )
    out = []
    for n in notices:
        if n.pk in read:
            n.read_at = read[n.pk]
            out.append(n)
    return out[:limit]


def staff_notices(*, actor, limit: int = 30) -> list[Notice]:
    rows = list(
        StaffDelivery.objects.filter(user_id=actor.pk)
        .select_related("notice", "notice__area")
        .order_by("-notice__created_at")[:limit]
    )
    for r in rows:
        r.notice.read_at = r.read_at
    return [r.notice for r in rows]


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _row(name: str, total: int, read: int, reached: int, **extra) -> dict:
    return {
        "name": name,
        "total": total,
        "read": read,
        "reached": reached,
        "unreached": total - reached,
        "reached_pct": _pct(reached, total),
        "read_pct": _pct(read, total),
        **extra,
    }


def notice_progress(*, notice: Notice, area: Area | None = None, worst: int = 20) -> dict:
    """Totals for `area` (default: the notice's area), one row per child
    area, and the grids furthest behind. Reads only the per-grid counters."""
    area = area or notice.area
    qs = GridProgress.objects.filter(subtree_q(area.path, "grid_path"), notice_id=notice.pk)
    sums = qs.aggregate(total=Sum("total"), read=Sum("read"), reached=Sum("reached"))
    total = sums["total"] or 0
    children = []
    if area.level != Level.GRID:
        kids = {
            a["path"]: a
            for a in Area.objects.filter(parent=area, is_active=True).values("id", "name", "path")
        }
        width = len(area.path) + (len(next(iter(kids))) - len(area.path) if kids else 0)
        per = (
            qs.annotate(prefix=Substr("grid_path", 1, width))
            .values("prefix")
            .annotate(total=Sum("total"), read=Sum("read"), reached=Sum("reached"))
            .order_by("prefix")
        )
        for r in per:
            kid = kids.get(r["prefix"])
            if kid is not None:
                children.append(
                    _row(kid["name"], r["total"], r["read"], r["reached"], id=kid["id"])
                )
        children.sort(key=lambda r: (r["reached_pct"], r["name"]))
    # The grids furthest behind (lowest share reached), at most `worst`.
    rows = [
        r for r in qs.values("grid_id", "total", "read", "reached") if r["reached"] < r["total"]
    ]
    rows.sort(key=lambda r: (_pct(r["reached"], r["total"]), -r["total"]))
    rows = rows[:worst]
    names = dict(Area.objects.filter(pk__in=[r["grid_id"] for r in rows]).values_list("id", "name"))
    behind = [
        _row(names.get(r["grid_id"], ""), r["total"], r["read"], r["reached"], id=r["grid_id"])
        for r in rows
    ]
    return {
        "area": {"id": area.pk, "name": area.name, "level": area.level},
        "status": notice.status,
        "totals": _row(area.name, total, sums["read"] or 0, sums["reached"] or 0),
        "grids": qs.count(),
        "children": children,
        "behind": behind,
        "staff": notice.staff_deliveries.count(),
        "staff_read": notice.staff_deliveries.filter(read_at__isnull=False).count(),
    }


def unreached(*, actor, limit: int = 30) -> dict:
    """Households in the actor's areas that a notice has not reached by its
    reach time: the grid worker's knock-or-phone list on Today."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return {"total": 0, "rows": []}
    now = timezone.now()
    notices = {
        n.pk: n
        for n in Notice.objects.filter(
            status=NoticeStatus.SENT,
            reach_by__lte=now,
            reach_by__gte=now - timedelta(days=30),
        ).exclude(audience=Audience.STAFF)
        if any(p.startswith(n.area_path) or n.area_path.startswith(p) for p in scope.paths)
        or scope.unrestricted
    }
    if not notices:
        return {"total": 0, "rows": []}
    grids = list(
        Area.objects.filter(scope.q("path"), level=Level.GRID).values_list("id", flat=True)
    )
    if not scope.unrestricted:
        # Roles held below a grid (micro-grid leaders): their grid's rows, narrowed below.
        grids += [
            int(g)
            for g in Area.objects.filter(
                path__in=[p[: len(p) - 5] for p in scope.paths], level=Level.GRID
            ).values_list("id", flat=True)
        ]
    qs = Delivery.objects.filter(
        notice_id__in=list(notices), grid_id__in=grids, reached_at__isnull=True
    ).filter(scope.q("household__area_path", district="district_id"))
    total = qs.count()
    rows = list(qs.select_related("household").order_by("notice_id", "household__address")[:limit])
    for r in rows:
        r.notice_obj = notices[r.notice_id]
    return {"total": total, "rows": rows}
