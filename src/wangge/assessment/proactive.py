"""未诉先办: rules that look at what happened and leave explained tasks for
grid teams before anyone complains. Each rule is a function `(now) ->
list[Finding]`; `run_rules` saves new findings as `ProactiveTask` rows (a
finding's `key` makes it once-only: a hot spot once per 30-day window, a
rising grid once per week, a season once per year).

Rules (thresholds are module constants, documented in docs/assessment.md):
- hotspot: ≥ 3 cases of one category within 200 m of each other in the last
  30 days. Cases are bucketed in H3 cells (resolution 9, ~174 m edge); each
  case looks at its cell and the ring around it, measures real distances,
  and the largest groups are taken first (a case belongs to one hot spot).
- rising: a grid's cases in the last 7 days ≥ 5 and ≥ 1.5× the 7 days
  before (from the rollup).
- seasonal: a micro-grid that had ≥ 3 cases of one category in the coming
  30 days' window last year (e.g. 积水 before the rainy season; rollup).
- not_visited / care_contact: from the visits app, when it is installed
  (care_contact: care pairs whose next contact is overdue, one task per
  pair and due date).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone

from wangge.areas.models import Area
from wangge.areas.paths import STEP
from wangge.cases.models import Case, Category
from wangge.cases.workdays import TZ

from .models import CaseRollup, ProactiveTask

HOTSPOT_DAYS = 30
HOTSPOT_METERS = 200
HOTSPOT_MIN = 3
H3_RES = 9
RISING_MIN = 5
RISING_FACTOR = 1.5
SEASON_DAYS = 30
SEASON_MIN = 3
GRID_DEPTH = 5
MICRO_DEPTH = 6


@dataclass
class Finding:
    rule: str
    key: str
    grid_path: str
    title: str
    reason: str
    category_id: int | None = None
    evidence: dict = field(default_factory=dict)
    lng: float | None = None
    lat: float | None = None


def meters(lng1, lat1, lng2, lat2) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def _names() -> dict[int, str]:
    return dict(Category.objects.values_list("pk", "name"))


def _grid(path: str) -> str:
    return path[: GRID_DEPTH * STEP]


# ---------------------------------------------------------------- hot spots
def hotspots(now: datetime) -> list[Finding]:
    import h3

    since = now - timedelta(days=HOTSPOT_DAYS)
    rows = list(
        Case.objects.filter(created_at__gte=since, created_at__lte=now, lng__isnull=False)
        .exclude(status__in=("voided", "merged"))
        .values_list("pk", "category_id", "lng", "lat", "area_path", "created_at")
    )
    cells: dict[tuple[int, str], list[int]] = defaultdict(list)
    cell_of = []
    for i, (_, cat, lng, lat, _, _) in enumerate(rows):
        c = h3.latlng_to_cell(lat, lng, H3_RES)
        cell_of.append(c)
        cells[(cat, c)].append(i)
    # Neighbours within 200 m, per case (same category, own and adjacent cells).
    near: dict[int, list[int]] = {}
    ring_cache: dict[str, list[str]] = {}
    for (cat, c), members in cells.items():
        ring = ring_cache.get(c) or ring_cache.setdefault(c, h3.grid_disk(c, 1))
        cand = [j for rc in ring for j in cells.get((cat, rc), ())]
        if len(cand) < HOTSPOT_MIN:
            continue
        for i in members:
            _, _, lng, lat, _, _ = rows[i]
            near[i] = [
                j
                for j in cand
                if j == i or meters(lng, lat, rows[j][2], rows[j][3]) <= HOTSPOT_METERS
            ]
    used: set[int] = set()
    names = _names()
    window = (now.astimezone(TZ).date() - date(2000, 1, 1)).days // HOTSPOT_DAYS
    out = []
    for i in sorted(near, key=lambda i: (-len(near[i]), rows[i][0])):
        group = [j for j in near[i] if j not in used]
        if len(group) < HOTSPOT_MIN:
            continue
        used.update(group)
        pk, cat, lng, lat, path, _ = rows[i]
        ids = sorted(rows[j][0] for j in group)
        dates = sorted(rows[j][5].astimezone(TZ).date() for j in group)
        name = names.get(cat, "")
        out.append(
            Finding(
                rule=ProactiveTask.Rule.HOTSPOT,
                key=f"hotspot:{cat}:{cell_of[i]}:{window}",
                grid_path=_grid(path),
                category_id=cat,
                lng=lng,
                lat=lat,
                title=f"“{name}”问题在同一地点反复出现（{len(group)}件）",
                reason=(
                    f"{dates[0]:%m月%d日}至{dates[-1]:%m月%d日}，在相距不超过{HOTSPOT_METERS}米的"
                    f"范围内共有{len(group)}件“{name}”工单（近{HOTSPOT_DAYS}天内≥{HOTSPOT_MIN}件即提示）。"
                    "同一问题反复被报，说明根源未解决，建议网格团队现场排查、从源头治理。"
                ),
                evidence={
                    "case_ids": ids[:50],
                    "count": len(group),
                    "cell": cell_of[i],
                    "meters": HOTSPOT_METERS,
                    "days": HOTSPOT_DAYS,
                },
            )
        )
    return out


# ---------------------------------------------------------------- rising
def _grid_totals(start: date, end: date) -> dict[str, int]:
    return {
        r["area_path"]: r["n"]
        for r in CaseRollup.objects.filter(depth=GRID_DEPTH, day__gte=start, day__lte=end)
        .values("area_path")
        .annotate(n=Sum("total"))
        .order_by()
    }


def rising(now: datetime) -> list[Finding]:
    today = now.astimezone(TZ).date()
    this_end = today - timedelta(days=1)
    this_start = this_end - timedelta(days=6)
    prev_end, prev_start = this_start - timedelta(days=1), this_start - timedelta(days=7)
    cur, prev = _grid_totals(this_start, this_end), _grid_totals(prev_start, prev_end)
    hits = {p: n for p, n in cur.items() if n >= RISING_MIN and n >= RISING_FACTOR * prev.get(p, 0)}
    if not hits:
        return []
    tops: dict[str, Counter] = defaultdict(Counter)
    for r in (
        CaseRollup.objects.filter(
            depth=GRID_DEPTH, area_path__in=list(hits), day__gte=this_start, day__lte=this_end
        )
        .values("area_path", "category_id")
        .annotate(n=Sum("total"))
        .order_by()
    ):
        tops[r["area_path"]][r["category_id"]] += r["n"]
    names = _names()
    year, week, _ = this_end.isocalendar()
    out = []
    for path, n in sorted(hits.items()):
        before = prev.get(path, 0)
        top = tops[path].most_common(3)
        growth = f"增长{(n - before) / before:.0%}" if before else "上周为0件"
        out.append(
            Finding(
                rule=ProactiveTask.Rule.RISING,
                key=f"rising:{path}:{year}-{week}",
                grid_path=path,
                category_id=top[0][0] if top else None,
                title=f"本网格近7天工单明显增多（{n}件，上周{before}件）",
                reason=(
                    f"{this_start:%m月%d日}至{this_end:%m月%d日}本网格上报{n}件，"
                    f"前7天{before}件，{growth}（≥{RISING_MIN}件且达到前7天的{RISING_FACTOR}倍即提示）。"
                    "主要类别：" + "、".join(f"{names.get(c, '')}{k}件" for c, k in top) + "。"
                ),
                evidence={
                    "this_week": n,
                    "last_week": before,
                    "top": [[names.get(c, ""), k] for c, k in top],
                    "window": [this_start.isoformat(), this_end.isoformat()],
                },
            )
        )
    return out


# ---------------------------------------------------------------- seasonal
def seasonal(now: datetime) -> list[Finding]:
    today = now.astimezone(TZ).date()
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    end = start + timedelta(days=SEASON_DAYS - 1)
    rows = (
        CaseRollup.objects.filter(depth=MICRO_DEPTH, day__gte=start, day__lte=end)
        .values("area_path", "category_id")
        .annotate(n=Sum("total"))
        .order_by()
    )
    hits = [r for r in rows if r["n"] >= SEASON_MIN]
    if not hits:
        return []
    names = _names()
    micro = dict(
        Area.objects.filter(path__in=[r["area_path"] for r in hits]).values_list("path", "name")
    )
    out = []
    for r in sorted(hits, key=lambda r: (r["area_path"], r["category_id"])):
        name = names.get(r["category_id"], "")
        where = micro.get(r["area_path"], "")
        out.append(
            Finding(
                rule=ProactiveTask.Rule.SEASONAL,
                key=f"seasonal:{r['area_path']}:{r['category_id']}:{today.year}",
                grid_path=_grid(r["area_path"]),
                category_id=r["category_id"],
                title=f"{where}：去年同期“{name}”多发，请提前排查",
                reason=(
                    f"去年{start:%m月%d日}至{end:%m月%d日}，{where}共上报{r['n']}件“{name}”"
                    f"（同一微网格同一类别≥{SEASON_MIN}件即提示）。今年同一时段将至，建议提前走访排查、"
                    "做好预防。"
                ),
                evidence={
                    "micro_grid": where,
                    "micro_grid_path": r["area_path"],
                    "count": r["n"],
                    "window": [start.isoformat(), end.isoformat()],
                },
            )
        )
    return out


# ---------------------------------------------------------------- visits
def not_visited(now: datetime) -> list[Finding]:
    """Households of each grid never visited this calendar year (from the
    visits app), one task per grid with the count — only when that app is
    installed."""
    if not apps.is_installed("wangge.visits"):
        return []
    try:
        from wangge.people.models import Household
        from wangge.visits.models import Visit
    except ImportError:  # pragma: no cover - the app is being built
        return []
    today = now.astimezone(TZ).date()
    start = datetime(today.year, 1, 1, tzinfo=TZ)
    if today.month < 3:  # too early in the year to flag anyone
        return []
    # NOT EXISTS, an anti-join: `exclude(pk__in=…)` is NOT IN, which
    # PostgreSQL cannot turn into one and, once the year's visits outgrow
    # work_mem, checks row by row (a city's 940,000 visits: hours).
    visited = Visit.objects.filter(household_id=OuterRef("pk"), visited_at__gte=start)
    counts = (
        Household.objects.filter(~Exists(visited))
        .values("grid__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out = []
    for r in counts:
        path = r["grid__path"]
        if not path:
            continue
        out.append(
            Finding(
                rule=ProactiveTask.Rule.NOT_VISITED,
                key=f"not_visited:{path}:{today.year}-{today.month}",
                grid_path=path,
                title=f"本网格有{r['n']}户今年尚未走访",
                reason=(
                    f"截至{today:%m月%d日}，本网格有{r['n']}户在{today.year}年没有任何入户走访记录。"
                    "建议排入本月走访计划。"
                ),
                evidence={"households": r["n"], "since": f"{today.year}-01-01"},
            )
        )
    return out


# Care group → the catalogue category a contact that becomes a case goes to.
CARE_CATEGORY = {"elderly_alone": "1502", "hardship": "1501", "disabled": "1503"}
CARE_DEFAULT_CATEGORY = "1502"


def care_contact(now: datetime) -> list[Finding]:
    """Care-group residents (结对关爱, from the visits app) not contacted
    within their pair's frequency: one task per pair and time it falls due
    (the key holds the due date, so a pair contacted and overdue again is
    raised again), at the resident's grid."""
    if not apps.is_installed("wangge.visits"):
        return []
    from wangge.core.masking import mask_name
    from wangge.visits.models import CarePair

    pairs = (
        CarePair.objects.filter(is_active=True, next_due_at__lt=now)
        .select_related("group", "grid", "resident")
        .only(
            "pk",
            "interval_days",
            "since",
            "last_contact_at",
            "next_due_at",
            "carer_name",
            "carer_kind",
            "area_path",
            "group__code",
            "group__name",
            "grid__path",
            "grid__name",
            "resident__name",
        )
        .order_by("grid__path", "next_due_at", "pk")
    )
    codes = dict(Category.objects.values_list("code", "pk"))
    today = now.astimezone(TZ).date()
    out = []
    for p in pairs:
        due = p.next_due_at.astimezone(TZ).date()
        late = (today - due).days
        last = p.last_contact_at.astimezone(TZ).date() if p.last_contact_at else None
        who = mask_name(p.resident.name)
        since = (
            f"上次联系是{last:%Y年%m月%d日}"
            if last
            else f"自{p.since:%Y年%m月%d日}结对以来从未联系"
        )
        out.append(
            Finding(
                rule=ProactiveTask.Rule.CARE_CONTACT,
                key=f"care_contact:{p.pk}:{due.isoformat()}",
                grid_path=p.grid.path,
                category_id=codes.get(CARE_CATEGORY.get(p.group.code, CARE_DEFAULT_CATEGORY)),
                title=f"{p.group.name}{who}超期{late}天未联系",
                reason=(
                    f"{p.grid.name}的结对关爱对象{who}（{p.group.name}）应每{p.interval_days}天联系一次，"
                    f"{since}，应在{due:%Y年%m月%d日}前联系，已超期{late}天。结对人：{p.carer_name}"
                    f"（{p.get_carer_kind_display()}）。请尽快上门或电话看望；发现困难可一键转为工单。"
                ),
                evidence={
                    "pair_id": p.pk,
                    "group": p.group.name,
                    "interval_days": p.interval_days,
                    "last_contact": last.isoformat() if last else None,
                    "due": due.isoformat(),
                    "days_overdue": late,
                },
            )
        )
    return out


RULES = {
    "hotspot": hotspots,
    "rising": rising,
    "seasonal": seasonal,
    "not_visited": not_visited,
    "care_contact": care_contact,
}


def save_findings(findings: list[Finding], now: datetime) -> int:
    """New findings become tasks (a known key is skipped, and of findings
    sharing a key only the first counts: two hot spots seeded in one cell
    are one task, the bigger group's). Returns how many."""
    if not findings:
        return 0
    first: dict[str, Finding] = {}
    for f in findings:
        first.setdefault(f.key, f)
    findings = list(first.values())
    keys = set(first)
    known = set()
    for chunk in _chunks(list(keys), 2000):
        known |= set(ProactiveTask.objects.filter(key__in=chunk).values_list("key", flat=True))
    grids = {}
    for chunk in _chunks(list({f.grid_path for f in findings}), 2000):
        grids.update(dict(Area.objects.filter(path__in=chunk).values_list("path", "pk")))
    rows = [
        ProactiveTask(
            rule=f.rule,
            key=f.key,
            area_id=grids[f.grid_path],
            area_path=f.grid_path,
            category_id=f.category_id,
            title=f.title[:200],
            reason=f.reason,
            evidence=f.evidence,
            lng=f.lng,
            lat=f.lat,
            created_at=now,
        )
        for f in findings
        if f.key not in known and f.grid_path in grids
    ]
    try:
        with transaction.atomic():
            ProactiveTask.objects.bulk_create(rows, batch_size=1000)
    except IntegrityError:  # a concurrent run saved some first: one by one
        n = 0
        for r in rows:
            try:
                with transaction.atomic():
                    r.save()
                n += 1
            except IntegrityError:
                pass
        return n
    return len(rows)


def _chunks(xs: list, n: int):
    for i in range(0, len(xs), n):
        yield xs[i : i + n]


def run_rules(*, now: datetime | None = None, only: list[str] | None = None) -> dict:
    """Run every rule (a failing rule does not stop the others)."""
    import time

    now = now or timezone.now()
    out: dict = {}
    for name, rule in RULES.items():
        if only and name not in only:
            continue
        t = time.perf_counter()
        try:
            found = rule(now)
            made = save_findings(found, now)
            out[name] = {
                "found": len(found),
                "created": made,
                "seconds": round(time.perf_counter() - t, 2),
            }
        except Exception as exc:  # noqa: BLE001 - reported, the next rule still runs
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return out
