"""Reads of service teams, service days, activities, hours; every read goes
through the scope rule (teams.scope).

Who sees a team: staff whose areas cover the team's area or one of the
grids it serves; a resident sees the teams serving their home grid (they
are printed on the contact card). Activities: staff whose areas cover the
activity's area (or who lie inside it: a grid worker sees the street's
activities), residents those of their grid and the areas above it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from wangge.areas.models import Area, Level
from wangge.areas.paths import ancestor_paths, subtree_q
from wangge.core.errors import DomainError
from wangge.teams.scope import Scope, scope_for

from .models import ActivitySignup, ServiceActivity, ServiceDay, ServiceTeam, ServiceTeamGrid

NOT_FOUND_MESSAGE = "未找到，或不在您的管辖范围内"


def not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND_MESSAGE, status=404)


def _up_or_down(scope: Scope, field: str) -> Q:
    """Rows at an area under the actor's areas, or above them (the areas
    containing an assignment: a grid worker sees the street's service day)."""
    if scope.unrestricted:
        return Q()
    above = {a for p in scope.paths for a in [*ancestor_paths(p), p]}
    return scope.q(field) | Q(**{f"{field}__in": above})


def _resident_chain(scope: Scope) -> list[str]:
    if not scope.home_grid_path:
        return []
    return [*ancestor_paths(scope.home_grid_path), scope.home_grid_path]


def team_list(*, actor, area: Area | None = None, kind: str = "") -> QuerySet[ServiceTeam]:
    scope = scope_for(actor)
    qs = ServiceTeam.objects.all()
    if scope.is_staff_scope:
        serves = ServiceTeamGrid.objects.filter(scope.q("area_path"), team=OuterRef("pk"))
        if not scope.unrestricted:
            qs = qs.filter(scope.q("area_path") | Q(Exists(serves)))
    elif scope.home_grid_path:
        qs = qs.filter(
            Exists(
                ServiceTeamGrid.objects.filter(team=OuterRef("pk"), area_path=scope.home_grid_path)
            ),
            is_active=True,
        )
    else:
        return ServiceTeam.objects.none()
    if area is not None:
        in_area = ServiceTeamGrid.objects.filter(
            subtree_q(area.path, "area_path"), team=OuterRef("pk")
        )
        qs = qs.filter(subtree_q(area.path, "area_path") | Q(Exists(in_area)))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("area").order_by("area_path", "kind", "name")


def access_team(*, actor, team_id: int) -> ServiceTeam:
    team = team_list(actor=actor).filter(pk=team_id).first()
    if team is None:
        raise not_found()
    return team


def team_grids(*, team: ServiceTeam) -> list[Area]:
    return list(Area.objects.filter(pk__in=team.grid_links.values("grid_id")).order_by("path"))


def team_members(*, team: ServiceTeam) -> list[dict]:
    """Members with the phone printed for them: a staff member's work phone
    in clear, an outside professional's work phone, a resident's masked."""
    out = []
    for m in team.members.select_related("user", "resident").order_by("-is_leader", "pk"):
        if m.user_id is not None:
            phone, source = m.user.phone or "", "staff"
        elif m.resident_id is not None:
            phone, source = m.resident.phone_masked or "", "resident"
        else:
            phone, source = m.work_phone, "external"
        out.append(
            {
                "id": m.pk,
                "name": m.name,
                "duty": m.duty,
                "is_leader": m.is_leader,
                "phone": phone,
                "source": source,
                "user_id": m.user_id,
                "resident_id": m.resident_id,
            }
        )
    return out


def teams_serving_grid(*, grid: Area) -> QuerySet[ServiceTeam]:
    """Active teams serving a grid (no scope: the caller has access to the grid)."""
    return (
        ServiceTeam.objects.filter(is_active=True, grid_links__grid=grid)
        .order_by("kind", "area_path", "name")
        .distinct()
    )


def _placed_list(model, *, actor, area: Area | None) -> QuerySet:
    """Rows placed at an area: staff see those under and above their areas,
    residents those of their grid and the areas above it; `area` narrows to
    rows under or above it."""
    scope = scope_for(actor)
    if scope.is_staff_scope:
        qs = model.objects.filter(_up_or_down(scope, "area_path"))
    elif scope.home_grid_path:
        qs = model.objects.filter(area_path__in=_resident_chain(scope))
    else:
        return model.objects.none()
    if area is not None:
        qs = qs.filter(
            subtree_q(area.path, "area_path") | Q(area_path__in=ancestor_paths(area.path))
        )
    return qs


def service_day_list(*, actor, area: Area | None = None) -> QuerySet[ServiceDay]:
    qs = _placed_list(ServiceDay, actor=actor, area=area)
    return qs.select_related("area").order_by("-date", "area_path")


def activity_list(
    *,
    actor,
    area: Area | None = None,
    team: ServiceTeam | None = None,
    since: dt.datetime | None = None,
) -> QuerySet[ServiceActivity]:
    qs = _placed_list(ServiceActivity, actor=actor, area=area)
    if team is not None:
        qs = qs.filter(team=team)
    if since is not None:
        qs = qs.filter(ends_at__gte=since)
    return qs.select_related("team", "area", "service_day").order_by("starts_at", "pk")


def access_activity(*, actor, activity_id: int) -> ServiceActivity:
    activity = activity_list(actor=actor).filter(pk=activity_id).first()
    if activity is None:
        raise not_found()
    return activity


def activity_counts(*, activity_ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {i: {"signed": 0, "attended": 0} for i in activity_ids}
    rows = (
        ActivitySignup.objects.filter(activity_id__in=activity_ids)
        .exclude(status=ActivitySignup.Status.CANCELLED)
        .values_list("activity_id", "status")
    )
    for aid, status in rows:
        out[aid]["signed"] += 1
        if status == ActivitySignup.Status.ATTENDED:
            out[aid]["attended"] += 1
    return out


def activity_signups(*, actor, activity: ServiceActivity) -> QuerySet[ActivitySignup]:
    """Staff who see the activity see its list; a resident sees only their own row."""
    scope = scope_for(actor)
    qs = activity.signups.exclude(status=ActivitySignup.Status.CANCELLED).order_by(
        "signed_at", "pk"
    )
    if scope.is_staff_scope:
        return qs
    return qs.filter(user=actor)


def hours_by_user(
    *, user_ids: list[int], start: dt.date | None = None, end: dt.date | None = None
) -> dict[int, Decimal]:
    """Service hours credited on check-in, per user, for activities starting
    in [start, end). What the points (积分) issue and the party indices read."""
    qs = ActivitySignup.objects.filter(user_id__in=user_ids, status=ActivitySignup.Status.ATTENDED)
    if start is not None:
        qs = qs.filter(activity__starts_at__date__gte=start)
    if end is not None:
        qs = qs.filter(activity__starts_at__date__lt=end)
    rows = qs.values("user_id").annotate(total=Sum("hours"))
    return {r["user_id"]: r["total"] or Decimal(0) for r in rows}


def colleague(*, actor, user_id: int | None):
    """A staff account working inside the actor's areas, or None (names of
    staff elsewhere are not revealed)."""
    from wangge.accounts.models import User
    from wangge.teams.models import RoleAssignment

    if user_id is None:
        return None
    works_here = RoleAssignment.objects.filter(
        scope_for(actor).q("area_path"), user_id=user_id, is_active=True
    ).exists()
    user = User.objects.filter(pk=user_id, kind="staff", is_active=True).first()
    return user if works_here else None


MAX_OPTIONS = 300


def colleague_options(*, actor, area: Area) -> list:
    """Staff accounts working under `area` inside the actor's areas (for the
    console's "add a member" forms), by name; at most MAX_OPTIONS."""
    from wangge.accounts.models import User
    from wangge.teams.models import RoleAssignment

    scope = scope_for(actor)
    ids = (
        RoleAssignment.objects.filter(
            scope.q("area_path"), subtree_q(area.path, "area_path"), is_active=True
        )
        .values("user_id")
        .distinct()
    )
    return list(
        User.objects.filter(pk__in=ids, kind="staff", is_active=True).order_by("name", "pk")[
            :MAX_OPTIONS
        ]
    )


def resident_options(*, actor, area: Area) -> list:
    """Residents living under `area` inside the actor's areas (name and
    micro-grid only: the forms need to pick one, not their data)."""
    from wangge.people.models import Resident

    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return []
    return list(
        Resident.objects.filter(scope.q("area_path"), subtree_q(area.path, "area_path"))
        .select_related("micro_grid")
        .only("pk", "name", "micro_grid__name")
        .order_by("name", "pk")[:MAX_OPTIONS]
    )


def grid_options(*, actor, area: Area) -> list[Area]:
    scope = scope_for(actor)
    return list(
        Area.objects.filter(
            scope.q("path"), subtree_q(area.path), level=Level.GRID, is_active=True
        ).order_by("path")[:MAX_OPTIONS]
    )
