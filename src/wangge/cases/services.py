"""Writes to cases: intake (`case_report`), the one transition function
(`case_move`), and what the sweep calls. Every write runs in a transaction;
moves lock the case row and append a `CaseEvent`; notifications are sent
after commit (notify.py)."""

from __future__ import annotations

import math
import time as _time
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wangge.areas.models import Area, Level
from wangge.areas.paths import ancestor_paths
from wangge.assessment import rollups
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.core.masking import mask_phone
from wangge.points.services import points_for_case_move
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for

from . import deadlines, intake_rows
from .flow import MOVE_LABELS, PUBLIC_MOVES, TABLE, Move, Who, allowed
from .media import Photo, validate_photos
from .models import (
    OPEN_STATUSES,
    Alert,
    Case,
    CaseAttachment,
    CaseDepartment,
    CaseEvent,
    CaseReporter,
    Category,
    Handling,
    Source,
    Status,
    Team,
)
from .notify import encrypt_phone, notify
from .workdays import china

DISPATCH_ROLES = frozenset(
    {Role.DISPATCHER, Role.STREET_CADRE, Role.COMMUNITY_CADRE, Role.CITY_ADMIN}
)
GRID_TEAM_ROLES = frozenset(
    {
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.PART_TIME_WORKER,
        Role.MICRO_GRID_LEADER,
        Role.GRID_ASSISTANT,
    }
)
GRID_HANDLER_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_WORKER})
VERIFIER_ROLES = DISPATCH_ROLES | {Role.GRID_LEADER, Role.GRID_WORKER}
# Staff who may report cases in their area (besides residents).
REPORTER_ROLES = GRID_TEAM_ROLES | DISPATCH_ROLES
DUPLICATE_METERS = 100
DUPLICATE_DAYS = 7
MAX_DESCRIPTION = 2000
_USER_SOURCES = frozenset({Source.RESIDENT, Source.GRID, Source.VISIT})
ESCALATION_LEVELS = {
    Level.MICRO_GRID: Level.GRID,
    Level.GRID: Level.STREET,
    Level.COMMUNITY: Level.STREET,
    Level.STREET: Level.DISTRICT,
}


# ---------------------------------------------------------------- routing
def _chain_for_area(area: Area) -> list[Area]:
    paths = [*ancestor_paths(area.path), area.path]
    return list(Area.objects.filter(path__in=paths).order_by("path"))


def _locate(lng: float, lat: float) -> list[Area]:
    """The chain city … leaf for a point. The leaf comes from the in-memory
    locator; its chain is cached per leaf like the other reference data
    (CACHE_SECONDS, dropped at once when an area is saved here)."""
    from wangge.areas.locator import locate, locate_leaf_id

    leaf = locate_leaf_id(lng, lat)
    if leaf is None:
        return []
    chains = _cached("chains", dict)
    chain = chains.get(leaf)
    if chain is None:
        chain = list(locate(lng=lng, lat=lat))  # one query; rebuilds a stale index
        if chain and chain[-1].pk == leaf:
            chains[leaf] = chain
    return list(chain)


def _place(chain: list[Area]) -> dict:
    by_level = {a.level: a for a in chain}
    leaf = chain[-1]
    if Level.DISTRICT not in by_level or leaf.level in (Level.CITY, Level.DISTRICT):
        raise DomainError("area_too_coarse", "请选择到镇街或更小的区域", status=422)
    return {
        "district": by_level[Level.DISTRICT],
        "street": by_level.get(Level.STREET),
        "community": by_level.get(Level.COMMUNITY),
        "grid": by_level.get(Level.GRID),
        "micro_grid": by_level.get(Level.MICRO_GRID),
        "area": leaf,
        "area_path": leaf.path,
        "level_area": leaf,
    }


def route_department(category: Category, chain: list[Area]):
    """The nearest active department named by the category, trying its names
    in order: a street platform beats the district bureau of the same name."""
    routes = _cached("routes", dict)
    key = (category.pk, tuple(a.pk for a in chain))
    if key not in routes:
        routes[key] = _route_department(category, chain)
    return routes[key]


def _route_department(category: Category, chain: list[Area]):
    from wangge.teams.models import Department

    names = list(category.departments or [])
    if not names:
        return None
    depth = {a.pk: i for i, a in enumerate(chain)}
    rows = list(
        Department.objects.filter(is_active=True, area_id__in=list(depth)).filter(
            Q(name__in=names) | Q(short_name__in=names)
        )
    )
    if not rows:
        return None

    def rank(d):
        name_rank = min(
            (names.index(n) for n in (d.name, d.short_name) if n in names), default=len(names)
        )
        return (name_rank, -depth[d.area_id])

    return min(rows, key=rank)


# Small in-process caches of reference data read on every intake (the
# catalogue, and which department a category routes to from a place). They
# expire after a minute and are dropped at once when a row changes here
# (signals below); another process sees an admin edit within the minute.
CACHE_SECONDS = 60
_caches: dict[str, tuple[float, object]] = {}


def _cached(name: str, build):
    now = _time.monotonic()
    hit = _caches.get(name)
    if hit is None or now - hit[0] > CACHE_SECONDS:
        hit = (now, build())
        _caches[name] = hit
    return hit[1]


def clear_caches(**kwargs) -> None:
    _caches.clear()


def _minor_categories() -> list[Category]:
    return _cached(
        "categories",
        lambda: list(Category.objects.filter(is_active=True, parent__isnull=False)),
    )


def _category_by_code() -> dict[str, Category]:
    return _cached("by_code", lambda: {c.code: c for c in _minor_categories()})


def category_suggest(*, text: str, limit: int = 3) -> list[Category]:
    """Categories for a free-text report, best first: keyword matches on the
    catalogue, combined with the trained classifier."""
    scored = []
    for c in _minor_categories():
        score = 0
        if c.name and c.name in text:
            score += 3
        for kw in c.keywords.split():
            if kw and kw in text:
                score += 1 + len(kw) / 10
        if score:
            scored.append((-score, c.code, c))
    # The classifier (assessment.classifier) re-ranks and adds to the keyword match.
    from wangge.assessment.classifier import combine

    by_code = _category_by_code()
    codes = combine(text, {code: -s for s, code, _ in scored}, limit=limit)
    return [by_code[code] for code in codes if code in by_code]


def _fallback_category() -> Category:
    c = Category.objects.filter(code="9901", is_active=True).first()
    if c is None:
        raise DomainError("category_required", "请选择事项类别", status=422)
    return c


def resolve_category(value) -> Category:
    if isinstance(value, Category):
        return value
    hit = _category_by_code().get(str(value))
    if hit is not None:
        return hit
    q = Category.objects.filter(is_active=True, parent__isnull=False)
    c = q.filter(code=str(value)).first()
    if c is None and str(value).isdigit() and len(str(value)) != 4:
        c = q.filter(pk=int(value)).first()
    if c is None:
        raise DomainError("unknown_category", f"事项类别“{value}”不存在或已停用", status=422)
    return c


# ---------------------------------------------------------------- distance
def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def find_duplicate(
    *, category: Category, lng: float, lat: float, at: datetime, exclude_id=None
) -> Case | None:
    """The nearest open case of the same category within 100 m and 7 days."""
    rows = intake_rows.nearby_open(
        category_id=getattr(category, "pk", category),
        lng=lng,
        lat=lat,
        at=at,
        metres=DUPLICATE_METERS,
        days=DUPLICATE_DAYS,
        exclude_id=exclude_id,
    )
    best = None
    for pk, c_lng, c_lat in rows:
        d = distance_m(lng, lat, c_lng, c_lat)
        if d <= DUPLICATE_METERS and (best is None or d < best[0]):
            best = (d, (pk, c_lng, c_lat))
    return Case.from_db("default", ["id", "lng", "lat"], best[1]) if best else None


# ---------------------------------------------------------------- intake
def _check_text(description: str) -> str:
    description = (description or "").strip()
    if not description:
        raise DomainError("description_required", "请填写问题描述", status=422)
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            "description_too_long", f"问题描述不能超过 {MAX_DESCRIPTION} 字", status=422
        )
    return description


def _check_point(lng, lat) -> tuple[float, float] | None:
    if lng is None and lat is None:
        return None
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError) as exc:
        raise DomainError("bad_point", "经纬度格式不正确", status=422) from exc
    if not (-180 <= lng <= 180 and -90 <= lat <= 90) or math.isnan(lng) or math.isnan(lat):
        raise DomainError("bad_point", "经纬度超出范围", status=422)
    return lng, lat


def case_report(
    *,
    actor,
    description: str,
    category=None,
    lng: float | None = None,
    lat: float | None = None,
    area: Area | None = None,
    address: str = "",
    building=None,
    photos=(),
    anonymous: bool = False,
    proxy_for=None,
    found_on_visit: bool = False,
    idempotency_key: str = "",
    source: str | None = None,
    external_id: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    at: datetime | None = None,
    check_scope: bool = True,
    category_suggested: bool = False,
    media_url: str = "",
) -> tuple[Case, bool]:
    """Create a case (报事) and return (case, created). With an idempotency key
    (or an external id) already used by this actor (source), the existing case
    comes back and nothing is written.

    Routing: a point goes through the locator (micro-grid → … → district);
    without one the chosen area is used, and a resident's home grid last."""
    at = at or timezone.now()
    idempotency_key = (idempotency_key or "").strip()[:80]
    replay_key = idempotency_key if actor is not None else ""
    # No look-up of the key first: the insert itself finds a replay (ON
    # CONFLICT DO NOTHING on the key's unique index). A replay that no longer
    # passes the checks below still gets its case back.
    try:
        description = _check_text(description)
        point = _check_point(lng, lat)
        checked_photos: list[Photo] = validate_photos(photos)
        is_resident = actor is not None and getattr(actor, "kind", "") == "resident"
        scope = scope_for(actor) if actor is not None and not is_resident else None

        if source is None:
            if is_resident:
                source = Source.RESIDENT
            elif proxy_for is not None:
                source = Source.PROXY
            elif found_on_visit:
                source = Source.VISIT
            else:
                source = Source.GRID
        if (
            check_scope
            and actor is not None
            and not is_resident
            and not scope.unrestricted
            and not (scope.roles & REPORTER_ROLES)
        ):
            raise PermissionDenied("not_allowed", "您的角色不能上报工单")

        # Category: given, else suggested from the text, else 其他问题.
        suggested = category_suggested
        if category in (None, ""):
            found = category_suggest(text=description, limit=1)
            category = found[0] if found else _fallback_category()
            suggested = True
        else:
            category = resolve_category(category)
        if anonymous and not category.anonymous_allowed:
            raise DomainError(
                "anonymous_not_allowed", f"“{category.name}”类事项不允许匿名上报", status=422
            )

        # Place.
        if point is not None:
            chain = _locate(*point)
            if not chain:
                raise DomainError("outside_city", "该位置不在本市范围内", status=422)
        elif area is not None:
            chain = _chain_for_area(area)
        elif is_resident and scope_for(actor).home_grid_path:
            chain = _chain_for_area(Area.objects.get(path=scope_for(actor).home_grid_path))
        else:
            raise DomainError("location_required", "请在地图上选点或选择所在区域", status=422)
        place = _place(chain)
        if (
            check_scope
            and actor is not None
            and not is_resident
            and not scope.covers(place["area_path"])
        ):
            # A place outside one's areas looks like one that does not exist (404).
            raise DomainError("outside_scope", "该位置不在您的管辖范围内", status=404)

        resident = None
        if proxy_for is not None:
            from wangge.people.models import Resident
            from wangge.teams.scope import scoped

            rid = getattr(proxy_for, "pk", proxy_for)
            resident = scoped(Resident.objects.all(), actor).filter(pk=rid).first()
            if resident is None:
                raise DomainError(
                    "unknown_resident", "代办对象不存在或不在您的管辖范围内", status=422
                )
            reporter_name = reporter_name or resident.name
        if building is not None:
            from wangge.people.models import Building

            bid = getattr(building, "pk", building)
            building = Building.objects.filter(pk=bid, grid=place["grid"]).first()
            if building is None:
                raise DomainError("bad_building", "楼栋不在该网格内", status=422)

    except DomainError:
        existing = _by_key(actor, replay_key) if replay_key else None
        if existing is not None:
            return existing, False
        raise

    handling = Handling.PROXY if resident is not None else category.handling
    department = route_department(category, chain)
    duplicate = (
        find_duplicate(category=category, lng=point[0], lat=point[1], at=at) if point else None
    )
    case = Case(
        **place,
        lng=point[0] if point else None,
        lat=point[1] if point else None,
        address=(address or "")[:200],
        building=building,
        category=category,
        category_suggested=suggested,
        handling=handling,
        description=description,
        source=source,
        created_by=actor,
        anonymous=anonymous,
        on_behalf_of=resident,
        idempotency_key=replay_key,
        external_id=(external_id or "")[:64],
        media_url=(media_url or "")[:500],
        department=department,
        duplicate_of=duplicate,
        created_at=at,
    )
    phone_enc = ""
    if resident is not None and resident.phone_enc:
        phone_enc = resident.phone_enc
    elif reporter_phone:
        phone_enc = encrypt_phone(reporter_phone)
    reporter = CaseReporter(
        case=case,
        # Hotline callers and Open311 posters are not users here: they
        # hear back by SMS; proxy cases notify the resident by phone.
        user=actor if source in _USER_SOURCES else None,
        name=(reporter_name or "")[:50],
        phone_enc=phone_enc,
        phone_masked=(
            mask_phone(reporter_phone)
            if reporter_phone
            else (resident.phone_masked if resident else "")
        ),
        anonymous=anonymous,
    )
    event = CaseEvent(
        case=case,
        district_id=case.district_id,
        kind="report",
        to_status=Status.REPORTED,
        actor=actor,
        at=at,
        data={"source": source, "duplicate_of": duplicate.pk if duplicate else None},
    )
    # The case's area for the write audit's rows of the reporter and event
    # (rows without an area of their own are otherwise filed under the
    # actor's area, which costs a look-up).
    reporter.area_path = event.area_path = case.area_path
    try:
        with transaction.atomic():
            # One statement on PostgreSQL; nothing written on a replay.
            created = intake_rows.insert(case, reporter, event)
            if created:
                _save_photos(case, event, checked_photos, CaseAttachment.Kind.INTAKE)
                rollups.case_changed(case, None)
    except IntegrityError:
        created = False
        if not (replay_key or external_id):
            raise
    if not created:
        # The key (or the external id) was taken: by an earlier send of this
        # report, or a concurrent retry that won the race.
        existing = _by_key(actor, replay_key) if replay_key else None
        if existing is None and external_id:
            existing = Case.objects.filter(source=source, external_id=external_id).first()
        if existing is None:
            raise Conflict("duplicate_request", "重复提交，请稍后重试")
        return existing, False
    return case, True


def _by_key(actor, key: str) -> Case | None:
    # The exclude repeats the partial unique index's condition, so SQLite
    # uses that index too (PostgreSQL would prove it by itself).
    return (
        Case.objects.filter(created_by=actor, idempotency_key=key)
        .exclude(idempotency_key="")
        .first()
    )


def _save_photos(case: Case, event: CaseEvent | None, photos: list[Photo], kind: str) -> None:
    for p in photos:
        att = CaseAttachment(
            case=case,
            event=event,
            kind=kind,
            content_type=p.content_type,
            ext=p.ext,
            size=len(p.data),
            width=p.width,
            height=p.height,
            sha256=p.sha256,
        )
        att.file.save(f"{p.sha256[:16]}.{p.ext}", ContentFile(p.data), save=False)
        att.save()


def record_event(
    case: Case,
    *,
    kind: str,
    actor,
    at: datetime,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
    public: bool = True,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        district_id=case.district_id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        at=at,
        note=note or "",
        data=data or {},
        public=public,
    )


# ---------------------------------------------------------------- who
def who_by_grants(scope, path: str) -> set[Who]:
    """What an actor is on a case at `path` from their role grants alone (no
    query): dispatcher, grid leader, grid team, verifier. Department roles
    and being the handler or reporter depend on the case (see who_is)."""
    if scope.unrestricted:
        return {Who.DISPATCHER, Who.GRID_LEADER, Who.GRID_TEAM, Who.VERIFIER}
    who: set[Who] = set()
    for g in scope.grants:
        if g.role == Role.DEPARTMENT_STAFF or not path.startswith(g.path):
            continue
        if g.role in DISPATCH_ROLES:
            who.add(Who.DISPATCHER)
        if g.role == Role.GRID_LEADER:
            who.add(Who.GRID_LEADER)
        if g.role in GRID_TEAM_ROLES:
            who.add(Who.GRID_TEAM)
        if g.role in VERIFIER_ROLES:
            who.add(Who.VERIFIER)
    return who


def who_is(actor, case: Case) -> set[Who]:
    if actor is None:
        return {Who.SYSTEM}
    scope = scope_for(actor)
    path = case.area_path
    who = who_by_grants(scope, path)
    dept_ids: set[int] = set()
    for g in scope.grants:
        if not path.startswith(g.path):
            continue
        if g.role == Role.DEPARTMENT_STAFF:
            if g.department_id:
                dept_ids.add(g.department_id)
        elif case.team == Team.GRID and g.role in GRID_HANDLER_ROLES:
            who.add(Who.HANDLER)
    if case.assignee_id and case.assignee_id == actor.pk and case.team:
        who.add(Who.HANDLER)
    if dept_ids:
        rows = CaseDepartment.objects.filter(case=case, department_id__in=dept_ids).values_list(
            "role", "responded_at"
        )
        for role, responded in rows:
            if role in (CaseDepartment.Role.LEAD, CaseDepartment.Role.ASSIST):
                if case.team == Team.DEPARTMENT:
                    who.add(Who.HANDLER)
            elif role == CaseDepartment.Role.WHISTLED and responded is None:
                who.add(Who.WHISTLED)
    if CaseReporter.objects.filter(case=case, user=actor).exists():
        who.add(Who.REPORTER)
    return who


# ---------------------------------------------------------------- recipients
def reporter_targets(case_id: int) -> tuple[list[int], list[str]]:
    users, phones = [], []
    for r in CaseReporter.objects.filter(case_id=case_id).select_related("user"):
        if r.user_id:
            users.append(r.user_id)
            if r.user.phone:
                phones.append(encrypt_phone(r.user.phone))
        elif r.phone_enc:
            phones.append(r.phone_enc)
    return users, phones


def handler_user_ids(case: Case) -> list[int]:
    from wangge.teams.models import RoleAssignment

    ids = {case.assignee_id} if case.assignee_id else set()
    if case.team == Team.GRID and case.grid_id:
        ids |= set(
            RoleAssignment.objects.filter(
                area_id=case.grid_id,
                role__in=[Role.GRID_LEADER, Role.GRID_WORKER],
                is_active=True,
            ).values_list("user_id", flat=True)
        )
    elif case.team == Team.DEPARTMENT and case.department_id:
        ids |= set(
            RoleAssignment.objects.filter(
                department_id=case.department_id, role=Role.DEPARTMENT_STAFF, is_active=True
            ).values_list("user_id", flat=True)
        )
    return sorted(i for i in ids if i)


def dispatcher_user_ids(area_ids) -> list[int]:
    from wangge.teams.models import RoleAssignment

    return sorted(
        set(
            RoleAssignment.objects.filter(
                area_id__in=list(area_ids), role__in=list(DISPATCH_ROLES), is_active=True
            ).values_list("user_id", flat=True)
        )
    )


def department_user_ids(dept_ids) -> list[int]:
    from wangge.teams.models import RoleAssignment

    return sorted(
        set(
            RoleAssignment.objects.filter(
                department_id__in=list(dept_ids), role=Role.DEPARTMENT_STAFF, is_active=True
            ).values_list("user_id", flat=True)
        )
    )


# ---------------------------------------------------------------- moves
def _param_dt(value, name: str) -> datetime:
    dt = value if isinstance(value, datetime) else parse_datetime(str(value or ""))
    if dt is None:
        raise DomainError("bad_datetime", f"{name}格式不正确（ISO 8601）", status=422)
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt, china().tz)
    return dt


MAX_DEADLINE = timedelta(days=366)


def _due_param(value, at: datetime) -> datetime:
    due = _param_dt(value, "办理时限")
    if due <= at:
        raise DomainError("bad_deadline", "办理时限必须晚于当前时间", status=422)
    if due > at + MAX_DEADLINE:
        raise DomainError("bad_deadline", "办理时限不能超过一年", status=422)
    return due


def _int(value, name: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError("bad_value", f"{name}必须是整数", status=422) from exc
    if not lo <= n <= hi:
        raise DomainError("bad_value", f"{name}必须在 {lo}–{hi} 之间", status=422)
    return n


def _require(value: str, code: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(code, message, status=422)
    return value


def _departments(ids, case: Case) -> list:
    """Active departments that serve the case's place (their area is the
    case's area or above it)."""
    from wangge.teams.models import Department

    try:
        ids = [int(i) for i in ids or [] if str(i).strip()]
    except (TypeError, ValueError) as exc:
        raise DomainError("unknown_department", "部门编号格式不正确", status=422) from exc
    rows = [
        d
        for d in Department.objects.filter(pk__in=ids, is_active=True)
        if case.area_path.startswith(d.area_path)
    ]
    if not ids or len(rows) != len(set(ids)):
        raise DomainError(
            "unknown_department", "部门不存在、已停用或不负责该工单所在区域", status=422
        )
    return rows


def case_move(
    *,
    case_id: int,
    move: str,
    actor,
    version: int | None = None,
    note: str = "",
    photos=(),
    at: datetime | None = None,
    **params,
) -> Case:
    """The one function that changes a case's status. Checks the transition
    table (status and who), locks the row, rejects a stale `version` with 409,
    applies the move, appends the event and queues the notifications."""
    try:
        move = Move(move)
    except ValueError as exc:
        raise DomainError("unknown_move", f"未知的操作“{move}”", status=422) from exc
    checked = validate_photos(photos)
    at = at or timezone.now()
    note = (note or "").strip()[:2000]
    edge = TABLE[move]
    label = MOVE_LABELS[move]
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("category").get(pk=case_id)
        if version is not None and int(version) != case.version:
            raise Conflict(
                "stale",
                "工单已被他人更新，请刷新后重试",
                details={"version": case.version, "status": case.status},
            )
        status_ok, who_ok = allowed(move, case.status, who_is(actor, case))
        if not who_ok:
            raise PermissionDenied("not_allowed", f"您无权对该工单执行“{label}”")
        if not status_ok:
            raise Conflict(
                "invalid_transition",
                f"工单当前状态为“{Status(case.status).label}”，不能{label}",
                details={"status": case.status},
            )
        from_status = case.status
        before = rollups.snapshot(case)
        data: dict = {}
        recipients = _apply(case, move, actor, at, note, params, data, checked)
        if edge.target is not None:
            case.status = edge.target
        case.version += 1
        case.save()
        rollups.case_changed(case, before, actor=actor, at=at)
        event = record_event(
            case,
            kind=move.value,
            actor=actor,
            at=at,
            note=note,
            from_status=from_status,
            to_status=case.status,
            data=data,
            public=move in PUBLIC_MOVES,
        )
        if checked:
            kind = (
                CaseAttachment.Kind.REPORT_BACK
                if move == Move.REPORT_BACK
                else CaseAttachment.Kind.OTHER
            )
            _save_photos(case, event, checked, kind)
        _notify_move(case, move, label, recipients)
        # 积分: a resident's report accepted (valid) or closed (confirmed useful).
        points_for_case_move(case=case, move=move.value, at=at)
    return case


def _notify_move(case: Case, move: Move, label: str, extra_users: list[int]) -> None:
    if move in PUBLIC_MOVES:
        users, phones = reporter_targets(case.pk)
        notify(
            case_id=case.pk,
            kind=move.value,
            text=f"您反映的问题（工单{case.number}）{label}：{Status(case.status).label}",
            user_ids=users,
            phones_enc=phones,
        )
    if extra_users:
        notify(
            case_id=case.pk,
            kind=move.value,
            text=f"工单{case.number}（{case.category.name}）{label}",
            user_ids=extra_users,
        )


def _apply(case: Case, move: Move, actor, at, note, p: dict, data: dict, photos) -> list[int]:
    """Apply one move's effects to the locked case. Returns extra users to notify."""
    cal = china()
    match move:
        case Move.ACCEPT:
            case.accepted_at = at
            return []
        case Move.VOID:
            case.void_reason = _require(
                p.get("reason") or note, "reason_required", "请填写作废原因"
            )[:200]
            return []
        case Move.MERGE:
            return _merge(case, actor, at, p, data)
        case Move.REGISTER:
            if p.get("category"):
                case.category = resolve_category(p["category"])
                case.category_suggested = False
            if p.get("handling"):
                if p["handling"] not in Handling.values:
                    raise DomainError("bad_handling", "办理类型不正确", status=422)
                case.handling = p["handling"]
            case.registered_at = at
            due = (
                _due_param(p["due_at"], at)
                if p.get("due_at")
                else deadlines.default_due(
                    handling=case.handling, deadline_days=case.category.deadline_days, start=at
                )
            )
            deadlines.set_deadline(case, start=at, due=due, now=at)
            data.update(handling=case.handling, due_at=due.isoformat() if due else None)
            return []
        case Move.DISPATCH:
            return _dispatch(case, actor, at, p, data)
        case Move.HANDLE:
            if p.get("due_at"):
                if case.handling != Handling.UNDERTAKEN or case.team != Team.DEPARTMENT:
                    raise DomainError(
                        "deadline_not_settable", "只有承办件由承办部门确定办理时限", status=422
                    )
                due = _due_param(p["due_at"], at)
                deadlines.set_deadline(case, start=case.deadline_start or at, due=due, now=at)
                data["due_at"] = due.isoformat()
            if actor is not None and not case.assignee_id:
                case.assignee = actor
            return []
        case Move.REPORT_BACK:
            if not photos:
                raise DomainError("photos_required", "处置反馈须上传现场照片", status=422)
            _require(note, "note_required", "请填写处置情况")
            case.handled_at = at
            return []
        case Move.VERIFY_PASS:
            return []
        case Move.VERIFY_FAIL:
            _require(note, "note_required", "请填写核查不通过的原因")
            case.rework_count += 1
            case.handled_at = None
            return handler_user_ids(case)
        case Move.CLOSE:
            case.closed_at = at
            case.escalate_at = None
            return []
        case Move.RATE:
            if case.closed_at and at > case.closed_at + timedelta(days=deadlines.RATING_DAYS):
                raise DomainError("rating_window_closed", "结案已超过 7 天，不能再评价", status=409)
            case.rating = _int(p.get("rating"), "评价", 1, 5)
            case.rating_comment = note[:500]
            case.rated_at = at
            data["rating"] = case.rating
            return []
        case Move.ARCHIVE:
            if (
                case.status == Status.CLOSED
                and case.closed_at
                and at < case.closed_at + timedelta(days=deadlines.RATING_DAYS)
            ):
                raise Conflict("rating_window_open", "结案未满 7 天，评价期内不能归档")
            case.archived_at = at
            return []
        case Move.EXTENSION_REQUEST:
            if case.extension_days:
                raise Conflict("extension_pending", "已有待审批的延期申请")
            if case.due_at is None:
                raise DomainError("no_deadline", "该工单尚无办理时限", status=409)
            case.extension_days = _int(p.get("days"), "延期天数", 1, 30)
            case.extension_reason = _require(
                p.get("reason") or note, "reason_required", "请填写延期理由"
            )[:200]
            data["days"] = case.extension_days
            return dispatcher_user_ids([case.level_area_id])
        case Move.EXTENSION_APPROVE:
            if not case.extension_days:
                raise Conflict("no_extension_request", "没有待审批的延期申请")
            days = case.extension_days
            deadlines.shift_deadline(case, days * cal.day_seconds(), at)
            case.extension_count += 1
            case.extension_days, case.extension_reason = None, ""
            data.update(days=days, due_at=case.due_at.isoformat())
            return handler_user_ids(case)
        case Move.EXTENSION_REJECT:
            if not case.extension_days:
                raise Conflict("no_extension_request", "没有待审批的延期申请")
            case.extension_days, case.extension_reason = None, ""
            return handler_user_ids(case)
        case Move.PARK:
            case.park_reason = _require(
                p.get("reason") or note, "reason_required", "请填写挂账原因"
            )[:200]
            case.parked_at = at
            case.escalate_at = None
            return handler_user_ids(case)
        case Move.UNPARK:
            paused = cal.working_seconds_between(case.parked_at, at) if case.parked_at else 0
            deadlines.shift_deadline(case, paused, at)
            case.parked_at, case.park_reason = None, ""
            data["paused_working_seconds"] = paused
            return handler_user_ids(case)
        case Move.SUPERVISE:
            case.supervised = True
            return handler_user_ids(case)
        case Move.WHISTLE:
            depts = _departments(p.get("department_ids"), case)
            respond_by = cal.add_working_hours(at, case.category.response_hours)
            for d in depts:
                CaseDepartment.objects.update_or_create(
                    case=case,
                    department=d,
                    role=CaseDepartment.Role.WHISTLED,
                    defaults={
                        "called_at": at,
                        "respond_by": respond_by,
                        "responded_at": None,
                        "response": "",
                        "overdue_notified": False,
                    },
                )
            data.update(department_ids=[d.pk for d in depts], respond_by=respond_by.isoformat())
            return department_user_ids([d.pk for d in depts])
        case Move.WHISTLE_RESPOND:
            _require(note, "note_required", "请填写报到响应意见")
            mine = [
                g.department_id
                for g in scope_for(actor).grants
                if g.role == Role.DEPARTMENT_STAFF and g.department_id
            ]
            n = CaseDepartment.objects.filter(
                case=case,
                role=CaseDepartment.Role.WHISTLED,
                responded_at__isnull=True,
                department_id__in=mine,
            ).update(responded_at=at, response=note[:500])
            data["responded"] = n
            return dispatcher_user_ids([case.level_area_id])
        case Move.JOINT:
            lead = _departments([p.get("lead_department_id")], case)[0]
            assists = (
                _departments(p.get("assist_department_ids"), case)
                if p.get("assist_department_ids")
                else []
            )
            if lead in assists:
                raise DomainError("bad_value", "牵头部门不能同时为协办部门", status=422)
            _set_lead(case, lead, at)
            CaseDepartment.objects.filter(case=case, role=CaseDepartment.Role.ASSIST).delete()
            CaseDepartment.objects.bulk_create(
                [
                    CaseDepartment(
                        case=case, department=d, role=CaseDepartment.Role.ASSIST, called_at=at
                    )
                    for d in assists
                ]
            )
            data.update(lead=lead.pk, assist=[d.pk for d in assists])
            return department_user_ids([lead.pk, *[d.pk for d in assists]])
        case Move.ESCALATE:
            up = _escalate_target(case)
            if up is None:
                raise Conflict("top_level", "已是最高层级（区县），不能再上报")
            data.update(from_area=case.level_area_id, to_area=up.pk, auto=actor is None)
            case.level_area = up
            case.escalations += 1
            return dispatcher_user_ids([up.pk])
    raise AssertionError(move)  # pragma: no cover


def _escalate_target(case: Case) -> Area | None:
    target_level = ESCALATION_LEVELS.get(case.level_area.level)
    if target_level is None:
        return None
    field = {Level.GRID: "grid", Level.STREET: "street", Level.DISTRICT: "district"}[target_level]
    up = getattr(case, field)
    if up is None and target_level == Level.STREET:
        up = case.district
    return up


def _set_lead(case: Case, dept, at) -> None:
    CaseDepartment.objects.filter(case=case, role=CaseDepartment.Role.LEAD).exclude(
        department=dept
    ).delete()
    CaseDepartment.objects.get_or_create(
        case=case, department=dept, role=CaseDepartment.Role.LEAD, defaults={"called_at": at}
    )
    case.department = dept
    case.team = Team.DEPARTMENT


def _dispatch(case: Case, actor, at, p: dict, data: dict) -> list[int]:
    from wangge.accounts.models import User

    team = p.get("team") or (Team.DEPARTMENT if case.department_id else Team.GRID)
    if team not in (Team.GRID, Team.DEPARTMENT):
        raise DomainError("bad_team", "承办方须为网格团队或职能部门", status=422)
    who = who_is(actor, case)
    # A grid leader dispatches only to their own grid team, and only what the
    # catalogue lets the grid handle itself.
    if Who.DISPATCHER not in who and (
        team != Team.GRID
        or not (case.category.grid_may_self_handle or case.handling == Handling.PROXY)
    ):
        raise PermissionDenied("not_allowed", "该事项须由指挥中心派遣至职能部门")
    if team == Team.GRID:
        if case.grid_id is None:
            raise DomainError("no_grid", "该工单不在网格内，须派遣至职能部门", status=422)
        CaseDepartment.objects.filter(case=case, role=CaseDepartment.Role.LEAD).delete()
        case.team, case.department = Team.GRID, None
    else:
        dept_id = p.get("department_id") or case.department_id
        if not dept_id:
            raise DomainError("unknown_department", "请选择承办部门", status=422)
        _set_lead(case, _departments([dept_id], case)[0], at)
    case.assignee = None
    if p.get("assignee_id"):
        user = User.objects.filter(pk=p["assignee_id"], is_active=True, kind="staff").first()
        if user is None or not scope_for(user).covers(case.area_path):
            raise DomainError("unknown_user", "承办人不存在或不负责该工单所在区域", status=422)
        case.assignee = user
    if p.get("due_at"):
        due = _due_param(p["due_at"], at)
        deadlines.set_deadline(case, start=case.deadline_start or at, due=due, now=at)
    if case.due_at is None:
        if case.handling == Handling.SPECIAL:
            raise DomainError("due_required", "特办件须由调度员确定办理时限", status=422)
        due = deadlines.default_due(
            handling=case.handling, deadline_days=case.category.deadline_days, start=at
        )
        deadlines.set_deadline(case, start=at, due=due, now=at)
    case.dispatched_at = at
    data.update(
        team=case.team,
        department=case.department_id,
        assignee=case.assignee_id,
        due_at=case.due_at.isoformat() if case.due_at else None,
    )
    return handler_user_ids(case)


def _merge(case: Case, actor, at, p: dict, data: dict) -> list[int]:
    from .selectors import visible_cases

    target_id = p.get("target_id") or case.duplicate_of_id
    if not target_id:
        raise DomainError("target_required", "请指定合并到的工单", status=422)
    target_id = int(target_id)
    if target_id == case.pk:
        raise DomainError("bad_target", "不能与自身合并", status=422)
    if not visible_cases(actor).filter(pk=target_id).exists():
        raise DomainError("unknown_case", "目标工单不存在或不在您的管辖范围内", status=422)
    target = Case.objects.select_for_update().get(pk=target_id)
    if target.status not in OPEN_STATUSES:
        raise Conflict("target_closed", "目标工单已办结，不能合并")
    known = set(
        CaseReporter.objects.filter(case=target).values_list("user_id", "phone_enc", "name")
    )
    copies = [
        CaseReporter(
            case=target,
            user_id=r.user_id,
            name=r.name,
            phone_enc=r.phone_enc,
            phone_masked=r.phone_masked,
            anonymous=r.anonymous,
            from_case_id=case.pk,
        )
        for r in CaseReporter.objects.filter(case=case)
        if (r.user_id, r.phone_enc, r.name) not in known
    ]
    CaseReporter.objects.bulk_create(copies)
    # Photos of the duplicate stay with it; the target's timeline says where they are.
    case.merged_into = target
    target.version += 1
    target.save(update_fields=["version"])
    record_event(
        target,
        kind="merge_in",
        actor=actor,
        at=at,
        note=f"合并重复工单{case.number}",
        data={"from_case": case.pk, "reporters": len(copies)},
    )
    data["target"] = target.pk
    return []


# ---------------------------------------------------------------- sweep hooks
def system_escalate(*, case_id: int, now: datetime) -> bool:
    """Escalate an overdue case: one level when it turned red, one more for
    each further working day overdue. Idempotent for the same `now`."""
    cal = china()
    day = cal.day_seconds()
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("level_area").get(pk=case_id)
        if case.alert != Alert.RED or not case.escalate_at or case.escalate_at > now:
            return False
        done = cal.working_seconds_between(case.due_at, case.escalate_at) // day
        target = 1 + cal.working_seconds_between(case.due_at, now) // day
        steps = max(int(target - done), 0)
        moved = False
        for _ in range(steps):
            if _escalate_target(case) is None:
                break
            case_move(case_id=case.pk, move=Move.ESCALATE, actor=None, at=now, note="超期自动上报")
            case.refresh_from_db()
            moved = True
        case.escalate_at = (
            cal.add_working_seconds(case.due_at, target * day)
            if _escalate_target(case) is not None
            else None
        )
        case.save(update_fields=["escalate_at"])
        return moved


def whistle_overdue(*, row_id: int, now: datetime) -> bool:
    row = (
        CaseDepartment.objects.select_for_update()
        .select_related("case", "department", "case__category")
        .get(pk=row_id)
    )
    if row.responded_at is not None or row.overdue_notified:
        return False
    row.overdue_notified = True
    row.save(update_fields=["overdue_notified"])
    case = row.case
    record_event(
        case,
        kind="whistle_overdue",
        actor=None,
        at=now,
        note=f"{row.department.name}未在响应时限内报到",
        data={"department": row.department_id},
        public=False,
    )
    notify(
        case_id=case.pk,
        kind="whistle_overdue",
        text=f"工单{case.number}：{row.department.name}未在响应时限内报到",
        user_ids=[
            *department_user_ids([row.department_id]),
            *dispatcher_user_ids([case.level_area_id]),
        ],
    )
    return True
