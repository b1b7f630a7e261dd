"""Reads of visits and care. Every query starts from the scope rule
(`teams.scope`); an id from a request becomes an object only through an
`access_*` function (404 outside the actor's areas, as if missing).

Coverage (入户率) = households visited at least once in the period ÷
households, read from the `CoverageCount` rollup (one row per grid and
period), summed up the tree with the path prefix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from wangge.areas.models import LEVEL_DEPTH, Area, Level
from wangge.areas.paths import STEP, subtree_q
from wangge.core.errors import DomainError
from wangge.teams.roles import ROLE_CAPS, Role
from wangge.teams.scope import district_field, scope_for

from .models import CarePair, CoverageCount, PlanItem, QuotaRule, Visit, WorkerPlan
from .services import NOT_FOUND, month_start, period_bounds, periods_of

PAGE_SIZE = 30
_LIGHT_AREA = ("boundary", "min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat")


def _not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND, status=404)


def _staff(actor):
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        raise DomainError("staff_only", "仅工作人员可用", status=403)
    return scope


def _scoped(qs: QuerySet, actor, field: str = "area_path") -> QuerySet:
    return qs.filter(_staff(actor).q(field, district_field(qs.model, field)))


# ---------------------------------------------------------------- rules
def rule_list(*, actor) -> list[QuotaRule]:
    """Active rules that apply somewhere in the actor's areas: those set on
    an area above (or at) one of them, and those set inside them."""
    scope = _staff(actor)
    qs = (
        QuotaRule.objects.filter(is_active=True)
        .select_related("area")
        .defer(*(f"area__{f}" for f in _LIGHT_AREA))
    )
    if not scope.unrestricted:
        above = {""}
        for p in scope.paths:
            above.update(p[:i] for i in range(STEP, len(p) + 1, STEP))
        qs = qs.filter(Q(area_path__in=above) | scope.q())
    return list(qs.order_by("area_path", "role"))


def access_rule(*, actor, rule_id: int) -> QuotaRule:
    if not scope_for(actor).is_staff_scope:
        raise _not_found()
    for r in rule_list(actor=actor):
        if r.pk == rule_id:
            return r
    raise _not_found()


# ---------------------------------------------------------------- visits
def visit_list(*, actor, area: Area | None = None, mine: bool = False, limit: int = 50):
    qs = _scoped(Visit.objects.all(), actor)
    if area is not None:
        qs = qs.filter(subtree_q(area.path, "area_path"))
    if mine:
        qs = qs.filter(visitor=actor)
    return list(qs.select_related("household", "visitor").order_by("-visited_at", "-pk")[:limit])


def access_visit(*, actor, visit_id: int) -> Visit:
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        raise _not_found()
    visit = (
        Visit.objects.filter(scope.q(district="district_id"), pk=visit_id)
        .select_related("household", "visitor")
        .first()
    )
    if visit is None:
        raise _not_found()
    return visit


# ---------------------------------------------------------------- plan
def today_summary(*, actor) -> dict:
    """What Today shows: open households on this month's plan (overdue among
    them) and overdue care contacts."""
    plan = plan_summary(actor=actor)
    return {
        "generated": plan.generated,
        "open": plan.open,
        "overdue": plan.overdue_open,
        "done": plan.done,
        "care_overdue": care_overdue_count(actor=actor),
    }


def _own_items(actor, month: date) -> QuerySet:
    """The actor's plan rows: assigned to them, looked up within the grids
    and micro-grids where they hold a grid-team role (the plan's index is
    month + path)."""
    from .services import GRID_TEAM_ROLES

    scope = scope_for(actor)
    paths = [g.path for g in scope.grants if g.role in GRID_TEAM_ROLES]
    qs = PlanItem.objects.filter(month=month, worker_id=actor.pk)
    if not paths:
        return qs.none()
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q(p, "area_path")
    return qs.filter(q)


@dataclass
class PlanSummary:
    month: date
    generated: bool
    due: int
    overdue: int
    done: int
    overdue_open: int
    targets: list[dict]

    @property
    def open(self) -> int:
        return self.due + self.overdue - self.done


def plan_summary(*, actor, month: date | None = None) -> PlanSummary:
    """The actor's own plan for the month: households due / overdue (and how
    many of them are visited), and the monthly targets with progress."""
    month = month_start(month or timezone.localdate())
    counts = _own_items(actor, month).aggregate(
        due=Count("pk", filter=Q(status=PlanItem.Status.DUE)),
        overdue=Count("pk", filter=Q(status=PlanItem.Status.OVERDUE)),
        done=Count("pk", filter=Q(visited_at__isnull=False)),
        overdue_open=Count("pk", filter=Q(status=PlanItem.Status.OVERDUE, visited_at__isnull=True)),
    )
    targets = []
    plans = list(WorkerPlan.objects.filter(month=month, user_id=actor.pk).order_by("area_path"))
    if plans:
        start, end = _month_bounds(month)
        done = Visit.objects.filter(
            visitor_id=actor.pk, visited_at__gte=start, visited_at__lt=end
        ).aggregate(
            households=Count("household_id", distinct=True, filter=Q(kind=Visit.Kind.HOUSEHOLD)),
            groups=Count("pk", filter=Q(kind=Visit.Kind.GROUP)),
        )
        for p in plans:
            targets.append(
                {
                    "role": p.role,
                    "role_label": str(Role(p.role).label),
                    "households_target": p.households_target,
                    "households_done": done["households"],
                    "group_visits_target": p.group_visits_target,
                    "group_visits_done": done["groups"],
                    "fixed_days": p.fixed_days,
                    "due_households": p.due_households,
                }
            )
    generated = bool(plans) or bool(counts["due"] or counts["overdue"])
    return PlanSummary(month=month, generated=generated, targets=targets, **counts)


def _month_bounds(month: date):
    from .services import local_midnight, next_month

    return local_midnight(month), local_midnight(next_month(month))


def plan_items(
    *,
    actor,
    month: date | None = None,
    mine: bool = True,
    status: str | None = None,
    open_only: bool = False,
    area: Area | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> tuple[list[PlanItem], int]:
    """Households on the month's plan: the actor's own (`mine`) or all in
    their areas; overdue first, then by due date."""
    month = month_start(month or timezone.localdate())
    qs = _own_items(actor, month) if mine else _scoped(PlanItem.objects.filter(month=month), actor)
    if area is not None:
        qs = qs.filter(subtree_q(area.path, "area_path"))
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(visited_at__isnull=True)
    total = qs.count()
    rows = list(
        qs.order_by("-status", "basis_at", "household_id")[offset : offset + limit]  # overdue first
    )
    _attach_households(rows)
    return rows, total


def _attach_households(rows: list[PlanItem]) -> None:
    from wangge.people.models import Household

    by_id = {
        h.pk: h
        for h in Household.objects.filter(pk__in=[r.household_id for r in rows]).only(
            "pk", "address", "size"
        )
    }
    for r in rows:
        r.household_row = by_id.get(r.household_id)


# ---------------------------------------------------------------- coverage
def _rate(visited: int, households: int) -> float | None:
    return round(visited / households, 4) if households else None


def _top_areas(scope) -> list[Area]:
    if scope.unrestricted:
        return list(Area.objects.filter(level=Level.CITY).defer(*_LIGHT_AREA))
    return list(Area.objects.filter(path__in=scope.paths).defer(*_LIGHT_AREA).order_by("path"))


def coverage(*, actor, period: str | None = None, area: Area | None = None) -> dict:
    """入户率 of the period under `area` (default: the actor's own areas),
    one row per child area down to grids: households, visited, rate; plus
    the total. Reads the rollup only (a few thousand rows for a city)."""
    scope = _staff(actor)
    period = period or periods_of(timezone.localdate())[0]
    period_bounds(period)  # validates
    parents = [area] if area is not None else _top_areas(scope)
    rows: list[dict] = []
    for parent in parents:
        if not scope.covers(parent.path):
            raise _not_found()
        base = CoverageCount.objects.filter(subtree_q(parent.path, "area_path"), period=period)
        if parent.level in (Level.GRID, Level.MICRO_GRID):
            agg = base.aggregate(h=Sum("households"), v=Sum("visited"))
            h, v = agg["h"] or 0, agg["v"] or 0
            rows.append(_cov_row(parent, h, v))
        else:
            child_len = len(parent.path) + STEP
            grouped = (
                base.annotate(prefix=Substr("area_path", 1, child_len))
                .values("prefix")
                .annotate(h=Sum("households"), v=Sum("visited"))
                .order_by("prefix")
            )
            sums = {g["prefix"]: (g["h"] or 0, g["v"] or 0) for g in grouped}
            children = Area.objects.filter(path__in=list(sums)).only(
                "pk", "path", "name", "code", "level"
            )
            for c in sorted(children, key=lambda a: a.path):
                h, v = sums[c.path]
                rows.append(_cov_row(c, h, v))
    total_h = sum(r["households"] for r in rows)
    total_v = sum(r["visited"] for r in rows)
    return {
        "period": period,
        "rows": rows,
        "households": total_h,
        "visited": total_v,
        "rate": _rate(total_v, total_h),
    }


def _cov_row(a: Area, h: int, v: int) -> dict:
    return {
        "area_id": a.pk,
        "name": a.name,
        "code": a.code,
        "level": a.level,
        "households": h,
        "visited": v,
        "rate": _rate(v, h),
    }


def worker_coverage(*, actor, period: str | None = None, area: Area | None = None) -> list[dict]:
    """入户率 per grid worker under `area`: distinct households the worker
    visited in the period ÷ households of the grids they are assigned to."""
    from wangge.people.models import Household
    from wangge.teams.models import RoleAssignment

    scope = _staff(actor)
    period = period or periods_of(timezone.localdate())[0]
    start, end = period_bounds(period)
    from .services import local_midnight

    assignments = RoleAssignment.objects.filter(
        is_active=True, role__in=[Role.GRID_WORKER, Role.GRID_LEADER, Role.PART_TIME_WORKER]
    ).filter(scope.q())
    if area is not None:
        if not scope.covers(area.path):
            raise _not_found()
        assignments = assignments.filter(subtree_q(area.path, "area_path"))
    rows = list(
        assignments.values("user_id", "user__name", "role", "area_id", "area__name").order_by(
            "area__path", "role", "user_id"
        )[:500]
    )
    grid_ids = {r["area_id"] for r in rows}
    households = dict(
        Household.objects.filter(grid_id__in=grid_ids)
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values_list("grid_id", "n")
    )
    visited = dict(
        Visit.objects.filter(
            visitor_id__in={r["user_id"] for r in rows},
            kind=Visit.Kind.HOUSEHOLD,
            visited_at__gte=local_midnight(start),
            visited_at__lt=local_midnight(end),
        )
        .values("visitor_id")
        .annotate(n=Count("household_id", distinct=True))
        .values_list("visitor_id", "n")
    )
    out = []
    for r in rows:
        h = households.get(r["area_id"], 0)
        v = visited.get(r["user_id"], 0)
        out.append(
            {
                "user_id": r["user_id"],
                "name": r["user__name"],
                "role": r["role"],
                "role_label": str(Role(r["role"]).label),
                "grid_id": r["area_id"],
                "grid_name": r["area__name"],
                "households": h,
                "visited": v,
                "rate": _rate(v, h),
            }
        )
    return out


# ---------------------------------------------------------------- care
def _care_q(scope) -> Q:
    """Care pairs are visible where the actor's role sees care groups."""
    if scope.unrestricted:
        return Q()
    q = Q(pk__in=[])
    for g in scope.grants:
        if ROLE_CAPS[g.role].sees_care:
            q |= subtree_q(g.path, "area_path")
    return q


def care_pairs(
    *, actor, overdue: bool = False, mine: bool = False, offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[CarePair], int]:
    scope = _staff(actor)
    qs = CarePair.objects.filter(_care_q(scope), is_active=True)
    if mine:
        qs = qs.filter(carer_user_id=actor.pk)
    if overdue:
        qs = qs.filter(next_due_at__lt=timezone.now())
    total = qs.count()
    rows = list(
        qs.select_related("resident", "group", "grid")
        .defer(*(f"grid__{f}" for f in _LIGHT_AREA))
        .order_by("next_due_at", "pk")[offset : offset + limit]
    )
    return rows, total


def care_overdue_count(*, actor) -> int:
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return 0
    return CarePair.objects.filter(
        _care_q(scope), is_active=True, next_due_at__lt=timezone.now()
    ).count()


def access_pair(*, actor, pair_id: int) -> CarePair:
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        raise _not_found()
    pair = (
        CarePair.objects.filter(_care_q(scope), pk=pair_id)
        .select_related("resident", "group")
        .first()
    )
    if pair is None:
        raise _not_found()
    return pair


def pair_history(*, pair: CarePair, limit: int = 20) -> dict:
    return {
        "contacts": list(pair.contacts.select_related("by").order_by("-at")[:limit]),
        "services": list(pair.services.select_related("by").order_by("-at")[:limit]),
        "last_service": pair.services.aggregate(at=Max("at"))["at"],
    }


def level_label(level: str) -> str:
    return Level(level).label if level in LEVEL_DEPTH else level
