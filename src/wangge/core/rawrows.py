"""Hand-written SQL on hot paths, with Django's own column conversions.

The ORM spends most of a small request compiling queries (a bearer-token
look-up or a three-row insert cost more in `as_sql()` than in the database).
These helpers let a hot path write its SQL once and still:

- read rows into model instances through each field's converters
  (`Reader`: the same values the ORM would give, e.g. aware datetimes on
  SQLite);
- insert instances with each field's `pre_save` / `get_db_prep_save`
  (`insert_parts`), and send `pre_save` / `post_save` like `Model.save()`
  does (`saved`), so receivers (audit, caches) see these writes too.
"""

from __future__ import annotations

from django.db import connections
from django.db.models.signals import post_save, pre_save


class Reader:
    """Columns of one model under a table alias, turned back into instances."""

    def __init__(self, model, alias: str, using: str = "default") -> None:
        self.model = model
        self.using = using
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.columns = ", ".join(f'{alias}."{f.column}"' for f in self.fields)
        self._converters = None

    def __len__(self) -> int:
        return len(self.fields)

    def _conv(self):
        if self._converters is None:
            conn = connections[self.using]
            out = []
            for i, f in enumerate(self.fields):
                col = f.get_col(self.model._meta.db_table)
                fns = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
                if fns:
                    out.append((i, col, fns))
            self._converters = out
        return self._converters

    def build(self, values):
        values = list(values)
        conn = connections[self.using]
        for i, col, fns in self._conv():
            for fn in fns:
                values[i] = fn(values[i], col, conn)
        return self.model.from_db(self.using, self.names, values)


def insert_parts(obj, connection) -> tuple[list[str], list]:
    """(quoted columns, prepared values) to insert `obj` (its primary key
    left to the database), as `Model.save()` would write them."""
    columns, values = [], []
    for f in obj._meta.concrete_fields:
        if f.primary_key and getattr(obj, f.attname) is None:
            continue
        columns.append(connection.ops.quote_name(f.column))
        values.append(f.get_db_prep_save(f.pre_save(obj, add=True), connection=connection))
    return columns, values


def saving(obj, using: str = "default") -> None:
    pre_save.send(sender=type(obj), instance=obj, raw=False, using=using, update_fields=None)


def saved(obj, pk, using: str = "default") -> None:
    """Mark `obj` as stored under `pk` and tell post_save receivers."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using
    post_save.send(
        sender=type(obj), instance=obj, created=True, raw=False, using=using, update_fields=None
    )


def bulk_insert(objs, *, using: str = "default", batch_size: int = 2000) -> int:
    """INSERT instances of one model as one `executemany` per batch: what
    `bulk_create` writes (each field's `pre_save` / `get_db_prep_save`, no
    signals, no `save()`), without compiling a many-row statement per batch
    — a third of the cost for bulk data (the demo's history). The primary
    keys are not set back on the instances: only for rows nothing refers to
    afterwards. Returns the number of rows."""
    objs = list(objs)
    if not objs:
        return 0
    for o in objs:  # a related object saved since: its key into the `_id`
        o._prepare_related_fields_for_save(operation_name="bulk_insert")
    model = type(objs[0])
    connection = connections[using]
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and getattr(objs[0], f.attname) is None)
    ]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            cursor.executemany(
                sql,
                [
                    [
                        f.get_db_prep_save(f.pre_save(o, add=True), connection=connection)
                        for f in fields
                    ]
                    for o in objs[start : start + batch_size]
                ],
            )
    return len(objs)
