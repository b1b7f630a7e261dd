"""An empty SQLite database built in a few seconds instead of running every
migration (`wangge demo` on a fresh var/ directory).

Running the ~75 migrations one by one costs ~35 s of CPU on this machine,
nearly all of it in Django re-rendering the historical models after each
operation (every new model is related to the user and area models, so each
`CreateModel` re-renders most of the project). On an empty database the
result is known in advance: the migrations' final state. So, like Django's
test runner with `MIGRATE = False`, create the tables of that final state
directly, then replay the migrations' own database code in order (RunPython
and RunSQL: the seed rows — case catalogue, care groups, visit quotas,
hotlines — and the points ledger's triggers; the backfills find empty
tables), record every migration as applied and send post_migrate
(content types, permissions) as `migrate` does.

Only for an empty SQLite database whose migrations use Django's own
operations; anything else returns False and the caller runs `migrate`.
`core/tests/test_fastmigrate.py` holds the result to the migrated test
database: the same tables, columns, indexes, triggers and seed rows."""

from __future__ import annotations

import logging

from django.core.exceptions import FieldError
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations import operations as ops
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

# Data migrations that only rewrite existing rows (an empty database has
# none): not replayed. Their code reads columns of their own time, which the
# final state no longer has (accounts 0003 reads the plain `phone`).
BACKFILLS = frozenset(
    {
        ("accounts", "0003_user_phone_encrypted"),
        ("assessment", "0005_rollup_month"),
        ("notices", "0004_delivery_district"),
        ("points", "0003_entry_district"),
        ("points", "0004_redemption_expiry"),
    }
)

# The operations whose whole effect is the final state (schema) or that are
# replayed (RunPython, RunSQL). Anything else (a third-party operation,
# SeparateDatabaseAndState): run the migrations.
_REPLAYED = (ops.RunPython, ops.RunSQL)
_SCHEMA = tuple(
    getattr(ops, name)
    for name in ops.__all__
    if name not in ("RunPython", "RunSQL", "SeparateDatabaseAndState")
)


def migrate_fresh(*, database: str = DEFAULT_DB_ALIAS) -> bool:
    """Build the empty SQLite database `database` from the migrations'
    final state. False, having done nothing, when it is not SQLite, already
    has tables, or a migration holds an operation this cannot stand in for."""
    connection = connections[database]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        if connection.introspection.table_names(cursor):
            return False
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    for migration, backwards in plan:
        if backwards or not all(isinstance(op, _SCHEMA + _REPLAYED) for op in migration.operations):
            return False
    before = executor._create_project_state(with_applied_migrations=True)
    emit_pre_migrate_signal(0, False, database, apps=before.apps, plan=plan)
    state = executor.loader.project_state()  # the final state, rendered once
    # One transaction (SQLite's DDL is transactional): a replay that fails
    # leaves the database empty and the caller runs the migrations.
    if not connection.disable_constraint_checking():
        return False
    try:
        with transaction.atomic(using=database):
            _build(connection, executor, plan, state)
    except (DatabaseError, FieldError, LookupError):
        logger.warning("fast migrate fell back to the migrations", exc_info=True)
        return False
    finally:
        connection.enable_constraint_checking()
    state.clear_delayed_apps_cache()
    emit_post_migrate_signal(0, False, database, apps=state.apps, plan=plan)
    return True


def _build(connection, executor, plan, state) -> None:
    with connection.schema_editor(atomic=False) as editor:
        for model in state.apps.get_models():
            if model._meta.can_migrate(connection):
                editor.create_model(model)
    # Indexes and constraints are in place (deferred SQL ran); now the data
    # code, in migration order, against the final state — except the
    # backfills, which rewrite rows an empty database does not have.
    with connection.schema_editor(atomic=False) as editor:
        for migration, _ in plan:
            if (migration.app_label, migration.name) in BACKFILLS:
                continue
            for op in migration.operations:
                if isinstance(op, _REPLAYED):
                    op.database_forwards(migration.app_label, editor, state, state)
    connection.check_constraints()
    executor.recorder.ensure_schema()
    for migration, _ in plan:
        executor.record_migration(migration)
