"""Indices over other apps' tables, registered in the index registry
(`indices.register`) so the screen, rankings, reports and composite score
pick them up: 入户率 (visits), 知晓率 (resident surveys), 先锋指数 and
堡垒指数 (party building) and 积分参与率 (points ledger).

Each `counts(subjects, period)` reads its source once for all subjects: the
rows under the subjects' common ancestor, grouped by area path, then added
up to every subject whose path is a prefix (so a ranking of 4,365 grids is
one grouped query per source, not one per grid). Departments have none of
these: their counts are zeros and the values None (left out of their
composite). An app that is not installed gives zeros too."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import Count, Q, Sum

from wangge.areas.paths import STEP, subtree_q

from .indices import IndexDef, Period, Subject, ratio, register

Raw = dict[Subject, dict]


def _areas(subjects: list[Subject]) -> list[Subject]:
    return [s for s in subjects if not s.is_department]


def _common(subjects: list[Subject]) -> str:
    common = os.path.commonprefix([s.area_path for s in _areas(subjects)])
    return common[: len(common) // STEP * STEP]


def _common_q(subjects: list[Subject], field: str) -> Q:
    """The subjects' common ancestor's subtree (one range, not one per subject)."""
    common = _common(subjects)
    return subtree_q(common, field) if common else Q()


def _add_up(subjects: list[Subject], keys: Iterable[str], rows) -> Raw:
    """rows: (path, {key: n}) at any depth; each is added to every subject
    whose path is a prefix of it."""
    keys = tuple(keys)
    out: Raw = {s: dict.fromkeys(keys, 0) for s in subjects}
    by_path = {s.area_path: out[s] for s in _areas(subjects)}  # path → counts
    lengths = sorted({len(p) for p in by_path})
    for path, vals in rows:
        if not path:
            continue
        for n in lengths:
            if n > len(path):
                break
            r = by_path.get(path[:n])
            if r is not None:
                for k in keys:
                    r[k] += vals.get(k) or 0
    return out


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """[start, end) of the period in local time (Asia/Shanghai)."""
    from wangge.cases.workdays import TZ

    return (
        datetime.combine(period.start, time.min, tzinfo=TZ),
        datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=TZ),
    )


def _own_totals(out: Raw, key: str, totals: dict[str, int]) -> Raw:
    """Set each area subject's `key` to its own stored total (`totals` is
    per subject path already: adding it up again would count a street's
    households once more for each of its grids asked about with it)."""
    for s, r in out.items():
        if not s.is_department:
            r[key] = totals.get(s.area_path, 0)
    return out


def _zeros(subjects, keys) -> Raw:
    return {s: dict.fromkeys(keys, 0) for s in subjects}


# ---------------------------------------------------------------- 入户率
COVERAGE_KEYS = ("households", "visited")


def coverage_key(period: Period) -> str | None:
    """The visits app's coverage period ("2026-11", "2026-Q4", "2026") that
    is exactly this period, or None."""
    from wangge.visits.services import period_bounds

    y, m = period.start.year, period.start.month
    for key in (f"{y}-{m:02d}", f"{y}-Q{(m - 1) // 3 + 1}", f"{y}"):
        if period_bounds(key) == (period.start, period.end + timedelta(days=1)):
            return key
    return None


GRID_DEPTH = 5  # city, district, street, community, grid (micro-grid: 6)


def _population(subjects: list[Subject], *, max_depth: int = 0) -> list[tuple[str, int, int]]:
    """(path, residents, households) of each subject area, from the stored
    totals (`AreaPopulation`: a row per area at every level, kept by
    triggers on the people tables): one read of each level's rows under the
    subjects' common ancestor (a ranking of 4,365 grids reads 4,365 rows).
    Subjects deeper than `max_depth` are left out."""
    from .models import AreaPopulation

    by_depth: dict[int, list[str]] = {}
    for s in _areas(subjects):
        d = len(s.area_path) // STEP
        if not max_depth or d <= max_depth:
            by_depth.setdefault(d, []).append(s.area_path)
    out: list[tuple[str, int, int]] = []
    for depth, paths in by_depth.items():
        qs = AreaPopulation.objects.filter(depth=depth)
        if len(paths) <= 500:
            qs = qs.filter(area_path__in=paths)
        else:
            qs = qs.filter(_common_q([Subject(area_path=p) for p in paths], "area_path"))
        out += qs.values_list("area_path", "residents", "households")
    return out


def coverage_counts(subjects: list[Subject], period: Period) -> Raw:
    """Households (now) and households visited at least once in the period.
    Visited, for a month, quarter or year: the visits app's own counter
    (`CoverageCount.visited`, kept by every visit — what its 入户率 page
    shows); for other periods: distinct households in the period's visits."""
    if not apps.is_installed("wangge.visits") or not _areas(subjects):
        return _zeros(subjects, COVERAGE_KEYS)
    from wangge.visits.models import CoverageCount, Visit

    # Households counted at their grid (like the visits app's counters);
    # each subject's own stored total, set after the adding up below.
    households = {p: h for p, _r, h in _population(subjects, max_depth=GRID_DEPTH)}
    rows: list = []
    key = coverage_key(period)
    if key is not None:
        rows += [
            (p, {"visited": v})
            for p, v in CoverageCount.objects.filter(
                _common_q(subjects, "area_path"), period=key
            ).values_list("area_path", "visited")
        ]
    else:
        start, end = _bounds(period)
        rows += [
            (p, {"visited": n})
            for p, n in Visit.objects.filter(
                _common_q(subjects, "household__area_path"),
                household__isnull=False,
                visited_at__gte=start,
                visited_at__lt=end,
            )
            .values_list("household__grid__path")
            .annotate(n=Count("household_id", distinct=True))
            .order_by()
        ]
    return _own_totals(_add_up(subjects, COVERAGE_KEYS, rows), "households", households)


register(
    IndexDef(
        code="visit_coverage",
        name="入户率",
        formula="入户率 = 期内至少走访过一次的户数 ÷ 总户数 × 100%（同一户多次走访计一次）",
        higher_is_better=True,
        counts=coverage_counts,
        value=lambda r: ratio(r.get("visited", 0), r.get("households", 0)),
        source="visits",
    )
)


# ---------------------------------------------------------------- 知晓率
AWARENESS_KEYS = ("answers", "yes")


def awareness_counts(subjects: list[Subject], period: Period) -> Raw:
    """Answers to awareness questions ("您知道您的网格员是谁吗？") given in the
    period by residents living under each area, and how many were 知道."""
    if not apps.is_installed("wangge.surveys") or not _areas(subjects):
        return _zeros(subjects, AWARENESS_KEYS)
    from wangge.surveys.models import Answer, Choice

    start, end = _bounds(period)
    rows = (
        Answer.objects.filter(
            _common_q(subjects, "response__area_path"),
            question__awareness=True,
            response__at__gte=start,
            response__at__lt=end,
        )
        .values_list("response__area_path")
        .annotate(n=Count("pk"), yes=Count("pk", filter=Q(choice=Choice.YES)))
        .order_by()
    )
    return _add_up(subjects, AWARENESS_KEYS, ((p, {"answers": n, "yes": y}) for p, n, y in rows))


register(
    IndexDef(
        code="awareness",
        name="知晓率",
        formula="知晓率 = 居民问卷中回答“知道”的答题数 ÷ 答题数 × 100%"
        "（知晓类问题，如“您知道您的网格员是谁吗？”，按作答居民所在区域汇总）",
        higher_is_better=True,
        counts=awareness_counts,
        value=lambda r: ratio(r.get("yes", 0), r.get("answers", 0)),
        source="surveys",
    )
)


# ---------------------------------------------------------------- 先锋 / 堡垒
PARTY_KEYS = ("count", "score_total")


def _party_period(period: Period):
    return period.start, period.end + timedelta(days=1)


def vanguard_counts(subjects: list[Subject], period: Period) -> Raw:
    """The 先锋指数 of every active party member placed under each area (the
    party app's formula, over the period), as a count and a sum: added up
    in the database (`party.indices.vanguard_totals`)."""
    if not apps.is_installed("wangge.party") or not _areas(subjects):
        return _zeros(subjects, PARTY_KEYS)
    from wangge.party.indices import vanguard_totals
    from wangge.party.models import PartyMember

    members = PartyMember.objects.filter(_common_q(subjects, "area_path"), is_active=True)
    totals = vanguard_totals(members, *_party_period(period)).by_path()
    return _add_up(
        subjects,
        PARTY_KEYS,
        ((p, {"count": n, "score_total": total}) for p, (n, total) in totals.items()),
    )


def households_under(paths: list[str]) -> dict[str, int]:
    """Households under each area path, from the stored totals."""
    rows = _population([Subject(area_path=p) for p in paths])
    return dict.fromkeys(paths, 0) | {p: h for p, _r, h in rows}


def bastion_counts(subjects: list[Subject], period: Period) -> Raw:
    """The 堡垒指数 of every active party branch (党支部) placed under each
    area (the party app's formula, over the period), as a count and a sum:
    all branches at once (`party.indices.bastion_many`: one grouped query per
    component), households from the stored totals."""
    if not apps.is_installed("wangge.party") or not _areas(subjects):
        return _zeros(subjects, PARTY_KEYS)
    from wangge.party.indices import bastion_many
    from wangge.party.models import PartyOrg

    branches = list(
        PartyOrg.objects.filter(
            _common_q(subjects, "area_path"), kind=PartyOrg.Kind.BRANCH, is_active=True
        ).order_by("pk")
    )
    scores = bastion_many(branches, *_party_period(period), households=households_under)
    return _add_up(
        subjects,
        PARTY_KEYS,
        ((o.area_path, {"count": 1, "score_total": scores[o.pk].score}) for o in branches),
    )


def _mean(r: dict) -> float | None:
    return None if not r.get("count") else r["score_total"] / r["count"]


register(
    IndexDef(
        code="vanguard",
        name="先锋指数",
        formula="先锋指数 = 区域内在册党员先锋指数的平均值（每名党员 0–100：走访、报事、"
        "办事、志愿服务时长、群众评价按权重计分，见党建引领）",
        higher_is_better=True,
        counts=vanguard_counts,
        value=_mean,
        unit="分",
        source="party_vanguard",
    )
)
register(
    IndexDef(
        code="bastion",
        name="堡垒指数",
        formula="堡垒指数 = 区域内党支部堡垒指数的平均值（每个支部 0–100：党员先锋指数、"
        "党员联户覆盖、入户走访覆盖、群众满意率按权重计分，见党建引领）",
        higher_is_better=True,
        counts=bastion_counts,
        value=_mean,
        unit="分",
        source="party_bastion",
    )
)


# ---------------------------------------------------------------- 积分
POINTS_KEYS = ("residents", "participants", "points")


def _whole_months(period: Period) -> tuple[date, date] | None:
    """(first month, last month) when the period is whole calendar months."""
    if period.start.day != 1 or (period.end + timedelta(days=1)).day != 1:
        return None
    return period.start, period.end.replace(day=1)


def points_counts(subjects: list[Subject], period: Period) -> Raw:
    """Residents under each area (stored totals), those who earned points in
    the period (earn entries of the ledger), counted once at their own place,
    and the points earned. Whole months read the stored month rows
    (`PointsMonth`, one per resident and month); other periods the ledger."""
    if not apps.is_installed("wangge.points") or not _areas(subjects):
        return _zeros(subjects, POINTS_KEYS)
    from django.db.models.functions import Substr

    from wangge.points.models import EntryKind, PointsEntry

    from .models import PointsMonth

    residents = {p: r for p, r, _h in _population(subjects)}
    rows: list = []
    months = _whole_months(period)
    if months is not None:
        n = max(len(s.area_path) for s in _areas(subjects))
        one = months[0] == months[1]
        rows += [
            (p, {"participants": c, "points": pts})
            for p, c, pts in PointsMonth.objects.filter(
                _common_q(subjects, "area_path"), month__gte=months[0], month__lte=months[1]
            )
            .annotate(p=Substr("area_path", 1, n))
            .values_list("p")
            .annotate(
                c=Count("pk") if one else Count("resident_id", distinct=True), s=Sum("points")
            )
            .order_by()
        ]
        return _own_totals(_add_up(subjects, POINTS_KEYS, rows), "residents", residents)
    start, end = _bounds(period)
    # Each earner counted once, at their own place.
    rows += [
        (home, {"participants": 1, "points": p})
        for _r, home, p in PointsEntry.objects.filter(
            _common_q(subjects, "resident__area_path"),
            kind=EntryKind.EARN,
            resident__isnull=False,
            created_at__gte=start,
            created_at__lt=end,
        )
        .values_list("resident_id", "resident__area_path")
        .annotate(p=Sum("amount"))
        .order_by()
    ]
    return _own_totals(_add_up(subjects, POINTS_KEYS, rows), "residents", residents)


register(
    IndexDef(
        code="points",
        name="积分参与率",
        formula="积分参与率 = 期内获得过积分的居民人数 ÷ 居民人数 × 100%"
        "（报事、议事表决、志愿服务等积分记录）",
        higher_is_better=True,
        counts=points_counts,
        value=lambda r: ratio(r.get("participants", 0), r.get("residents", 0)),
        source="points",
    )
)
