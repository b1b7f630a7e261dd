"""Work a Huey consumer does when it starts: pick up what a crashed consumer
(or a web process killed between its commit and its enqueue) left undone.

Huey pops a task from Redis before running it, so a consumer killed with
`kill -9` loses the tasks it was running. The tasks that matter are written
to be re-run from the database's state (the deadline sweep, the notice
fan-out), so each app registers here what to enqueue again on start."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
_done: set[str] = set()
_lock = threading.Lock()


def on_consumer_start(name: str, fn: Callable[[], object]) -> None:
    """Run `fn` once per consumer process when its workers start (Huey calls
    startup hooks in every worker; the first one runs it). No-op where Huey
    is not configured (tests run tasks immediately)."""
    from django.conf import settings

    if not getattr(settings, "HUEY", None):
        return
    from huey.contrib.djhuey import HUEY

    def hook():
        with _lock:
            if name in _done:
                return
            _done.add(name)
        log.info("consumer start: %s", name)
        fn()

    HUEY.on_startup(name)(hook)
