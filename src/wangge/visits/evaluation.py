"""Monthly evaluation of grid workers (网格员月度考评) and the 十佳网格员
ranking per street. A read: computed from the month's visit plan, cases,
residents' ratings and the worker app's presence heartbeats.

Per full-time grid worker (`grid_worker`) and month:

- coverage = households of the worker's plan visited in the month ÷
  households on it (None without a plan);
- on-time = cases of the worker's grids handled by the grid team (or
  assigned to the worker) in the month with `handled_at` ≤ `due_at` ÷ those
  handled (None when none);
- satisfaction = ratings 4–5 ÷ ratings of those cases (None when unrated);
- online rate = minutes with a heartbeat inside the working-day calendar's
  hours ÷ working minutes of the month's working days so far (None before
  the first working day);
- score = Σ weight × component over the components that exist, divided by
  the sum of their weights, × 100 (`WANGGE_EVALUATION_WEIGHTS`, default
  coverage 0.4, on-time 0.3, satisfaction 0.2, online 0.1);
- eligible for 十佳 when the online rate is at least
  `WANGGE_ONLINE_RATE_THRESHOLD` (Putuo's 0.6); the ranking orders a street's
  workers by score, eligible first, and marks the best ten eligible ones.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from wangge.areas.models import Area, Level
from wangge.areas.paths import subtree_q
from wangge.cases.workdays import china
from wangge.core.errors import DomainError
from wangge.teams.models import RoleAssignment
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for

from .models import PlanItem
from .services import NOT_FOUND, local_midnight, month_start, next_month

DEFAULT_WEIGHTS = {"coverage": 0.4, "on_time": 0.3, "satisfaction": 0.2, "online": 0.1}
TOP = 10


def weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **getattr(settings, "WANGGE_EVALUATION_WEIGHTS", {})}


def online_threshold() -> float:
    return float(getattr(settings, "WANGGE_ONLINE_RATE_THRESHOLD", 0.6))


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _working_minutes() -> frozenset[int]:
    minutes: set[int] = set()
    for start, end in china().intervals:
        minutes |= set(range(start.hour * 60 + start.minute, end.hour * 60 + end.minute))
    return frozenset(minutes)


def online_rates(*, user_ids, month: date, today: date) -> dict[int, float | None]:
    """Each user's online rate over the month's working days up to `today`
    (one query for all users)."""
    from wangge.worker.models import PresenceDay

    cal = china()
    last = min(next_month(month) - timedelta(days=1), today)
    days = [
        month + timedelta(days=i)
        for i in range((last - month).days + 1)
        if cal.is_working_day(month + timedelta(days=i))
    ]
    if not days:
        return dict.fromkeys(user_ids)
    working = _working_minutes()
    online: dict[int, int] = dict.fromkeys(user_ids, 0)
    rows = PresenceDay.objects.filter(user_id__in=list(user_ids), day__in=days).values_list(
        "user_id", "minutes"
    )
    for user_id, bits in rows:
        bits = bytes(bits)
        online[user_id] += sum(1 for m in working if bits[m // 8] & (1 << (m % 8)))
    total = len(working) * len(days)
    return {u: round(n / total, 4) for u, n in online.items()}


def street_evaluation(*, actor, street: Area, month: date | None = None) -> dict:
    """The month's evaluation of every full-time grid worker of a street,
    ranked; the best ten eligible are 十佳网格员."""
    from wangge.cases.models import Case

    scope = scope_for(actor)
    if (
        street is None
        or street.level != Level.STREET
        or not scope.is_staff_scope
        or not scope.covers(street.path)
    ):
        raise DomainError("not_found", NOT_FOUND, status=404)
    month = month_start(month or timezone.localdate())
    start, end = local_midnight(month), local_midnight(next_month(month))
    workers = list(
        RoleAssignment.objects.filter(
            subtree_q(street.path, "area_path"), role=Role.GRID_WORKER, is_active=True
        )
        .values("user_id", "user__name", "user__username", "area_id", "area__name")
        .order_by("area__path", "user_id")
    )
    user_ids = {w["user_id"] for w in workers}
    grids_of: dict[int, set[int]] = {}
    for w in workers:
        grids_of.setdefault(w["user_id"], set()).add(w["area_id"])
    plan = {
        r["worker_id"]: r
        for r in PlanItem.objects.filter(
            subtree_q(street.path, "area_path"), month=month, worker_id__in=user_ids
        )
        .values("worker_id")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(visited_at__isnull=False)))
    }
    grid_ids = {g for gs in grids_of.values() for g in gs}
    handled = Q(handled_at__gte=start, handled_at__lt=end)
    cases = list(
        Case.objects.filter(handled)
        .filter(Q(team="grid", grid_id__in=grid_ids) | Q(assignee_id__in=user_ids))
        .values_list("grid_id", "assignee_id", "handled_at", "due_at", "rating")
    )
    online = online_rates(user_ids=user_ids, month=month, today=timezone.localdate())
    w = weights()
    threshold = online_threshold()
    rows = []
    for entry in workers:
        uid = entry["user_id"]
        if any(r["user_id"] == uid for r in rows):
            continue  # one row per worker, even with two grids
        mine = [c for c in cases if c[0] in grids_of[uid] or c[1] == uid]
        on_time = sum(1 for c in mine if c[3] is None or c[2] <= c[3])
        rated = [c[4] for c in mine if c[4] is not None]
        p = plan.get(uid)
        parts = {
            "coverage": _ratio(p["done"], p["n"]) if p else None,
            "on_time": _ratio(on_time, len(mine)),
            "satisfaction": _ratio(sum(1 for r in rated if r >= 4), len(rated)),
            "online": online.get(uid),
        }
        present = {k: v for k, v in parts.items() if v is not None and w.get(k)}
        score = (
            round(100 * sum(w[k] * v for k, v in present.items()) / sum(w[k] for k in present), 1)
            if present
            else None
        )
        rows.append(
            {
                "user_id": uid,
                "name": entry["user__name"] or entry["user__username"],
                "grid_id": entry["area_id"],
                "grid_name": entry["area__name"],
                **parts,
                "planned": p["n"] if p else 0,
                "visited": p["done"] if p else 0,
                "cases_handled": len(mine),
                "ratings": len(rated),
                "score": score,
                "eligible": parts["online"] is not None and parts["online"] >= threshold,
            }
        )
    rows.sort(key=lambda r: (not r["eligible"], -(r["score"] or 0), r["user_id"]))
    top = 0
    for i, r in enumerate(rows, 1):
        r["rank"] = i
        r["top_ten"] = r["eligible"] and r["score"] is not None and top < TOP
        top += r["top_ten"]
    return {
        "street_id": street.pk,
        "street": street.name,
        "month": month,
        "weights": w,
        "online_threshold": threshold,
        "rows": rows,
    }
