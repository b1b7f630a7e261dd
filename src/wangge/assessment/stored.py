"""Stored month totals of the slow indices (在线率, 入户率, 知晓率, 先锋指数,
堡垒指数, 积分参与率).

Those indices read other apps' rows (visits, survey answers, party members'
work, the points ledger, presence days). For a city that is hundreds of
thousands of rows per source, far too many to read each time a leader opens
a ranking of 4,365 grids. So `refresh_month` runs each source's own
`counts()` once for every area from the city down to the grids and stores
the raw counts per area and month (`AreaIndexMonth`); `lookup` hands them
to the rankings, screens and reports instead of the live counts when

- the period is one calendar month,
- every area asked about is a grid or above (micro-grids: live; few rows),
- the month's run is fresh: computed within `WANGGE_INDEX_MAX_AGE_MINUTES`
  (default 90), or, for a month that has ended, computed after its end
  (a closed month does not move; it is refreshed once more each night),
- it was computed with today's formulas (`fingerprint`: the sources and
  the party index settings) and holds every area asked about.

Anything else is counted live, as before. The stored counts are exactly
what the live counts gave at `computed_at` (same functions), so the two
agree by construction; tests run the hand-count tests both ways. Huey
refreshes the current month every 30 minutes and the previous month once a
day (`tasks.py`, `refresh_due`); `wangge manage assessment_refresh` does it
by hand."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from wangge.areas.models import LEVEL_DEPTH, LEVEL_ORDER, Area
from wangge.areas.paths import STEP, subtree_q

from .indices import REGISTRY, Period, Subject, month_period

# Sources whose counts are stored (the index registry's `source`). Cases
# have their own rollups; peer evaluations are a few rows per campaign.
STORED_SOURCES = ("presence", "visits", "surveys", "party_vanguard", "party_bastion", "points")
MAX_DEPTH = LEVEL_DEPTH["grid"]
# Bump when a stored source's counting changes, so older rows are not used.
VERSION = 1


def max_age() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "WANGGE_INDEX_MAX_AGE_MINUTES", 90)))


def fingerprint() -> str:
    from wangge.party.indices import config

    try:
        party = config()
    except Exception:  # misconfigured: the live path raises the clear error
        party = None
    blob = repr((VERSION, sorted(_sources()), party))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def month_of(period: Period) -> date | None:
    """The month's first day when the period is exactly one calendar month."""
    if period.start.day != 1:
        return None
    full = month_period(period.start.year, period.start.month)
    return period.start if full.end == period.end else None


def _sources() -> dict[str, object]:
    """{source: counts function} of the registered stored sources."""
    out = {}
    for d in REGISTRY.values():
        if d.source in STORED_SOURCES:
            out.setdefault(d.source, d.counts)
    return out


def _month_end(month: date) -> datetime:
    nxt = month_period(month.year, month.month).end + timedelta(days=1)
    return timezone.make_aware(datetime.combine(nxt, dtime()))


# ---------------------------------------------------------------- refresh
def refresh_month(month: date) -> dict:
    """Count every stored source for every active area from the city down to
    the grids over the calendar month, and replace the month's stored rows
    in one transaction (a failure keeps the previous rows)."""
    from .models import AreaIndexMonth, IndexMonthRun

    month = month.replace(day=1)
    started = time.perf_counter()
    computed_at = timezone.now()
    period = month_period(month.year, month.month)
    levels = [str(x) for x in LEVEL_ORDER[:MAX_DEPTH]]
    paths = list(
        Area.objects.filter(level__in=levels, is_active=True)
        .order_by("path")
        .values_list("path", flat=True)
    )
    subjects = [Subject(area_path=p) for p in paths]
    per_area: dict[str, dict] = {p: {} for p in paths}
    seconds = {}
    for source, counts in _sources().items():
        t = time.perf_counter()
        raw = counts(subjects, period) if subjects else {}
        for subj, r in raw.items():
            if not subj.is_department and subj.area_path in per_area:
                per_area[subj.area_path][source] = r
        seconds[source] = round(time.perf_counter() - t, 3)
    rows = [
        AreaIndexMonth(month=month, area_path=p, depth=len(p) // STEP, counts=c)
        for p, c in per_area.items()
    ]
    with transaction.atomic():
        AreaIndexMonth.objects.filter(month=month).delete()
        AreaIndexMonth.objects.bulk_create(rows, batch_size=2000)
        total = round(time.perf_counter() - started, 3)
        IndexMonthRun.objects.update_or_create(
            month=month,
            defaults={
                "fingerprint": fingerprint(),
                "computed_at": computed_at,
                "seconds": total,
                "areas": len(rows),
            },
        )
    return {"month": month.isoformat(), "areas": len(rows), "seconds": total, "sources": seconds}


def refresh_due(now: datetime | None = None) -> list[dict]:
    """What the periodic task refreshes: the current month, and the previous
    one (late ratings, visits recorded afterwards) when it has no run, or
    none since it ended, or none in the last day."""
    from .models import IndexMonthRun

    now = timezone.localtime(now or timezone.now())
    this = now.date().replace(day=1)
    prev = (this - timedelta(days=1)).replace(day=1)
    done = [refresh_month(this)]
    last = IndexMonthRun.objects.filter(month=prev).first()
    if (
        last is None
        or last.fingerprint != fingerprint()
        or last.computed_at < _month_end(prev)
        or last.computed_at < now - timedelta(days=1)
    ):
        done.append(refresh_month(prev))
    return done


# ---------------------------------------------------------------- read
def _fresh(run, month: date, now: datetime) -> bool:
    if run.fingerprint != fingerprint():
        return False
    if run.computed_at >= now - max_age():
        return True
    return now >= _month_end(month) and run.computed_at >= _month_end(month)


def run_for(period: Period):
    """The fresh stored run for the period, or None."""
    from .models import IndexMonthRun

    month = month_of(period)
    if month is None:
        return None
    run = IndexMonthRun.objects.filter(month=month).first()
    if run is None or not _fresh(run, month, timezone.now()):
        return None
    return run


def lookup(sources, subjects: list[Subject], period: Period) -> dict[str, dict] | None:
    """{source: {subject: raw counts}} from the stored month totals, or None
    when they cannot answer (see the module docstring). Departments get
    what their live counts give (no rows of theirs are stored: the sources
    count areas only); the caller counts them live."""
    from .models import AreaIndexMonth

    sources = [s for s in sources if s in STORED_SOURCES]
    areas = [s for s in subjects if not s.is_department]
    if not sources or not areas or any(s.is_department for s in subjects):
        return None
    if any(len(s.area_path) // STEP > MAX_DEPTH or not s.area_path for s in areas):
        return None
    run = run_for(period)
    if run is None:
        return None
    paths = sorted({s.area_path for s in areas})
    depths = {len(p) // STEP for p in paths}
    qs = AreaIndexMonth.objects.filter(month=run.month)
    if len(paths) > 500 and len(depths) == 1 and connection.vendor == "postgresql":
        # Many areas of one level (a ranking): the level's range of the index.
        import os

        common = os.path.commonprefix(paths)
        common = common[: len(common) // STEP * STEP]
        qs = qs.filter(subtree_q(common, "area_path"), depth=depths.pop())
    else:
        qs = qs.filter(area_path__in=paths)
    found = dict(qs.values_list("area_path", "counts"))
    if any(p not in found for p in paths):
        return None  # an area newer than the run: count live
    out: dict[str, dict] = defaultdict(dict)
    for source in sources:
        for s in areas:
            c = found[s.area_path].get(source)
            if c is None:
                return None
            out[source][s] = c
    return dict(out)


def status() -> list[dict]:
    """The stored runs, newest month first (for the admin screen and the command)."""
    from .models import IndexMonthRun

    now = timezone.now()
    return [
        {
            "month": r.month.isoformat(),
            "computed_at": r.computed_at.isoformat(),
            "seconds": r.seconds,
            "areas": r.areas,
            "fresh": _fresh(r, r.month, now),
        }
        for r in IndexMonthRun.objects.order_by("-month")
    ]
