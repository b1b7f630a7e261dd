"""A cursor for one grouped statement over many rows (the indices' totals).

On PostgreSQL it runs without JIT compilation: the planner's cost of such a
statement passes `jit_above_cost`, and compiling it took longer than running
it (the 先锋指数 totals over a city's 370,000 party members: 2.0 s with JIT,
1.0 s without, of which ~1.06 s was JIT; docs/assessment.md). `SET LOCAL`
lasts until the end of the surrounding transaction (a savepoint here when
one is open), so nothing else on the connection changes afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def analytic_cursor(using: str = "default") -> Iterator:
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL jit = off")
        yield cur
