"""Stored totals of the slow indices (在线率, 入户率, 知晓率, 先锋指数,
堡垒指数, 积分参与率) per area and per month, quarter and year.

Those indices read other apps' rows (visits, survey answers, party members'
work, the points ledger, presence days). For a city that is hundreds of
thousands of rows per source, far too many to read each time a leader opens
a ranking of 4,365 grids. So `refresh` runs each source's own `counts()`
once for every area from the city down to the grids and stores the raw
counts per area and period (`AreaIndexTotals`; periods keyed like the
visits app's: "2026-11", "2026-Q4", "2026"); `lookup` hands them to the
rankings, screens and reports instead of the live counts when

- the period is one calendar month, quarter or year,
- every area asked about is a grid or above (micro-grids: live; few rows),
- the period's run is fresh: computed within `WANGGE_INDEX_MAX_AGE_MINUTES`
  (default 90), or, for a period that has ended, computed after its end
  (a closed period hardly moves; it is refreshed once a day),
- it was computed with today's formulas (`fingerprint`: the sources and
  the party index settings) and holds every area asked about.

Anything else is counted live, as before. The stored counts are exactly
what the live counts gave at `computed_at` (same functions), so the two
agree by construction; tests run the hand-count tests both ways. Huey
refreshes the current month, quarter and year every 30 minutes and the
previous ones once a day (`tasks.py`, `refresh_due`); `wangge manage
assessment_refresh` does it by hand."""

from __future__ import annotations

import hashlib
import os
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


def period_key(period: Period) -> str | None:
    """ "2026-11", "2026-Q4" or "2026" when the period is exactly that
    calendar month, quarter or year; else None."""
    y, m = period.start.year, period.start.month
    for key in (f"{y}-{m:02d}", f"{y}-Q{(m - 1) // 3 + 1}", f"{y}"):
        if key_period(key) == period:
            return key
    return None


def key_period(key: str) -> Period:
    """The Period of a key ("2026-11", "2026-Q4", "2026"); ValueError if malformed."""
    if len(key) == 4:
        y = int(key)
        return Period(date(y, 1, 1), date(y, 12, 31))
    if len(key) == 7 and key[4:6] == "-Q" and key[6] in "1234":
        y, q = int(key[:4]), int(key[6])
        return Period(month_period(y, 3 * q - 2).start, month_period(y, 3 * q).end)
    if len(key) == 7 and key[4] == "-":
        y, m = int(key[:4]), int(key[5:])
        if 1 <= m <= 12:
            return month_period(y, m)
    raise ValueError(f"统计周期应为 2026-11、2026-Q4 或 2026，而不是“{key}”")


def current_keys(day: date) -> list[str]:
    """This month, quarter and year."""
    return [f"{day.year}-{day.month:02d}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", str(day.year)]


def _sources() -> dict[str, object]:
    """{source: counts function} of the registered stored sources."""
    out = {}
    for d in REGISTRY.values():
        if d.source in STORED_SOURCES:
            out.setdefault(d.source, d.counts)
    return out


def _end(key: str) -> datetime:
    """The moment the period ends (local midnight after its last day)."""
    nxt = key_period(key).end + timedelta(days=1)
    return timezone.make_aware(datetime.combine(nxt, dtime()))


# ---------------------------------------------------------------- refresh
def refresh(key: str) -> dict:
    """Count every stored source for every active area from the city down to
    the grids over the period ("2026-11", "2026-Q4", "2026"), and replace
    its stored rows in one transaction (a failure keeps the previous rows)."""
    from .models import AreaIndexTotals, StoredIndexRun

    period = key_period(key)
    started = time.perf_counter()
    computed_at = timezone.now()
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
        AreaIndexTotals(period=key, area_path=p, depth=len(p) // STEP, counts=c)
        for p, c in per_area.items()
    ]
    with transaction.atomic():
        AreaIndexTotals.objects.filter(period=key).delete()
        AreaIndexTotals.objects.bulk_create(rows, batch_size=2000)
        total = round(time.perf_counter() - started, 3)
        StoredIndexRun.objects.update_or_create(
            period=key,
            defaults={
                "fingerprint": fingerprint(),
                "computed_at": computed_at,
                "seconds": total,
                "areas": len(rows),
            },
        )
    return {"period": key, "areas": len(rows), "seconds": total, "sources": seconds}


def refresh_due(now: datetime | None = None) -> list[dict]:
    """What the periodic task refreshes: this month, quarter and year; and
    the previous ones (late ratings, visits recorded afterwards) when they
    have no run, or none since they ended, or none in the last day."""
    from .models import StoredIndexRun

    now = timezone.localtime(now or timezone.now())
    today = now.date()
    this = current_keys(today)
    month_start = today.replace(day=1)
    q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    previous = [
        current_keys(month_start - timedelta(days=1))[0],
        current_keys(q_start - timedelta(days=1))[1],
        str(today.year - 1),
    ]
    done = [refresh(k) for k in this]
    runs = {r.period: r for r in StoredIndexRun.objects.filter(period__in=previous)}
    for key in previous:
        last = runs.get(key)
        if (
            last is None
            or last.fingerprint != fingerprint()
            or last.computed_at < _end(key)
            or last.computed_at < now - timedelta(days=1)
        ):
            done.append(refresh(key))
    return done


# ---------------------------------------------------------------- read
def _fresh(run, now: datetime) -> bool:
    if run.fingerprint != fingerprint():
        return False
    if run.computed_at >= now - max_age():
        return True
    end = _end(run.period)
    return now >= end and run.computed_at >= end


def run_for(period: Period):
    """The fresh stored run for the period, or None."""
    from .models import StoredIndexRun

    key = period_key(period)
    if key is None:
        return None
    run = StoredIndexRun.objects.filter(period=key).first()
    if run is None or not _fresh(run, timezone.now()):
        return None
    return run


def lookup(sources, subjects: list[Subject], period: Period) -> dict[str, dict] | None:
    """{source: {subject: raw counts}} from the stored totals, or None when
    they cannot answer (see the module docstring): the caller counts live.
    Departments are always counted live (the sources count areas only:
    nothing of theirs is stored)."""
    from .models import AreaIndexTotals

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
    qs = AreaIndexTotals.objects.filter(period=run.period)
    if len(paths) > 500 and len(depths) == 1 and connection.vendor == "postgresql":
        # Many areas of one level (a ranking): the level's range of the index.
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
    """The stored runs, newest first (for the command)."""
    from .models import StoredIndexRun

    now = timezone.now()
    return [
        {
            "period": r.period,
            "computed_at": r.computed_at.isoformat(),
            "seconds": r.seconds,
            "areas": r.areas,
            "fresh": _fresh(r, now),
        }
        for r in StoredIndexRun.objects.order_by("-computed_at")
    ]
