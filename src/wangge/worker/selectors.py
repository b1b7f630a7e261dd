"""Reads for the grid worker's app. Everything starts from the central scope
rule: cases from `cases.selectors.visible_cases`, people from `scoped` and
the people selectors (masked), areas from the actor's own grants."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q

from wangge.areas.models import Area
from wangge.areas.paths import subtree_q
from wangge.cases.models import Status, Team
from wangge.cases.selectors import case_list
from wangge.cases.services import GRID_HANDLER_ROLES, REPORTER_ROLES, VERIFIER_ROLES
from wangge.cases.workdays import china
from wangge.people.models import Household, ResidentCareGroup
from wangge.teams.roles import ROLE_CAPS
from wangge.teams.scope import Scope, scope_for, scoped

from .models import MINUTES_PER_DAY, PresenceDay

TABS = {
    "handle": "待处置",
    "verify": "待核查",
    "accept": "待受理",
    "mine": "我上报的",
}
PAGE_SIZE = 30
_LIGHT_AREA = ("boundary", "min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat")


def _under(paths, field: str = "area_path") -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q(p, field)
    return q


def _role_paths(scope: Scope, roles) -> list[str]:
    return [g.path for g in scope.grants if g.role in roles]


def is_worker(actor) -> bool:
    """Who may use the app: staff with at least one area (or a superuser)."""
    return scope_for(actor).is_staff_scope


def worker_places(*, actor) -> list[Area]:
    """The areas the actor may report in, smallest last: their own grids and
    micro-grids (or whatever area a reporting role is assigned at)."""
    scope = scope_for(actor)
    ids = [g.area_id for g in scope.grants if g.role in REPORTER_ROLES]
    return list(
        Area.objects.filter(pk__in=ids, is_active=True).defer(*_LIGHT_AREA).order_by("path")
    )


def _tab_q(scope: Scope, actor, tab: str) -> Q:
    match tab:
        case "handle":
            grid_team = Q(team=Team.GRID) & (
                Q() if scope.unrestricted else _under(_role_paths(scope, GRID_HANDLER_ROLES))
            )
            mine = Q(assignee_id=actor.pk) & ~Q(team="")
            return Q(status__in=[Status.DISPATCHED, Status.HANDLING]) & (grid_team | mine)
        case "verify":
            where = Q() if scope.unrestricted else _under(_role_paths(scope, VERIFIER_ROLES))
            return Q(status=Status.HANDLED) & where
        case "accept":
            return Q(status=Status.REPORTED)
        case "mine":
            return Q(created_by_id=actor.pk)
    raise ValueError(tab)


def today_counts(*, actor) -> dict[str, int]:
    """Cases to handle, to verify, awaiting acceptance (all in one query)."""
    scope = scope_for(actor)
    qs = case_list(actor=actor).order_by()
    return qs.aggregate(
        handle=Count("pk", filter=_tab_q(scope, actor, "handle")),
        verify=Count("pk", filter=_tab_q(scope, actor, "verify")),
        accept=Count("pk", filter=_tab_q(scope, actor, "accept")),
        red=Count(
            "pk",
            filter=_tab_q(scope, actor, "handle") & Q(alert="red"),
        ),
    )


def task_cases(*, actor, tab: str, offset: int = 0, limit: int = PAGE_SIZE) -> tuple[list, int]:
    """One tab of the task list: the page of cases and the total."""
    scope = scope_for(actor)
    qs = case_list(actor=actor).select_related("building").filter(_tab_q(scope, actor, tab))
    if tab in ("handle", "verify"):
        qs = qs.order_by("due_at", "created_at", "pk")  # soonest deadline first
    elif tab == "accept":
        qs = qs.order_by("created_at", "pk")  # longest waiting first
    total = qs.count()
    return list(qs[offset : offset + limit]), total


def care_summary(*, actor) -> dict:
    """Care-group residents where the actor may see care groups: the count
    per group (one query) and in all. None when the role does not see them."""
    scope = scope_for(actor)
    paths = [g.path for g in scope.grants if ROLE_CAPS[g.role].sees_care]
    if not (scope.unrestricted or paths):
        return {"visible": False, "groups": [], "total": 0}
    links = ResidentCareGroup.objects.all()
    if not scope.unrestricted:
        links = links.filter(_under(paths, "resident__area_path"))
    rows = list(
        links.values("group__code", "group__name", "group__sort")
        .annotate(n=Count("resident_id", distinct=True))
        .order_by("group__sort", "group__code")
    )
    total = links.values("resident_id").distinct().count() if rows else 0
    return {
        "visible": True,
        "groups": [{"code": r["group__code"], "name": r["group__name"], "n": r["n"]} for r in rows],
        "total": total,
    }


def household_count(*, actor) -> int:
    return scoped(Household.objects.all(), actor).count()


# ------------------------------------------------------------------ presence
def presence_minutes(*, user, day: date) -> list[int]:
    """Minutes of the day (0–1439, local time) in which the user was online."""
    row = PresenceDay.objects.filter(user=user, day=day).only("minutes").first()
    if row is None:
        return []
    bits = bytes(row.minutes)
    return [m for m in range(MINUTES_PER_DAY) if bits[m // 8] & (1 << (m % 8))]


def online_rate(*, user, day: date) -> float | None:
    """Share of the day's working minutes (the working-day calendar's hours)
    in which the user was online; None on a day off."""
    cal = china()
    if not cal.is_working_day(day):
        return None
    working = set()
    for start, end in cal.intervals:
        working |= set(range(start.hour * 60 + start.minute, end.hour * 60 + end.minute))
    online = working.intersection(presence_minutes(user=user, day=day))
    return round(len(online) / len(working), 4)
