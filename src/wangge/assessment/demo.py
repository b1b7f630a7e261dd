"""Demo history for the leaders' screen (`wangge demo`): six months of cases
on the demo street, and the visits, care contacts, points, survey answers,
presence and party organizations behind the other indices — deterministic
(one seeded generator), fast (bulk inserts, `core.rawrows.bulk_insert` for
the rows nothing refers to; then the rollups rebuilt from the rows:
`rollups.rebuild`, `visits.coverage_refresh`), and idempotent (a street
that already has cases is left alone).

The cases are written as their end state (status, timestamps, counters,
one report event and, when closed, a close event), not walked through the
case engine's moves: 1,500 cases × 8 moves would take minutes. The rollup
is rebuilt from them afterwards, so the indices agree with the cases."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from wangge.areas.models import Area, Level
from wangge.areas.paths import STEP, subtree_q
from wangge.cases.workdays import TZ
from wangge.core.rawrows import bulk_insert

DAYS = 182
CASES_PER_GRID_DAY = 0.4  # ~1,500 cases on a 21-grid street over six months
# Common categories weigh more (environment, roads, order, safety).
POPULAR = {
    "0101": 8,
    "0102": 5,
    "0103": 5,
    "0201": 4,
    "0202": 3,
    "0301": 4,
    "0302": 3,
    "0401": 2,
    "1502": 2,
}
PHRASES = (
    "{addr}附近{name}，请尽快处理。",
    "居民反映：{addr}{name}，已持续多日。",
    "巡查发现{addr}{name}。",
    "{addr}{name}，影响居民出行。",
)


@dataclass
class DemoResult:
    cases: int = 0
    visits: int = 0
    care_pairs: int = 0
    points: int = 0
    survey_answers: int = 0
    presence_days: int = 0
    evaluations: int = 0
    party: dict | None = None
    proactive: int = 0

    def summary(self) -> str:
        return (
            f"工单 {self.cases}，走访 {self.visits}，结对关爱 {self.care_pairs}，"
            f"积分记录 {self.points}，问卷答题 {self.survey_answers}，"
            f"在线记录 {self.presence_days}，互评 {self.evaluations}，未诉先办任务 {self.proactive}"
        )


def _aware(d: date, minute: int) -> datetime:
    return datetime.combine(d, time.min, tzinfo=TZ) + timedelta(minutes=minute)


def assessment_demo(*, street: Area, seed: int = 1, now: datetime | None = None) -> DemoResult:
    """Fill the street's history (once). Returns what was written."""
    from wangge.cases.models import Case

    result = DemoResult()
    if Case.objects.filter(subtree_q(street.path, "area_path")).exists():
        return result
    now = now or timezone.now()
    rng = random.Random(seed)
    with transaction.atomic():
        result.party = _party(street)
        result.cases = _cases(street, rng, now)
        result.visits = _visits(street, rng, now)
        result.care_pairs = _care(street, rng, now)
        result.points = _points(street, rng, now)
        result.survey_answers = _survey(street, rng, now)
        result.presence_days = _presence(street, rng, now)
        result.evaluations = _campaign(street, rng, now)
    from .proactive import run_rules

    out = run_rules(now=now)
    result.proactive = sum(r.get("created", 0) for r in out.values() if isinstance(r, dict))
    return result


# ---------------------------------------------------------------- cases
def _cases(street: Area, rng: random.Random, now: datetime) -> int:
    from wangge.cases.models import Case, CaseEvent, Category, Status
    from wangge.teams.models import Department

    from . import rollups

    leaves = list(
        Area.objects.filter(subtree_q(street.path), level=Level.MICRO_GRID, is_active=True)
        .order_by("path")
        .only("pk", "path", "name", "parent_id", "min_lng", "min_lat", "max_lng", "max_lat")
    )
    if not leaves:
        return 0
    by_path = {
        a.path: a
        for a in Area.objects.filter(
            path__in={leaf.path[: d * STEP] for leaf in leaves for d in range(3, 6)}
        ).only("pk", "path")
    }
    cats = list(Category.objects.filter(parent__isnull=False, is_active=True).order_by("code"))
    weights = [POPULAR.get(c.code, 1) for c in cats]
    district = by_path.get(street.path[: 3 * STEP]) or street.parent
    depts = list(
        Department.objects.filter(area_path__in=[district.path, street.path, street.path[:STEP]])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    grids = {leaf.path[: 5 * STEP] for leaf in leaves}
    n = int(len(grids) * DAYS * CASES_PER_GRID_DAY)
    rows = []
    for _ in range(n):
        leaf = rng.choice(leaves)
        cat = rng.choices(cats, weights)[0]
        age_min = rng.randrange(30, DAYS * 24 * 60)
        created = now - timedelta(minutes=age_min)
        age_days = age_min / 1440
        deadline = timedelta(days=max(1, cat.deadline_days or 5))
        due = created + deadline
        # The older, the likelier closed; the last days still mostly open.
        p_open = 0.7 if age_days < 3 else 0.35 if age_days < 10 else 0.04
        roll = rng.random()
        status, closed_at, rating, rated_at = Status.HANDLING, None, None, None
        rework = int(rng.random() < 0.05)
        extension = int(rng.random() < 0.04)
        supervised = rng.random() < 0.03
        if roll < 0.02:
            status = Status.VOIDED
        elif roll < 0.02 + p_open:
            status = rng.choice([Status.REGISTERED, Status.DISPATCHED, Status.HANDLING])
        else:
            # Most close within the deadline, some late (more so after rework).
            share = rng.uniform(0.1, 0.9) if rng.random() > 0.08 + 0.3 * rework else 1.3
            closed_at = created + deadline * share
            if closed_at >= now:  # not done yet: still being handled
                closed_at, status = None, Status.HANDLING
            else:
                status = Status.CLOSED
                if rng.random() < 0.45:
                    rated_at = closed_at + timedelta(hours=rng.randrange(1, 72))
                    rating = rng.choices([5, 4, 3, 2, 1], [55, 30, 8, 5, 2])[0]
                    if rated_at < now:
                        status = Status.RATED
                    else:
                        rating, rated_at = None, None
                if closed_at + timedelta(days=7) <= now:
                    status = Status.ARCHIVED
        if extension:
            due += timedelta(days=3)
        team = "department" if depts and rng.random() < 0.55 else "grid"
        lng = rng.uniform(leaf.min_lng, leaf.max_lng) if leaf.min_lng is not None else None
        lat = rng.uniform(leaf.min_lat, leaf.max_lat) if leaf.min_lat is not None else None
        grid = by_path[leaf.path[: 5 * STEP]]
        addr = f"{leaf.name}"
        rows.append(
            Case(
                district_id=district.pk,
                street_id=street.pk,
                community_id=by_path[leaf.path[: 4 * STEP]].pk,
                grid_id=grid.pk,
                micro_grid_id=leaf.pk,
                area_id=leaf.pk,
                area_path=leaf.path,
                level_area_id=grid.pk,
                lng=lng,
                lat=lat,
                address=addr,
                category_id=cat.pk,
                handling=cat.handling,
                description=rng.choice(PHRASES).format(addr=addr, name=cat.name),
                source=rng.choice(["resident", "resident", "grid", "hotline", "visit"]),
                status=status,
                team=team if status != Status.VOIDED else "",
                department_id=rng.choice(depts) if team == "department" else None,
                created_at=created,
                accepted_at=created + timedelta(minutes=20),
                registered_at=created + timedelta(minutes=40),
                deadline_start=created,
                due_at=due,
                warn_at=due - timedelta(hours=6),
                closed_at=closed_at,
                archived_at=closed_at + timedelta(days=7)
                if status == Status.ARCHIVED and closed_at
                else None,
                alert="red" if status in (Status.DISPATCHED, Status.HANDLING) and due < now else "",
                supervised=supervised,
                rework_count=rework,
                extension_count=extension,
                extension_days=3 * extension,
                rating=rating,
                rated_at=rated_at,
                void_reason="重复上报" if status == Status.VOIDED else "",
            )
        )
    rows.sort(key=lambda c: c.created_at)
    Case.objects.bulk_create(rows, batch_size=500)
    events = []
    for c in rows:
        events.append(
            CaseEvent(
                case_id=c.pk,
                district_id=c.district_id,
                kind="report",
                to_status=Status.REPORTED,
                at=c.created_at,
                data={"source": c.source},
            )
        )
        if c.closed_at:
            events.append(
                CaseEvent(
                    case_id=c.pk,
                    district_id=c.district_id,
                    kind="close",
                    from_status=Status.VERIFIED,
                    to_status=Status.CLOSED,
                    at=c.closed_at,
                )
            )
    events.sort(key=lambda e: e.at)
    bulk_insert(events)
    rollups.rebuild()
    return len(rows)


# ---------------------------------------------------------------- party
def _party(street: Area) -> dict:
    """The party app's generated organizations and members, plus each grid's
    grid worker as a member of the grid's branch (their visits and handled
    cases give the 先锋指数 something to count)."""
    from wangge.accounts.models import User
    from wangge.party.generate import generate_party
    from wangge.party.models import PartyMember, PartyOrg

    out = generate_party(area=street)
    branches = dict(
        PartyOrg.objects.filter(
            subtree_q(street.path, "area_path"), kind=PartyOrg.Kind.BRANCH
        ).values_list("area_id", "pk")
    )
    workers = _grid_workers(street)
    names = dict(User.objects.filter(pk__in=set(workers.values())).values_list("pk", "name"))
    taken = set(PartyMember.objects.filter(user_id__in=names).values_list("user_id", flat=True))
    grid_paths = dict(Area.objects.filter(pk__in=list(workers)).values_list("pk", "path"))
    PartyMember.objects.bulk_create(
        [
            PartyMember(
                org_id=branches[g],
                area_path=grid_paths[g],
                name=names.get(u, "网格员"),
                user_id=u,
            )
            for g, u in sorted(workers.items())
            if g in branches and u not in taken
        ]
    )
    return out


def _campaign(street: Area, rng: random.Random, now: datetime) -> int:
    """A two-way evaluation over the street's district this and last month:
    the street and its communities rate the district's departments, the
    departments rate the street's dispatching."""
    from wangge.teams.models import Department, RoleAssignment

    from .models import Campaign, Evaluation

    district = street.parent
    today = now.astimezone(TZ).date()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    end = (today.replace(day=28) + timedelta(days=35)).replace(day=1) - timedelta(days=1)
    raters = dict(
        RoleAssignment.objects.filter(
            subtree_q(street.path, "area__path"),
            role__in=("street_cadre", "community_cadre"),
            is_active=True,
        )
        .order_by("-pk")
        .values_list("area_id", "user_id")
    )
    staff = dict(
        RoleAssignment.objects.filter(
            role="department_staff", is_active=True, department__area=district
        )
        .order_by("-pk")
        .values_list("department_id", "user_id")
    )
    depts = list(Department.objects.filter(area=district, is_active=True).order_by("pk")[:8])
    if not depts or not raters:
        return 0
    author = next(iter(raters.values()))
    c = Campaign.objects.create(
        name=f"{district.name}{start.month}–{end.month}月双向互评",
        area=district,
        area_path=district.path,
        start=start,
        end=end,
        created_by_id=author,
    )
    paths = dict(Area.objects.filter(pk__in=list(raters)).values_list("pk", "path"))
    rows = []
    for area_id, user_id in sorted(raters.items()):
        for d in depts:
            rows.append(
                Evaluation(
                    campaign=c,
                    kind=Evaluation.Kind.OF_DEPARTMENT,
                    rater_area_id=area_id,
                    department=d,
                    area_path=paths[area_id],
                    key=f"{c.pk}:d:{area_id}:{d.pk}",
                    score=rng.choices([5, 4, 3, 2], [45, 35, 15, 5])[0],
                    rater_id=user_id,
                )
            )
    for d in depts:
        if d.pk in staff:
            rows.append(
                Evaluation(
                    campaign=c,
                    kind=Evaluation.Kind.OF_DISPATCH,
                    rater_department=d,
                    area=street,
                    area_path=district.path,
                    key=f"{c.pk}:a:{d.pk}:{street.pk}",
                    score=rng.choices([5, 4, 3], [50, 35, 15])[0],
                    rater_id=staff[d.pk],
                )
            )
    Evaluation.objects.bulk_create(rows)
    return len(rows)


# ---------------------------------------------------------------- visits
def _grid_workers(street: Area) -> dict[int, int]:
    """Each grid's (first) full-time grid worker."""
    from wangge.teams.models import RoleAssignment

    out: dict[int, int] = {}
    for area_id, user_id in (
        RoleAssignment.objects.filter(
            subtree_q(street.path, "area__path"), role="grid_worker", is_active=True
        )
        .order_by("area_id", "pk")
        .values_list("area_id", "user_id")
    ):
        out.setdefault(area_id, user_id)
    return out


def _visits(street: Area, rng: random.Random, now: datetime) -> int:
    from wangge.people.models import Household
    from wangge.visits.models import Visit
    from wangge.visits.services import coverage_refresh, periods_of

    workers = _grid_workers(street)
    households = list(
        Household.objects.filter(subtree_q(street.path, "area_path"))
        .order_by("pk")
        .values_list("pk", "grid_id", "district_id", "area_path")
    )
    today = now.astimezone(TZ).date()
    rows = []
    # Each grid has its own pace: 45–85 % of households visited in the last
    # three months, a share of those this month.
    pace = {g: rng.uniform(0.45, 0.85) for g in workers}
    for hid, grid_id, district_id, path in households:
        visitor = workers.get(grid_id)
        if visitor is None or rng.random() > pace[grid_id]:
            continue
        for _ in range(rng.choice([1, 1, 1, 2])):
            days_ago = rng.randrange(0, 90)
            at = _aware(today - timedelta(days=days_ago), rng.randrange(9 * 60, 17 * 60))
            if at > now:
                at = now - timedelta(minutes=rng.randrange(5, 120))
            rows.append(
                Visit(
                    kind=Visit.Kind.HOUSEHOLD,
                    household_id=hid,
                    district_id=district_id,
                    grid_id=grid_id,
                    area_path=path,
                    visitor_id=visitor,
                    visited_at=at,
                    people_met="户主",
                    notes="入户走访，了解家庭情况",
                )
            )
    bulk_insert(rows)
    periods = set()
    d = today
    for _ in range(4):
        periods.update(periods_of(d))
        d = d.replace(day=1) - timedelta(days=1)
    coverage_refresh(periods=sorted(periods), area=street, rebuild=True)
    return len(rows)


def _care(street: Area, rng: random.Random, now: datetime) -> int:
    from wangge.accounts.models import User
    from wangge.people.models import ResidentCareGroup
    from wangge.visits.models import CareContact, CareFrequency, CarePair

    workers = _grid_workers(street)
    names = dict(User.objects.filter(pk__in=set(workers.values())).values_list("pk", "name"))
    freq = dict(CareFrequency.objects.values_list("group_id", "interval_days"))
    members = list(
        ResidentCareGroup.objects.filter(subtree_q(street.path, "resident__area_path"))
        .order_by("resident_id", "group_id")
        .values_list(
            "resident_id",
            "group_id",
            "resident__grid_id",
            "resident__district_id",
            "resident__area_path",
        )
    )
    pairs, seen = [], set()
    for rid, gid, grid_id, district_id, path in members:
        if rid in seen or gid not in freq or grid_id not in workers or rng.random() > 0.4:
            continue
        seen.add(rid)
        interval = freq[gid]
        since = (now - timedelta(days=rng.randrange(60, 200))).astimezone(TZ).date()
        # Most carers keep up; about one in eight has let it slip.
        late = rng.random() < 0.12
        ago = rng.randrange(interval + 1, interval + 20) if late else rng.randrange(0, interval)
        last = now - timedelta(days=ago, hours=rng.randrange(0, 8))
        pairs.append(
            CarePair(
                resident_id=rid,
                group_id=gid,
                district_id=district_id,
                grid_id=grid_id,
                area_path=path,
                carer_kind=CarePair.CarerKind.WORKER,
                carer_user_id=workers[grid_id],
                carer_name=names.get(workers[grid_id], "网格员"),
                interval_days=interval,
                since=since,
                last_contact_at=last,
                next_due_at=last + timedelta(days=interval),
            )
        )
    CarePair.objects.bulk_create(pairs, batch_size=1000)
    contacts = [
        CareContact(
            pair_id=p.pk,
            area_path=p.area_path,
            by_id=p.carer_user_id,
            at=p.last_contact_at,
            mode=rng.choice(["visit", "phone", "phone"]),
            notes="身体情况良好",
        )
        for p in pairs
    ]
    bulk_insert(contacts)
    return len(pairs)


# ---------------------------------------------------------------- points
def _points(street: Area, rng: random.Random, now: datetime) -> int:
    from wangge.people.models import Resident
    from wangge.points.models import EntryKind, PointsEntry, RuleKind

    residents = list(
        Resident.objects.filter(subtree_q(street.path, "area_path"))
        .order_by("pk")
        .values_list("pk", "grid_id", "district_id", "area_path")
    )
    grid_paths = dict(
        Area.objects.filter(subtree_q(street.path), level=Level.GRID).values_list("pk", "path")
    )
    kinds = [
        (RuleKind.REPORT_VALID, 2, "有效报事"),
        (RuleKind.CASE_USEFUL, 5, "报事经核实办结"),
        (RuleKind.VOTE, 1, "参与议事表决"),
        (RuleKind.VOLUNTEER_HOUR, 10, "志愿服务"),
    ]
    rows = []
    for rid, grid_id, district_id, _path in residents:
        if rng.random() > 0.12:
            continue
        for _ in range(rng.randrange(1, 4)):
            kind, amount, reason = rng.choice(kinds)
            rows.append(
                PointsEntry(
                    resident_id=rid,
                    grid_id=grid_id,
                    district_id=district_id,
                    area_path=grid_paths.get(grid_id, ""),
                    kind=EntryKind.EARN,
                    rule=kind,
                    amount=amount,
                    reason=reason,
                    source=f"demo:{len(rows)}",
                    created_at=now
                    - timedelta(days=rng.randrange(0, DAYS), minutes=rng.randrange(600)),
                )
            )
    bulk_insert(rows)
    return len(rows)


# ---------------------------------------------------------------- survey
def _survey(street: Area, rng: random.Random, now: datetime) -> int:
    from wangge.people.models import Resident
    from wangge.surveys.models import Answer, Choice, Question, Response, Survey
    from wangge.teams.models import RoleAssignment

    author = (
        RoleAssignment.objects.filter(area=street, is_active=True).order_by("pk").first()
        or RoleAssignment.objects.filter(role="city_admin").order_by("pk").first()
    )
    if author is None:
        return 0
    today = now.astimezone(TZ).date()
    start = today.replace(day=1) - timedelta(days=31)
    survey = Survey.objects.create(
        name=f"{street.name}网格服务知晓率调查",
        area=street,
        area_path=street.path,
        start=start,
        end=today + timedelta(days=20),
        created_by_id=author.user_id,
    )
    from wangge.surveys.services import DEFAULT_QUESTIONS

    questions = Question.objects.bulk_create(
        [Question(survey=survey, order=i, text=t) for i, t in enumerate(DEFAULT_QUESTIONS)]
    )
    residents = list(
        Resident.objects.filter(subtree_q(street.path, "area_path"))
        .order_by("pk")
        .values_list("pk", "area_path", "grid_id")
    )
    # Grids differ in how well residents know their team.
    known = {}
    responses = []
    for rid, path, grid_id in residents:
        if rng.random() > 0.06:
            continue
        known.setdefault(grid_id, rng.uniform(0.55, 0.95))
        days = rng.randrange(0, max(1, (today - start).days))
        at = min(now, _aware(start + timedelta(days=days), rng.randrange(8 * 60, 21 * 60)))
        responses.append(Response(survey=survey, resident_id=rid, area_path=path, at=at))
        responses[-1].p = known[grid_id]
    Response.objects.bulk_create(responses, batch_size=1000)
    answers = [
        Answer(
            response_id=r.pk,
            question_id=q.pk,
            choice=Choice.YES if rng.random() < r.p else Choice.NO,
        )
        for r in responses
        for q in questions
    ]
    bulk_insert(answers)
    return len(answers)


# ---------------------------------------------------------------- presence
def _presence(street: Area, rng: random.Random, now: datetime) -> int:
    from wangge.cases.workdays import china
    from wangge.teams.models import RoleAssignment
    from wangge.worker.models import PresenceDay

    users = sorted(
        set(
            RoleAssignment.objects.filter(
                subtree_q(street.path, "area__path"),
                role__in=("grid_worker", "part_time_worker"),
                is_active=True,
            ).values_list("user_id", flat=True)
        )
    )
    cal = china()
    today = now.astimezone(TZ).date()
    have = set(
        PresenceDay.objects.filter(
            user_id__in=users, day__gte=today - timedelta(days=70)
        ).values_list("user_id", "day")
    )
    rows = []
    for uid in users:
        diligence = rng.uniform(0.6, 1.0)
        for back in range(1, 70):
            day = today - timedelta(days=back)
            if not cal.is_working_day(day) or (uid, day) in have or rng.random() > diligence:
                continue
            minutes = rng.randrange(240, 480)
            first = _aware(day, 8 * 60 + rng.randrange(0, 60))
            rows.append(
                PresenceDay(
                    user_id=uid,
                    day=day,
                    count=minutes,
                    first_seen=first,
                    last_seen=first + timedelta(minutes=minutes),
                )
            )
    bulk_insert(rows)
    return len(rows)
