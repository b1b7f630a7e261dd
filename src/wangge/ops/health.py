"""`/healthz` (the process answers) and `/readyz` (it can do work: every
configured database answers, and the task queue is reachable).

Both are answered by a middleware at the top of the stack, before host
validation, HTTPS redirects, sessions and login checks: load balancers and
orchestrators probe by address over plain HTTP, without a session. They
reveal nothing but which check failed."""

from __future__ import annotations

import time

from django.db import connections
from django.http import JsonResponse


def _timed(fn) -> dict:
    t0 = time.perf_counter()
    try:
        fn()
    except Exception as e:  # the probe reports any failure, it never raises
        return {"ok": False, "error": f"{type(e).__name__}: {e}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - t0) * 1000, 1)}


def _ping_database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _ping_queue() -> None:
    from huey.contrib.djhuey import HUEY

    storage = HUEY.storage
    conn = getattr(storage, "conn", None)
    if conn is not None and hasattr(conn, "ping"):  # Redis: a round trip
        conn.ping()
    else:  # SQLite / memory storage: read the queue length
        storage.queue_size()


def readiness() -> tuple[bool, dict]:
    checks = {}
    for alias in connections:
        checks["database" if alias == "default" else f"database:{alias}"] = _timed(
            lambda alias=alias: _ping_database(alias)
        )
    checks["queue"] = _timed(_ping_queue)
    return all(c["ok"] for c in checks.values()), checks


class HealthMiddleware:
    PATHS = ("/healthz", "/readyz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path not in self.PATHS or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if path == "/healthz":
            response = JsonResponse({"status": "ok"})
        else:
            ok, checks = readiness()
            failed = [name for name, c in checks.items() if not c["ok"]]
            response = JsonResponse(
                {"status": "ok" if ok else "fail", "failed": failed, "checks": checks},
                status=200 if ok else 503,
                json_dumps_params={"ensure_ascii": False},
            )
        response["Cache-Control"] = "no-store"
        return response
