"""Reads of cases. Every query starts from `visible_cases(actor)`, which is
the scope rule (`wangge.teams.scope`) applied to cases:

- staff see cases under their assigned areas (`scoped`), except that a
  department staff grant shows only cases their department is on (lead,
  assisting or whistled in) inside the grant's area;
- residents see the cases they reported (or that were merged with theirs);
- nobody else sees anything.

The public board and the Open311 feed show no personal data and are not
scoped: they are public by design."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from wangge.areas.models import Area, Level
from wangge.areas.paths import STEP, subtree_q
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for, scoped

from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseDepartment,
    CaseEvent,
    CaseReporter,
    Category,
    Status,
    Team,
)
from .workdays import TZ

# Area columns a case page never needs (the boundary text is large).
_AREA_GEOMETRY = tuple(
    f"area__{f}"
    for f in ("boundary", "min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat")
)


def visible_cases(actor) -> QuerySet[Case]:
    scope = scope_for(actor)
    qs = Case.objects.all()
    if scope.unrestricted:
        return qs
    if scope.is_staff_scope:
        dept_grants = [g for g in scope.grants if g.role == Role.DEPARTMENT_STAFF]
        if not dept_grants:
            return scoped(qs, actor)
        q = Q(pk__in=[])
        for g in scope.grants:
            if g.role != Role.DEPARTMENT_STAFF:
                q |= subtree_q(g.path, "area_path")
        for g in dept_grants:
            if g.department_id:
                on_case = CaseDepartment.objects.filter(
                    case=OuterRef("pk"), department_id=g.department_id
                )
                q |= subtree_q(g.path, "area_path") & (
                    Q(department_id=g.department_id) | Exists(on_case)
                )
        return qs.filter(q, scope.district_q())
    if scope.user_id:
        mine = CaseReporter.objects.filter(case=OuterRef("pk"), user_id=scope.user_id)
        return qs.filter(Exists(mine))
    return qs.none()


def access_case(*, actor, case_id: int) -> Case:
    """The case if the actor may see it; 404 otherwise (never 403: a foreign
    case looks the same as a missing one)."""
    case = (
        visible_cases(actor)
        .select_related("category", "area", "level_area", "department", "building")
        .defer(*_AREA_GEOMETRY, *(f.replace("area__", "level_area__") for f in _AREA_GEOMETRY))
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return case


@dataclass(frozen=True)
class CaseFilters:
    status: str | None = None
    open: bool | None = None
    category: str | None = None
    area_id: int | None = None
    department_id: int | None = None
    alert: str | None = None
    duplicates: bool | None = None
    q: str | None = None


def _filtered(qs: QuerySet[Case], f: CaseFilters) -> QuerySet[Case]:
    if f.status:
        qs = qs.filter(status__in=f.status.split(","))
    if f.open is True:
        qs = qs.filter(IS_OPEN)
    elif f.open is False:
        qs = qs.exclude(status__in=OPEN_STATUSES)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.area_id:
        area = Area.objects.filter(pk=f.area_id).only("path").first()
        qs = qs.filter(subtree_q(area.path, "area_path")) if area else qs.none()
    if f.department_id:
        qs = qs.filter(department_id=f.department_id)
    if f.alert:
        qs = qs.filter(alert=f.alert)
    if f.duplicates:
        qs = qs.filter(duplicate_of__isnull=False, status__in=OPEN_STATUSES)
    if f.q:
        qs = qs.filter(description__contains=f.q)
    return qs


def case_list(*, actor, filters: CaseFilters | None = None) -> QuerySet[Case]:
    f = filters or CaseFilters()
    qs = visible_cases(actor).select_related("category", "area", "department")
    return _filtered(qs.defer(*_AREA_GEOMETRY), f).order_by("-created_at", "-pk")


WIDE_DEPTH = 3  # city, district, street: a good share of the whole table
# The case's own column for an area at that depth of the tree, each with a
# (column, created_at) index: a street's newest cases are read along it
# whatever else the table holds (other streets, other cities).
_LEVEL_COLUMN = {2: "district_id", 3: "street_id"}


def _newest_under(scope, f: CaseFilters, offset: int, limit: int) -> list[int]:
    """Ids of a page of the newest cases under a wide scope (a city, a
    district or a street), read newest-first: for each granted area along
    its level's (column, created_at) index, so the rows read are about the
    page's, not the share of the whole table the area holds (a city's root
    has no column and is read along `created_at` with its prefix). Several
    areas are merged by time."""
    area_of = {g.path: g.area_id for g in scope.grants}
    head = offset + limit
    rows: list[tuple] = []
    for p in scope.paths:
        column = _LEVEL_COLUMN.get(len(p) // STEP)
        where = Q(**{column: area_of[p]}) if column and p in area_of else Q(area_path__startswith=p)
        qs = _filtered(Case.objects.filter(where, scope.district_q()), f)
        rows += qs.order_by("-created_at", "-pk").values_list("created_at", "pk")[:head]
    if len(scope.paths) > 1:  # areas do not nest (`scope.paths` is minimal)
        rows.sort(reverse=True)
    return [pk for _, pk in rows[offset:head]]


def case_page(
    *, actor, filters: CaseFilters | None = None, offset: int = 0, limit: int = 50, cap: int
) -> tuple[int, list[Case]]:
    """A page of `case_list` and its count (up to `cap` + 1).

    For wide scopes (a street or more, no narrower area filter) the page is
    read newest-first along the granted level's (column, created_at) index
    (`_newest_under`); a range scan over a street's whole history followed
    by a sort costs far more, and so does walking the whole table's
    `created_at` index, which grows with every other street and city. Open
    cases only (a small share) go the other way: a range scan of the
    partial index on open rows, then a sort. The page's ids come first,
    from the case table alone; its rows (with category, area, department)
    are read by id, so no join runs over more than the page. The scope is
    the same `scope_for` paths either way."""
    f = filters or CaseFilters()
    qs = case_list(actor=actor, filters=f)
    count = qs.order_by()[: cap + 1].count()
    scope = scope_for(actor)
    wide = (
        not f.open
        and scope.is_staff_scope
        and not scope.unrestricted
        and not f.area_id
        and scope.grants
        and all(g.role != Role.DEPARTMENT_STAFF for g in scope.grants)
        and all(len(p) // 5 <= WIDE_DEPTH for p in scope.paths)
    )
    if wide:
        ids = _newest_under(scope, f, offset, limit)
    else:
        ids = list(qs.values_list("pk", flat=True)[offset : offset + limit])
    rows = Case.objects.filter(scope.district_q(), pk__in=ids)
    rows = rows.select_related("category", "area", "department")
    by_id = {c.pk: c for c in rows.defer(*_AREA_GEOMETRY)}
    return count, [by_id[i] for i in ids]


def case_timeline(*, actor, case: Case) -> list[CaseEvent]:
    """The case's events; a resident (the reporter) sees the public ones only."""
    # Events carry their case's district: one partition when partitioned.
    qs = case.events.filter(district_id=case.district_id)
    qs = qs.select_related("actor").prefetch_related("attachments")
    if not scope_for(actor).is_staff_scope:
        qs = qs.filter(public=True)
    return list(qs.order_by("at", "pk"))


def category_tree() -> list[Category]:
    return list(
        Category.objects.filter(is_active=True, parent__isnull=True)
        .prefetch_related("children")
        .order_by("code")
    )


# ---------------------------------------------------------------- public board
BOARD_CLOSED_DAYS = 30
# "Open" written with literal statuses, the partial open indexes' own
# condition: SQLite cannot prove a partial index's condition from bound
# parameters (status IN (?, …)), and would range-scan the area's history.
IS_OPEN = RawSQL(  # noqa: S611 (constants only, no input)
    f"{Case._meta.db_table}.status IN ({', '.join(repr(str(s)) for s in OPEN_STATUSES)})",
    (),
    output_field=BooleanField(),
)


def board(*, area: Area, now: datetime | None = None, limit: int = 200) -> dict:
    """挂牌销账 for an area: open cases (and those closed in the last 30 days)
    numbered, with category, place, status, deadline and days open; the grids
    under the area with no open case are listed as cleared (清零).

    Small indexed queries on the case table alone — open cases and their
    count per grid (index-only scans of the covering partial index on open
    rows), cases closed in the last 30 days (the closed-recent index, area
    checked inside it) — then the names of the few categories, areas and
    buildings shown; no join runs over the area's whole history."""
    now = now or timezone.now()
    in_area = subtree_q(area.path, "area_path")
    fields = (
        "pk",
        "created_at",
        "status",
        "due_at",
        "alert",
        "closed_at",
        "category_id",
        "building_id",
        "area_id",
        "grid_id",
    )
    # Open cases have no closing time; leaving it out keeps the scan index-only.
    open_rows = [
        (*r[:5], None, *r[5:])
        for r in Case.objects.filter(in_area, IS_OPEN)
        .order_by("-created_at", "-pk")
        .values_list(*(f for f in fields if f != "closed_at"))[:limit]
    ]
    # SQLite's planner would range-scan the area's whole history on
    # (area_path, status); a prefix test, which it cannot use as a range,
    # sends it to the closed-recent index like PostgreSQL.
    closed_in_area = (
        Q(area_path__startswith=area.path) if connection.vendor == "sqlite" else in_area
    )
    closed_rows = list(
        Case.objects.filter(
            closed_in_area,
            status__in=CLOSED_STATUSES,
            closed_at__gte=now - timedelta(days=BOARD_CLOSED_DAYS),
        )
        .order_by("-closed_at", "-pk")
        .values_list(*fields)[:limit]
    )
    rows = sorted(open_rows + closed_rows, key=lambda r: (r[1], r[0]), reverse=True)[:limit]
    grids = list(
        Area.objects.filter(subtree_q(area.path), level=Level.GRID, is_active=True)
        .order_by("path")
        .values_list("pk", "name", "code")
    )
    open_by_grid = dict(
        Case.objects.filter(in_area, IS_OPEN)
        .values_list("grid_id")
        .annotate(n=Count("pk"))
        .values_list("grid_id", "n")
    )
    names = {r[6] for r in rows}
    cat_names = dict(Category.objects.filter(pk__in=names).values_list("pk", "name"))
    grid_names = {pk: name for pk, name, _ in grids}
    area_ids = {r[8] for r in rows} | {r[9] for r in rows if r[9]}
    area_names = dict(
        Area.objects.filter(pk__in=area_ids - set(grid_names)).values_list("pk", "name")
    )
    area_names.update(grid_names)
    building_ids = {r[7] for r in rows if r[7]}
    building_names = {}
    if building_ids:
        from wangge.people.models import Building

        building_names = dict(
            Building.objects.filter(pk__in=building_ids).values_list("pk", "name")
        )
    labels = {s: str(Status(s).label) for s in Status.values}
    items = []
    for pk, created, status, due, alert, closed, cat, building, area_id, grid in rows:
        end = closed or now
        items.append(
            {
                "number": f"{created.astimezone(TZ):%Y}{pk:08d}",
                "category": cat_names.get(cat, ""),
                "place": building_names.get(building) or area_names.get(area_id, ""),
                "grid": area_names.get(grid, "") if grid else "",
                "status": status,
                "status_label": labels[status],
                "is_open": status in OPEN_STATUSES,
                "due_at": due,
                "alert": alert,
                "days_open": max((end - created).days, 0),
                "reported_at": created.astimezone(TZ).date(),
            }
        )
    return {
        "area": {"id": area.pk, "name": area.name, "code": area.code, "level": area.level},
        "open": sum(open_by_grid.values()),
        "items": items,
        "grids": [
            {
                "id": pk,
                "name": name,
                "code": code,
                "open": open_by_grid.get(pk, 0),
                "cleared": open_by_grid.get(pk, 0) == 0,
            }
            for pk, name, code in grids
        ],
    }


# ---------------------------------------------------------------- metrics
def metrics(
    *,
    actor,
    start: datetime,
    end: datetime,
    area: Area | None = None,
    department_id: int | None = None,
    now: datetime | None = None,
) -> dict:
    """The standard formulas over the cases reported in [start, end) in the
    actor's scope (optionally one area's subtree or one lead department).
    Voided and merged cases are left out.

    - closure rate = closed ÷ due, where due = cases whose deadline fell on or
      before min(end, now), closed = those of them closed;
    - on-time closure rate = closed no later than the deadline ÷ closed;
    - rework rate = closed cases that were reworked ÷ closed;
    - extension rate = cases with an approved extension ÷ registered cases;
    - satisfaction rate = ratings 4–5 ÷ rated cases (unrated cases, also those
      whose 7-day rating window passed, count as no rating);
    - average hours to accept = mean(accepted − reported);
    - average hours to handle = mean(handled − dispatched);
    - self-handled share = closed cases handled by the grid team ÷ closed.

    With `department_id` the cases are those the department took part in —
    as lead (the case's department), assisting in joint handling (联办), or
    whistled in (吹哨) — each counted once, with the same formulas; the
    result adds how many cases in each role (`department_roles`) and, for
    whistles, the on-time response rate = calls answered by their response
    deadline ÷ calls whose deadline fell on or before min(end, now)."""
    now = now or timezone.now()
    as_of = min(end, now)
    qs = visible_cases(actor).filter(created_at__gte=start, created_at__lt=end)
    qs = qs.exclude(status__in=[Status.VOIDED, Status.MERGED])
    if area is not None:
        qs = qs.filter(subtree_q(area.path, "area_path"))
    roles = {}
    if department_id:

        def part(role):
            return Exists(
                CaseDepartment.objects.filter(
                    case=OuterRef("pk"), department_id=department_id, role=role
                )
            )

        roles = {
            "lead": Q(department_id=department_id) | Q(part(CaseDepartment.Role.LEAD)),
            "assist": Q(part(CaseDepartment.Role.ASSIST)),
            "whistled": Q(part(CaseDepartment.Role.WHISTLED)),
        }
        qs = qs.filter(roles["lead"] | roles["assist"] | roles["whistled"])
    closed = Q(status__in=CLOSED_STATUSES)
    due = Q(due_at__lte=as_of)
    hours = DurationField()
    agg = qs.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=closed),
        due=Count("pk", filter=due),
        due_closed=Count("pk", filter=due & closed),
        on_time=Count("pk", filter=closed & Q(closed_at__lte=F("due_at"))),
        reworked=Count("pk", filter=closed & Q(rework_count__gt=0)),
        registered=Count("pk", filter=Q(registered_at__isnull=False)),
        extended=Count("pk", filter=Q(registered_at__isnull=False, extension_count__gt=0)),
        rated=Count("pk", filter=Q(rating__isnull=False)),
        satisfied=Count("pk", filter=Q(rating__gte=4)),
        self_handled=Count("pk", filter=closed & Q(team=Team.GRID)),
        accept=Avg(
            ExpressionWrapper(F("accepted_at") - F("created_at"), output_field=hours),
            filter=Q(accepted_at__isnull=False),
        ),
        handle=Avg(
            ExpressionWrapper(F("handled_at") - F("dispatched_at"), output_field=hours),
            filter=Q(handled_at__isnull=False, dispatched_at__isnull=False),
        ),
        **{f"role_{k}": Count("pk", filter=q) for k, q in roles.items()},
    )

    def rate(a: int, b: int):
        return round(a / b, 4) if b else None

    def mean_hours(d):
        return round(d.total_seconds() / 3600, 2) if d is not None else None

    out = {
        "start": start,
        "end": end,
        "cases": agg["total"],
        "due": agg["due"],
        "closed": agg["closed"],
        "closure_rate": rate(agg["due_closed"], agg["due"]),
        "on_time_rate": rate(agg["on_time"], agg["closed"]),
        "rework_rate": rate(agg["reworked"], agg["closed"]),
        "extension_rate": rate(agg["extended"], agg["registered"]),
        "satisfaction_rate": rate(agg["satisfied"], agg["rated"]),
        "rated": agg["rated"],
        "avg_hours_to_accept": mean_hours(agg["accept"]),
        "avg_hours_to_handle": mean_hours(agg["handle"]),
        "self_handled_share": rate(agg["self_handled"], agg["closed"]),
    }
    if department_id:
        calls = CaseDepartment.objects.filter(
            case__in=qs.values("pk"),
            department_id=department_id,
            role=CaseDepartment.Role.WHISTLED,
        ).aggregate(
            calls=Count("pk"),
            due=Count("pk", filter=Q(respond_by__lte=as_of)),
            on_time=Count(
                "pk",
                filter=Q(respond_by__lte=as_of, responded_at__lte=F("respond_by")),
            ),
        )
        out["department_roles"] = {k: agg[f"role_{k}"] for k in roles}
        out["whistle_calls"] = calls["calls"]
        out["whistle_response_rate"] = rate(calls["on_time"], calls["due"])
    return out
