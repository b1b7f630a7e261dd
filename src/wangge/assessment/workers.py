"""网格员考核: the indices of each grid worker (专职网格员, 兼职网格员) under an
area over a period, ranked — what a street or community uses for its
workers' monthly assessment, beside the areas' rankings.

Per worker (their staff account), each with its formula (`FORMULAS`):
- 上报 cases they reported in the period;
- 办结 cases assigned to them and handled in the period, and 按期办结率: of
  those, handled no later than the deadline (or without one);
- 满意率: ratings 4–5 ÷ ratings given in the period to cases they reported
  or handled (a case they both reported and handled counts once);
- 走访 visits they made in the period and the distinct households visited;
- 在线率: online minutes on working days (each day capped at a working
  day's length) ÷ (working days up to today × a working day's minutes),
  as the areas' 在线率;
- 综合得分: the mean of 按期办结率, 满意率 and 在线率 that have data, with
  走访 scored as min(1, households visited ÷ `WANGGE_WORKER_VISIT_TARGET`
  (30 a month, pro rata for other periods)) × 100.

One grouped query per source for all workers of the area (no query per
worker); the workers are those with an active assignment under the area."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, F, Q

from wangge.areas.paths import subtree_q
from wangge.core.errors import DomainError

from .indices import ONLINE_ROLES, Period, online_minutes, working_days

FORMULAS = {
    "reported": "上报 = 期内本人上报的工单数",
    "handled": "办结 = 期内指派给本人并处置完成的工单数",
    "on_time": "按期办结率 = 期内按时限处置完成的工单 ÷ 期内处置完成的工单 × 100%",
    "satisfaction": "满意率 = 本人上报或处置的工单中期内评价为4–5星的 ÷ 期内评价数 × 100%",
    "visits": "走访 = 期内本人的入户走访次数（户数：走访到的不同住户）",
    "online": "在线率 = 工作日在线分钟（每天最多一个工作日时长）÷ (工作日数 × 每日工作分钟) × 100%",
    "composite": "综合得分 = 按期办结率、满意率、在线率与走访得分（走访户数 ÷ 目标户数，最多100）中有数据者的平均值",
}
SORTABLE = ("composite", "on_time", "satisfaction", "online", "visits", "handled", "reported")


def _pct(num: int, den: int) -> float | None:
    return None if den <= 0 else round(100.0 * num / den, 2)


def visit_target(period: Period) -> float:
    per_month = float(getattr(settings, "WANGGE_WORKER_VISIT_TARGET", 30))
    return per_month * period.days / 30.0


def worker_ranking(*, actor, area_id: int, period: Period, by: str = "composite") -> dict:
    from wangge.cases.models import Case
    from wangge.cases.workdays import TZ
    from wangge.teams.models import RoleAssignment

    from .selectors import _area_label, access_assessed_area

    if by not in SORTABLE:
        raise DomainError("bad_index", f"未知的排序指标“{by}”", status=422)
    area = access_assessed_area(actor=actor, area_id=area_id)
    assigned = list(
        RoleAssignment.objects.filter(
            subtree_q(area.path, "area_path"), role__in=ONLINE_ROLES, is_active=True
        )
        .order_by("user_id", "area_path")
        .values_list("user_id", "user__name", "role", "area__name")
    )
    workers: dict[int, dict] = {}
    for uid, name, role, place in assigned:
        w = workers.setdefault(uid, {"user_id": uid, "name": name, "roles": [], "areas": []})
        if role not in w["roles"]:
            w["roles"].append(role)
        if place not in w["areas"]:
            w["areas"].append(place)
    ids = list(workers)
    start = datetime.combine(period.start, time(), tzinfo=TZ)
    end = datetime.combine(period.end + timedelta(days=1), time(), tzinfo=TZ)

    reported = dict(
        Case.objects.filter(created_by_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values_list("created_by_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    handled = {
        uid: (n, ok)
        for uid, n, ok in Case.objects.filter(
            assignee_id__in=ids, handled_at__gte=start, handled_at__lt=end
        )
        .values_list("assignee_id")
        .annotate(
            n=Count("pk"),
            ok=Count("pk", filter=Q(due_at__isnull=True) | Q(handled_at__lte=F("due_at"))),
        )
        .order_by()
    }
    rated: dict[int, list[int]] = defaultdict(list)
    for creator, assignee, rating in Case.objects.filter(
        Q(created_by_id__in=ids) | Q(assignee_id__in=ids),
        rating__isnull=False,
        rated_at__gte=start,
        rated_at__lt=end,
    ).values_list("created_by_id", "assignee_id", "rating"):
        for uid in {creator, assignee}:
            if uid in workers:
                rated[uid].append(rating)
    visits: dict[int, tuple[int, int]] = {}
    if apps.is_installed("wangge.visits"):
        Visit = apps.get_model("visits", "Visit")
        visits = {
            uid: (n, h)
            for uid, n, h in Visit.objects.filter(
                visitor_id__in=ids, visited_at__gte=start, visited_at__lt=end
            )
            .values_list("visitor_id")
            .annotate(n=Count("pk"), h=Count("household_id", distinct=True))
            .order_by()
        }
    days, per_day = working_days(period)
    minutes = online_minutes(ids, days, per_day) if ids else {}
    target = visit_target(period)
    rows = []
    for uid, w in workers.items():
        n_handled, n_ok = handled.get(uid, (0, 0))
        ratings = rated.get(uid, [])
        n_visits, n_households = visits.get(uid, (0, 0))
        expected = len(days) * per_day
        values = {
            "reported": reported.get(uid, 0),
            "handled": n_handled,
            "on_time": _pct(n_ok, n_handled),
            "satisfaction": _pct(sum(1 for r in ratings if r >= 4), len(ratings)),
            "visits": n_visits,
            "households_visited": n_households,
            "online": _pct(minutes.get(uid) or 0, expected),
        }
        parts = [values[k] for k in ("on_time", "satisfaction", "online") if values[k] is not None]
        if target > 0:
            parts.append(min(100.0, 100.0 * n_households / target))
        values["composite"] = round(sum(parts) / len(parts), 2) if parts else None
        rows.append(
            {
                **w,
                "raw": {
                    "handled_on_time": n_ok,
                    "ratings": len(ratings),
                    "satisfied": sum(1 for r in ratings if r >= 4),
                    "online_minutes": minutes.get(uid) or 0,
                    "expected_minutes": expected,
                    "visit_target": round(target, 1),
                },
                "values": values,
            }
        )

    def key(row):
        v = row["values"][by]
        return (v is None, -(v or 0), row["name"], row["user_id"])

    rows.sort(key=key)
    for i, row in enumerate(rows, 1):
        row["rank"] = i if row["values"][by] is not None else None
    return {
        "area": _area_label(area),
        "period": period.as_dict(),
        "by": by,
        "count": len(rows),
        "formulas": FORMULAS,
        "rows": rows,
    }
