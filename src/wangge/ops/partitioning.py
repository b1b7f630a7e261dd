"""PostgreSQL native partitioning of the large per-district tables
(docs/scale.md): each becomes `PARTITION BY LIST (district_id)`, one
partition per district (named by its code) and a DEFAULT one.

The conversion, for each table, in one transaction (the table is locked for
writes meanwhile: run it in a maintenance window):
1. note its indexes, constraints and the foreign keys pointing at it;
2. create the partitioned table (same columns, defaults, identity, checks)
   and its partitions, copy the rows, move the id sequence past them;
3. drop the old table, give the new one its name;
4. primary key and unique indexes gain the partition key (PostgreSQL and
   Citus require it: uniqueness holds per district); outgoing foreign keys
   (to areas, users, categories, departments: small reference tables) and
   the other indexes come back as they were, and so do the table's own
   triggers (the points ledger's append-only guard, audit guards): a row
   trigger on a partitioned table is cloned onto every partition;
5. a foreign key pointing at the table from a table that also has
   `district_id` (a case's events) comes back as a composite key
   (case_id, district_id) → (id, district_id): it never crosses districts,
   so partitions and Citus shards stay self-contained. Foreign keys from
   tables without a district are dropped (the ORM still follows and cascades
   them; the database no longer enforces them) and listed in the report.

The tables come in groups (GROUPS: cases, deliveries, visits, points), each
carrying `district_id`, written by the application when the row is written;
any other table with that column can be named directly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection, transaction

from wangge.core.errors import DomainError

KEY = "district_id"
# Parents before children (a child's composite foreign key needs its parent's new key).
GROUPS = {
    "cases": ["cases_case", "cases_caseevent"],
    "deliveries": ["notices_delivery"],
    "visits": ["visits_visit"],
    "points": ["points_pointsentry"],
}
TABLES = [t for tables in GROUPS.values() for t in tables]


def tables_of(names: list[str]) -> list[str]:
    """Group names (`cases`) or table names (`cases_case`), in GROUPS order."""
    out: list[str] = []
    for name in names:
        for table in GROUPS.get(name, [name]):
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
                raise DomainError("partition_bad_table", f"表名不合法：{table}")
            if table not in out:
                out.append(table)
    return sorted(out, key=lambda t: TABLES.index(t) if t in TABLES else len(TABLES))


@dataclass
class Report:
    table: str
    skipped: str = ""
    partitions: int = 0
    rows: int = 0
    composite_fks: list[str] = field(default_factory=list)
    dropped_fks: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    return [r[0] for r in cursor.fetchall()]


def _with_key(defn: str) -> str:
    """`... (a, b) ...` → `... (a, b, district_id) ...` (first column list)."""
    return re.sub(r"\(([^()]*)\)", lambda m: f"({m.group(1)}, {KEY})", defn, count=1)


def _districts(cursor, table: str) -> list[tuple[int, str]]:
    cursor.execute(
        f"SELECT id, code FROM areas_area WHERE level = 'district' "  # noqa: S608
        f"UNION SELECT a.id, a.code FROM areas_area a "
        f"WHERE a.id IN (SELECT DISTINCT {KEY} FROM {_q(table)}) ORDER BY 2"
    )
    return cursor.fetchall()


def partition_table(cursor, table: str) -> Report:
    report = Report(table)
    cursor.execute("SELECT to_regclass(%s)", [table])
    if cursor.fetchone()[0] is None:
        raise DomainError("partition_no_table", f"没有表 {table}")
    if is_partitioned(cursor, table):
        report.skipped = "已分区"
        return report
    columns = _columns(cursor, table)
    if KEY not in columns:
        raise DomainError("partition_no_key", f"{table} 没有 {KEY} 列，不能按区县分区")

    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') AND conparentid = 0 "
        "ORDER BY conname",
        [table],
    )
    own = cursor.fetchall()
    constraint_indexes = {name for name, kind, _ in own if kind in "pu"}
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s",
        [table],
    )
    indexes = [(n, d) for n, d in cursor.fetchall() if n not in constraint_indexes]
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f' AND conrelid <> confrelid "
        "AND conparentid = 0",
        [table],
    )
    incoming = cursor.fetchall()
    cursor.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
        [table],
    )
    triggers = cursor.fetchall()

    for child, name, _ in incoming:
        cursor.execute(f"ALTER TABLE {_q(child)} DROP CONSTRAINT {_q(name)}")

    new = f"{table}__p"
    cursor.execute(
        f"CREATE TABLE {_q(new)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING IDENTITY "
        f"INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE) PARTITION BY LIST ({KEY})"
    )
    for area_id, code in _districts(cursor, table):
        cursor.execute(
            f"CREATE TABLE {_q(f'{table}_{code}')} PARTITION OF {_q(new)} FOR VALUES IN (%s)",
            [area_id],
        )
        report.partitions += 1
    cursor.execute(f"CREATE TABLE {_q(table + '_default')} PARTITION OF {_q(new)} DEFAULT")
    cols = ", ".join(_q(c) for c in columns)
    cursor.execute(
        f"INSERT INTO {_q(new)} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM {_q(table)}"
    )
    report.rows = cursor.rowcount
    cursor.execute(f"DROP TABLE {_q(table)}")
    cursor.execute(f"ALTER TABLE {_q(new)} RENAME TO {_q(table)}")
    if "id" in columns:
        cursor.execute(
            "SELECT setval(s, coalesce((SELECT max(id) FROM "
            f"{_q(table)}), 0) + 1, false) FROM pg_get_serial_sequence(%s, 'id') s "
            "WHERE s IS NOT NULL",
            [table],
        )

    for name, kind, defn in own:
        if kind in "pu":
            defn = _with_key(defn) if KEY not in defn else defn
        cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {defn}")
    for _, defn in indexes:
        if defn.startswith("CREATE UNIQUE INDEX") and KEY not in defn.split(" WHERE ")[0]:
            defn = _with_key(defn)
        cursor.execute(defn)
    # Dropping the old table dropped its triggers (the rows were copied
    # before, by INSERT: an append-only guard does not fire on it).
    for name, defn in triggers:
        cursor.execute(defn)
        report.triggers.append(name)

    for child, name, defn in incoming:
        if KEY in _columns(cursor, child):
            m = re.match(r"FOREIGN KEY \((\w+)\) REFERENCES \S+\((\w+)\)(.*)", defn)
            if m is None:  # not a plain single-column key: leave it out, say so
                report.dropped_fks.append(f"{child}.{name}")
                continue
            fk = (
                f"FOREIGN KEY ({m.group(1)}, {KEY}) REFERENCES {_q(table)}({m.group(2)}, {KEY})"
                f"{m.group(3)}"
            )
            cursor.execute(f"ALTER TABLE {_q(child)} ADD CONSTRAINT {_q(name)} {fk}")
            report.composite_fks.append(f"{child}.{name}")
        else:
            report.dropped_fks.append(f"{child}.{name}")
    cursor.execute(f"ANALYZE {_q(table)}")
    return report


def partition_by_district(tables: list[str] | None = None) -> list[Report]:
    if connection.vendor != "postgresql":
        raise DomainError(
            "partition_postgres_only", "按区县分区只适用于 PostgreSQL（SQLite 单库部署无需分区）"
        )
    reports = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        # Deferred foreign-key checks of this transaction's own writes must
        # run before tables are altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables_of(tables or list(GROUPS)):
            reports.append(partition_table(cursor, table))
    return reports


def partitions(table: str) -> list[tuple[str, str]]:
    """(partition, bound) of a partitioned table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass ORDER BY 1",
            [table],
        )
        return cursor.fetchall()
