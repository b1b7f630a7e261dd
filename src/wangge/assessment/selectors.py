"""Reads for assessment: index values of an area or department over a
period (with the previous period and the raw counts), composite scores,
rankings with drill-down, trends and category splits — all from the rollup,
none from scanning cases. Every entry point takes the actor and goes
through `access_assessed_area` / `access_department` (teams.scope): an area
or department outside the actor's scope is a 404 like a missing one."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from wangge.areas.models import LEVEL_ORDER, Area, Level
from wangge.areas.paths import STEP, subtree_q
from wangge.cases.workdays import TZ
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

from .indices import REGISTRY, IndexValue, Period, Subject, month_period
from .models import COUNTERS, DEPARTMENT_DEPTH, CaseRollup, CaseRollupMonth

# Composite score weights per level ("default" for levels not named). An
# index with a lower-is-better value (返工率, 延期率) scores 100 − value.
# Indices without data in the period are left out and the weights of the
# rest re-normalised. Override with the WANGGE_ASSESSMENT_WEIGHTS setting.
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "default": {
        "on_time": 0.35,
        "closure": 0.25,
        "satisfaction": 0.25,
        "rework": 0.15,
        "peer": 0.1,
        "visit_coverage": 0.1,
        "awareness": 0.05,
        "vanguard": 0.05,
        "bastion": 0.05,
        "points": 0.05,
    },
    "department": {
        "on_time": 0.4,
        "closure": 0.2,
        "satisfaction": 0.2,
        "rework": 0.1,
        "extension": 0.1,
        "peer": 0.2,
    },
}
LEVEL_DEPTH = {str(lv): i + 1 for i, lv in enumerate(LEVEL_ORDER)}
DEPTH_LEVEL = {d: lv for lv, d in LEVEL_DEPTH.items()}


def _not_found() -> DomainError:
    return DomainError("not_found", "区域不存在或不在您的管辖范围内", status=404)


def is_assessment_user(user) -> bool:
    scope = scope_for(user)
    return scope.unrestricted or bool(scope.grants)


def access_assessed_area(*, actor, area_id) -> Area:
    """An area whose figures the actor may see: inside their scope (an
    ancestor's name may be visible in a breadcrumb, its figures are not)."""
    try:
        area_id = int(area_id)
    except (TypeError, ValueError) as exc:
        raise _not_found() from exc
    # Not the boundary (a city's polygon is large; loaded if ever asked for).
    area = Area.objects.filter(pk=area_id).defer("boundary").first()
    scope = scope_for(actor)
    if area is None or not scope.is_staff_scope or not scope.covers(area.path):
        raise _not_found()
    return area


def default_area(*, actor) -> Area | None:
    scope = scope_for(actor)
    if scope.unrestricted:
        return Area.objects.filter(depth=1).order_by("path").first()
    if not scope.paths:
        return None
    return Area.objects.filter(path=scope.paths[0]).first()


def visible_departments(actor):
    from wangge.teams.models import Department

    scope = scope_for(actor)
    qs = Department.objects.filter(is_active=True)
    if scope.unrestricted:
        return qs
    own = [g.department_id for g in scope.grants if g.department_id]
    return qs.filter(scope.q("area_path") | Q(pk__in=own))


def access_department(*, actor, department_id):
    try:
        department_id = int(department_id)
    except (TypeError, ValueError) as exc:
        raise DomainError("not_found", "部门不存在或不在您的管辖范围内", status=404) from exc
    dept = visible_departments(actor).filter(pk=department_id).first()
    if dept is None:
        raise DomainError("not_found", "部门不存在或不在您的管辖范围内", status=404)
    return dept


# ---------------------------------------------------------------- periods
def today() -> date:
    return timezone.now().astimezone(TZ).date()


def parse_period(
    start: str | None = None,
    end: str | None = None,
    month: str | None = None,
) -> Period:
    """A month "YYYY-MM", or start/end dates "YYYY-MM-DD"; default: this month."""
    try:
        if month:
            y, m = (int(x) for x in month.split("-"))
            return month_period(y, m)
        if start or end:
            s = date.fromisoformat(start or "")
            e = date.fromisoformat(end or "")
        else:
            t = today()
            return month_period(t.year, t.month)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            "bad_period", "统计周期格式不正确（月份 YYYY-MM 或日期 YYYY-MM-DD）", status=422
        ) from exc
    if e < s or (e - s).days > 3 * 366:
        raise DomainError("bad_period", "统计周期不正确（结束不早于开始，最长三年）", status=422)
    return Period(s, e)


# ---------------------------------------------------------------- rollup sums
def _empty() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def split_period(period: Period) -> tuple[tuple[date, date] | None, list[Period]]:
    """The whole calendar months inside the period (first and last month's
    first day, read from the month table) and the days left over at either
    end (read from the day table)."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    stop = (period.end + timedelta(days=1)).replace(day=1)  # day after the last whole month
    if first >= stop:
        return None, [period]
    days = []
    if period.start < first:
        days.append(Period(period.start, first - timedelta(days=1)))
    if stop <= period.end:
        days.append(Period(stop, period.end))
    return (first, (stop - timedelta(days=1)).replace(day=1)), days


def summed(where: Q, key: str, period: Period) -> dict:
    """Counters over the period grouped by `key` (area_path, department_id,
    …) for the rollup rows matching `where` (fields common to both tables):
    whole months from the month table, the rest from the day table — one
    grouped, index-only query per part."""
    months, day_parts = split_period(period)
    sums = {c: Sum(c) for c in COUNTERS}
    parts = []
    if months:
        parts.append(
            CaseRollupMonth.objects.filter(where, month__gte=months[0], month__lte=months[1])
        )
    for p in day_parts:
        parts.append(CaseRollup.objects.filter(where, day__gte=p.start, day__lte=p.end))
    out: dict = {}
    for qs in parts:
        # Plain tuples from the cursor (no per-row converters: 4,365 rows
        # for a city's grids).
        sql, params = qs.values_list(key).annotate(**sums).order_by().query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        for r in rows:
            acc = out.get(r[0])
            if acc is None:
                out[r[0]] = dict(zip(COUNTERS, (x or 0 for x in r[1:]), strict=True))
            else:
                for c, x in zip(COUNTERS, r[1:], strict=True):
                    acc[c] += x or 0
    return out


def rollup_sums(subjects: list[Subject], period: Period) -> dict[Subject, dict[str, int]]:
    """Counters of each subject over the period: one grouped query per
    depth (areas of one level) and one for departments (per table part)."""
    out = {s: _empty() for s in subjects}
    by_depth: dict[int, list[str]] = defaultdict(list)
    depts = []
    for s in subjects:
        if s.is_department:
            depts.append(s.department_id)
        else:
            by_depth[len(s.area_path) // STEP].append(s.area_path)
    for depth, paths in by_depth.items():
        for path, r in summed(Q(depth=depth, area_path__in=paths), "area_path", period).items():
            out[Subject(area_path=path)] = r
    if depts:
        where = Q(depth=DEPARTMENT_DEPTH, department_id__in=depts)
        for dept, r in summed(where, "department_id", period).items():
            out[Subject(department_id=dept)] = r
    return out


def evaluate(subjects: list[Subject], period: Period, codes=None) -> dict[Subject, dict]:
    """{subject: {code: IndexValue}} — each data source queried once."""
    defs = [REGISTRY[c] for c in (codes or REGISTRY) if c in REGISTRY]
    by_source: dict = defaultdict(list)
    for d in defs:
        by_source[d.counts].append(d)
    out: dict[Subject, dict[str, IndexValue]] = {s: {} for s in subjects}
    for counts, group in by_source.items():
        if group[0].source == "cases":
            raw = counts(subjects, period)
        else:
            raw = _slow_counts(counts, group[0].source, subjects, period)
        for s in subjects:
            for d in group:
                out[s][d.code] = d.of(raw.get(s, {}))
    return {s: {d.code: out[s][d.code] for d in defs} for s in subjects}


# Indices over other apps' tables (presence, evaluations, …) have no rollup
# here: their raw counts are kept this long in the cache (they move slowly;
# the screen refreshes every minute anyway).
SLOW_COUNTS_SECONDS = 300
LIVE_SECONDS = 60


def _cache_key(*parts) -> str:
    import hashlib

    return "assessment:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _slow_counts(counts, source: str, subjects: list[Subject], period: Period) -> dict:
    from django.core.cache import cache

    key = _cache_key(
        source, period.start, period.end, sorted((s.area_path, s.department_id) for s in subjects)
    )
    hit = cache.get(key)
    if hit is None:
        from .stored import lookup

        raw = (lookup([source], subjects, period) or {}).get(source)
        if raw is None:
            raw = counts(subjects, period)
        hit = [(s.area_path, s.department_id, r) for s, r in raw.items()]
        cache.set(key, hit, SLOW_COUNTS_SECONDS)
    return {Subject(area_path=p, department_id=d): r for p, d, r in hit}


# ---------------------------------------------------------------- composite
def weights_for(level: str) -> dict[str, float]:
    table = {**DEFAULT_WEIGHTS, **getattr(settings, "WANGGE_ASSESSMENT_WEIGHTS", {})}
    return table.get(level) or table["default"]


def _weighted(values: dict[str, float | None], weights: dict[str, float]) -> tuple:
    """(composite, {code: score}) from plain index values: Σ w·s ÷ Σ w over
    the indices with a value, s = value or 100 − value (lower is better)."""
    parts, total_w, acc = {}, 0.0, 0.0
    for code, w in weights.items():
        v = values.get(code)
        if v is None or w <= 0 or code not in REGISTRY:
            continue
        score = v if REGISTRY[code].higher_is_better else 100.0 - v
        parts[code] = round(score, 2)
        acc += w * score
        total_w += w
    return (acc / total_w if total_w else None), parts


def composite(values: dict[str, IndexValue], level: str) -> IndexValue:
    weights = weights_for(level)
    value, parts = _weighted({k: v.value for k, v in values.items()}, weights)
    terms = " + ".join(
        f"{w:g}×{'(100−' + REGISTRY[c].name + ')' if not REGISTRY[c].higher_is_better else REGISTRY[c].name}"
        for c, w in weights.items()
        if c in REGISTRY
    )
    return IndexValue(
        code="composite",
        name="综合得分",
        value=value,
        formula=f"综合得分 = ({terms}) ÷ 有数据指标的权重之和",
        raw={"weights": weights, "scores": parts},  # type: ignore[dict-item]
        unit="分",
    )


def _with_composite(values: dict[str, IndexValue], level: str) -> dict[str, IndexValue]:
    return {**values, "composite": composite(values, level)}


def _trend(cur: IndexValue, prev: IndexValue) -> dict:
    if cur.value is None or prev.value is None:
        return {"previous": prev.value, "change": None, "better": None}
    change = cur.value - prev.value
    better = None if abs(change) < 1e-9 else (change > 0) == cur.higher_is_better
    return {"previous": round(prev.value, 2), "change": round(change, 2), "better": better}


# ---------------------------------------------------------------- one subject
def _subject_report(subject: Subject, level: str, label: dict, period: Period) -> dict:
    prev = period.previous()
    cur_v = _with_composite(evaluate([subject], period)[subject], level)
    prev_v = _with_composite(evaluate([subject], prev)[subject], level)
    rows = [{**v.as_dict(), "trend": _trend(v, prev_v[k])} for k, v in cur_v.items()]
    counts = next((v.raw for v in cur_v.values() if v.code in ("closure",)), {})
    return {
        "subject": label,
        "period": period.as_dict(),
        "previous_period": prev.as_dict(),
        "indices": rows,
        "counts": counts,
    }


def area_indices(*, actor, area_id, period: Period) -> dict:
    area = access_assessed_area(actor=actor, area_id=area_id)
    return _subject_report(Subject(area_path=area.path), area.level, _area_label(area), period)


def department_indices(*, actor, department_id, period: Period) -> dict:
    dept = access_department(actor=actor, department_id=department_id)
    label = {"kind": "department", "id": dept.pk, "name": dept.name}
    return _subject_report(Subject(department_id=dept.pk), "department", label, period)


def _area_label(area: Area) -> dict:
    return {
        "kind": "area",
        "id": area.pk,
        "name": area.name,
        "level": area.level,
        "level_label": str(Level(area.level).label),
        "code": area.code,
    }


# ---------------------------------------------------------------- rankings
def level_below(area: Area) -> str | None:
    i = LEVEL_ORDER.index(area.level)
    return str(LEVEL_ORDER[i + 1]) if i + 1 < len(LEVEL_ORDER) else None


def ranking(
    *,
    actor,
    area_id,
    period: Period,
    level: str | None = None,
    by: str = "composite",
    limit: int | None = None,
) -> dict:
    """Every area at `level` under the area (default: the level just
    below), with its indices and composite score, best first; areas without
    cases in the period come last. Two queries: the areas and one grouped
    rollup read of that level's rows in the subtree (a month: the month
    table, one row per area)."""
    area = access_assessed_area(actor=actor, area_id=area_id)
    level = level or level_below(area)
    if level not in LEVEL_DEPTH or LEVEL_DEPTH[level] <= len(area.path) // STEP:
        raise DomainError("bad_level", "排名层级须低于当前区域", status=422)
    if by != "composite" and by not in REGISTRY:
        raise DomainError("bad_index", f"未知的指数“{by}”", status=422)
    depth = LEVEL_DEPTH[level]
    areas = list(
        # By level: the (level, path) index (depth has none: a sequential scan).
        Area.objects.filter(subtree_q(area.path), level=level, is_active=True)
        .order_by("path")
        .values_list("pk", "path", "name", "code")
    )
    # A few areas (or on SQLite, any number) are probed one by one: SQLite
    # otherwise walks the subtree's whole range of the unique index (for a
    # city, every month row). PostgreSQL reads many areas faster as the
    # level's range of the covering index (4,365 grids: 75 vs 114 ms).
    paths = [p for _, p, _, _ in areas]
    if connection.vendor != "postgresql" or len(paths) <= 500:
        where = Q(depth=depth, area_path__in=paths)
    else:
        where = subtree_q(area.path, "area_path") & Q(depth=depth)
    raw = summed(where, "area_path", period)
    # Plain numbers per area (no per-area objects: a city has 4,365 grids).
    case_fns = [(d.code, d.value) for d in REGISTRY.values() if d.source == "cases"]
    others = [d for d in REGISTRY.values() if d.source != "cases"]
    extra = _slow_values(others, area.path, level, paths, period)
    # The composite inline (= _weighted): (code, weight, higher is better).
    weights = [
        (c, w, REGISTRY[c].higher_is_better)
        for c, w in weights_for(level).items()
        if w > 0 and c in REGISTRY
    ]
    empty = _empty()
    out = []
    for pk, path, name, code in areas:
        r = raw.get(path) or empty
        values = {c: fn(r) for c, fn in case_fns}
        more = extra.get(path)
        if more:
            values.update(more)
        acc = total_w = 0.0
        for c, w, higher_better in weights:
            v = values.get(c)
            if v is not None:
                acc += w * (v if higher_better else 100.0 - v)
                total_w += w
        values["composite"] = acc / total_w if total_w else None
        out.append(
            {
                "id": pk,
                "name": name,
                "code": code,
                "total": r["total"],
                "values": {k: (v if v is None else round(v, 2)) for k, v in values.items()},
            }
        )
    higher = True if by == "composite" else REGISTRY[by].higher_is_better

    def key(row):
        v = row["values"][by]
        return (v is None, -(v or 0) if higher else (v or 0), -row["total"], row["code"])

    out.sort(key=key)
    for i, row in enumerate(out, 1):
        row["rank"] = i if row["values"][by] is not None else None
    return {
        "area": _area_label(area),
        "level": level,
        "level_label": str(Level(level).label),
        "by": by,
        "period": period.as_dict(),
        "count": len(out),
        "rows": out[:limit] if limit else out,
        "drill": level_below_name(level),
        # When the slow indices (走访、知晓、党建、积分、在线) came from the
        # stored totals: the time they were counted (None: live).
        "stored_at": _stored_at(period, depth),
    }


def _stored_at(period: Period, depth: int) -> str | None:
    from .stored import MAX_DEPTH, run_for

    run = run_for(period) if depth <= MAX_DEPTH else None
    return timezone.localtime(run.computed_at).isoformat() if run else None


def _slow_values(defs, parent: str, level: str, paths: list[str], period: Period) -> dict:
    """{path: {code: value}} of the non-rollup indices for every area of a
    ranking, cached as one entry (SLOW_COUNTS_SECONDS): a city's 4,365 grids
    are one cache read, not one per source with an object per grid."""
    from django.core.cache import cache

    if not defs:
        return {}
    key = _cache_key(
        "ranking-slow",
        parent,
        level,
        period.start,
        period.end,
        len(paths),
        sorted(d.code for d in defs),
    )
    hit = cache.get(key)
    if hit is None:
        subjects = [Subject(area_path=p) for p in paths]
        hit = defaultdict(dict)
        by_source: dict = defaultdict(list)
        for d in defs:
            by_source[(d.counts, d.source)].append(d)
        # The period's stored totals when fresh (one read for every source),
        # else each source read directly (not through its own cache entry:
        # this entry is the cache, and 4,365 subjects' keys are not free).
        from .stored import lookup

        stored = lookup([source for _c, source in by_source], subjects, period) or {}
        for (counts, source), group in by_source.items():
            raw = stored.get(source)
            if raw is None:
                raw = counts(subjects, period)
            for subj, r in raw.items():
                for d in group:
                    hit[subj.area_path][d.code] = d.value(r)
        hit = dict(hit)
        cache.set(key, hit, SLOW_COUNTS_SECONDS)
    return hit


def level_below_name(level: str) -> str | None:
    i = [str(x) for x in LEVEL_ORDER].index(level)
    return str(LEVEL_ORDER[i + 1]) if i + 1 < len(LEVEL_ORDER) else None


def department_ranking(*, actor, period: Period, by: str = "composite") -> list[dict]:
    depts = list(visible_departments(actor).values_list("pk", "name"))
    subjects = [Subject(department_id=pk) for pk, _ in depts]
    values = evaluate(subjects, period)
    out = []
    for pk, name in depts:
        v = _with_composite(values[Subject(department_id=pk)], "department")
        out.append(
            {
                "id": pk,
                "name": name,
                "total": v["closure"].raw.get("total", 0),
                "values": {k: None if x.value is None else round(x.value, 2) for k, x in v.items()},
            }
        )
    out.sort(key=lambda r: (r["values"][by] is None, -(r["values"][by] or 0), r["name"]))
    return [r for r in out if r["total"]]


# ---------------------------------------------------------------- series
def daily_series(*, area: Area, period: Period) -> list[dict]:
    """Cases reported per day (and how many of them are closed now)."""
    rows = {
        r["day"]: r
        for r in CaseRollup.objects.filter(
            area_path=area.path,
            department_id=0,
            day__gte=period.start,
            day__lte=period.end,
        )
        .values("day")
        .annotate(
            total=Sum("total"), closed=Sum("closed"), satisfied=Sum("satisfied"), rated=Sum("rated")
        )
        .order_by()
    }
    out, d = [], period.start
    while d <= period.end:
        r = rows.get(d) or {}
        out.append(
            {"day": d.isoformat(), "total": r.get("total") or 0, "closed": r.get("closed") or 0}
        )
        d += timedelta(days=1)
    return out


def monthly_series(*, area: Area, months: int = 12, until: date | None = None) -> list[dict]:
    until = until or today()
    y, m = until.year, until.month
    periods = []
    for _ in range(months):
        periods.append(month_period(y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    periods.reverse()
    # The month table: one row per month.
    rows = CaseRollupMonth.objects.filter(
        area_path=area.path,
        department_id=0,
        month__gte=periods[0].start,
        month__lte=periods[-1].start,
    ).values_list("month", *COUNTERS)
    buckets = {p.start: _empty() for p in periods}
    for month, *counts in rows:
        b = buckets[month]
        for c, x in zip(COUNTERS, counts, strict=True):
            b[c] += x
    out = []
    for p in periods:
        raw = buckets[p.start]
        vals = {code: REGISTRY[code].value(raw) for code in ("closure", "on_time", "satisfaction")}
        out.append(
            {
                "month": f"{p.start:%Y-%m}",
                "total": raw["total"],
                "closed": raw["closed"],
                **{k: None if v is None else round(v, 2) for k, v in vals.items()},
            }
        )
    return out


def category_split(*, area: Area, period: Period, limit: int = 10) -> list[dict]:
    from wangge.cases.models import Category

    rows = list(
        CaseRollup.objects.filter(
            area_path=area.path,
            department_id=0,
            day__gte=period.start,
            day__lte=period.end,
        )
        .values("category_id")
        .annotate(total=Sum("total"), closed=Sum("closed"))
        .order_by("-total")[:limit]
    )
    names = dict(
        Category.objects.filter(pk__in=[r["category_id"] for r in rows]).values_list("pk", "name")
    )
    return [
        {"category": names.get(r["category_id"], "?"), "total": r["total"], "closed": r["closed"]}
        for r in rows
    ]


# ---------------------------------------------------------------- dashboard
def live_counts(*, area: Area, now=None) -> dict:
    """Today's numbers. Reported today and open now come from the rollup
    (exact, incremental); closed today and red (overdue) now need the cases
    and are cached LIVE_SECONDS per area."""
    from datetime import datetime, time

    from django.core.cache import cache

    from wangge.cases.models import CLOSED_STATUSES, OPEN_STATUSES, Alert, Case

    now = now or timezone.now()
    day = now.astimezone(TZ).date()
    reported = (
        CaseRollup.objects.filter(area_path=area.path, department_id=0, day=day).aggregate(
            n=Sum("total")
        )["n"]
        or 0
    )
    open_now = (
        CaseRollupMonth.objects.filter(area_path=area.path, department_id=0).aggregate(
            n=Sum("open")
        )["n"]
        or 0
    )
    key = _cache_key("live", area.path, day)
    slow = cache.get(key)
    if slow is None:
        start = datetime.combine(day, time.min, tzinfo=TZ)
        sub = Case.objects.filter(subtree_q(area.path, "area_path"))
        slow = {
            "closed_today": sub.filter(status__in=CLOSED_STATUSES, closed_at__gte=start).count(),
            "red": sub.filter(status__in=OPEN_STATUSES, alert=Alert.RED).count(),
        }
        cache.set(key, slow, LIVE_SECONDS)
    return {"reported_today": reported, "open": open_now, **slow}


def dashboard(*, actor, area_id, period: Period, by: str = "composite") -> dict:
    """Everything the 大屏 shows for one area, in one call."""
    area = access_assessed_area(actor=actor, area_id=area_id)
    subject = Subject(area_path=area.path)
    report = _subject_report(subject, area.level, _area_label(area), period)
    below = level_below(area)
    last = min(period.end, today())
    return {
        "area": _area_label(area),
        "period": report["period"],
        "previous_period": report["previous_period"],
        "headline": report["indices"],
        "counts": report["counts"],
        "live": live_counts(area=area),
        "monthly": monthly_series(area=area, until=period.end),
        "daily": daily_series(area=area, period=Period(last - timedelta(days=29), last)),
        "ranking": ranking(actor=actor, area_id=area.pk, period=period, by=by) if below else None,
        "categories": category_split(area=area, period=period),
        "breadcrumb": [
            {"id": a.pk, "name": a.name}
            for a in Area.objects.filter(
                path__in=[area.path[:i] for i in range(STEP, len(area.path), STEP)]
            ).order_by("path")
            if scope_for(actor).covers(a.path)
        ],
    }


FEED_SIZE = 15


def area_feed(*, actor, area: Area, limit: int = FEED_SIZE) -> list:
    """The latest case events under the area (scoped: visible cases only)."""
    from wangge.cases.models import Case, CaseEvent
    from wangge.teams.scope import scoped

    ids = scoped(Case.objects.filter(subtree_q(area.path, "area_path")), actor).values("pk")
    return list(
        CaseEvent.objects.filter(case__in=ids)
        .select_related("case", "case__category")
        .only(
            "pk",
            "kind",
            "at",
            "case__id",
            "case__created_at",
            "case__address",
            "case__status",
            "case__category__name",
        )
        .order_by("-pk")[:limit]
    )


# ---------------------------------------------------------------- proactive
def proactive_list(*, actor, area_id=None, state: str = "open", limit: int = 100) -> list:
    from wangge.teams.scope import scoped

    from .models import ProactiveTask

    if not is_assessment_user(actor):
        return []
    qs = scoped(ProactiveTask.objects.all(), actor)
    if area_id:
        area = access_assessed_area(actor=actor, area_id=area_id)
        qs = qs.filter(subtree_q(area.path, "area_path"))
    if state:
        qs = qs.filter(state=state)
    return list(qs.select_related("area", "category").order_by("-created_at", "-pk")[:limit])


def access_proactive(*, actor, task_id):
    from wangge.teams.scope import scoped

    from .models import ProactiveTask

    try:
        task_id = int(task_id)
    except (TypeError, ValueError) as exc:
        raise DomainError("not_found", "任务不存在或不在您的管辖范围内", status=404) from exc
    task = None
    if is_assessment_user(actor):
        task = (
            scoped(ProactiveTask.objects.all(), actor)
            .select_related("area", "category")
            .filter(pk=task_id)
            .first()
        )
    if task is None:
        raise DomainError("not_found", "任务不存在或不在您的管辖范围内", status=404)
    return task


# ---------------------------------------------------------------- corrections
def corrections(*, actor, since=None, limit: int = 50_000) -> list[dict]:
    """Dispatchers' category corrections in the actor's areas, as training
    rows (text, code): the report text with phone and ID numbers masked."""
    from wangge.console.exports import mask_text
    from wangge.teams.scope import scoped

    from .models import CategoryCorrection

    if not is_assessment_user(actor):
        return []
    qs = scoped(CategoryCorrection.objects.all(), actor)
    if since:
        qs = qs.filter(at__gte=since)
    rows = qs.select_related("case", "from_category", "to_category").order_by("at", "pk")
    return [
        {
            "text": mask_text(r.case.description),
            "code": r.to_category.code,
            "from_code": r.from_category.code,
            "was_suggested": r.was_suggested,
            "case_id": r.case_id,
            "at": r.at.isoformat(),
        }
        for r in rows[:limit]
    ]


# ---------------------------------------------------------------- 双向互评
def campaigns(*, actor) -> list:
    from .models import Campaign

    scope = scope_for(actor)
    if not is_assessment_user(actor):
        return []
    qs = Campaign.objects.select_related("area").order_by("-start", "-pk")
    if scope.unrestricted:
        return list(qs[:100])
    # Campaigns over one's areas, or above them (a community takes part in
    # its district's campaign).
    q = Q(pk__in=[])
    for p in scope.paths:
        q |= subtree_q(p, "area_path") | Q(area_path__in=[p[:i] for i in range(STEP, len(p), STEP)])
    return list(qs.filter(q)[:100])


def access_campaign(*, actor, campaign_id):
    try:
        campaign_id = int(campaign_id)
    except (TypeError, ValueError) as exc:
        raise DomainError("not_found", "互评不存在", status=404) from exc
    hit = next((c for c in campaigns(actor=actor) if c.pk == campaign_id), None)
    if hit is None:
        raise DomainError("not_found", "互评不存在或不在您的管辖范围内", status=404)
    return hit


def campaign_sheet(*, actor, campaign) -> dict:
    """What the actor's unit rates in a campaign (the console's rating page):
    as a community or street (cadre, dispatcher) the departments in the
    campaign's range; as a department's staff the streets and districts in
    it. Each target with the unit's rating when given. Also whether the
    actor may end the campaign."""
    from wangge.teams.models import Department

    from .models import Evaluation
    from .services import AREA_RATER_ROLES, may_close_campaign

    scope = scope_for(actor)
    inside = [g for g in scope.grants if g.path.startswith(campaign.area_path)]
    area_rater = next((g for g in inside if g.role in AREA_RATER_ROLES), None)
    dept_rater = next((g for g in inside if g.role == "department_staff" and g.department_id), None)
    rows: list[dict] = []
    kind = None
    if area_rater is not None:
        kind = "department"
        done = {
            e.department_id: e
            for e in Evaluation.objects.filter(
                key__startswith=f"{campaign.pk}:d:{area_rater.area_id}:"
            )
        }
        for d in Department.objects.filter(is_active=True).order_by("area_path", "name"):
            if campaign.area_path.startswith(d.area_path) or d.area_path.startswith(
                campaign.area_path
            ):
                rows.append({"id": d.pk, "name": d.name, "rated": done.get(d.pk)})
    elif dept_rater is not None:
        kind = "area"
        done = {
            e.area_id: e
            for e in Evaluation.objects.filter(
                key__startswith=f"{campaign.pk}:a:{dept_rater.department_id}:"
            )
        }
        for a in Area.objects.filter(
            subtree_q(campaign.area_path), level__in=("street", "district"), is_active=True
        ).order_by("path"):
            rows.append({"id": a.pk, "name": a.name, "rated": done.get(a.pk)})
    may_close = campaign.is_open and may_close_campaign(actor, campaign)
    # The departments' feedback sheets: for those whose areas cover the campaign's.
    may_feedback = scope.unrestricted or scope.covers(campaign.area_path)
    return {
        "campaign": campaign,
        "kind": kind,
        "rows": rows,
        "may_close": may_close,
        "may_feedback": may_feedback,
    }


def feedback(*, actor, campaign_id, department_id) -> dict:
    """A department's feedback sheet for one campaign: its indices over the
    campaign's period and every rating it received, with comments."""
    from .models import Evaluation

    campaign = access_campaign(actor=actor, campaign_id=campaign_id)
    dept = access_department(actor=actor, department_id=department_id)
    period = Period(campaign.start, campaign.end)
    report = department_indices(actor=actor, department_id=dept.pk, period=period)
    rows = list(
        Evaluation.objects.filter(campaign=campaign, department=dept)
        .select_related("rater_area")
        .order_by("rater_area__path")
    )
    return {"campaign": campaign, "department": dept, "report": report, "ratings": rows}
