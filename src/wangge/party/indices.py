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
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from wangge.areas.paths import subtree_q
from wangge.core.analytics import analytic_cursor

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


# ------------------------------------------------- 先锋指数, set-based
def _member_sql(members_qs, start: dt.date, end: dt.date) -> tuple[str, list]:
    """One statement giving, for every member of `members_qs` who did
    anything counted in [start, end), (member id, org id, area path, visits,
    cases reported, cases handled, service hours, ratings, rating sum):
    grouped in the database, joined through the members' accounts (their
    staff user and their resident's H5 account), no id lists."""
    from django.db import connection

    from wangge.accounts.models import User
    from wangge.cases.models import Case
    from wangge.serviceteams.models import ActivitySignup

    def t(model):
        return connection.ops.quote_name(model._meta.db_table)

    when = connection.ops.adapt_datetimefield_value
    s, e = when(_aware(start)), when(_aware(end))
    m_sql, m_params = members_qs.values_list(
        "pk", "org_id", "area_path", "user_id", "resident_id"
    ).query.sql_with_params()
    case, user = t(Case), t(User)
    signup, activity = t(ActivitySignup), t(ActivitySignup.activity.field.related_model)
    # The members are a subquery each time (not a CTE of their own): the
    # planner then knows from the table's statistics how few have accounts.
    ctes = [
        f"mu(mid, uid) AS (SELECT m.pk, m.user_id FROM ({m_sql}) m WHERE m.user_id IS NOT NULL"
        f" UNION SELECT m.pk, u.id FROM ({m_sql}) m JOIN {user} u ON u.resident_id = m.resident_id)",
        # The period's cases, read once (no index serves "created, handled
        # or rated in the period by these users"): one scan, not four.
        f"cu(id, created_by_id, assignee_id, rating, rep, han, rat) AS (SELECT id,"
        " created_by_id, assignee_id, rating,"
        " CASE WHEN created_at >= %s AND created_at < %s THEN 1 ELSE 0 END,"
        " CASE WHEN handled_at >= %s AND handled_at < %s THEN 1 ELSE 0 END,"
        " CASE WHEN rating IS NOT NULL AND rated_at >= %s AND rated_at < %s THEN 1 ELSE 0 END"
        f" FROM {case} WHERE (created_at >= %s AND created_at < %s)"
        " OR (handled_at >= %s AND handled_at < %s)"
        " OR (rating IS NOT NULL AND rated_at >= %s AND rated_at < %s))",
        # Per member: reported, handled, rated and the ratings' sum; a case
        # the member both reported and handled is rated once (grouped by
        # member and case first).
        "c(mid, rep, han, rat, total) AS (SELECT mid, SUM(rep), SUM(han), SUM(rat),"
        " SUM(CASE WHEN rat = 1 THEN rating ELSE 0 END) FROM ("
        "SELECT mid, id, MAX(rep) AS rep, MAX(han) AS han, MAX(rat) AS rat, MAX(rating) AS rating"
        " FROM (SELECT mu.mid, cu.id, cu.rep, 0 AS han, cu.rat, cu.rating"
        " FROM mu JOIN cu ON cu.created_by_id = mu.uid"
        " UNION ALL SELECT mu.mid, cu.id, 0, cu.han, cu.rat, cu.rating"
        " FROM mu JOIN cu ON cu.assignee_id = mu.uid) y GROUP BY mid, id) z GROUP BY mid)",
        f"s(mid, n) AS (SELECT mu.mid, SUM(g.hours) FROM mu JOIN {signup} g ON g.user_id = mu.uid"
        f" JOIN {activity} a ON a.id = g.activity_id"
        " WHERE g.status = %s AND a.starts_at >= %s AND a.starts_at < %s GROUP BY mu.mid)",
    ]
    params = [*m_params, *m_params, *(s, e) * 6, ActivitySignup.Status.ATTENDED, s, e]
    parts = ["c", "s"]
    if visits_installed():
        visit = t(apps.get_model("visits", "Visit"))
        ctes.append(
            f"v(mid, n) AS (SELECT mu.mid, COUNT(*) FROM mu JOIN {visit} x"
            " ON x.visitor_id = mu.uid WHERE x.visited_at >= %s AND x.visited_at < %s"
            " GROUP BY mu.mid)"
        )
        params += [s, e]
        parts.append("v")
    ctes.append("a(mid) AS (" + " UNION ".join(f"SELECT mid FROM {p}" for p in parts) + ")")
    visits_col = "COALESCE(v.n, 0)" if "v" in parts else "0"
    sql = (
        "WITH " + ", ".join(ctes) + f" SELECT m.pk, m.org_id, m.area_path, {visits_col},"
        " COALESCE(c.rep, 0), COALESCE(c.han, 0), COALESCE(s.n, 0), COALESCE(c.rat, 0),"
        f" COALESCE(c.total, 0) FROM a JOIN ({m_sql}) m ON m.pk = a.mid"
        " LEFT JOIN c ON c.mid = a.mid LEFT JOIN s ON s.mid = a.mid"
        + (" LEFT JOIN v ON v.mid = a.mid" if "v" in parts else "")
    )
    params += m_params
    return sql, params


@dataclass
class MemberTotals:
    """先锋指数 of many members added up: per (area path, org id) the number
    of members and the sum of their scores."""

    count: dict[tuple[str, int], int]
    score_total: dict[tuple[str, int], float]

    def by_path(self) -> dict[str, tuple[int, float]]:
        out: dict[str, list] = defaultdict(lambda: [0, 0.0])
        for key, n in self.count.items():
            out[key[0]][0] += n
            out[key[0]][1] += self.score_total.get(key, 0.0)
        return {p: (n, total) for p, (n, total) in out.items()}

    def by_org(self) -> dict[int, tuple[int, float]]:
        out: dict[int, list] = defaultdict(lambda: [0, 0.0])
        for key, n in self.count.items():
            out[key[1]][0] += n
            out[key[1]][1] += self.score_total.get(key, 0.0)
        return {o: (n, total) for o, (n, total) in out.items()}


def vanguard_totals(members_qs, start: dt.date, end: dt.date) -> MemberTotals:
    """The 先锋指数 of every member of `members_qs` (same formula as
    `vanguard`), added up per (area path, org): the components grouped in
    the database (`_member_sql`), only members who did something counted
    come back (the others score 0), and each distinct set of components is
    scored once. A city's 370,000 members: a few grouped joins, not an
    object and an id list each."""

    cfg = config()["vanguard"]
    t = cfg["targets"]
    with_visits = visits_installed()
    count = {
        (p, o): n
        for p, o, n in members_qs.values_list("area_path", "org_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("area_path", "org_id", "n")
    }
    total: dict[tuple[str, int], float] = defaultdict(float)
    if not count:
        return MemberTotals(count, total)
    memo: dict[tuple, float] = {}
    sql, params = _member_sql(members_qs, start, end)
    with analytic_cursor() as cur:
        cur.execute(sql, params)
        for _mid, org, path, v, rep, han, hours, n_rated, rating_sum in cur.fetchall():
            key = (v, rep, han, hours, n_rated, rating_sum)
            score = memo.get(key)
            if score is None:
                mean = rating_sum / n_rated if n_rated else None
                parts = {
                    "visits": min(1.0, v / float(t["visits"])) if with_visits else None,
                    "cases_reported": min(1.0, rep / float(t["cases_reported"])),
                    "cases_handled": min(1.0, han / float(t["cases_handled"])),
                    "service_hours": min(1.0, float(hours) / float(t["service_hours"])),
                    "rating": None if mean is None else (mean - 1) / 4,
                }
                score = memo[key] = _score(cfg["weights"], parts)
            total[(path, org)] += score
    return MemberTotals(count, dict(total))


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


GRID_PATH = 25  # a grid's path length (city, district, street, community, grid)


def _visited_from_coverage(paths: list[str], start: dt.date, end: dt.date) -> dict | None:
    """{path: households visited} from the visits app's per-grid coverage
    counters (`CoverageCount`: distinct households visited in a month,
    quarter or year, kept by every visit) when the period is one of those
    and every path is a grid or above; else None (count the visits)."""
    from wangge.visits.models import CoverageCount
    from wangge.visits.services import period_bounds

    if any(len(p) > GRID_PATH for p in paths):
        return None
    y, m = start.year, start.month
    keys = [f"{y}-{m:02d}", f"{y}-Q{(m - 1) // 3 + 1}", f"{y}"]
    key = next((k for k in keys if period_bounds(k) == (start, end)), None)
    if key is None:
        return None
    out: dict[str, int] = {}
    for n in sorted({len(p) for p in paths}):
        wanted = {p for p in paths if len(p) == n}
        for p, v in (
            CoverageCount.objects.filter(_common_q(paths, "area_path"), period=key)
            .annotate(p=Substr("area_path", 1, n))
            .values_list("p")
            .annotate(v=Sum("visited"))
            .order_by()
        ):
            if p in wanted:
                out[p] = v or 0
    return out


def _distinct_households_under(paths: list[str], rows_qs) -> dict[str, int]:
    """{path: distinct households} of `rows_qs` (rows with `area_path` and
    `household_id`) under each path: counted in the database, one grouped
    query per length of path (a household with rows at two places under
    one area counts once, as a set would)."""

    out: dict[str, int] = {}
    for n in sorted({len(p) for p in paths}):
        wanted = {p for p in paths if len(p) == n}
        inner = (
            rows_qs.annotate(p=Substr("area_path", 1, n))
            .values("p", "household_id")
            .order_by()
            .distinct()
        )
        sql, params = inner.query.sql_with_params()
        with analytic_cursor() as cur:
            cur.execute(f"SELECT z.p, COUNT(*) FROM ({sql}) z GROUP BY z.p", params)
            out.update((p, c) for p, c in cur.fetchall() if p in wanted)
    return out


def bastion_many(
    orgs: list[PartyOrg],
    start: dt.date,
    end: dt.date,
    *,
    households=None,
    totals: MemberTotals | None = None,
) -> dict:
    """{org id: OrgIndex} for many organizations at once: one grouped query
    per component for all of them (a city's branches are a handful of
    queries, not a few per branch). `households(paths) -> {path: n}` may
    give the households under each area from stored totals; `totals`, the
    members' 先锋指数 already added up (`vanguard_totals`) over at least
    these organizations' members."""
    from wangge.cases.models import Case

    if not orgs:
        return {}
    cfg = config()["bastion"]
    subtree = _descendants([o.pk for o in orgs])
    all_ids = {x for ids in subtree.values() for x in ids}
    per_org = (
        totals
        or vanguard_totals(
            PartyMember.objects.filter(org_id__in=all_ids, is_active=True), start, end
        )
    ).by_org()
    paths = sorted({o.area_path for o in orgs})
    house = (households or households_under)(paths)
    linked = _distinct_households_under(
        paths, HouseholdLink.objects.filter(_common_q(paths, "area_path"), member__is_active=True)
    )
    visited = None
    if visits_installed():
        visited = _visited_from_coverage(paths, start, end)
    if visits_installed() and visited is None:
        Visit = apps.get_model("visits", "Visit")
        visited = _distinct_households_under(
            paths,
            Visit.objects.filter(
                _common_q(paths, "area_path"),
                household__isnull=False,
                visited_at__gte=_aware(start),
                visited_at__lt=_aware(end),
            ),
        )
    s, e = _aware(start), _aware(end)
    rated: dict[str, tuple[int, int]] = {}
    for n in sorted({len(p) for p in paths}):
        wanted = {p for p in paths if len(p) == n}
        for p, n_rated, n_ok in (
            Case.objects.filter(
                _common_q(paths, "area_path"), rating__isnull=False, rated_at__gte=s, rated_at__lt=e
            )
            .annotate(p=Substr("area_path", 1, n))
            .values_list("p")
            .annotate(n=Count("pk"), ok=Count("pk", filter=Q(rating__gte=4)))
            .order_by()
        ):
            if p in wanted:
                rated[p] = (n_rated, n_ok)
    out = {}
    for org in orgs:
        n_members = sum(per_org.get(x, (0, 0.0))[0] for x in subtree[org.pk])
        score_sum = sum(per_org.get(x, (0, 0.0))[1] for x in subtree[org.pk])
        mean = score_sum / n_members if n_members else None
        n_house = house.get(org.area_path, 0)
        n_linked = linked.get(org.area_path, 0)
        n_visited = None if visited is None else visited.get(org.area_path, 0)
        n_rated, n_ok = rated.get(org.area_path, (0, 0))
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
            members=n_members,
            member_mean=None if mean is None else round(mean, 1),
            households=n_house,
            linked_households=n_linked,
            visited_households=n_visited,
            ratings=n_rated,
            satisfied=n_ok,
            parts={k: None if p is None else round(p, 4) for k, p in parts.items()},
        )
    return out
