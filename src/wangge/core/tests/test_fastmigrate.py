"""`migrate_fresh` (wangge demo on a fresh var/) gives the database the
migrations give: the same tables, columns, indexes, foreign keys, triggers
and seed rows as the test database (built by running every migration), and
every migration recorded as applied. It declines a database that has tables
and a non-SQLite one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection

from wangge.testing.fixtures import ensure_seed_data

SCRIPT = """
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from wangge.core.fastmigrate import migrate_fresh
first = migrate_fresh()
again = migrate_fresh()
executor = MigrationExecutor(connection)
left = executor.migration_plan(executor.loader.graph.leaf_nodes())
print(first, again, len(left))
"""

# Tables whose rows the seed data migrations write (see ensure_seed_data).
SEEDED = ("cases_category", "people_caregroup", "visits_quotarule", "civic_service")


def _schema(rows_of, tables):
    out = {}
    for t in tables:
        cols = sorted(tuple(r[1:]) for r in rows_of(f'PRAGMA table_info("{t}")'))
        indexes = {}
        for r in rows_of(f'PRAGMA index_list("{t}")'):
            cols_i = tuple(x[2] for x in rows_of(f'PRAGMA index_xinfo("{r[1]}")') if x[5])
            key = ("auto", cols_i) if r[1].startswith("sqlite_autoindex") else r[1]
            indexes[key] = (r[2], cols_i, r[3], r[4])
        fks = sorted(tuple(r[2:5]) for r in rows_of(f'PRAGMA foreign_key_list("{t}")'))
        out[t] = (cols, indexes, fks)
    return out


def _master(rows_of, kind):
    return {
        name: " ".join((sql or "").split())
        for name, sql in rows_of(f"SELECT name, sql FROM sqlite_master WHERE type = '{kind}'")
    }


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="compares SQLite schemas")
def test_a_fresh_database_equals_the_migrated_one(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wangge.settings.demo",
        "WANGGE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{path}",
    }
    env.pop("WANGGE_TEST_DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    # Built on the first call; the second finds tables and declines; nothing left to migrate.
    assert run.stdout.split() == ["True", "False", "0"], run.stdout

    fresh = sqlite3.connect(path)

    def fresh_rows(sql):
        return fresh.execute(sql).fetchall()

    def test_rows(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    tables = sorted(_master(test_rows, "table"))
    assert sorted(_master(fresh_rows, "table")) == tables
    tables = [t for t in tables if not t.startswith("sqlite_")]
    assert _schema(fresh_rows, tables) == _schema(test_rows, tables)
    assert _master(fresh_rows, "index") == _master(test_rows, "index")
    assert _master(fresh_rows, "trigger") == _master(test_rows, "trigger")
    assert _master(fresh_rows, "trigger")  # the points ledger's, at least

    ensure_seed_data()  # a transactional test earlier may have flushed them
    for t in SEEDED:
        (n,) = fresh.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()
        assert n > 0, t
        assert [n] == [r[0] for r in test_rows(f'SELECT COUNT(*) FROM "{t}"')], t
    (applied,) = fresh.execute("SELECT COUNT(*) FROM django_migrations").fetchone()
    assert applied == test_rows("SELECT COUNT(*) FROM django_migrations")[0][0]
