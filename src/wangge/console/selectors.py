"""Reads for the command-centre console. Nothing here decides who sees what:
every case query starts from the case engine's scoped reads
(`cases.selectors.case_list` / `visible_cases`), every area from
`areas.selectors.access_area` / `area_features`, every department from
`teams.selectors.department_list`. This module only shapes those reads for
the console: the dispatch queue and its counts, the live feed, the map's
per-area counts, the chart series and the rows of the Excel export."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from wangge.areas import selectors as area_selectors
from wangge.areas.models import LEVEL_ORDER, Area, Level
from wangge.areas.paths import ancestor_paths
from wangge.cases import selectors as case_selectors
from wangge.cases.flow import Move, Who, allowed
from wangge.cases.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Alert,
    Case,
    CaseDepartment,
    CaseEvent,
    Handling,
    Status,
)
from wangge.cases.services import who_by_grants
from wangge.cases.workdays import TZ
from wangge.teams.models import Department
from wangge.teams.roles import Role
from wangge.teams.scope import Scope, scope_for

# Roles the console is for. Grid teams have their phone app (/w/) and
# residents the H5 (/m/); a staff user holding only grid roles is sent there.
CONSOLE_ROLES = frozenset(
    {
        Role.DISPATCHER,
        Role.STREET_CADRE,
        Role.COMMUNITY_CADRE,
        Role.DEPARTMENT_STAFF,
        Role.LEADER,
        Role.CITY_ADMIN,
    }
)
# The case column that names each level's area (the case carries its chain).
LEVEL_COLUMN = {
    Level.DISTRICT: "district_id",
    Level.STREET: "street_id",
    Level.COMMUNITY: "community_id",
    Level.GRID: "grid_id",
    Level.MICRO_GRID: "micro_grid_id",
}
LIGHTS = {"green": "正常", "yellow": "黄灯预警", "red": "红灯超期"}
# Open cases drawn as points on the map below this level (street and city
# maps show shaded areas only).
POINT_LEVELS = (Level.COMMUNITY, Level.GRID, Level.MICRO_GRID)
MAX_POINTS = 500
MAX_RATE_AREAS = 40


def is_console_user(user) -> bool:
    scope = scope_for(user)
    return scope.unrestricted or bool(scope.roles & CONSOLE_ROLES)


# ---------------------------------------------------------------- filters
@dataclass(frozen=True)
class ConsoleFilters:
    """What the filter bar asks for. Values are already checked against
    their choices (views.filters_from); empty means "any"."""

    category: str = ""
    handling: str = ""
    status: str = ""
    light: str = ""
    area_id: int | None = None
    department_id: int | None = None
    q: str = ""


def filtered_cases(*, actor, filters: ConsoleFilters) -> QuerySet[Case]:
    """The scoped case list (the case engine's `case_list`) narrowed by the
    console's filters; newest first."""
    qs = case_selectors.case_list(
        actor=actor,
        filters=case_selectors.CaseFilters(
            status=filters.status or None,
            category=filters.category or None,
            area_id=filters.area_id,
            department_id=filters.department_id,
            alert=filters.light if filters.light in (Alert.YELLOW, Alert.RED) else None,
            q=filters.q or None,
        ),
    )
    if filters.handling:
        qs = qs.filter(handling=filters.handling)
    if filters.light == "green":
        qs = qs.filter(alert=Alert.NONE)
    return qs


# ---------------------------------------------------------------- the queue
@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    q: Q | None  # None: every case the filters give (the "all" tab)
    order: tuple[str, ...]


def _whistle_pending() -> Exists:
    return Exists(
        CaseDepartment.objects.filter(
            case=OuterRef("pk"), role=CaseDepartment.Role.WHISTLED, responded_at__isnull=True
        )
    )


S = Status
TABS: tuple[Tab, ...] = (
    # Supervised cases (督办, e.g. raised by an emergency checklist) come first.
    Tab(
        "new",
        "新上报",
        Q(status=S.REPORTED, duplicate_of__isnull=True),
        ("-supervised", "created_at", "pk"),
    ),
    Tab(
        "duplicates",
        "疑似重复",
        Q(status=S.REPORTED, duplicate_of__isnull=False),
        ("created_at", "pk"),
    ),
    Tab(
        "dispatch",
        "待派遣",
        Q(status__in=[S.ACCEPTED, S.REGISTERED]),
        ("-supervised", "created_at", "pk"),
    ),
    Tab(
        "handling",
        "在办",
        Q(status__in=[S.DISPATCHED, S.HANDLING, S.PARKED]),
        ("due_at", "created_at", "pk"),
    ),
    Tab("overdue", "超期", Q(alert=Alert.RED, status__in=OPEN_STATUSES), ("due_at", "pk")),
    Tab("whistles", "吹哨待报到", Q(status__in=OPEN_STATUSES) & Q(_whistle_pending()), ("pk",)),
    Tab("verify", "待核查结案", Q(status__in=[S.HANDLED, S.VERIFIED]), ("handled_at", "pk")),
    Tab("all", "全部", None, ("-created_at", "-pk")),
)
TAB_BY_KEY = {t.key: t for t in TABS}
PAGE_SIZE = 30
COUNT_CAP = 10_000


def queue_counts(*, actor, filters: ConsoleFilters) -> dict[str, int]:
    """How many cases wait in each tab: one aggregate over the open cases
    the filters give, and a capped count for "all"."""
    base = filtered_cases(actor=actor, filters=filters).order_by()
    open_qs = base.filter(status__in=OPEN_STATUSES)
    counts = open_qs.aggregate(**{t.key: Count("pk", filter=t.q) for t in TABS if t.q is not None})
    counts["all"] = min(base[: COUNT_CAP + 1].count(), COUNT_CAP)
    counts["all_capped"] = counts["all"] >= COUNT_CAP
    return counts


def queue_page(
    *, actor, filters: ConsoleFilters, tab: str, offset: int = 0, limit: int = PAGE_SIZE
) -> list[Case]:
    t = TAB_BY_KEY[tab]
    qs = filtered_cases(actor=actor, filters=filters)
    if t.q is not None:
        qs = qs.filter(t.q)
    return list(qs.order_by(*t.order)[offset : offset + limit])


def light_who(scope: Scope, path: str) -> frozenset[Who]:
    """What the actor is on a case at `path`, from their grants alone (no
    query): enough to choose the queue's quick buttons. The move itself is
    checked again, fully, by `case_move`."""
    return frozenset(who_by_grants(scope, path))


# The queue's one-click actions, in the order they are shown. "dispatch"
# covers 立案 + 派遣 for an accepted case (console.services.case_dispatch).
QUICK = (
    ("accept", "受理"),
    ("dispatch", "派遣"),
    ("merge", "合并"),
    ("whistle", "吹哨"),
    ("escalate", "上报"),
    ("supervise", "督办"),
    ("verify_pass", "核查"),
    ("close", "结案"),
)
# Quick actions that act at once (no parameters to choose); the others open
# the case in the side panel with their form ready.
DIRECT = frozenset({"accept", "supervise"})


def quick_moves(scope: Scope, case: Case) -> list[tuple[str, str]]:
    who = light_who(scope, case.area_path)
    out = []
    for move, label in QUICK:
        if move == "dispatch":
            ok = all(allowed(Move.DISPATCH, case.status, who)) or all(
                allowed(Move.REGISTER, case.status, who)
            )
        elif move == "merge":
            ok = case.duplicate_of_id is not None and all(allowed(Move.MERGE, case.status, who))
        else:
            ok = all(allowed(Move(move), case.status, who))
        if ok:
            out.append((move, label))
    return out


# ---------------------------------------------------------------- the panel
def departments_for_case(*, case: Case) -> list[Department]:
    """Active departments serving the case's place (their area is the case's
    area or above it): the choices for dispatch, whistle and joint handling."""
    paths = [*ancestor_paths(case.area_path), case.area_path]
    return list(
        Department.objects.filter(is_active=True, area_path__in=paths).order_by(
            "-area_path", "name"
        )
    )


# ---------------------------------------------------------------- live feed
FEED_SIZE = 20


def feed(*, actor, after: int | None = None, limit: int = FEED_SIZE) -> list[CaseEvent]:
    """The latest events on cases the actor sees (newest first); with
    `after`, only those newer than that event id."""
    scope = scope_for(actor)
    qs = CaseEvent.objects.filter(
        scope.district_q(),
        scope.district_q("case__district_id"),
        case__in=case_selectors.visible_cases(actor).values("pk"),
    )
    if after is not None:
        qs = qs.filter(pk__gt=after)
    return list(
        qs.select_related("case", "case__category", "actor")
        .only(
            "pk",
            "kind",
            "at",
            "note",
            "case__id",
            "case__created_at",
            "case__status",
            "case__area_path",
            "case__category__name",
            "actor__name",
            "actor__username",
            "actor__kind",
        )
        .order_by("-pk")[:limit]
    )


# ---------------------------------------------------------------- map
def map_levels(area: Area) -> list[str]:
    """The levels a map of `area` can shade: each level below it down to
    three steps (areas.selectors.MAX_GEOJSON_DEPTH)."""
    i = LEVEL_ORDER.index(area.level)
    return [str(lv) for lv in LEVEL_ORDER[i + 1 : i + 1 + area_selectors.MAX_GEOJSON_DEPTH]]


def map_shapes(*, actor, area: Area, level: str) -> dict:
    """The area's outline and its descendants at `level` (GeoJSON, simplified
    when there are many), with the breadcrumb above it."""
    levels = map_levels(area)
    depth = levels.index(level) + 1
    features, simplified = area_selectors.area_features(actor=actor, area=area, depth=depth)
    own = [f for f in features if f["id"] == area.pk]
    kids = [f for f in features if f["properties"]["level"] == level]
    scope = scope_for(actor)
    crumbs = [
        {"id": a.pk, "name": a.name, "level": a.level, "visible": scope.covers(a.path)}
        for a in area_selectors.area_breadcrumb(area=area)
    ]
    return {
        "area": {"id": area.pk, "name": area.name, "level": area.level, "code": area.code},
        "level": level,
        "levels": [{"value": lv, "label": str(Level(lv).label)} for lv in levels],
        "breadcrumb": crumbs,
        "outline": own[0] if own else None,
        "features": kids,
        "simplified": simplified,
    }


def map_counts(*, actor, area: Area, level: str, filters: ConsoleFilters) -> dict:
    """Open, yellow and red (overdue) cases per area at `level` under `area`
    (one grouped query), and the open cases' points on community and grid
    maps."""
    col = LEVEL_COLUMN[level]
    qs = (
        filtered_cases(actor=actor, filters=replace(filters, area_id=area.pk, status=""))
        .filter(status__in=OPEN_STATUSES)
        .order_by()
    )
    counts = {
        row[col]: [row["open"], row["yellow"], row["red"]]
        for row in qs.values(col).annotate(
            open=Count("pk"),
            yellow=Count("pk", filter=Q(alert=Alert.YELLOW)),
            red=Count("pk", filter=Q(alert=Alert.RED)),
        )
        if row[col] is not None
    }
    points = []
    if area.level in POINT_LEVELS:
        points = [
            {"id": pk, "lng": lng, "lat": lat, "alert": alert, "category": cat}
            for pk, lng, lat, alert, cat in qs.filter(lng__isnull=False)
            .order_by("-created_at")
            .values_list("pk", "lng", "lat", "alert", "category__name")[:MAX_POINTS]
        ]
    return {
        "area": area.pk,
        "level": level,
        "counts": counts,
        "open": sum(c[0] for c in counts.values()),
        "red": sum(c[2] for c in counts.values()),
        "points": points,
    }


# ---------------------------------------------------------------- charts
def child_level(area: Area) -> str | None:
    i = LEVEL_ORDER.index(area.level)
    return str(LEVEL_ORDER[i + 1]) if i + 1 < len(LEVEL_ORDER) else None


def chart_data(
    *,
    actor,
    filters: ConsoleFilters,
    area: Area,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> dict:
    """The five panels for the cases reported in [start, end) under `area`
    that match the filters:

    - per day: reported and closed per day (Asia/Shanghai dates);
    - by category: reported per major category;
    - by area: open and closed per child area;
    - on-time rate and satisfaction: the case engine's `metrics` (its
      formulas) for the whole area and for each child area (the biggest
      `MAX_RATE_AREAS` children), by area, department and period — the
      other filters do not apply to these rates — plus the 1–5 ratings."""
    f = replace(filters, area_id=area.pk)
    period = Q(created_at__gte=start, created_at__lt=end)
    qs = filtered_cases(actor=actor, filters=f).order_by().filter(period)

    reported = dict(
        qs.annotate(day=TruncDate("created_at", tzinfo=TZ))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    closed = dict(
        filtered_cases(actor=actor, filters=f)
        .order_by()
        .filter(closed_at__gte=start, closed_at__lt=end)
        .annotate(day=TruncDate("closed_at", tzinfo=TZ))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days = []
    d = start.astimezone(TZ).date()
    last = end.astimezone(TZ).date()
    while d < last:
        days.append(d)
        d = d.fromordinal(d.toordinal() + 1)

    by_category = [
        {"code": code, "name": name, "n": n}
        for code, name, n in qs.values_list("category__parent__code", "category__parent__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__parent__code")
        .values_list("category__parent__code", "category__parent__name", "n")
    ]

    by_area, rates = [], []
    level = child_level(area)
    if level:
        col = LEVEL_COLUMN[level]
        rows = list(
            qs.values(col)
            .annotate(
                n=Count("pk"),
                open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
                closed=Count("pk", filter=Q(status__in=CLOSED_STATUSES)),
            )
            .order_by("-n")
        )
        names = dict(
            Area.objects.filter(pk__in=[r[col] for r in rows if r[col]]).values_list("pk", "name")
        )
        by_area = [
            {"id": r[col], "name": names.get(r[col], "（未落到下级）"), **_pick(r)} for r in rows
        ]
        children = {a.pk: a for a in Area.objects.filter(pk__in=list(names)).defer("boundary")}
        for r in rows[:MAX_RATE_AREAS]:
            child = children.get(r[col])
            if child is None:
                continue
            m = case_selectors.metrics(
                actor=actor,
                start=start,
                end=end,
                area=child,
                department_id=filters.department_id,
                now=now,
            )
            rates.append(
                {
                    "id": child.pk,
                    "name": child.name,
                    "on_time_rate": m["on_time_rate"],
                    "satisfaction_rate": m["satisfaction_rate"],
                    "closed": m["closed"],
                    "rated": m["rated"],
                }
            )
    overall = case_selectors.metrics(
        actor=actor, start=start, end=end, area=area, department_id=filters.department_id, now=now
    )
    ratings = dict(
        qs.filter(rating__isnull=False)
        .values("rating")
        .annotate(n=Count("pk"))
        .values_list("rating", "n")
    )
    return {
        "area": {"id": area.pk, "name": area.name, "level": area.level},
        "start": start.astimezone(TZ).date().isoformat(),
        "end": end.astimezone(TZ).date().isoformat(),
        "per_day": {
            "days": [x.isoformat() for x in days],
            "reported": [reported.get(x, 0) for x in days],
            "closed": [closed.get(x, 0) for x in days],
        },
        "by_category": by_category,
        "by_area": by_area,
        "metrics": {k: v for k, v in overall.items() if k not in ("start", "end")},
        "rates_by_area": rates,
        "ratings": [ratings.get(i, 0) for i in range(1, 6)],
    }


def _pick(row: dict) -> dict:
    return {"n": row["n"], "open": row["open"], "closed": row["closed"]}


# ---------------------------------------------------------------- choices
def filter_choices(*, actor) -> dict:
    return {
        "categories": case_selectors.category_tree(),
        "handlings": Handling.choices,
        "statuses": Status.choices,
        "lights": list(LIGHTS.items()),
        "departments": list(_departments(actor)),
        "tabs": TABS,
    }


def _departments(actor) -> QuerySet[Department]:
    from wangge.teams.selectors import department_list

    return department_list(actor=actor)
