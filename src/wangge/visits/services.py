"""Writes of visits and care: quota rules (validated), visit records with the
place check and one-step case creation, the monthly plan and the coverage
rollup (set-based SQL), care pairs, contacts, service records and the
overdue-contact sweep. Every write runs in a transaction; a refused input
leaves nothing written."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from wangge.areas.models import LEVEL_DEPTH, Area, Level
from wangge.areas.paths import path_upper_bound
from wangge.cases.services import case_report, distance_m
from wangge.cases.workdays import TZ
from wangge.core import crypto
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.core.masking import mask_phone
from wangge.core.validators import normalize_phone
from wangge.people.models import CareGroup, Household, Resident, ResidentCareGroup
from wangge.teams.roles import ROLE_CAPS, Role
from wangge.teams.scope import scope_for

from .models import (
    CareContact,
    CareFrequency,
    CarePair,
    CoverageCount,
    PlanItem,
    QuotaRule,
    ServiceRecord,
    Visit,
    VisitedHousehold,
    WorkerPlan,
)

# Who records visits and care contacts: the grid team and the cadres above it.
VISIT_ROLES = frozenset(
    {
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.PART_TIME_WORKER,
        Role.MICRO_GRID_LEADER,
        Role.GRID_ASSISTANT,
        Role.COMMUNITY_CADRE,
        Role.STREET_CADRE,
        Role.CITY_ADMIN,
    }
)
# Who sets up care pairs: roles that see care groups and are not read-only.
CARE_ROLES = frozenset(r for r in VISIT_ROLES if ROLE_CAPS[r].sees_care)
# Grid-team roles: the only ones a per-household quota can be put on.
GRID_TEAM_ROLES = frozenset(
    {Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_WORKER, Role.MICRO_GRID_LEADER}
)
NOT_FOUND = "未找到，或不在您的管辖范围内"
MAX_TEXT = 2000
MAX_KEY = 80


def far_meters() -> float:
    """A visit point farther than this from the household's building is flagged."""
    return float(getattr(settings, "WANGGE_VISIT_FAR_METERS", 300))


# ---------------------------------------------------------------- helpers
def month_start(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=TZ)


def periods_of(d: date) -> tuple[str, str, str]:
    """The month, quarter and year a local date falls in: "2026-11",
    "2026-Q4", "2026" (the coverage periods)."""
    return (f"{d:%Y-%m}", f"{d.year}-Q{(d.month - 1) // 3 + 1}", f"{d.year}")


def period_bounds(period: str) -> tuple[date, date]:
    """[start, end) local dates of a period key; DomainError when malformed."""
    try:
        if len(period) == 4:
            y = int(period)
            return date(y, 1, 1), date(y + 1, 1, 1)
        if len(period) == 7 and period[4:6] == "-Q":
            y, q = int(period[:4]), int(period[6])
            if not 1 <= q <= 4:
                raise ValueError
            start = date(y, 3 * q - 2, 1)
            return start, (date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1))
        if len(period) == 7 and period[4] == "-":
            start = date(int(period[:4]), int(period[5:]), 1)
            return start, next_month(start)
    except ValueError:
        pass
    raise DomainError("bad_period", "统计周期格式应为 2026、2026-Q4 或 2026-11", status=422)


def _text(value, limit: int = MAX_TEXT) -> str:
    return (value or "").strip()[:limit]


def _point(lng, lat) -> tuple[float, float] | None:
    if lng in (None, "") and lat in (None, ""):
        return None
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError) as exc:
        raise DomainError("bad_point", "经纬度格式不正确", status=422) from exc
    if math.isnan(lng) or math.isnan(lat) or not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise DomainError("bad_point", "经纬度超出范围", status=422)
    return lng, lat


def _at(value, now: datetime) -> datetime:
    if value in (None, ""):
        return now
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value)
        if parsed is None:
            raise DomainError("bad_time", "时间格式不正确", status=422)
        value = parsed
    if timezone.is_naive(value):
        value = value.replace(tzinfo=TZ)
    if value > now + timedelta(minutes=10):
        raise DomainError("time_in_future", "时间不能晚于现在", status=422)
    if value < now - timedelta(days=31):
        raise DomainError("time_too_old", "只能补录31天内的记录", status=422)
    return value


def _key(value) -> str:
    return (value or "").strip()[:MAX_KEY]


def _roles_at(actor, path: str) -> set[str]:
    scope = scope_for(actor)
    if scope.unrestricted:
        return set(VISIT_ROLES)
    return {g.role for g in scope.grants if path.startswith(g.path)}


# ---------------------------------------------------------------- rules
@dataclass(frozen=True)
class RuleInput:
    name: str
    role: str
    area: Area | None
    valid_from: date
    household_visits_per_year: int | None = None
    households_per_month: int | None = None
    households_per_year: int | None = None
    group_visits_per_month: int | None = None
    fixed_days: tuple[int, ...] = ()


def rule_check(data: RuleInput) -> dict[str, str]:
    """What is wrong with a rule, field → zh-Hans message (empty: nothing).
    A rule contradicts itself when its figures cannot all hold at once or
    can never apply to anyone."""
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "请填写规则名称"
    if data.role not in Role.values:
        errors["role"] = "角色不存在"
        return errors
    metrics = (
        data.household_visits_per_year,
        data.households_per_month,
        data.households_per_year,
        data.group_visits_per_month,
    )
    if all(m is None for m in metrics) and not data.fixed_days:
        errors["rule"] = "规则没有任何指标：请至少填写一项走访次数或固定进格日"
    for field, value, hi in (
        ("household_visits_per_year", data.household_visits_per_year, 52),
        ("households_per_month", data.households_per_month, 5000),
        ("households_per_year", data.households_per_year, 60000),
        ("group_visits_per_month", data.group_visits_per_month, 31),
    ):
        if value is not None and not 1 <= value <= hi:
            errors[field] = f"应在 1 到 {hi} 之间"
    days = list(data.fixed_days)
    if any(not isinstance(d, int) or not 1 <= d <= 28 for d in days):
        errors["fixed_days"] = "固定进格日应在每月 1–28 日之间（29–31 日不是每月都有）"
    elif len(set(days)) != len(days):
        errors["fixed_days"] = "固定进格日有重复"
    if (
        data.households_per_month is not None
        and data.households_per_year is not None
        and data.households_per_year < 12 * data.households_per_month
    ):
        errors["households_per_year"] = (
            f"每年走访户数下限（{data.households_per_year}）低于每月下限的12倍"
            f"（{12 * data.households_per_month}），两项指标相互矛盾"
        )
    if data.household_visits_per_year is not None and data.role not in GRID_TEAM_ROLES:
        errors["household_visits_per_year"] = (
            f"每户走访次数由网格团队承担，不能设给“{Role(data.role).label}”"
        )
    if data.area is not None:
        levels = ROLE_CAPS[data.role].levels
        deepest = max(LEVEL_DEPTH[lv] for lv in levels)
        if data.area.level == Level.MICRO_GRID or LEVEL_DEPTH[data.area.level] > deepest:
            errors["area"] = (
                f"“{Role(data.role).label}”不会在{data.area.get_level_display()}层级任职，"
                "该规则永远不会生效"
            )
    return errors


def rule_create(*, actor, data: RuleInput) -> QuotaRule:
    """A new active quota rule. Only users who manage users on the rule's
    area (community/street cadres, city admins) may set quotas; a rule with
    no area (everywhere) is for superusers and city admins."""
    scope = scope_for(actor)
    path = data.area.path if data.area is not None else ""
    if data.area is not None and not scope.covers(path):
        raise DomainError("not_found", NOT_FOUND, status=404)
    if (
        not scope.manages_users(path)
        if path
        else not (scope.unrestricted or Role.CITY_ADMIN in scope.roles)
    ):
        raise PermissionDenied("not_allowed", "您无权设置该区域的走访指标")
    errors = rule_check(data)
    if errors:
        raise DomainError(
            "rule_invalid",
            "走访指标规则有误：" + "；".join(errors.values()),
            status=422,
            details=errors,
        )
    with transaction.atomic():
        clash = QuotaRule.objects.filter(is_active=True, area_path=path)
        if clash.filter(role=data.role).exists():
            raise Conflict("rule_exists", "该区域已有此角色的有效规则，请先停用原规则")
        if (
            data.household_visits_per_year is not None
            and clash.filter(household_visits_per_year__isnull=False).exists()
        ):
            raise Conflict("rule_exists", "该区域已有每户走访次数规则，同一区域只能有一条")
        try:
            with transaction.atomic():
                return QuotaRule.objects.create(
                    name=data.name.strip()[:100],
                    role=data.role,
                    area=data.area,
                    area_path=path,
                    valid_from=data.valid_from,
                    household_visits_per_year=data.household_visits_per_year,
                    households_per_month=data.households_per_month,
                    households_per_year=data.households_per_year,
                    group_visits_per_month=data.group_visits_per_month,
                    fixed_days=sorted(data.fixed_days),
                )
        except IntegrityError as exc:
            raise Conflict("rule_exists", "该区域已有此角色的有效规则") from exc


def rule_deactivate(*, actor, rule: QuotaRule) -> QuotaRule:
    scope = scope_for(actor)
    allowed = (
        scope.manages_users(rule.area_path)
        if rule.area_path
        else (scope.unrestricted or Role.CITY_ADMIN in scope.roles)
    )
    if not allowed:
        raise PermissionDenied("not_allowed", "您无权停用该规则")
    QuotaRule.objects.filter(pk=rule.pk).update(is_active=False)
    rule.is_active = False
    return rule


# ---------------------------------------------------------------- visits
def _replay(model, actor_field: str, actor, key: str):
    if not key:
        return None
    return model.objects.filter(**{actor_field: actor}, idempotency_key=key).first()


def _create_once(model, actor_field: str, actor, key: str, **fields):
    """Create a row keyed by (actor, idempotency key) and return (row,
    created): when the same key raced in from a second tab or a resent
    outbox item, the first row stands and comes back."""
    try:
        with transaction.atomic():
            return model.objects.create(**{actor_field: actor}, idempotency_key=key, **fields), True
    except IntegrityError:
        existing = _replay(model, actor_field, actor, key)
        if existing is None:
            raise
        return existing, False


def _visit_case(*, actor, issues, category, point, area, address, building, key):
    """The issues found on a visit as a case (case engine, 走访发现)."""
    case, _ = case_report(
        actor=actor,
        description=issues,
        category=category or None,
        lng=point[0] if point else None,
        lat=point[1] if point else None,
        area=area,
        address=address,
        building=building,
        found_on_visit=True,
        idempotency_key=f"visit:{key}" if key else "",
    )
    return case


def _coverage_add(*, household_id: int, grid_id: int, grid_path: str, day: date) -> None:
    """Count a household as visited in its month, quarter and year (once)."""
    for period in periods_of(day):
        _, created = VisitedHousehold.objects.get_or_create(
            household_id=household_id, period=period, defaults={"grid_id": grid_id}
        )
        if not created:
            continue
        if CoverageCount.objects.filter(period=period, grid_id=grid_id).update(
            visited=F("visited") + 1
        ):
            continue
        households = Household.objects.filter(grid_id=grid_id).count()
        row, made = CoverageCount.objects.get_or_create(
            period=period,
            grid_id=grid_id,
            defaults={"area_path": grid_path, "households": households, "visited": 1},
        )
        if not made:
            CoverageCount.objects.filter(pk=row.pk).update(visited=F("visited") + 1)


def visit_record(
    *,
    actor,
    household_id: int,
    visited_at=None,
    lng=None,
    lat=None,
    people_met: str = "",
    notes: str = "",
    issues: str = "",
    create_case: bool = False,
    category=None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> tuple[Visit, bool]:
    """Record a household visit (入户走访) and return (visit, created).

    The household must lie in the visitor's own areas (a grid worker: their
    grid); otherwise nothing is written and the answer is "not in your grid"
    (404, as for a household that does not exist). The visitor's point is
    compared with the building's: farther than `far_meters()` is flagged,
    not refused. With `create_case`, the issues found become a case in the
    same transaction (cases.services.case_report, source 走访发现)."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    existing = _replay(Visit, "visitor", actor, key)
    if existing is not None:
        return existing, False
    scope = scope_for(actor)
    household = None
    if scope.is_staff_scope:
        household = (
            Household.objects.select_related("building", "grid", "micro_grid")
            .filter(scope.q(), pk=household_id)
            .first()
        )
    if household is None:
        raise DomainError("household_outside_grid", "该户不在您负责的网格内，或不存在", status=404)
    if not (_roles_at(actor, household.area_path) & VISIT_ROLES):
        raise PermissionDenied("not_allowed", "您的角色不能登记走访")
    at = _at(visited_at, now)
    point = _point(lng, lat)
    issues = _text(issues)
    if create_case and not issues:
        raise DomainError("issues_required", "转为工单时请填写发现的问题", status=422)
    distance = None
    b = household.building
    if point is not None and b.lng is not None and b.lat is not None:
        distance = round(distance_m(point[0], point[1], b.lng, b.lat), 1)
    with transaction.atomic():
        case = None
        if create_case:
            case = _visit_case(
                actor=actor, issues=issues, category=category, point=point,
                area=household.micro_grid or household.grid, address=household.address,
                building=b, key=key,
            )  # fmt: skip
        visit, created = _create_once(
            Visit,
            "visitor",
            actor,
            key,
            kind=Visit.Kind.HOUSEHOLD,
            household=household,
            district_id=household.district_id,
            grid_id=household.grid_id,
            area_path=household.area_path,
            visited_at=at,
            lng=point[0] if point else None,
            lat=point[1] if point else None,
            distance_m=distance,
            far_from_building=distance is not None and distance > far_meters(),
            people_met=_text(people_met, 200),
            notes=_text(notes),
            issues=issues,
            case=case,
        )
        if not created:
            return visit, False
        day = timezone.localtime(at).date()
        _coverage_add(
            household_id=household.pk,
            grid_id=household.grid_id,
            grid_path=household.grid.path,
            day=day,
        )
        PlanItem.objects.filter(
            month=month_start(day),
            area_path=household.area_path,  # the plan's one index
            household_id=household.pk,
            visited_at__isnull=True,
        ).update(visited_at=at)
    return visit, True


def group_visit_record(
    *,
    actor,
    area: Area,
    topic: str,
    place: str = "",
    participants=None,
    visited_at=None,
    lng=None,
    lat=None,
    notes: str = "",
    issues: str = "",
    create_case: bool = False,
    category=None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> tuple[Visit, bool]:
    """A group visit (集体走访: a meeting with residents of a building, a
    village group, a market) in one of the actor's areas."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    existing = _replay(Visit, "visitor", actor, key)
    if existing is not None:
        return existing, False
    scope = scope_for(actor)
    if area is None or not scope.covers(area.path):
        raise DomainError("not_found", NOT_FOUND, status=404)
    if not (_roles_at(actor, area.path) & VISIT_ROLES):
        raise PermissionDenied("not_allowed", "您的角色不能登记走访")
    if LEVEL_DEPTH[area.level] < LEVEL_DEPTH[Level.STREET]:
        raise DomainError("area_too_coarse", "集体走访请选择到镇街或更小的区域", status=422)
    topic = _text(topic, 100)
    if not topic:
        raise DomainError("topic_required", "请填写集体走访的主题", status=422)
    if participants not in (None, ""):
        try:
            participants = int(participants)
        except (TypeError, ValueError) as exc:
            raise DomainError("bad_participants", "参加人数应为整数", status=422) from exc
        if not 1 <= participants <= 10000:
            raise DomainError("bad_participants", "参加人数应在 1 到 10000 之间", status=422)
    else:
        participants = None
    at = _at(visited_at, now)
    point = _point(lng, lat)
    issues = _text(issues)
    if create_case and not issues:
        raise DomainError("issues_required", "转为工单时请填写发现的问题", status=422)
    chain = list(
        Area.objects.filter(path__in=[area.path[:i] for i in range(5, len(area.path) + 1, 5)])
    )
    by_level = {a.level: a for a in chain}
    with transaction.atomic():
        case = None
        if create_case:
            case = _visit_case(
                actor=actor, issues=issues, category=category, point=point, area=area,
                address=_text(place, 200), building=None, key=key,
            )  # fmt: skip
        return _create_once(
            Visit,
            "visitor",
            actor,
            key,
            kind=Visit.Kind.GROUP,
            district=by_level[Level.DISTRICT],
            grid=by_level.get(Level.GRID),
            area_path=area.path,
            visited_at=at,
            lng=point[0] if point else None,
            lat=point[1] if point else None,
            place=_text(place, 200),
            topic=topic,
            participants=participants,
            notes=_text(notes),
            issues=issues,
            case=case,
        )


# ---------------------------------------------------------------- plan (set-based)
def _range_sql(path: str, column: str, params: list) -> str:
    """SQL for `column` lying in the subtree of `path` ("" = everything)."""
    if not path:
        return "1=1"
    upper = path_upper_bound(path)
    params.append(path)
    if upper is None:
        return f"{column} >= %s"
    params.append(upper)
    return f"({column} >= %s AND {column} < %s)"


def _exclusive_sql(rule_path: str, deeper: list[str], column: str, params: list) -> str:
    """In `rule_path`'s subtree but not in the subtree of a deeper rule."""
    parts = [_range_sql(rule_path, column, params)]
    for p in deeper:
        parts.append("NOT " + _range_sql(p, column, params))
    return " AND ".join(parts)


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: date):
    return connection.ops.adapt_datefield_value(value)


def _most_specific(rules: list[QuotaRule]) -> list[tuple[QuotaRule, list[str]]]:
    """Each rule with the paths of the deeper rules inside its subtree (which
    win there)."""
    out = []
    for r in rules:
        deeper = [
            o.area_path
            for o in rules
            if o.pk != r.pk
            and len(o.area_path) > len(r.area_path)
            and o.area_path.startswith(r.area_path)
        ]
        out.append((r, deeper))
    return out


@dataclass
class PlanResult:
    month: date
    plan_items: int
    overdue: int
    worker_plans: int
    seconds: dict

    def as_dict(self) -> dict:
        return {
            "month": self.month.isoformat(),
            "plan_items": self.plan_items,
            "overdue": self.overdue,
            "worker_plans": self.worker_plans,
            "seconds": self.seconds,
        }


def plan_generate(*, month: date, area: Area | None = None) -> PlanResult:
    """The visit plan of `month` for the whole city (or one area): every
    household whose next visit falls in or before the month, with its
    status (due / overdue) and its responsible grid worker; then each
    worker's monthly targets; then the coverage rollup of the month,
    quarter and year. One INSERT … SELECT per rule, so it scales with the
    database, not with Python. Re-running replaces the month's plan."""
    import time as _time

    month = month_start(month)
    ms, me = local_midnight(month), local_midnight(next_month(month))
    scope_path = area.path if area is not None else ""
    seconds: dict[str, float] = {}
    t0 = _time.perf_counter()
    rules = list(QuotaRule.objects.filter(is_active=True, valid_from__lt=next_month(month)))
    household_rules = [r for r in rules if r.household_visits_per_year]
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The last-visit aggregate groups every visited household: keep
            # its hash table in memory for this transaction only.
            cur.execute("SET LOCAL work_mem = '256MB'")
        params: list = [_d(month)]
        cur.execute(
            "DELETE FROM visits_planitem WHERE month = %s AND "
            + _range_sql(scope_path, "area_path", params),
            params,
        )
        seconds["delete"] = round(_time.perf_counter() - t0, 2)
        for rule, deeper in _most_specific(household_rules):
            if scope_path and not (
                rule.area_path.startswith(scope_path) or scope_path.startswith(rule.area_path)
            ):
                continue
            interval = max(1, 365 // rule.household_visits_per_year)
            basis = local_midnight(rule.valid_from)
            params = [
                _d(month),
                _dt(basis),
                _dt(ms - timedelta(days=interval)),
                _dt(basis),
                interval,
                _dt(ms),
                _dt(ms),
                _dt(me),
                _dt(me),
                rule.role,
            ]
            where = _exclusive_sql(rule.area_path, deeper, "h.area_path", params)
            if scope_path:
                where += " AND " + _range_sql(scope_path, "h.area_path", params)
            params.append(_dt(basis))
            params.append(_dt(me - timedelta(days=interval)))
            cur.execute(
                f"""
                INSERT INTO visits_planitem
                    (month, household_id, grid_id, area_path, worker_id, status,
                     basis_at, interval_days, last_visit_at, visited_at)
                SELECT %s, h.id, h.grid_id, h.area_path, w.user_id,
                       CASE WHEN COALESCE(lv.last_at, %s) < %s THEN 'overdue' ELSE 'due' END,
                       COALESCE(lv.last_at, %s), %s, lv.last_at, lv.month_at
                FROM people_household h
                LEFT JOIN (
                    SELECT household_id,
                           MAX(CASE WHEN visited_at < %s THEN visited_at END) AS last_at,
                           MAX(CASE WHEN visited_at >= %s AND visited_at < %s
                               THEN visited_at END) AS month_at
                    FROM visits_visit
                    WHERE household_id IS NOT NULL AND visited_at < %s
                    GROUP BY household_id
                ) lv ON lv.household_id = h.id
                LEFT JOIN (
                    SELECT area_id, MIN(user_id) AS user_id FROM teams_roleassignment
                    WHERE role = %s AND is_active GROUP BY area_id
                ) w ON w.area_id = h.grid_id
                WHERE {where} AND COALESCE(lv.last_at, %s) < %s
                """,
                params,
            )
        seconds["plan_items"] = round(_time.perf_counter() - t0, 2)
        n_items, n_overdue = _worker_plans(cur, month=month, rules=rules, scope_path=scope_path)
        seconds["worker_plans"] = round(_time.perf_counter() - t0, 2)
    coverage_refresh(periods=periods_of(month), area=area)
    seconds["coverage"] = round(_time.perf_counter() - t0, 2)
    return PlanResult(
        month=month,
        plan_items=n_items,
        overdue=n_overdue,
        worker_plans=WorkerPlan.objects.filter(month=month).count(),
        seconds=seconds,
    )


def _worker_plans(cur, *, month: date, rules: list[QuotaRule], scope_path: str) -> tuple[int, int]:
    """Each person's targets from their most specific rule, and the number of
    plan rows per worker; returns (plan rows, overdue rows) of the month."""
    params: list = [_d(month)]
    cur.execute(
        "DELETE FROM visits_workerplan WHERE month = %s AND "
        + _range_sql(scope_path, "area_path", params),
        params,
    )
    by_role: dict[str, list[QuotaRule]] = {}
    for r in rules:
        by_role.setdefault(r.role, []).append(r)
    for role, role_rules in by_role.items():
        for rule, deeper in _most_specific(role_rules):
            target = rule.households_per_month or math.ceil((rule.households_per_year or 0) / 12)
            params = [
                _d(month),
                rule.pk,
                target,
                rule.group_visits_per_month or 0,
                _json(rule.fixed_days),
                role,
            ]
            where = _exclusive_sql(rule.area_path, deeper, "ra.area_path", params)
            if scope_path:
                where += " AND " + _range_sql(scope_path, "ra.area_path", params)
            cur.execute(
                f"""
                INSERT INTO visits_workerplan
                    (month, user_id, role, area_id, area_path, rule_id, households_target,
                     group_visits_target, fixed_days, due_households)
                SELECT %s, ra.user_id, ra.role, ra.area_id, ra.area_path, %s, %s, %s, %s, 0
                FROM teams_roleassignment ra
                WHERE ra.role = %s AND ra.is_active AND {where}
                """,
                params,
            )
    # Plan rows per worker (one scan of the month), written back in bulk.
    params = [_d(month)]
    sub = _range_sql(scope_path, "area_path", params)
    cur.execute(
        f"""
        SELECT worker_id, COUNT(*), SUM(CASE WHEN status = 'overdue' THEN 1 ELSE 0 END)
        FROM visits_planitem WHERE month = %s AND {sub} GROUP BY worker_id
        """,
        params,
    )
    per_worker = {w: (n, o) for w, n, o in cur.fetchall()}
    plans = list(
        WorkerPlan.objects.filter(month=month, user_id__in=[w for w in per_worker if w])
        .filter(role__in=list(GRID_TEAM_ROLES))
        .only("pk", "user_id")
    )
    for wp in plans:
        wp.due_households = per_worker[wp.user_id][0]
    WorkerPlan.objects.bulk_update(plans, ["due_households"], batch_size=1000)
    return (
        sum(n for n, _ in per_worker.values()),
        sum(int(o or 0) for _, o in per_worker.values()),
    )


def _json(value) -> str:
    import json

    return json.dumps(value)


def coverage_refresh(
    *, period: str = "", periods=(), area: Area | None = None, rebuild: bool = False
) -> int:
    """Recompute the coverage rollup of one or more periods (set-based):
    households per grid from the base data (one pass for all periods),
    visited per grid from the visited-household sets (kept current by every
    visit). With `rebuild`, the visited-household sets themselves are first
    rebuilt from the visits (after bulk loads or imports that bypass
    `visit_record`). Returns the number of rows written."""
    periods = list(periods) or [period]
    bounds = {p: period_bounds(p) for p in periods}
    scope_path = area.path if area is not None else ""
    marks = ", ".join(["%s"] * len(periods))
    with transaction.atomic(), connection.cursor() as cur:
        if rebuild:
            for p, (start, end) in bounds.items():
                params: list = [p]
                sub = _range_sql(scope_path, "area_path", params)
                cur.execute(
                    "DELETE FROM visits_visitedhousehold WHERE period = %s AND household_id IN "
                    f"(SELECT id FROM people_household WHERE {sub})",
                    params,
                )
                params = [p, _dt(local_midnight(start)), _dt(local_midnight(end))]
                sub = _range_sql(scope_path, "area_path", params)
                cur.execute(
                    f"""
                    INSERT INTO visits_visitedhousehold (household_id, grid_id, period)
                    SELECT household_id, MIN(grid_id), %s FROM visits_visit
                    WHERE household_id IS NOT NULL AND visited_at >= %s AND visited_at < %s
                          AND {sub}
                    GROUP BY household_id
                    """,
                    params,
                )
        params = list(periods)
        sub = _range_sql(scope_path, "area_path", params)
        cur.execute(f"DELETE FROM visits_coveragecount WHERE period IN ({marks}) AND {sub}", params)
        # Households per grid once, then one row per grid and period.
        params = []
        sub_h = _range_sql(scope_path, "area_path", params)
        cur.execute(
            f"SELECT grid_id, COUNT(*) FROM people_household WHERE {sub_h} GROUP BY grid_id", params
        )
        households = cur.fetchall()
        cur.execute(
            f"""
            SELECT period, grid_id, COUNT(*) FROM visits_visitedhousehold
            WHERE period IN ({marks}) GROUP BY period, grid_id
            """,
            list(periods),
        )
        visited = {(p, g): n for p, g, n in cur.fetchall()}
        paths = dict(
            Area.objects.filter(pk__in=[g for g, _ in households]).values_list("pk", "path")
        )
        now = timezone.now()
        rows = [
            CoverageCount(
                grid_id=g,
                area_path=paths[g],
                period=p,
                households=n,
                visited=visited.get((p, g), 0),
                updated_at=now,
            )
            for p in periods
            for g, n in households
            if g in paths
        ]
        CoverageCount.objects.bulk_create(rows, batch_size=2000)
        return len(rows)


# ---------------------------------------------------------------- care
def _care_resident(actor, resident_id: int) -> Resident:
    scope = scope_for(actor)
    resident = None
    if scope.is_staff_scope:
        resident = (
            Resident.objects.select_related("household", "grid")
            .filter(scope.q(), pk=resident_id)
            .first()
        )
    if resident is None:
        raise DomainError("not_found", NOT_FOUND, status=404)
    if not (_roles_at(actor, resident.area_path) & CARE_ROLES):
        raise PermissionDenied("not_allowed", "您的角色不能安排结对关爱")
    return resident


def care_pair_create(
    *,
    actor,
    resident_id: int,
    group: str,
    carer_kind: str,
    carer_user_id: int | None = None,
    carer_resident_id: int | None = None,
    carer_name: str = "",
    carer_phone: str = "",
    since: date | None = None,
) -> CarePair:
    """Pair a resident of a care group with a carer: a grid worker (a staff
    user whose areas cover the resident), a party member (a resident marked
    党员) or a volunteer (a resident, or a name and phone). The resident must
    be in the care group; the contact frequency comes from the group."""
    resident = _care_resident(actor, resident_id)
    care_group = CareGroup.objects.filter(code=group, is_active=True).first()
    if care_group is None:
        raise DomainError("unknown_care_group", f"重点人群类别“{group}”不存在", status=422)
    if not ResidentCareGroup.objects.filter(resident=resident, group=care_group).exists():
        raise DomainError(
            "not_in_care_group",
            f"{resident.name}不在“{care_group.name}”重点人群中，不能结对",
            status=422,
        )
    freq = CareFrequency.objects.filter(group=care_group).first()
    if freq is None:
        raise DomainError(
            "no_frequency", f"“{care_group.name}”尚未设置联系频次，请先在后台设置", status=422
        )
    if carer_kind not in CarePair.CarerKind.values:
        raise DomainError("bad_carer_kind", "结对人类型应为党员、志愿者或网格工作人员", status=422)
    scope = scope_for(actor)
    user = carer_res = None
    phone = ""
    match carer_kind:
        case CarePair.CarerKind.WORKER:
            from wangge.accounts.models import User
            from wangge.teams.models import RoleAssignment

            user = User.objects.filter(pk=carer_user_id or 0, is_active=True, kind="staff").first()
            ok = user is not None and any(
                resident.area_path.startswith(p)
                for p in RoleAssignment.objects.filter(
                    user=user, is_active=True, role__in=list(VISIT_ROLES)
                ).values_list("area_path", flat=True)
            )
            if not ok:
                raise DomainError(
                    "bad_carer", "结对工作人员须是负责该居民所在区域的工作人员", status=422
                )
            name = user.name or user.username
        case _:
            if carer_resident_id:
                carer_res = Resident.objects.filter(scope.q(), pk=carer_resident_id).first()
                if carer_res is None:
                    raise DomainError("bad_carer", "结对人不存在或不在您的管辖范围内", status=422)
                if carer_res.pk == resident.pk:
                    raise DomainError("bad_carer", "结对人不能是本人", status=422)
                if carer_kind == CarePair.CarerKind.PARTY_MEMBER and not carer_res.is_party_member:
                    raise DomainError("not_party_member", f"{carer_res.name}不是党员", status=422)
                name = carer_res.name
            elif carer_kind == CarePair.CarerKind.VOLUNTEER and carer_name.strip():
                name = carer_name.strip()[:50]
                phone = (carer_phone or "").strip()
                if phone:
                    try:
                        phone = normalize_phone(phone)
                    except ValidationError as exc:
                        raise DomainError("bad_phone", "结对人电话格式不正确", status=422) from exc
            else:
                raise DomainError(
                    "carer_required",
                    "请选择结对人：党员须选择居民档案，志愿者可选居民或填写姓名电话",
                    status=422,
                )
    since = since or timezone.localdate()
    try:
        with transaction.atomic():
            return CarePair.objects.create(
                resident=resident,
                group=care_group,
                district_id=resident.district_id,
                grid_id=resident.grid_id,
                area_path=resident.area_path,
                carer_kind=carer_kind,
                carer_user=user,
                carer_resident=carer_res,
                carer_name=name,
                carer_phone_enc=crypto.encrypt(phone) if phone else "",
                carer_phone_masked=mask_phone(phone),
                interval_days=freq.interval_days,
                since=since,
                next_due_at=local_midnight(since) + timedelta(days=freq.interval_days),
            )
    except IntegrityError as exc:
        raise Conflict("pair_exists", f"{resident.name}在“{care_group.name}”中已有结对人") from exc


def care_pair_end(*, actor, pair: CarePair) -> CarePair:
    if not (_roles_at(actor, pair.area_path) & CARE_ROLES):
        raise PermissionDenied("not_allowed", "您的角色不能调整结对关爱")
    CarePair.objects.filter(pk=pair.pk).update(is_active=False)
    pair.is_active = False
    return pair


def _care_writer(actor, pair: CarePair) -> None:
    if not pair.is_active:
        raise DomainError("pair_ended", "该结对已结束", status=422)
    if pair.carer_user_id == actor.pk:
        return
    if not (_roles_at(actor, pair.area_path) & VISIT_ROLES):
        raise PermissionDenied("not_allowed", "您的角色不能登记结对联系")


def care_contact_record(
    *,
    actor,
    pair: CarePair,
    mode: str,
    at=None,
    notes: str = "",
    lng=None,
    lat=None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> tuple[CareContact, bool]:
    """A contact with the cared-for resident: moves the next due date to
    `interval_days` after the latest contact and clears the alert."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    existing = _replay(CareContact, "by", actor, key)
    if existing is not None:
        return existing, False
    _care_writer(actor, pair)
    if mode not in CareContact.Mode.values:
        raise DomainError("bad_mode", "联系方式应为上门看望、电话、视频或其他", status=422)
    at = _at(at, now)
    point = _point(lng, lat)
    with transaction.atomic():
        locked = CarePair.objects.select_for_update().get(pk=pair.pk)
        contact, created = _create_once(
            CareContact,
            "by",
            actor,
            key,
            pair=locked,
            area_path=locked.area_path,
            at=at,
            mode=mode,
            notes=_text(notes),
            lng=point[0] if point else None,
            lat=point[1] if point else None,
        )
        if not created:
            return contact, False
        if locked.last_contact_at is None or at > locked.last_contact_at:
            locked.last_contact_at = at
            locked.next_due_at = at + timedelta(days=locked.interval_days)
            locked.alerted_at = None
            locked.save(update_fields=["last_contact_at", "next_due_at", "alerted_at"])
    return contact, True


def service_record_create(
    *,
    actor,
    pair: CarePair,
    kind: str,
    hours=0,
    at=None,
    notes: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> tuple[ServiceRecord, bool]:
    """What was done for the resident (meals, repair, medical escort, …)."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    existing = _replay(ServiceRecord, "by", actor, key)
    if existing is not None:
        return existing, False
    _care_writer(actor, pair)
    if kind not in ServiceRecord.Kind.values:
        raise DomainError("bad_kind", "服务内容不在可选范围内", status=422)
    try:
        hours = Decimal(str(hours or 0)).quantize(Decimal("0.1"))
    except InvalidOperation as exc:
        raise DomainError("bad_hours", "时长应为数字", status=422) from exc
    if not Decimal(0) <= hours <= Decimal(24):
        raise DomainError("bad_hours", "时长应在 0 到 24 小时之间", status=422)
    at = _at(at, now)
    return _create_once(
        ServiceRecord,
        "by",
        actor,
        key,
        pair=pair,
        area_path=pair.area_path,
        at=at,
        kind=kind,
        hours=hours,
        notes=_text(notes),
    )


@dataclass
class SweepResult:
    overdue_pairs: int = 0
    alerted_pairs: int = 0
    notices: int = 0
    failed_grids: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def care_sweep(*, now: datetime | None = None) -> SweepResult:
    """Alert grid leaders about care contacts that are overdue and not yet
    alerted since they fell due (one notice per grid leader per sweep, listing
    the count). Idempotent: a second run alerts nothing new; one grid's
    failure does not stop the others."""
    import logging

    from wangge.cases.notify import notify
    from wangge.teams.models import RoleAssignment

    now = now or timezone.now()
    result = SweepResult()
    overdue = CarePair.objects.filter(is_active=True, next_due_at__lt=now)
    result.overdue_pairs = overdue.count()
    fresh = overdue.filter(alerted_at__isnull=True)
    by_grid: dict[int, list[int]] = {}
    for pk, grid_id in fresh.values_list("pk", "grid_id").order_by("grid_id", "pk"):
        by_grid.setdefault(grid_id, []).append(pk)
    for grid_id, pks in by_grid.items():
        try:
            with transaction.atomic():
                leaders = list(
                    RoleAssignment.objects.filter(
                        area_id=grid_id, role=Role.GRID_LEADER, is_active=True
                    ).values_list("user_id", flat=True)
                )
                n = CarePair.objects.filter(pk__in=pks, alerted_at__isnull=True).update(
                    alerted_at=now
                )
                if n and leaders:
                    notify(
                        case_id=None,
                        kind="care_overdue",
                        text=f"您的网格有 {n} 名结对关爱对象超期未联系，请督促结对人尽快联系。",
                        user_ids=leaders,
                    )
                    result.notices += len(leaders)
                result.alerted_pairs += n
        except Exception:  # one grid's failure must not stop the sweep
            logging.getLogger(__name__).exception("care sweep failed for grid %s", grid_id)
            result.failed_grids += 1
    return result
