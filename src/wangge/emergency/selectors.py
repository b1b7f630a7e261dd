"""Reads for emergency mode, from the central scope rule."""

from __future__ import annotations

from django.db.models import Q

from wangge.areas.models import Area
from wangge.areas.paths import subtree_q
from wangge.core.errors import DomainError
from wangge.people.models import Household
from wangge.teams.scope import scope_for

from .checklist import describe
from .models import ChecklistAnswer, ChecklistGrid, EmergencyMode, ModeStatus

NOT_FOUND = "应急模式不存在，或不在您的管辖范围内"


def _not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND, status=404)


def _touches(scope, path: str) -> bool:
    """The mode's area covers one of the actor's areas, or lies under them."""
    return scope.unrestricted or any(p.startswith(path) or path.startswith(p) for p in scope.paths)


def access_mode(*, actor, mode_id: int) -> EmergencyMode:
    """Staff whose areas overlap the mode's area (a grid worker inside the
    street, a district dispatcher above it); nobody else — residents never."""
    mode = EmergencyMode.objects.select_related("area").filter(pk=mode_id).first()
    scope = scope_for(actor)
    if mode is None or not scope.is_staff_scope or not _touches(scope, mode.area_path):
        raise _not_found()
    return mode


def mode_list(*, actor, status: str | None = None) -> list[EmergencyMode]:
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return []
    qs = EmergencyMode.objects.select_related("area").order_by("-started_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return [m for m in qs[:200] if _touches(scope, m.area_path)][:50]


def active_for_worker(*, actor) -> list[EmergencyMode]:
    return mode_list(actor=actor, status=ModeStatus.ACTIVE)


def _pct(a: int, b: int) -> float:
    return round(100.0 * a / b, 1) if b else 0.0


def mode_progress(*, actor, mode: EmergencyMode) -> dict:
    """Totals and one row per grid (the actor's part of the area), for the
    console's table and map."""
    scope = scope_for(actor)
    qs = ChecklistGrid.objects.filter(mode=mode)
    if not scope.covers(mode.area_path):
        qs = qs.filter(scope.q("grid_path"))
    rows = list(
        qs.select_related("grid")
        .only("grid_id", "grid_path", "households", "answered", "alerts", "grid__name")
        .order_by("grid_path")
    )
    grids = [
        {
            "id": r.grid_id,
            "name": r.grid.name,
            "households": r.households,
            "answered": r.answered,
            "alerts": r.alerts,
            "pct": _pct(r.answered, r.households),
        }
        for r in rows
    ]
    households = sum(g["households"] for g in grids)
    answered = sum(g["answered"] for g in grids)
    return {
        "mode": {"id": mode.pk, "status": mode.status, "area_id": mode.area_id},
        "households": households,
        "answered": answered,
        "alerts": sum(g["alerts"] for g in grids),
        "pct": _pct(answered, households),
        "grids": grids,
    }


def worker_grids(*, actor, mode: EmergencyMode) -> list[Area]:
    """The grids of the mode's area the actor works in."""
    scope = scope_for(actor)
    qs = Area.objects.filter(subtree_q(mode.area_path), level="grid", is_active=True)
    if not scope.unrestricted:
        q = Q(pk__in=[])
        for p in scope.paths:
            q |= subtree_q(p) | Q(path__in=[p[: len(p) - 5]])
        qs = qs.filter(q)
    return list(qs.only("id", "name", "path").order_by("path")[:50])


def household_rows(*, actor, mode: EmergencyMode, grid: Area, q: str = "", limit: int = 300):
    """Households of one grid (in the actor's areas) with their checklist
    state: address only, no names."""
    scope = scope_for(actor)
    qs = Household.objects.filter(grid=grid).filter(scope.q("area_path")).order_by("address", "pk")
    if q:
        qs = qs.filter(address__contains=q)
    rows = list(qs.only("id", "address", "area_path")[:limit])
    done = {
        a["household_id"]: a
        for a in ChecklistAnswer.objects.filter(
            mode=mode, household_id__in=[h.pk for h in rows]
        ).values("household_id", "alert", "answers", "case_id")
    }
    for h in rows:
        h.answer = done.get(h.pk)
    return rows


def answer_list(*, actor, mode: EmergencyMode, alerts_only: bool = False, limit: int = 100):
    scope = scope_for(actor)
    qs = ChecklistAnswer.objects.filter(mode=mode).filter(scope.q("area_path"))
    if alerts_only:
        qs = qs.filter(alert=True)
    rows = list(qs.select_related("household", "filled_by").order_by("-filled_at", "-pk")[:limit])
    for a in rows:
        a.text = describe(mode.fields, a.answers)
    return rows
