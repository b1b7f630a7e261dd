"""The audit tables refuse UPDATE and DELETE in the database itself.

Triggers, installed after every `migrate` (a SQLite table rebuild drops its
triggers; reinstalling after each migration puts them back):

- UPDATE is always refused;
- DELETE is refused unless the row is older than the retention
  (`RETENTION_DAYS`, 183 days ≥ six months): that is the only way rows leave;
- TRUNCATE (PostgreSQL) is refused.

A maintenance switch lets DELETE/TRUNCATE through for whole-database
operations that are not the application (a test run emptying its database,
a restore into an empty one): `maintenance()`. On PostgreSQL it is a session
setting; on SQLite a function Wangge registers on its own connections (any
other client — the sqlite3 shell — has no such function, and its deletes
fail). Production should also run the application under a database role
without UPDATE/DELETE/TRUNCATE on these tables (docs/security.md).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection as default_connection

RETENTION_DAYS = 183
TABLES = ("audit_auditevent", "audit_personaldataaccess")
MESSAGE = "wangge audit log is append-only"

_maintenance_depth = 0


def _sqlite_maintenance() -> int:
    return 1 if _maintenance_depth else 0


def register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "wangge_audit_maintenance", 0, _sqlite_maintenance, deterministic=False
        )


PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION wangge_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' AND current_setting('wangge.audit_maintenance', true) = 'on' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{RETENTION_DAYS} days' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _pg_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS wangge_append_only ON {table}",
        f"CREATE TRIGGER wangge_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION wangge_audit_guard()",
        f"DROP TRIGGER IF EXISTS wangge_append_only_truncate ON {table}",
        f"CREATE TRIGGER wangge_append_only_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION wangge_audit_guard()",
    ]


def _sqlite_statements(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS wangge_{table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refused)'); END",
        f"DROP TRIGGER IF EXISTS wangge_{table}_no_delete",
        f"CREATE TRIGGER wangge_{table}_no_delete BEFORE DELETE ON {table} "
        f"WHEN NOT wangge_audit_maintenance() AND OLD.at >= datetime('now', '-{RETENTION_DAYS} days') "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refused)'); END",
    ]


def install(connection=None) -> None:
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        statements = [PG_FUNCTION] + [s for t in TABLES for s in _pg_statements(t)]
    elif connection.vendor == "sqlite":
        statements = [s for t in TABLES for s in _sqlite_statements(t)]
    else:
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for statement in statements:
            if any(t in statement for t in TABLES) and not any(
                t in existing for t in TABLES if t in statement
            ):
                continue
            cursor.execute(statement)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    from django.db import connections

    install(connections[using])


@contextmanager
def maintenance(connection=None):
    """Let whole-table DELETE/TRUNCATE through (test flushes, restores).
    UPDATE stays refused."""
    global _maintenance_depth
    connection = connection or default_connection
    _maintenance_depth += 1
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET wangge.audit_maintenance = 'on'")
        yield
    finally:
        _maintenance_depth -= 1
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("RESET wangge.audit_maintenance")
