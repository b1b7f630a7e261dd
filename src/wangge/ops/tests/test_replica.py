"""The read-replica router against a real streaming replica: a second
PostgreSQL cluster on another port, made with pg_basebackup from a primary
(both throw-away, in a temporary directory).

Replay on the replica is paused while rows are written on the primary, so
which server a read went to is visible in what it returns."""

from __future__ import annotations

import os

import pytest

from .helpers import django_json, production_env
from .pgcluster import Pair, unavailable

pytestmark = pytest.mark.slow

CHILD = r"""
import datetime as dt
import psycopg
from django.core.management import call_command
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.contrib.sessions.models import Session
from django.utils import timezone
from wangge.ops.routers import PIN_COOKIE, ReplicaPinMiddleware, replica_reads

call_command("migrate", "sessions", verbosity=0)              # primary only
out = {"replica_tables": None}

primary = psycopg.connect(PRIMARY, autocommit=True)
replica = psycopg.connect(REPLICA, autocommit=True)

def replayed():
    lsn = primary.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
    for _ in range(600):
        if replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
            return
        import time; time.sleep(0.05)
    raise TimeoutError

def insert(key):
    primary.execute("INSERT INTO django_session VALUES (%s, 'x', now() + interval '1 day')", [key])

replayed()
from django.db import router
out["allow_migrate"] = [router.allow_migrate(db, "sessions") for db in ("default", "replica")]
out["replica_tables"] = replica.execute("SELECT count(*) FROM django_session").fetchone()[0]
replica.execute("SELECT pg_wal_replay_pause()")
insert("fresh")  # on the primary only, while the replica is paused

def sees(request_method="get", cookies=None, write=False, atomic=False):
    seen = {}
    def view(request):
        if write:
            Session.objects.create(session_key=f"w{len(seen)}{request_method}", session_data="y",
                                   expire_date=timezone.now() + dt.timedelta(days=1))
        if atomic:
            with transaction.atomic():
                seen["fresh"] = Session.objects.filter(session_key="fresh").exists()
        else:
            seen["fresh"] = Session.objects.filter(session_key="fresh").exists()
        seen["db"] = Session.objects.all().db
        return HttpResponse("ok")
    rf = RequestFactory()
    request = getattr(rf, request_method)("/")
    request.COOKIES.update(cookies or {})
    response = ReplicaPinMiddleware(view)(request)
    seen["pin"] = PIN_COOKIE in response.cookies
    return seen

out["get"] = sees()
out["post"] = sees("post")
out["get_after_write"] = sees(write=True)
out["get_pinned"] = sees(cookies={PIN_COOKIE: "1"})
out["get_atomic"] = sees(atomic=True)
out["outside_request"] = Session.objects.filter(session_key="fresh").exists()
with replica_reads():
    out["replica_reads"] = Session.objects.filter(session_key="fresh").exists()
r = Client().get("/readyz")
out["readyz"] = [r.status_code, sorted(r.json()["checks"])]
replica.execute("SELECT pg_wal_replay_resume()")
replayed()
out["get_after_replay"] = sees()
try:
    replica.execute("INSERT INTO django_session VALUES ('nope', 'x', now())")
    out["replica_read_only"] = False
except psycopg.errors.ReadOnlySqlTransaction:
    out["replica_read_only"] = True
"""


@pytest.fixture(scope="module")
def pair():
    if not os.environ.get("WANGGE_TEST_DATABASE_URL", "").startswith("postgres"):
        pytest.skip("runs in the PostgreSQL pass of the suite (WANGGE_TEST_DATABASE_URL=postgres://…)")
    reason = unavailable()
    if reason:
        pytest.skip(f"no second PostgreSQL cluster: {reason}")
    p = Pair()
    try:
        p.start()
        yield p
    finally:
        p.stop()


def test_reads_of_get_requests_go_to_the_replica_with_read_your_writes(pair):
    import psycopg

    with psycopg.connect(pair.url("primary"), autocommit=True) as c:
        c.execute("CREATE DATABASE wangge")
    pair.wait_replayed()
    primary, replica = pair.url("primary", "wangge"), pair.url("replica", "wangge")
    env = production_env(DATABASE_URL=primary, WANGGE_REPLICA_URL=replica, WANGGE_TLS="0")
    out = django_json(f"PRIMARY, REPLICA = {primary!r}, {replica!r}\n" + CHILD, env)

    assert out["allow_migrate"] == [True, False]
    assert out["replica_tables"] == 0  # the table reached the replica by streaming
    # A GET reads the replica: paused, it has not seen the new row yet.
    assert out["get"] == {"fresh": False, "db": "replica", "pin": False}
    # Other methods read the primary.
    assert out["post"] == {"fresh": True, "db": "default", "pin": False}
    # After the request wrote, its reads go to the primary, and the client is pinned.
    assert out["get_after_write"] == {"fresh": True, "db": "default", "pin": True}
    # A pinned client (wrote a moment ago) reads the primary.
    assert out["get_pinned"]["fresh"] is True and out["get_pinned"]["db"] == "default"
    # Reads inside a transaction on the primary stay there.
    assert out["get_atomic"]["fresh"] is True
    # Commands and tasks read the primary unless they ask for the replica.
    assert out["outside_request"] is True and out["replica_reads"] is False
    assert out["readyz"] == [200, ["database", "database:replica", "queue"]]
    # Once replay resumes, the replica has the row.
    assert out["get_after_replay"]["fresh"] is True
    assert out["get_after_replay"]["db"] == "replica"
    assert out["replica_read_only"] is True
