"""The ledger is append-only in the database, not only in the code: triggers
refuse UPDATE and DELETE on `points_pointsentry` (PostgreSQL and SQLite).

Whole-database operations that are not the application (a test run emptying
its database, a restore) pass under the same maintenance switch as the audit
tables (wangge.audit.appendonly: the `wangge.audit_maintenance` session
setting on PostgreSQL, the `wangge_audit_maintenance()` function Wangge
registers on its own SQLite connections). Without the switch — or from any
other client, where that function does not exist — DELETE fails. UPDATE
always fails. Triggers are reinstalled after every `migrate`, since a SQLite
table rebuild drops them."""

from __future__ import annotations

TABLE = "points_pointsentry"
MESSAGE = "积分明细只能追加，不能修改或删除（更正请追加一条更正记录）"

POSTGRES_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION points_entry_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'UPDATE' AND current_setting('wangge.audit_maintenance', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS points_entry_append_only ON {TABLE}",
    f"""CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION points_entry_append_only()""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS points_entry_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS points_entry_append_only()",
]
SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS points_entry_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    "DROP TRIGGER IF EXISTS points_entry_no_delete",
    f"""CREATE TRIGGER points_entry_no_delete BEFORE DELETE ON {TABLE}
WHEN NOT wangge_audit_maintenance()
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS points_entry_no_update",
    "DROP TRIGGER IF EXISTS points_entry_no_delete",
]


def _run(connection, statements) -> None:
    if TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install_triggers(connection) -> None:
    if connection.vendor == "postgresql":
        _run(connection, POSTGRES_INSTALL)
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_INSTALL)


def drop_triggers(connection) -> None:
    if connection.vendor == "postgresql":
        _run(connection, POSTGRES_DROP)
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_DROP)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    from django.db import connections

    install_triggers(connections[using])
