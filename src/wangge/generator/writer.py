"""Streaming bulk writes for generated rows: COPY on PostgreSQL, executemany
on SQLite, in chunks, from a writer thread so generating the next rows and
writing the last ones overlap (psycopg and sqlite3 release the GIL while the
database works). Primary keys are allocated here, from the table's current
maximum, so nothing is read back.

For big loads on PostgreSQL the secondary indexes, unique and foreign-key
constraints of the loaded tables can be dropped first and recreated
afterwards from their exact stored definitions (`pg_get_indexdef`,
`pg_get_constraintdef`), inside the same transaction: a failure rolls the
drop back too. On SQLite the named secondary indexes are handled the same
way (from `sqlite_master.sql`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Max
from django.utils import timezone


@dataclass
class Table:
    """One destination table: the columns the generator supplies (attnames,
    in row order), plus constants for every other concrete column."""

    model: type[models.Model]
    columns: list[str]
    sql: str = ""
    extra_values: tuple = ()
    next_id: int = 1
    rows: list[tuple] = field(default_factory=list)
    written: int = 0

    def new_id(self) -> int:
        i = self.next_id
        self.next_id += 1
        return i


_UNSAFE = str.maketrans("", "", "\\\t\n\r")


def copy_safe(text: str) -> str:
    """Text without the characters COPY's text format would need escaped."""
    return text.translate(_UNSAFE)


def _copy_value(v) -> str:
    if v is None:
        return "\\N"
    if v is True or v is False:
        return "t" if v else "f"
    return copy_safe(str(v))


def _constant(f: models.Field, now, conn):
    """The value Django would store for a field the generator leaves out."""
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        value = now
    elif f.has_default():
        value = f.get_default()
    elif f.null:
        value = None
    elif f.empty_strings_allowed:
        value = ""
    else:
        raise ValueError(f"{f.model.__name__}.{f.name} needs a value from the generator")
    if conn.vendor == "sqlite":
        return f.get_db_prep_save(value, conn)
    if isinstance(f, models.DateTimeField) and value is not None:
        return value.isoformat()
    if isinstance(f, models.DateField) and value is not None:
        return value.isoformat()
    return value


class Writer:
    """Buffers rows per table and writes them in chunks; `close()` flushes,
    waits, recreates dropped indexes and resets the id sequences."""

    def __init__(
        self, *, conn=None, chunk_rows: int = 20_000, threaded: bool = True, analyze: bool = False
    ):
        # The wrapper object itself, not the thread-local proxy: the writer
        # thread must use the main thread's connection and transaction.
        self.conn = conn or connections[DEFAULT_DB_ALIAS]
        self.conn.ensure_connection()
        self.vendor = self.conn.vendor
        self.chunk_rows = chunk_rows
        self.analyze = analyze
        self.now = timezone.now()
        self.tables: dict[type[models.Model], Table] = {}
        self._dropped: list[tuple[str, str]] = []  # (kind, sql to recreate)
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.timings: dict[str, float] = {}
        if threaded:
            self._queue = queue.Queue(maxsize=3)
            self._thread = threading.Thread(target=self._run, name="wangge-writer", daemon=True)
            self._thread.start()

    # -- tables ----------------------------------------------------------------

    def table(self, model: type[models.Model], columns: list[str]) -> Table:
        if model in self.tables:
            return self.tables[model]
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(by_attname)
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        rest = [f for f in model._meta.concrete_fields if f.attname not in columns]
        extra = tuple(_constant(f, self.now, self.conn) for f in rest)
        names = [by_attname[c].column for c in columns] + [f.column for f in rest]
        qn = self.conn.ops.quote_name
        cols = ", ".join(qn(n) for n in names)
        if self.vendor == "postgresql":
            sql = f"COPY {qn(model._meta.db_table)} ({cols}) FROM STDIN"
        else:
            marks = ", ".join(["%s"] * len(names))
            sql = f"INSERT INTO {qn(model._meta.db_table)} ({cols}) VALUES ({marks})"
        last = model._default_manager.aggregate(m=Max("pk"))["m"] or 0
        t = Table(model=model, columns=list(columns), sql=sql, extra_values=extra)
        t.next_id = last + 1
        self.tables[model] = t
        return t

    def add(self, table: Table, row: tuple) -> None:
        table.rows.append(row)
        if len(table.rows) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        """Write every buffer, in the order the tables were registered:
        register parents before children and no row is ever written before
        the row it references (SQLite checks deferred foreign keys far
        faster when none is pending)."""
        for t in list(self.tables.values()):
            if not t.rows:
                continue
            rows, t.rows = t.rows, []
            t.written += len(rows)
            # PostgreSQL: COPY text is built here and only sent by the writer
            # thread (which then holds no GIL while the server works).
            data = self._copy_text(t, rows) if self.vendor == "postgresql" else rows
            if self._queue is not None:
                self._check()
                self._queue.put((t, data))
            else:
                self._write(t, data)

    @staticmethod
    def _copy_text(t: Table, rows: list[tuple]) -> bytes:
        """COPY text format. Values are ints, floats, bools, None and strings
        the generator made (checked free of tabs, newlines, backslashes by
        `copy_safe`), so nothing needs escaping."""
        tail = ""
        if t.extra_values:
            tail = "\t" + "\t".join(_copy_value(v) for v in t.extra_values)
        lines = [
            "\t".join(
                [
                    "\\N"
                    if v is None
                    else (("t" if v else "f") if v is True or v is False else str(v))
                    for v in r
                ]
            )
            for r in rows
        ]
        return ((tail + "\n").join(lines) + tail + "\n").encode()

    def sync(self) -> None:
        """Flush everything and wait until it is in the database."""
        self.flush()
        if self._queue is not None:
            self._queue.join()
            self._check()

    # -- the writing -----------------------------------------------------------

    def _run(self) -> None:
        assert self._queue is not None
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    self._write(*item)
            except BaseException as exc:  # re-raised in the main thread
                self._error = exc
            finally:
                self._queue.task_done()

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def _write(self, t: Table, data) -> None:
        raw = self.conn.connection
        if self.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(t.sql) as copy:
                copy.write(data)
        else:
            extra = t.extra_values
            sql = t.sql.replace("%s", "?")
            cur = raw.cursor()
            try:
                cur.executemany(sql, [r + extra for r in data] if extra else data)
            finally:
                cur.close()

    def close(self) -> None:
        """Flush, stop the thread, recreate what was dropped, fix sequences."""
        t0 = time.monotonic()
        try:
            self.sync()
        finally:
            if self._queue is not None and self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._queue = None
        self._check()
        t1 = time.monotonic()
        self.restore_indexes()
        self.timings["final_write"] = t1 - t0
        self.timings["indexes"] = time.monotonic() - t1
        models_ = [t.model for t in self.tables.values() if t.written]
        if models_:
            with self.conn.cursor() as cur:
                for sql in self.conn.ops.sequence_reset_sql(no_style(), models_):
                    cur.execute(sql)
                if self.vendor == "postgresql" and self.analyze:
                    # Fresh statistics for the planner after a big load.
                    t2 = time.monotonic()
                    qn = self.conn.ops.quote_name
                    for model in models_:
                        cur.execute(f"ANALYZE {qn(model._meta.db_table)}")
                    self.timings["analyze"] = time.monotonic() - t2

    # -- indexes -----------------------------------------------------------------

    def drop_indexes(self, models_: Iterable[type[models.Model]]) -> list[str]:
        """Drop secondary indexes, unique and foreign-key constraints of the
        tables (not primary keys or checks); remember how to recreate them."""
        names = []
        with self.conn.cursor() as cur:
            if self.vendor == "postgresql":
                # Deferred checks still pending in this transaction (rows
                # deleted or written earlier) block ALTER TABLE: run them now.
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in models_:
                table = model._meta.db_table
                if self.vendor == "postgresql":
                    self._drop_pg(cur, table)
                else:
                    self._drop_sqlite(cur, table)
                names.append(table)
        return names

    def _drop_pg(self, cur, table: str) -> None:
        qn = self.conn.ops.quote_name
        cur.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS ("
            " SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
            " ORDER BY 1",
            [table],
        )
        indexes = cur.fetchall()
        for name, _kind, _definition in constraints:
            cur.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {name}")
        # Recreate plain indexes, then unique constraints, then foreign keys.
        for _name, definition in indexes:
            self._dropped.append(("index", definition))
        for name, kind, definition in sorted(constraints, key=lambda c: c[1] == "f"):
            self._dropped.append(
                (kind, f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
            )

    def _drop_sqlite(self, cur, table: str) -> None:
        cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL ORDER BY name",
            [table],
        )
        for name, sql in cur.fetchall():
            cur.execute(f'DROP INDEX "{name}"')
            self._dropped.append(("index", sql))

    def restore_indexes(self) -> None:
        if not self._dropped:
            return
        with self.conn.cursor() as cur:
            if self.vendor == "postgresql":
                cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for _kind, sql in self._dropped:
                cur.execute(sql)
        self._dropped = []


def drop_unindexed_foreign_keys(conn, models_: Iterable[type[models.Model]]) -> list[str]:
    """PostgreSQL: drop the foreign keys (of any table) that point at these
    models' tables from a column no index leads with, and return the
    statements that put them back exactly. Deleting many referenced rows
    then costs one validation pass per constraint when they come back,
    instead of one sequential scan of the referencing table per deleted row."""
    if conn.vendor != "postgresql":
        return []
    tables = [m._meta.db_table for m in models_]
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'f' "
            "AND c.confrelid = ANY(%s::text[]::regclass[]) "
            "AND NOT EXISTS (SELECT 1 FROM pg_index i "
            "  WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]) "
            "ORDER BY 1, 2",
            [tables],
        )
        found = cur.fetchall()
        if not found:
            return []
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # pending checks block ALTER TABLE
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        qn = conn.ops.quote_name
        restore = []
        for table, name, definition in found:
            cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
            restore.append(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
    return restore
