"""先锋指数 (party member) and 堡垒指数 (party branch), 0–100.

Weights and targets are settings (`WANGGE_PARTY_INDEX`, merged over
DEFAULTS below; see docs/teams-at-work.md). For a period [start, end):

先锋指数 of a member = 100 × Σ wᵢ·sᵢ / Σ wᵢ over the components that have data:
  visits          min(1, visits made ÷ target)        (wangge.visits; left out without the app)
  cases_reported  min(1, cases reported ÷ target)     (cases created by the member's accounts)
  cases_handled   min(1, cases handled ÷ target)      (assigned to them and handled in the period)
  service_hours   min(1, hours credited ÷ target)     (serviceteams check-ins)
  rating          (mean rating − 1) ÷ 4               (residents' 1–5 ratings of the cases they
                                                       reported or handled, rated in the period;
                                                       left out when there is none)

堡垒指数 of an organization = 100 × Σ wᵢ·sᵢ / Σ wᵢ over the components with data:
  members         mean 先锋指数 of its active members (its own and its sub-organizations') ÷ 100
  link_coverage   households under its area with a linked member ÷ households
  visit_coverage  households under its area visited in the period ÷ households (left out without
                  the visits app)
  satisfaction    ratings 4–5 ÷ ratings of cases in its area rated in the period (left out when none)

A member's accounts are their staff user and, for a member registered from a
resident, the resident's H5 account(s)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q
from django.utils import timezone

from wangge.areas.paths import subtree_q

from .models import HouseholdLink, PartyMember, PartyOrg

DEFAULTS = {
    "vanguard": {
        "weights": {
            "visits": 0.25,
            "cases_reported": 0.15,
            "cases_handled": 0.20,
            "service_hours": 0.25,
            "rating": 0.15,
        },
        "targets": {"visits": 12, "cases_reported": 4, "cases_handled": 4, "service_hours": 8},
    },
    "bastion": {
        "weights": {
            "members": 0.40,
            "link_coverage": 0.20,
            "visit_coverage": 0.20,
            "satisfaction": 0.20,
        }
    },
}


def config() -> dict:
    """DEFAULTS overlaid with settings.WANGGE_PARTY_INDEX, validated."""
    custom = getattr(settings, "WANGGE_PARTY_INDEX", {}) or {}
    out = {k: {kk: dict(vv) for kk, vv in v.items()} for k, v in DEFAULTS.items()}
    for index, parts in custom.items():
        if index not in out:
            raise ImproperlyConfigured(f"WANGGE_PARTY_INDEX: 未知指数 {index}")
        for part, values in parts.items():
            if part not in out[index]:
                raise ImproperlyConfigured(f"WANGGE_PARTY_INDEX[{index}]: 未知项 {part}")
            unknown = set(values) - set(out[index][part])
            if unknown:
                raise ImproperlyConfigured(
                    f"WANGGE_PARTY_INDEX[{index}][{part}]: 未知指标 {unknown}"
                )
            out[index][part].update(values)
    for index in out.values():
        for part, values in index.items():
            if any(float(v) < 0 for v in values.values()):
                raise ImproperlyConfigured("WANGGE_PARTY_INDEX: 权重和目标不能为负数")
            if part == "targets" and any(float(v) <= 0 for v in values.values()):
                raise ImproperlyConfigured("WANGGE_PARTY_INDEX: 目标值须大于 0")
        if sum(float(v) for v in index["weights"].values()) <= 0:
            raise ImproperlyConfigured("WANGGE_PARTY_INDEX: 权重之和须大于 0")
    return out


def period_bounds(period: str | None) -> tuple[dt.date, dt.date, str]:
    """'2026' (a year) or '2026-11' (a month); default: this year."""
    from wangge.core.errors import DomainError

    period = (period or str(timezone.localdate().year)).strip()
    try:
        if len(period) == 4:
            y = int(period)
            return dt.date(y, 1, 1), dt.date(y + 1, 1, 1), period
        if len(period) == 7 and period[4] == "-":
            y, m = int(period[:4]), int(period[5:])
            start = dt.date(y, m, 1)
            end = dt.date(y + (m == 12), m % 12 + 1, 1)
            return start, end, period
    except ValueError:
        pass
    raise DomainError("invalid_period", "统计期应为年份（如 2026）或月份（如 2026-11）", status=422)


def _aware(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time()))


def _score(weights: dict, parts: dict[str, float | None]) -> float:
    used = {k: w for k, w in weights.items() if parts.get(k) is not None and float(w) > 0}
    total = sum(float(w) for w in used.values())
    if total <= 0:
        return 0.0
    return round(100 * sum(float(w) * parts[k] for k, w in used.items()) / total, 1)


# ------------------------------------------------------------------ sources


def member_user_ids(members: list[PartyMember]) -> dict[int, list[int]]:
    from wangge.accounts.models import User

    out: dict[int, list[int]] = {m.pk: [m.user_id] if m.user_id else [] for m in members}
    by_resident = {m.resident_id: m.pk for m in members if m.resident_id}
    for uid, rid in User.objects.filter(resident_id__in=list(by_resident)).values_list(
        "pk", "resident_id"
    ):
        if uid not in out[by_resident[rid]]:
            out[by_resident[rid]].append(uid)
    return out


def visits_installed() -> bool:
    return apps.is_installed("wangge.visits")


def visit_counts(user_ids: list[int], start: dt.date, end: dt.date) -> dict[int, int]:
    """Visits made per user (household and group visits); {} without the visits app."""
    if not visits_installed() or not user_ids:
        return {}
    Visit = apps.get_model("visits", "Visit")
    rows = (
        Visit.objects.filter(
            visitor_id__in=user_ids, visited_at__gte=_aware(start), visited_at__lt=_aware(end)
        )
        .values("visitor_id")
        .annotate(n=Count("pk"))
    )
    return {r["visitor_id"]: r["n"] for r in rows}


# ---------------------------------------------------------------- 先锋指数


@dataclass
class MemberIndex:
    member_id: int
    name: str
    score: float
    visits: int = 0
    cases_reported: int = 0
    cases_handled: int = 0
    service_hours: Decimal = Decimal(0)
    rating: float | None = None
    ratings: int = 0
    parts: dict = field(default_factory=dict)


def vanguard(members: list[PartyMember], start: dt.date, end: dt.date) -> list[MemberIndex]:
    from wangge.cases.models import Case
    from wangge.serviceteams.selectors import hours_by_user

    cfg = config()["vanguard"]
    ids = member_user_ids(members)
    owner = {uid: mid for mid, uids in ids.items() for uid in uids}
    all_users = list(owner)
    s, e = _aware(start), _aware(end)
    visits = visit_counts(all_users, start, end)
    reported: dict[int, int] = defaultdict(int)
    for uid, n in (
        Case.objects.filter(created_by_id__in=all_users, created_at__gte=s, created_at__lt=e)
        .values_list("created_by_id")
        .annotate(n=Count("pk"))
    ):
        reported[owner[uid]] += n
    handled: dict[int, int] = defaultdict(int)
    for uid, n in (
        Case.objects.filter(assignee_id__in=all_users, handled_at__gte=s, handled_at__lt=e)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
    ):
        handled[owner[uid]] += n
    hours: dict[int, Decimal] = defaultdict(Decimal)
    for uid, h in hours_by_user(user_ids=all_users, start=start, end=end).items():
        hours[owner[uid]] += h
    ratings: dict[int, list[int]] = defaultdict(list)
    rated = Case.objects.filter(
        Q(created_by_id__in=all_users) | Q(assignee_id__in=all_users),
        rating__isnull=False,
        rated_at__gte=s,
        rated_at__lt=e,
    ).values_list("pk", "created_by_id", "assignee_id", "rating")
    for _pk, creator, assignee, rating in rated:
        for mid in {owner.get(creator), owner.get(assignee)} - {None}:
            ratings[mid].append(rating)
    t = cfg["targets"]
    out = []
    for m in members:
        v = sum(visits.get(u, 0) for u in ids[m.pk])
        r = ratings.get(m.pk, [])
        mean = sum(r) / len(r) if r else None
        parts = {
            "visits": min(1.0, v / float(t["visits"])) if visits_installed() else None,
            "cases_reported": min(1.0, reported[m.pk] / float(t["cases_reported"])),
            "cases_handled": min(1.0, handled[m.pk] / float(t["cases_handled"])),
            "service_hours": min(1.0, float(hours[m.pk]) / float(t["service_hours"])),
            "rating": None if mean is None else (mean - 1) / 4,
        }
        out.append(
            MemberIndex(
                member_id=m.pk,
                name=m.name,
                score=_score(cfg["weights"], parts),
                visits=v,
                cases_reported=reported[m.pk],
                cases_handled=handled[m.pk],
                service_hours=hours[m.pk],
                rating=None if mean is None else round(mean, 2),
                ratings=len(r),
                parts={k: None if p is None else round(p, 4) for k, p in parts.items()},
            )
        )
    return out


# ---------------------------------------------------------------- 堡垒指数


@dataclass
class OrgIndex:
    org_id: int
    name: str
    score: float
    members: int
    member_mean: float | None
    households: int
    linked_households: int
    visited_households: int | None
    ratings: int
    satisfied: int
    parts: dict = field(default_factory=dict)


def bastion(org: PartyOrg, start: dt.date, end: dt.date) -> OrgIndex:
    return bastion_many([org], start, end)[org.pk]


def _descendants(roots: list[int]) -> dict[int, list[int]]:
    """Each root's organization and everything below it (one query per
    level of the tree for all roots)."""
    children: dict[int, list[int]] = defaultdict(list)
    frontier = set(roots)
    while frontier:
        rows = list(PartyOrg.objects.filter(parent_id__in=frontier).values_list("pk", "parent_id"))
        for pk, parent in rows:
            children[parent].append(pk)
        frontier = {pk for pk, _ in rows}
    out = {}
    for root in roots:
        ids, stack = [], [root]
        while stack:
            x = stack.pop()
            ids.append(x)
            stack.extend(children.get(x, ()))
        out[root] = ids
    return out


def _common_q(paths: list[str], field: str) -> Q:
    from os.path import commonprefix

    from wangge.areas.paths import STEP

    common = commonprefix(paths)
    common = common[: len(common) // STEP * STEP]
    return subtree_q(common, field) if common else Q()


def under_paths(paths: list[str], rows) -> dict[str, list]:
    """rows: (path, value); each value listed under every one of `paths`
    that is a prefix of its path."""
    wanted = set(paths)
    lengths = sorted({len(p) for p in wanted})
    out: dict[str, list] = {p: [] for p in wanted}
    for path, value in rows:
        for n in lengths:
            if n > len(path):
                break
            if path[:n] in wanted:
                out[path[:n]].append(value)
    return out


def households_under(paths: list[str]) -> dict[str, int]:
    """Households under each area path (one grouped query)."""
    from wangge.people.models import Household

    rows = (
        Household.objects.filter(_common_q(paths, "area_path"))
        .values_list("area_path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {p: sum(v) for p, v in under_paths(paths, rows).items()}


def bastion_many(orgs: list[PartyOrg], start: dt.date, end: dt.date, *, households=None) -> dict:
    """{org id: OrgIndex} for many organizations at once: one grouped query
    per component for all of them (a city's branches are a handful of
    queries, not a few per branch). `households(paths) -> {path: n}` may
    give the households under each area from stored totals."""
    from wangge.cases.models import Case

    if not orgs:
        return {}
    cfg = config()["bastion"]
    subtree = _descendants([o.pk for o in orgs])
    all_ids = {x for ids in subtree.values() for x in ids}
    members_of: dict[int, list[PartyMember]] = defaultdict(list)
    for m in PartyMember.objects.filter(org_id__in=all_ids, is_active=True).order_by("pk"):
        members_of[m.org_id].append(m)
    everyone = [m for ms in members_of.values() for m in ms]
    score = {x.member_id: x.score for x in (vanguard(everyone, start, end) if everyone else [])}
    paths = sorted({o.area_path for o in orgs})
    house = (households or households_under)(paths)
    linked = under_paths(
        paths,
        HouseholdLink.objects.filter(_common_q(paths, "area_path"), member__is_active=True)
        .values_list("area_path", "household_id")
        .distinct(),
    )
    visited = None
    if visits_installed():
        Visit = apps.get_model("visits", "Visit")
        visited = under_paths(
            paths,
            Visit.objects.filter(
                _common_q(paths, "area_path"),
                household__isnull=False,
                visited_at__gte=_aware(start),
                visited_at__lt=_aware(end),
            )
            .values_list("area_path", "household_id")
            .distinct(),
        )
    s, e = _aware(start), _aware(end)
    rated = under_paths(
        paths,
        (
            (p, (n, ok))
            for p, n, ok in Case.objects.filter(
                _common_q(paths, "area_path"), rating__isnull=False, rated_at__gte=s, rated_at__lt=e
            )
            .values_list("area_path")
            .annotate(n=Count("pk"), ok=Count("pk", filter=Q(rating__gte=4)))
            .order_by()
        ),
    )
    out = {}
    for org in orgs:
        members = [m for x in subtree[org.pk] for m in members_of.get(x, ())]
        scores = [score[m.pk] for m in members]
        mean = sum(scores) / len(scores) if scores else None
        n_house = house.get(org.area_path, 0)
        n_linked = len(set(linked[org.area_path]))
        n_visited = None if visited is None else len(set(visited[org.area_path]))
        n_rated = sum(n for n, _ in rated[org.area_path])
        n_ok = sum(ok for _, ok in rated[org.area_path])
        parts = {
            "members": None if mean is None else mean / 100,
            "link_coverage": n_linked / n_house if n_house else None,
            "visit_coverage": (n_visited / n_house)
            if (n_visited is not None and n_house)
            else None,
            "satisfaction": n_ok / n_rated if n_rated else None,
        }
        out[org.pk] = OrgIndex(
            org_id=org.pk,
            name=org.name,
            score=_score(cfg["weights"], parts),
            members=len(members),
            member_mean=None if mean is None else round(mean, 1),
            households=n_house,
            linked_households=n_linked,
            visited_households=n_visited,
            ratings=n_rated,
            satisfied=n_ok,
            parts={k: None if p is None else round(p, 4) for k, p in parts.items()},
        )
    return out
