"""Reads on a streaming replica, with read-your-writes.

With `WANGGE_REPLICA_URL` set (settings/production.py), the database alias
`replica` exists and this router sends to it the reads of safe requests
(GET/HEAD): the selectors behind pages, lists, boards and dashboards. Every
other read stays on the primary:

- anything in a request that is not GET/HEAD (a form post reads what it is
  about to change);
- any read after the request's first write (the router sees every write);
- any read inside a transaction on the primary (services, `select_for_update`);
- the requests of a client that wrote in the last `WANGGE_REPLICA_PIN_SECONDS`
  (a cookie): the page after a post shows the post, whatever the replica lag;
- code outside a request (management commands, Huey tasks), unless it asks
  for the replica with `replica_reads()`.

Migrations run on the primary only (a physical replica is read-only)."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PIN_COOKIE = "wangge_pin"


@dataclass
class _Reads:
    replica: bool
    wrote: bool = False


_state: ContextVar[_Reads | None] = ContextVar("wangge_reads", default=None)


@contextlib.contextmanager
def replica_reads(enabled: bool = True):
    """Route this block's reads to the replica (until it writes)."""
    token = _state.set(_Reads(replica=enabled))
    try:
        yield
    finally:
        _state.reset(token)


def reads_on_replica() -> bool:
    state = _state.get()
    return bool(
        state
        and state.replica
        and not state.wrote
        and REPLICA in settings.DATABASES
        and not connections["default"].in_atomic_block
    )


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if reads_on_replica() else "default"

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None:
            state.wrote = True
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {"default", REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaPinMiddleware:
    """Decides per request whether its reads may go to the replica, and pins
    a client that wrote to the primary for a few seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        safe = request.method in ("GET", "HEAD") and PIN_COOKIE not in request.COOKIES
        token = _state.set(_Reads(replica=safe))
        try:
            response = self.get_response(request)
            if _state.get().wrote:
                response.set_cookie(
                    PIN_COOKIE,
                    "1",
                    max_age=settings.WANGGE_REPLICA_PIN_SECONDS,
                    httponly=True,
                    samesite="Lax",
                    secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
                )
            return response
        finally:
            _state.reset(token)
