"""Stored totals for the indices whose source is not the case rollup:

- `AreaPopulation`: residents and households under every area, one row per
  area at each level of the people rows' `area_path` (city … micro-grid,
  `depth` 1–6, like the case rollup) — the denominators of 积分参与率 and
  入户率 (5.5 M residents and 1.9 M households in the benchmark city are
  ~97,000 rows here; a ranking of the city's 4,365 grids reads 4,365);
- `PointsMonth`: one row per resident and month in which they earned points
  (earn entries of the ledger, month of `created_at` in Asia/Shanghai), with
  the points earned and the resident's place *now* — the numerator of
  积分参与率 ("residents who earned points") without reading the ledger.

Both are kept by **database triggers**, so every writer keeps them right: the
people services, the importer (bulk INSERT), the generator (COPY on
PostgreSQL), the points services, raw SQL. On PostgreSQL inserts and deletes
of residents and households are statement triggers over the transition
table (one grouped upsert per statement, whatever its size); a change of
`area_path` (a building moved to another micro-grid) is a row trigger that
fires only when the path changes, and it moves the resident's `PointsMonth`
rows along; TRUNCATE zeroes the column. The ledger is append-only
(points.ledger), so an earn entry is one row trigger (an upsert adding the
amount). SQLite has row triggers only: the same, per row.

`recount()` recomputes both tables from the source rows (the migration that
creates them, `wangge manage assessment_rebuild`, and after a `migrate` that
found a trigger missing: a SQLite table rebuild drops a table's triggers).
Tests check the stored totals equal `recount()` after every kind of write."""

from __future__ import annotations

from datetime import datetime

from django.db import connection as default_connection
from django.db import transaction

from wangge.areas.models import LEVEL_ORDER
from wangge.areas.paths import STEP
from wangge.cases.workdays import TZ

POP = "assessment_areapopulation"
PTS = "assessment_pointsmonth"
RESIDENTS = "people_resident"
HOUSEHOLDS = "people_household"
LEDGER = "points_pointsentry"
SOURCES = ((RESIDENTS, "residents"), (HOUSEHOLDS, "households"))
MAX_DEPTH = len(LEVEL_ORDER)  # city … micro-grid


def _parts(table: str, col: str) -> tuple[str, str, str]:
    """Trigger name stem, the other counter, and what a resident's move also
    updates (their points months follow them)."""
    other = "households" if col == "residents" else "residents"
    move_points = (
        f"UPDATE {PTS} SET area_path = NEW.area_path WHERE resident_id = NEW.id;"
        if table == RESIDENTS
        else ""
    )
    return f"assessment_pop_{col}", other, move_points


def _pg_statements() -> list[str]:
    out: list[str] = []
    for table, col in SOURCES:
        fn, other, move_points = _parts(table, col)
        out += [
            f"""CREATE OR REPLACE FUNCTION {fn}_ins() RETURNS trigger AS $$
BEGIN
  INSERT INTO {POP} (area_path, depth, {col}, {other})
  SELECT substr(area_path, 1, d * {STEP}), d, COUNT(*), 0
  FROM new_rows, generate_series(1, length(area_path) / {STEP}) AS d GROUP BY 1, 2
  ON CONFLICT (area_path) DO UPDATE SET {col} = {POP}.{col} + excluded.{col};
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
            f"""CREATE OR REPLACE FUNCTION {fn}_del() RETURNS trigger AS $$
BEGIN
  UPDATE {POP} p SET {col} = p.{col} - x.n
  FROM (SELECT substr(area_path, 1, d * {STEP}) AS path, COUNT(*) AS n
        FROM old_rows, generate_series(1, length(area_path) / {STEP}) AS d GROUP BY 1) x
  WHERE p.area_path = x.path;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
            f"""CREATE OR REPLACE FUNCTION {fn}_move() RETURNS trigger AS $$
BEGIN
  UPDATE {POP} SET {col} = {col} - 1 WHERE area_path IN (
    SELECT substr(OLD.area_path, 1, d * {STEP})
    FROM generate_series(1, length(OLD.area_path) / {STEP}) AS d);
  INSERT INTO {POP} (area_path, depth, {col}, {other})
  SELECT substr(NEW.area_path, 1, d * {STEP}), d, 1, 0
  FROM generate_series(1, length(NEW.area_path) / {STEP}) AS d
  ON CONFLICT (area_path) DO UPDATE SET {col} = {POP}.{col} + 1;
  {move_points}
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
            f"""CREATE OR REPLACE FUNCTION {fn}_truncate() RETURNS trigger AS $$
BEGIN
  UPDATE {POP} SET {col} = 0 WHERE {col} <> 0;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
        ]
        for suffix, when in (
            ("ins", "AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"),
            ("del", "AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"),
            (
                "move",
                "AFTER UPDATE OF area_path ON {t} FOR EACH ROW "
                "WHEN (OLD.area_path IS DISTINCT FROM NEW.area_path)",
            ),
            ("truncate", "AFTER TRUNCATE ON {t} FOR EACH STATEMENT"),
        ):
            out += [
                f"DROP TRIGGER IF EXISTS {fn}_{suffix} ON {table}",
                f"CREATE TRIGGER {fn}_{suffix} {when.format(t=table)} "
                f"EXECUTE FUNCTION {fn}_{suffix}()",
            ]
    out += [
        f"""CREATE OR REPLACE FUNCTION assessment_points_earn() RETURNS trigger AS $$
BEGIN
  INSERT INTO {PTS} (resident_id, month, area_path, points)
  SELECT r.id, CAST(date_trunc('month', NEW.created_at AT TIME ZONE '{TZ.key}') AS date),
         r.area_path, NEW.amount
  FROM {RESIDENTS} r WHERE r.id = NEW.resident_id
  ON CONFLICT (resident_id, month) DO UPDATE SET points = {PTS}.points + excluded.points;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS assessment_points_earn ON {LEDGER}",
        f"CREATE TRIGGER assessment_points_earn AFTER INSERT ON {LEDGER} FOR EACH ROW "
        "WHEN (NEW.kind = 'earn' AND NEW.resident_id IS NOT NULL) "
        "EXECUTE FUNCTION assessment_points_earn()",
    ]
    return out


def _sqlite_month(column: str) -> str:
    hours = int(datetime(2000, 1, 1, tzinfo=TZ).utcoffset().total_seconds() // 3600)
    return f"date({column}, '{hours:+d} hours', 'start of month')"


def _sqlite_add(row: str, col: str, other: str) -> str:
    """One upsert per level of the row's path (SQLite triggers have no
    generate_series or CTEs)."""
    return "\n  ".join(
        f"INSERT INTO {POP} (area_path, depth, {col}, {other}) "
        f"SELECT substr({row}.area_path, 1, {d * STEP}), {d}, 1, 0 "
        f"WHERE length({row}.area_path) >= {d * STEP} "
        f"ON CONFLICT (area_path) DO UPDATE SET {col} = {col} + 1;"
        for d in range(1, MAX_DEPTH + 1)
    )


def _sqlite_sub(row: str, col: str) -> str:
    # substr past the end is the whole path: repeats in an IN list are harmless.
    prefixes = ", ".join(f"substr({row}.area_path, 1, {d * STEP})" for d in range(1, MAX_DEPTH + 1))
    return f"UPDATE {POP} SET {col} = {col} - 1 WHERE area_path IN ({prefixes});"


def _sqlite_statements() -> list[str]:
    out: list[str] = []
    for table, col in SOURCES:
        fn, other, move_points = _parts(table, col)
        out += [
            f"DROP TRIGGER IF EXISTS {fn}_ins",
            f"""CREATE TRIGGER {fn}_ins AFTER INSERT ON {table} BEGIN
  {_sqlite_add("NEW", col, other)}
END""",
            f"DROP TRIGGER IF EXISTS {fn}_del",
            f"""CREATE TRIGGER {fn}_del AFTER DELETE ON {table} BEGIN
  {_sqlite_sub("OLD", col)}
END""",
            f"DROP TRIGGER IF EXISTS {fn}_move",
            f"""CREATE TRIGGER {fn}_move AFTER UPDATE OF area_path ON {table}
WHEN OLD.area_path IS NOT NEW.area_path BEGIN
  {_sqlite_sub("OLD", col)}
  {_sqlite_add("NEW", col, other)}
  {move_points}
END""",
        ]
    out += [
        "DROP TRIGGER IF EXISTS assessment_points_earn",
        f"""CREATE TRIGGER assessment_points_earn AFTER INSERT ON {LEDGER}
WHEN NEW.kind = 'earn' AND NEW.resident_id IS NOT NULL BEGIN
  INSERT INTO {PTS} (resident_id, month, area_path, points)
  SELECT r.id, {_sqlite_month("NEW.created_at")}, r.area_path, NEW.amount
  FROM {RESIDENTS} r WHERE r.id = NEW.resident_id
  ON CONFLICT (resident_id, month) DO UPDATE SET points = points + excluded.points;
END""",
    ]
    return out


def trigger_names(connection=None) -> list[str]:
    suffixes = ["ins", "del", "move"]
    if (connection or default_connection).vendor == "postgresql":
        suffixes.append("truncate")
    names = [f"assessment_pop_{col}_{s}" for _table, col in SOURCES for s in suffixes]
    return [*names, "assessment_points_earn"]


def _ready(connection) -> bool:
    tables = set(connection.introspection.table_names())
    return {POP, PTS, RESIDENTS, HOUSEHOLDS, LEDGER} <= tables


def installed(connection=None) -> set[str]:
    connection = connection or default_connection
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {r[0] for r in cur.fetchall()}


def install_triggers(connection=None) -> None:
    connection = connection or default_connection
    if not _ready(connection):
        return
    if connection.vendor == "postgresql":
        statements = _pg_statements()
    elif connection.vendor == "sqlite":
        statements = _sqlite_statements()
    else:
        return
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def _month_sql(column: str, connection) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column} AT TIME ZONE '{TZ.key}') AS date)"
    return _sqlite_month(column)


def recount(connection=None) -> dict[str, int]:
    """Both tables recomputed from the residents, households and ledger (one
    grouped INSERT … SELECT each), writers held off meanwhile on PostgreSQL.
    Returns the row counts."""
    connection = connection or default_connection
    if not _ready(connection):
        return {}
    month = _month_sql("e.created_at", connection)
    with transaction.atomic(using=connection.alias), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"LOCK TABLE {RESIDENTS}, {HOUSEHOLDS}, {LEDGER} IN SHARE MODE")
        cur.execute(f"DELETE FROM {POP}")
        # Each table grouped by place once, then summed to every level.
        depths = " UNION ALL ".join(f"SELECT {d} AS n" for d in range(1, MAX_DEPTH + 1))
        prefix = f"substr(x.area_path, 1, d.n * {STEP})"
        cur.execute(
            f"INSERT INTO {POP} (area_path, depth, residents, households) "
            f"SELECT {prefix}, d.n, SUM(x.r), SUM(x.h) FROM ("
            f"SELECT area_path, COUNT(*) AS r, 0 AS h FROM {RESIDENTS} GROUP BY area_path "
            f"UNION ALL SELECT area_path, 0, COUNT(*) FROM {HOUSEHOLDS} GROUP BY area_path"
            f") x JOIN ({depths}) d ON length(x.area_path) >= d.n * {STEP} "
            f"GROUP BY {prefix}, d.n"
        )
        cur.execute(f"DELETE FROM {PTS}")
        cur.execute(
            f"INSERT INTO {PTS} (resident_id, month, area_path, points) "
            f"SELECT e.resident_id, {month}, r.area_path, SUM(e.amount) "
            f"FROM {LEDGER} e JOIN {RESIDENTS} r ON r.id = e.resident_id "
            "WHERE e.kind = 'earn' AND e.resident_id IS NOT NULL "
            f"GROUP BY e.resident_id, {month}, r.area_path"
        )
        cur.execute(f"SELECT (SELECT COUNT(*) FROM {POP}), (SELECT COUNT(*) FROM {PTS})")
        pop, pts = cur.fetchone()
    return {"population_rows": pop, "points_month_rows": pts}


def install_after_migrate(sender, using="default", **kwargs) -> None:
    """After every `migrate`: put back missing triggers, and recount when one
    was missing (rows written meanwhile were not counted)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite") or not _ready(connection):
        return
    missing = set(trigger_names(connection)) - installed(connection)
    if missing:
        install_triggers(connection)
        recount(connection)
