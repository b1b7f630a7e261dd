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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from .models import COUNTERS


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
_case_index(
    "rework",
    "返工率",
    f"返工率 = 核查不通过被退回过的工单 ÷ 有效工单 × 100%（{VALID}）",
    lambda r: ratio(r["reworked"], _valid(r)),
    higher=False,
)
_case_index(
    "extension",
    "延期率",
    f"延期率 = 获批延期过的工单 ÷ 有效工单 × 100%（{VALID}）",
    lambda r: ratio(r["extended"], _valid(r)),
    higher=False,
)
_case_index(
    "supervision",
    "督办率",
    f"督办率 = 被督办过的工单 ÷ 有效工单 × 100%（{VALID}）",
    lambda r: ratio(r["supervised"], _valid(r)),
    higher=False,
)

CASE_COUNTERS = COUNTERS
