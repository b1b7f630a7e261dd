"""The rows one intake writes (case, reporter, report event), in as few
round trips as the database allows, and the duplicate look-up.

PostgreSQL: ONE statement — the case insert (`ON CONFLICT DO NOTHING`, so an
idempotent replay or a concurrent retry writes nothing and raises nothing)
feeding the reporter and event inserts through data-modifying CTEs.
SQLite (in-process, round trips are cheap): three inserts with RETURNING.
Either way the caller holds the transaction, and `pre_save` / `post_save`
are sent for the three rows as `Model.save()` would (core.rawrows)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import connection

from wangge.audit.recorder import batched
from wangge.core.rawrows import insert_parts, saved, saving

from .models import OPEN_STATUSES, Case, CaseEvent, CaseReporter

_sql: dict = {}


def _parts(obj, skip: str = "") -> tuple[list[str], list, list]:
    cols, vals = insert_parts(obj, connection)
    fields = [
        f
        for f in obj._meta.concrete_fields
        if not (f.primary_key and getattr(obj, f.attname) is None)
    ]
    keep = [i for i, f in enumerate(fields) if f.attname != skip]
    return [cols[i] for i in keep], [vals[i] for i in keep], [fields[i] for i in keep]


def insert(case: Case, reporter: CaseReporter, event: CaseEvent) -> bool:
    """Insert the three rows; False (and nothing written) when the case's
    idempotency key or external id is already taken."""
    for obj in (case, reporter, event):
        saving(obj)
    c_cols, c_vals, _ = _parts(case)
    r_cols, r_vals, r_fields = _parts(reporter, "case_id")
    e_cols, e_vals, e_fields = _parts(event, "case_id")
    q = connection.ops.quote_name
    tables = [q(m._meta.db_table) for m in (Case, CaseReporter, CaseEvent)]
    if connection.vendor == "postgresql":
        key = ("pg", *c_cols, "|", *r_cols, "|", *e_cols)
        sql = _sql.get(key)
        if sql is None:

            def typed(fields):
                return ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in fields)

            sql = (
                f"WITH c AS (INSERT INTO {tables[0]} ({', '.join(c_cols)})"
                f" VALUES ({', '.join(['%s'] * len(c_cols))}) ON CONFLICT DO NOTHING"
                " RETURNING id),"
                f" r AS (INSERT INTO {tables[1]} (case_id, {', '.join(r_cols)})"
                f" SELECT c.id, {typed(r_fields)} FROM c RETURNING id),"
                f" e AS (INSERT INTO {tables[2]} (case_id, {', '.join(e_cols)})"
                f" SELECT c.id, {typed(e_fields)} FROM c RETURNING id)"
                " SELECT c.id, r.id, e.id FROM c, r, e"
            )
            _sql[key] = sql
        with connection.cursor() as cur:
            cur.execute(sql, [*c_vals, *r_vals, *e_vals])
            row = cur.fetchone()
        if row is None:
            return False
        case_id, reporter_id, event_id = row
    else:
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {tables[0]} ({', '.join(c_cols)})"
                f" VALUES ({', '.join(['%s'] * len(c_cols))}) ON CONFLICT DO NOTHING RETURNING id",
                c_vals,
            )
            row = cur.fetchone()
            if row is None:
                return False
            case_id = row[0]
            ids = []
            for table, cols, vals in ((tables[1], r_cols, r_vals), (tables[2], e_cols, e_vals)):
                cur.execute(
                    f"INSERT INTO {table} (case_id, {', '.join(cols)})"
                    f" VALUES (%s, {', '.join(['%s'] * len(cols))}) RETURNING id",
                    [case_id, *vals],
                )
                ids.append(cur.fetchone()[0])
            reporter_id, event_id = ids
    reporter.case_id = event.case_id = case_id
    with batched():  # the three rows' audit events: one INSERT
        saved(case, case_id)
        saved(reporter, reporter_id)
        saved(event, event_id)
    return True


# The open statuses written as literals, in the order of the partial index's
# condition, so SQLite's planner can match the index (it cannot with bound
# parameters).
_OPEN_SQL = ", ".join(f"'{s.value}'" for s in OPEN_STATUSES)


def nearby_open(
    *, category_id: int, lng: float, lat: float, at: datetime, metres: float, days: int, exclude_id
) -> list[tuple[int, float, float]]:
    """(id, lng, lat) of up to 50 open cases of the category reported in the
    `days` before `at` within the box of ±`metres` around the point (index
    `case_open_duplicate`)."""
    dlat = metres / 111_320
    dlng = metres / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"SELECT id, lng, lat FROM {Case._meta.db_table} WHERE category_id = %s"
        f" AND status IN ({_OPEN_SQL}) AND lat BETWEEN %s AND %s AND lng BETWEEN %s AND %s"
        " AND created_at >= %s AND created_at <= %s"
    )
    params = [
        category_id,
        lat - dlat,
        lat + dlat,
        lng - dlng,
        lng + dlng,
        adapt(at - timedelta(days=days)),
        adapt(at),
    ]
    if exclude_id:
        sql += " AND id <> %s"
        params.append(exclude_id)
    with connection.cursor() as cur:
        cur.execute(sql + " LIMIT 50", params)
        return cur.fetchall()
