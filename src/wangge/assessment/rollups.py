"""The case rollup (`CaseRollup`): what one case contributes, the hook the
case engine calls after every write, and the rebuild from scratch.

A case contributes one vector of counters (models.COUNTERS) to the row of its
report day and category at each level of its area path (city … leaf), and to
the row of its lead department. The hook applies `after − before` for one
case in ONE statement (a multi-row INSERT … ON CONFLICT DO UPDATE adding the
deltas); a move that changes nothing counted (accept, handle, whistle …)
writes nothing. The month table (`CaseRollupMonth`: month × area, all
categories) gets the same difference summed by month in a second statement
(nothing when only the category changed). `rebuild()` computes the day table
with one grouped query per level, in SQL, and the month table from the day
rows; tests check both give the same rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction

from wangge.areas.paths import STEP
from wangge.cases.models import CLOSED_STATUSES, OPEN_STATUSES, Case, Status
from wangge.cases.workdays import TZ

from .models import COUNTERS, DEPARTMENT_DEPTH, CaseRollup, CaseRollupMonth

Key = tuple[date, int, str, int, int]  # day, depth, area_path, department_id, category_id
Vector = tuple[int, ...]
TABLE = CaseRollup._meta.db_table
MONTH_TABLE = CaseRollupMonth._meta.db_table
MonthKey = tuple[date, int, str, int]  # month (1st), depth, area_path, department_id


def local_day(dt) -> date:
    return dt.astimezone(TZ).date()


def vector(case: Case) -> Vector:
    """The counters of one case, by its current state (order of COUNTERS)."""
    status = case.status
    closed = status in CLOSED_STATUSES
    rating = case.rating
    return (
        1,
        int(status in OPEN_STATUSES),
        int(closed),
        int(closed and (case.due_at is None or (case.closed_at or case.due_at) <= case.due_at)),
        int(status == Status.VOIDED),
        int(status == Status.MERGED),
        int(rating is not None),
        int(rating is not None and rating >= 4),
        int(case.rework_count > 0),
        int(case.extension_count > 0),
        int(bool(case.supervised)),
        int(case.escalations > 0),
    )


def contribution(case: Case) -> dict[Key, Vector]:
    """Rows the case adds to, with what it adds."""
    day = local_day(case.created_at)
    vec = vector(case)
    cat = case.category_id
    path = case.area_path
    out: dict[Key, Vector] = {
        (day, d, path[: d * STEP], 0, cat): vec for d in range(1, len(path) // STEP + 1)
    }
    if case.department_id:
        out[(day, DEPARTMENT_DEPTH, "", case.department_id, cat)] = vec
    return out


def delta(before: dict[Key, Vector], after: dict[Key, Vector]) -> dict[Key, Vector]:
    rows: dict[Key, list[int]] = {k: list(v) for k, v in after.items()}
    for k, v in before.items():
        cur = rows.setdefault(k, [0] * len(COUNTERS))
        for i, x in enumerate(v):
            cur[i] -= x
    return {k: tuple(v) for k, v in rows.items() if any(v)}


def _upsert(table: str, keys: tuple[str, ...], conflict: str, n: int) -> str:
    """INSERT of n rows (keys + counters) adding the counters on conflict."""
    cols = (*keys, *COUNTERS)
    row = "(" + ", ".join(["%s"] * len(cols)) + ")"
    sets = ", ".join(f'"{c}" = {table}."{c}" + excluded."{c}"' for c in COUNTERS)
    return (
        f"INSERT INTO {table} ({', '.join(chr(34) + c + chr(34) for c in cols)}) "
        f"VALUES {', '.join([row] * n)} ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    )


def _upsert_sql(n: int) -> str:
    keys = ("day", "depth", "area_path", "department_id", "category_id")
    return _upsert(TABLE, keys, '"area_path", "department_id", "day", "category_id"', n)


def _month_upsert_sql(n: int) -> str:
    keys = ("month", "depth", "area_path", "department_id")
    return _upsert(MONTH_TABLE, keys, '"area_path", "department_id", "month"', n)


def by_month(rows: dict[Key, Vector]) -> dict[MonthKey, Vector]:
    """Day × category deltas summed per month and area (zeros dropped)."""
    out: dict[MonthKey, list[int]] = {}
    for (day, depth, path, dept, _cat), vec in rows.items():
        cur = out.setdefault((day.replace(day=1), depth, path, dept), [0] * len(COUNTERS))
        for i, x in enumerate(vec):
            cur[i] += x
    return {k: tuple(v) for k, v in out.items() if any(v)}


def apply(rows: dict[Key, Vector]) -> None:
    """Add the deltas: one statement for the day rows, one for the months."""
    if not rows:
        return
    adapt = connection.ops.adapt_datefield_value
    params: list = []
    for (day, depth, path, dept, cat), vec in rows.items():
        params += [adapt(day), depth, path, dept, cat, *vec]
    months = by_month(rows)
    with connection.cursor() as cur:
        cur.execute(_upsert_sql(len(rows)), params)
        if months:
            params = []
            for (month, depth, path, dept), vec in months.items():
                params += [adapt(month), depth, path, dept, *vec]
            cur.execute(_month_upsert_sql(len(months)), params)


@dataclass(frozen=True)
class Snapshot:
    rows: dict[Key, Vector]
    category_id: int
    category_suggested: bool


def snapshot(case: Case) -> Snapshot:
    """What the hook needs to remember of a case before a move."""
    return Snapshot(contribution(case), case.category_id, case.category_suggested)


def case_changed(case: Case, before: Snapshot | None, *, actor=None, at=None) -> None:
    """The case engine's hook, inside its transaction: after a report
    (`before` None) or a move (`before` = the snapshot before the move).
    Applies the rollup difference in one statement; a changed category is
    also kept as a correction (training data for the classifier)."""
    apply(delta(before.rows if before else {}, contribution(case)))
    if before is not None and before.category_id != case.category_id:
        from .models import CategoryCorrection

        CategoryCorrection.objects.create(
            case_id=case.pk,
            area_path=case.area_path,
            from_category_id=before.category_id,
            to_category_id=case.category_id,
            was_suggested=before.category_suggested,
            actor=actor,
            at=at or case.created_at,
        )


# ---------------------------------------------------------------- rebuild
def _sum(cond: str) -> str:
    return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


CLOSED_SQL = f"status IN {_in(CLOSED_STATUSES)}"
COUNTER_SQL = (
    "COUNT(*)",
    _sum(f"status IN {_in(OPEN_STATUSES)}"),
    _sum(CLOSED_SQL),
    _sum(f"{CLOSED_SQL} AND (due_at IS NULL OR closed_at IS NULL OR closed_at <= due_at)"),
    _sum(f"status = '{Status.VOIDED.value}'"),
    _sum(f"status = '{Status.MERGED.value}'"),
    _sum("rating IS NOT NULL"),
    _sum("rating >= 4"),
    _sum("rework_count > 0"),
    _sum("extension_count > 0"),
    _sum("supervised"),
    _sum("escalations > 0"),
)


def day_sql(column: str = "created_at") -> str:
    """The local (Asia/Shanghai) date of a timestamp column, in SQL."""
    if connection.vendor == "postgresql":
        return f"CAST(({column} AT TIME ZONE '{TZ.key}') AS date)"
    # SQLite keeps UTC text; Asia/Shanghai has a fixed offset (no DST).
    hours = int(datetime(2000, 1, 1, tzinfo=TZ).utcoffset().total_seconds() // 3600)
    return f"date({column}, '{hours:+d} hours')"


def month_sql(column: str = "day") -> str:
    """The first day of the month of a date column, in SQL."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def rebuild_months() -> int:
    """Recompute the month table from the day rows (one grouped INSERT …
    SELECT). Returns the number of rows."""
    cols = ", ".join(f'"{c}"' for c in ("month", "depth", "area_path", "department_id", *COUNTERS))
    sums = ", ".join(f'SUM("{c}")' for c in COUNTERS)
    month = month_sql('"day"')
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {MONTH_TABLE}")
        cur.execute(
            f"INSERT INTO {MONTH_TABLE} ({cols}) "
            f'SELECT {month}, "depth", "area_path", "department_id", {sums} FROM {TABLE} '
            f'GROUP BY {month}, "depth", "area_path", "department_id"'
        )
    return CaseRollupMonth.objects.count()


def rebuild(*, max_depth: int = 6) -> int:
    """Recompute the whole table from the cases (one grouped INSERT … SELECT
    per level and one for departments), then the month table from it.
    Returns the number of day rows."""
    cases = Case._meta.db_table
    cols = ", ".join(
        f'"{c}"' for c in ("day", "depth", "area_path", "department_id", "category_id", *COUNTERS)
    )
    counters = ", ".join(COUNTER_SQL)
    day = day_sql()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE}")
        for d in range(1, max_depth + 1):
            n = d * STEP
            cur.execute(
                f"INSERT INTO {TABLE} ({cols}) "
                f"SELECT {day}, {d}, SUBSTR(area_path, 1, {n}), 0, category_id, {counters} "
                f"FROM {cases} WHERE LENGTH(area_path) >= {n} "
                f"GROUP BY {day}, SUBSTR(area_path, 1, {n}), category_id"
            )
        cur.execute(
            f"INSERT INTO {TABLE} ({cols}) "
            f"SELECT {day}, {DEPARTMENT_DEPTH}, '', department_id, category_id, {counters} "
            f"FROM {cases} WHERE department_id IS NOT NULL "
            f"GROUP BY {day}, department_id, category_id"
        )
        rebuild_months()
    return CaseRollup.objects.count()
