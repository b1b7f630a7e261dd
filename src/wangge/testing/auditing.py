"""Test runs empty their database between transactional tests (Django's
`flush`): the append-only audit tables let that through only under the
maintenance switch (wangge.audit.appendonly), which this plugin turns on for
`flush` alone. Nothing else in a test may update or delete audit rows."""

from __future__ import annotations

import pytest
from django.core.management.commands import flush

from wangge.audit.appendonly import maintenance

_handle = flush.Command.handle


def _handle_in_maintenance(self, **options):
    from django.db import connections

    with maintenance(connections[options.get("database") or "default"]):
        return _handle(self, **options)


flush.Command.handle = _handle_in_maintenance


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
