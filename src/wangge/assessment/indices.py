"""The index registry (指数): each index is one function of a `Subject` (an
area or a department) and a `Period`, with its formula in words, returning
the value and the raw counts behind it.

Case indices read the rollup (`CaseRollup`): the cases *reported in the
period*, in their current state ("cohort" counting — a case counts once, in
the period it was reported). Indices over other apps' data (visits, surveys,
presence, party building) register here too (`register`), so the dashboard,
rankings, reports and composite scores pick them up without change.

Every `IndexValue` carries `formula` and `raw`, so any number on a screen or
in a report can show what it was computed from."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before, of the same kind: the previous calendar
        month for a month, else the same number of days."""
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            y, m = self.start.year, self.start.month - months
            while m < 1:
                y, m = y - 1, m + 12
            prev_end = self.start - timedelta(days=1)
            return Period(date(y, m, 1), prev_end)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def label(self) -> str:
        one_month = (self.start.year, self.start.month) == (self.end.year, self.end.month)
        if one_month and self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}


def month_period(year: int, month: int) -> Period:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return Period(date(year, month, 1), nxt - timedelta(days=1))


@dataclass(frozen=True)
class Subject:
    """What is assessed: an area (by path) or a department (by id)."""

    area_path: str = ""
    department_id: int = 0

    @property
    def is_department(self) -> bool:
        return bool(self.department_id)


@dataclass
class IndexValue:
    code: str
    name: str
    value: float | None  # a percentage (0–100) or a score; None: nothing to count
    formula: str
    raw: dict[str, int] = field(default_factory=dict)
    unit: str = "%"
    higher_is_better: bool = True

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "value": None if self.value is None else round(self.value, 2),
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "formula": self.formula,
            "raw": self.raw,
        }


@dataclass(frozen=True)
class IndexDef:
    code: str
    name: str
    formula: str
    higher_is_better: bool
    # counts(subjects, period) -> {subject: raw counts}; value(raw) -> number
    counts: Callable[[list[Subject], Period], dict[Subject, dict[str, int]]]
    value: Callable[[dict[str, int]], float | None]
    unit: str = "%"
    source: str = "cases"

    def of(self, raw: dict[str, int]) -> IndexValue:
        return IndexValue(
            code=self.code,
            name=self.name,
            value=self.value(raw),
            formula=self.formula,
            raw=raw,
            unit=self.unit,
            higher_is_better=self.higher_is_better,
        )


REGISTRY: dict[str, IndexDef] = {}


def register(index: IndexDef) -> IndexDef:
    REGISTRY[index.code] = index
    return index


def ratio(num: int, den: int) -> float | None:
    return None if den <= 0 else 100.0 * num / den


# ---------------------------------------------------------------- case indices
def case_counts(subjects: list[Subject], period: Period) -> dict[Subject, dict[str, int]]:
    from .selectors import rollup_sums

    return rollup_sums(subjects, period)


def _valid(r: dict[str, int]) -> int:
    """Cases that must be handled: reported, less voided and merged ones."""
    return r["total"] - r["voided"] - r["merged"]


def _case_index(code, name, formula, value, higher=True) -> IndexDef:
    return register(
        IndexDef(
            code=code,
            name=name,
            formula=formula,
            higher_is_better=higher,
            counts=case_counts,
            value=value,
        )
    )


VALID = "有效工单 = 上报 − 作废 − 合并"
_case_index(
    "satisfaction",
    "满意率",
    "满意率 = 评价为 4–5 分的工单 ÷ 已评价工单 × 100%",
    lambda r: ratio(r["satisfied"], r["rated"]),
)
_case_index(
    "closure",
    "结案率",
    f"结案率 = 已结案工单 ÷ 有效工单 × 100%（{VALID}）",
    lambda r: ratio(r["closed"], _valid(r)),
)
_case_index(
    "on_time",
    "按期结案率",
    "按期结案率 = 在办理时限内结案的工单 ÷ 已结案工单 × 100%",
    lambda r: ratio(r["on_time"], r["closed"]),
)
# Shares of valid cases that went through something unwanted (lower is better).
for _code, _name, _what, _counter in (
    ("rework", "返工率", "核查不通过被退回过的工单", "reworked"),
    ("extension", "延期率", "获批延期过的工单", "extended"),
    ("supervision", "督办率", "被督办过的工单", "supervised"),
):
    _case_index(
        _code,
        _name,
        f"{_name} = {_what} ÷ 有效工单 × 100%（{VALID}）",
        lambda r, k=_counter: ratio(r[k], _valid(r)),
        higher=False,
    )


# ---------------------------------------------------------------- 在线率
ONLINE_ROLES = ("grid_worker", "part_time_worker")


def working_days(period: Period) -> tuple[list[date], int]:
    """The period's working days up to today, and a working day's minutes."""
    from wangge.cases.workdays import china

    from .selectors import today

    cal = china()
    days, d = [], period.start
    while d <= min(period.end, today()):
        if cal.is_working_day(d):
            days.append(d)
        d += timedelta(days=1)
    return days, cal.day_seconds() // 60


def online_minutes(users, days: list[date], per_day: int) -> dict[int, int]:
    """{user id: minutes online} on those days, each day capped at a working
    day (`users`: ids or a queryset of them)."""
    from django.db.models import Sum
    from django.db.models.functions import Least

    from wangge.worker.models import PresenceDay

    if not days:
        return {}
    return dict(
        PresenceDay.objects.filter(user_id__in=users, day__in=days)
        .values_list("user_id")
        .annotate(m=Sum(Least("count", per_day)))
        .order_by()
    )


def presence_counts(subjects: list[Subject], period: Period) -> dict[Subject, dict[str, int]]:
    """Grid workers assigned under each area, their working days in the
    period (up to today), and their online minutes on those days (from the
    worker app's presence heartbeats, each day capped at a working day's
    length). Departments have no grid workers: zeros."""
    from django.db.models import Q

    from wangge.areas.paths import STEP, subtree_q
    from wangge.teams.models import RoleAssignment

    days, per_day = working_days(period)
    out = {
        s: {"workers": 0, "working_days": len(days), "online_minutes": 0, "expected_minutes": 0}
        for s in subjects
    }
    areas = [s for s in subjects if not s.is_department]
    if not areas:
        return out
    # One range: the areas' common ancestor (a ranking's parent), not one
    # range per area; assignments outside the subjects are skipped below.
    common = os.path.commonprefix([s.area_path for s in areas])
    common = common[: len(common) // STEP * STEP]
    # The assignment's own copy of its area's path (set by teams.services):
    # no join with the areas (98,000 rows for a city).
    where = subtree_q(common, "area_path") if common else Q()
    assigned = list(
        RoleAssignment.objects.filter(where, role__in=ONLINE_ROLES, is_active=True)
        .values_list("user_id", "area_path")
        .distinct()
    )
    minutes = {}
    if assigned:
        users = RoleAssignment.objects.filter(where, role__in=ONLINE_ROLES, is_active=True)
        minutes = online_minutes(users.values("user_id"), days, per_day)
    by_path = {s.area_path: out[s] for s in areas}  # path → the subject's counts
    lengths = sorted({len(p) for p in by_path})
    seen: set[tuple[str, int]] = set()
    for user_id, path in assigned:
        for n in lengths:
            key = path[:n]
            r = by_path.get(key)
            if r is None or (key, user_id) in seen:
                continue
            seen.add((key, user_id))  # plain strings: cheaper to hash than a Subject
            r["workers"] += 1
            r["online_minutes"] += minutes.get(user_id) or 0
            r["expected_minutes"] += len(days) * per_day
    return out


register(
    IndexDef(
        code="online",
        name="在线率",
        formula=(
            "在线率 = 网格员工作日在线分钟数（每天最多计一个工作日时长）"
            " ÷ (网格员人数 × 工作日数 × 每日工作分钟) × 100%"
        ),
        higher_is_better=True,
        counts=presence_counts,
        value=lambda r: ratio(r["online_minutes"], r["expected_minutes"]),
        source="presence",
    )
)


# ---------------------------------------------------------------- 互评
def peer_counts(subjects: list[Subject], period: Period) -> dict[Subject, dict[str, int]]:
    """Ratings received in campaigns overlapping the period: departments from
    communities and streets, areas (streets, districts) from departments."""
    from django.db.models import Count, Sum

    from .models import Campaign, Evaluation

    out = {s: {"ratings": 0, "score_sum": 0} for s in subjects}
    campaigns = list(
        Campaign.objects.filter(start__lte=period.end, end__gte=period.start).values_list(
            "pk", flat=True
        )
    )
    if not campaigns:  # most periods: no campaign, no query with 4,365 paths
        return out
    base = Evaluation.objects.filter(campaign_id__in=campaigns)
    depts = [s.department_id for s in subjects if s.is_department]
    paths = [s.area_path for s in subjects if not s.is_department]
    if depts:
        for r in (
            base.filter(department_id__in=depts)
            .values("department_id")
            .annotate(n=Count("pk"), s=Sum("score"))
            .order_by()
        ):
            out[Subject(department_id=r["department_id"])] = {
                "ratings": r["n"],
                "score_sum": r["s"],
            }
    if paths:
        for r in (
            base.filter(area__path__in=paths)
            .values("area__path")
            .annotate(n=Count("pk"), s=Sum("score"))
            .order_by()
        ):
            out[Subject(area_path=r["area__path"])] = {"ratings": r["n"], "score_sum": r["s"]}
    return out


register(
    IndexDef(
        code="peer",
        name="互评得分",
        formula="互评得分 = 互评评分之和 ÷ 评分次数 × 20（满分 100；部门由村社区、镇街评，"
        "镇街、区县的派遣准确性由部门评）",
        higher_is_better=True,
        counts=peer_counts,
        value=lambda r: None if not r["ratings"] else 20.0 * r["score_sum"] / r["ratings"],
        unit="分",
        source="evaluation",
    )
)


# Indices over other apps' data: 入户率, 知晓率, 先锋指数, 堡垒指数, 积分参与率.
from . import other_indices  # noqa: E402,F401
