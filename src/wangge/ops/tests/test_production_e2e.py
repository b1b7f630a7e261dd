"""The platform as deployed: production settings, PostgreSQL, Redis, granian
with two workers and a separate Huey consumer process, driven over HTTP.

A resident reports, the street dispatcher accepts, registers and dispatches
to a department, its staff handle and report back with a photo, the grid
worker verifies, the dispatcher closes, the resident rates. Notifications are
written by the consumer (the web processes only enqueue them in Redis); an
overdue case is lit red by the deadline sweep, enqueued like the periodic
task does and run by the consumer. Runs in the PostgreSQL pass of the suite
(its own database and Redis queue name, so parallel runs don't collide)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from .helpers import PG_SERVER, REDIS, ROOT, production_env, run_python

pytestmark = pytest.mark.slow


def _require(ok: bool, what: str) -> None:
    if not ok:
        if os.environ.get("WANGGE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{what} is required here")
        pytest.skip(f"{what} is not available")


def _require_platform() -> None:
    """PostgreSQL at WANGGE_TEST_POSTGRES and Redis at WANGGE_TEST_REDIS answer
    (else skip, or fail where WANGGE_REQUIRE_POSTGRES=1)."""
    try:
        _pg_admin().close()
        pg_ok = True
    except Exception:
        pg_ok = False
    _require(pg_ok, f"PostgreSQL at {PG_SERVER}")
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
        redis_ok = True
    except Exception:
        redis_ok = False
    _require(redis_ok, f"Redis at {REDIS}")


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, *, token: str = "", fields=None, files=None):
        headers = {"X-Forwarded-Proto": "https"}  # as nginx sends it (TLS terminated there)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = None
        if fields is not None or files:
            boundary = uuid.uuid4().hex
            buf = io.BytesIO()
            for k, v in (fields or {}).items():
                buf.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
            for k, (name, data, ctype) in (files or {}).items():
                buf.write(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                    f"Content-Type: {ctype}\r\n\r\n".encode()
                )
                buf.write(data + b"\r\n")
            buf.write(f"--{boundary}--\r\n".encode())
            body = buf.getvalue()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        req = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def json(self, method, path, **kw):
        status, body, _ = self.call(method, path, **kw)
        return status, (json.loads(body) if body else None)


SEED = r"""
import django, json
django.setup()
from wangge.testing.trees import build_tree
from wangge.teams.models import Department, RoleAssignment
from wangge.accounts.models import User
from wangge.accounts.services import token_issue

t = build_tree()
zf = Department.objects.create(name="综合行政执法局", level="district", area=t.district_a, area_path=t.district_a.path)
def staff(name, role, area, dept=None):
    u = User.objects.create_user(username=name, password="pass-Wangge-2026", kind="staff", name=name)
    RoleAssignment.objects.create(user=u, role=role, area=area, area_path=area.path, department=dept)
    return u
users = {
    "dispatcher": staff("e2e_dispatcher", "dispatcher", t.street_a1),
    "zf": staff("e2e_zf", "department_staff", t.district_a, zf),
    "grid_worker": staff("e2e_grid_worker", "grid_worker", t.grid_a1a_1),
    "resident": User.objects.create_user(username="e2e_resident", password="pass-Wangge-2026",
        kind="resident", name="居民甲", phone="13900001111", home_grid=t.grid_a1a_1),
}
out = {k: token_issue(user=u) for k, u in users.items()}
out["dept"] = zf.pk
out["resident_id"] = users["resident"].pk
print(json.dumps(out))
"""


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 160, 60)).save(buf, format="PNG")
    return buf.getvalue()


@contextlib.contextmanager
def _process(argv, env, log):
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def _pgbouncer(log):
    """PgBouncer in transaction pooling mode in front of the PostgreSQL under
    test, on a free port (yields its port), or None where it isn't installed."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        yield None
        return
    import tempfile
    from urllib.parse import urlsplit

    server = urlsplit(PG_SERVER)
    port = _free_port()
    conf = Path(tempfile.mkdtemp(prefix="wangge-pgbouncer-"))
    user = server.username or pwd.getpwuid(os.getuid()).pw_name
    (conf / "users.txt").write_text(f'"{user}" ""\n')
    (conf / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={server.hostname or '127.0.0.1'} port={server.port or 5432}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {conf / 'users.txt'}\nadmin_users = {user}\n"
        "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 200\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
    )
    argv = [binary, str(conf / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        pw = pwd.getpwnam("postgres")
        for path in (conf, conf / "users.txt", conf / "pgbouncer.ini"):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        argv = ["runuser", "-u", "postgres", "--", *argv]
    try:
        with _process(argv, os.environ.copy(), log):
            yield port
    finally:
        shutil.rmtree(conf, ignore_errors=True)


def _wait(fn, what: str, seconds: float = 60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_case_scenario_end_to_end_under_production_settings(tmp_path):
    if not os.environ.get("WANGGE_TEST_DATABASE_URL", "").startswith("postgres"):
        pytest.skip("runs in the PostgreSQL pass of the suite (WANGGE_TEST_DATABASE_URL=postgres://…)")
    _require_platform()

    dbname = f"wangge_e2e_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin()
    admin.execute(f'CREATE DATABASE "{dbname}"')
    base_url = PG_SERVER.rsplit("/", 1)[0]
    port = _free_port()
    env = production_env(
        DATABASE_URL=f"{base_url}/{dbname}",
        WANGGE_REDIS_URL=REDIS,
        WANGGE_QUEUE_NAME=f"wangge-e2e-{uuid.uuid4().hex[:8]}",
        WANGGE_VAR_DIR=str(tmp_path / "var"),
        WANGGE_ALLOWED_HOSTS="127.0.0.1",
        WANGGE_PGBOUNCER="0",
    )
    cli = [sys.executable, "-m", "wangge.cli"]
    web_log, worker_log = open(tmp_path / "web.log", "w+"), open(tmp_path / "worker.log", "w+")  # noqa: SIM115
    bouncer_log = open(tmp_path / "pgbouncer.log", "w+")  # noqa: SIM115
    try:
        mig = subprocess.run([*cli, "manage", "migrate", "-v", "0"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
        assert mig.returncode == 0, mig.stderr[-3000:]
        seed = run_python(SEED, env)
        assert seed.returncode == 0, seed.stderr[-3000:]
        ids = json.loads(seed.stdout.strip().splitlines()[-1])

        # Migrations ran directly against PostgreSQL; the platform goes through
        # PgBouncer in transaction pooling mode, as docs/deploy.md says.
        serve = [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        consumer = [*cli, "manage", "run_huey", "--workers", "2", "--no-periodic"]
        with contextlib.ExitStack() as stack:
            bouncer = stack.enter_context(_pgbouncer(bouncer_log))
            if bouncer is not None:
                env.update(DATABASE_URL=f"postgres://127.0.0.1:{bouncer}/{dbname}", WANGGE_PGBOUNCER="1")
            stack.enter_context(_process(serve, env, web_log))
            stack.enter_context(_process(consumer, env, worker_log))
            api = Api(f"http://127.0.0.1:{port}")

            def up():
                with contextlib.suppress(OSError):
                    return api.call("GET", "/healthz")[0] == 200
                return False

            _wait(up, "granian to answer /healthz", 300)
            status, ready = api.json("GET", "/readyz")
            assert status == 200 and ready["checks"]["queue"]["ok"] and ready["checks"]["database"]["ok"]

            # Static files: collected by `wangge serve`, hashed and compressed,
            # served by whitenoise with long caching.
            manifest = json.loads((tmp_path / "var" / "static" / "staticfiles.json").read_text())
            hashed = manifest["paths"]["vendor/htmx/htmx.min.js"]
            assert hashed != "vendor/htmx/htmx.min.js"
            assert not (tmp_path / "var" / "static" / "vendor" / "echarts" / "echarts.js").exists()
            status, _, headers = api.call("GET", f"/static/{hashed}")
            assert status == 200
            assert "immutable" in headers.get("Cache-Control", "")
            # Behind the TLS proxy: HSTS on every response.
            assert "max-age=31536000" in headers.get("Strict-Transport-Security", "")

            # The scenario, each actor with their own bearer token.
            status, created = api.json(
                "POST", "/api/v1/cases/", token=ids["resident"],
                fields={"description": "小区门口有暴露垃圾，无人清理", "category": "0101",
                        "lng": "120.06", "lat": "30.25"},
            )
            assert status == 201, created
            case_id = created["case"]["id"]

            def move(who, name, **fields):
                files = fields.pop("files", None)
                status, body = api.json("POST", f"/api/v1/cases/{case_id}/moves/{name}",
                                        token=ids[who], fields=fields, files=files)
                assert status == 200, (name, body)
                return body

            move("dispatcher", "accept")
            move("dispatcher", "register")
            move("dispatcher", "dispatch", team="department", department_id=ids["dept"])
            move("zf", "handle")
            move("zf", "report_back", note="已清理完毕", files={"photos": ("现场.png", _png(), "image/png")})
            move("grid_worker", "verify_pass", note="现场核查已清理")
            body = move("dispatcher", "close")
            assert body["status"] == "closed"
            move("resident", "rate", rating="5", note="很满意")

            # Notifications come from the consumer process, through Redis.
            def delivered():
                status, items = api.json("GET", "/api/v1/cases/notifications", token=ids["resident"])
                return items if status == 200 and len(items) >= 4 else None

            items = _wait(delivered, "the consumer to deliver the resident's notifications")
            assert all(str(case_id) in (i.get("text", "") + json.dumps(i)) for i in items[:1])

            # The deadline sweep, enqueued as the periodic task does, run by the consumer.
            status, created = api.json(
                "POST", "/api/v1/cases/", token=ids["resident"],
                fields={"description": "路灯不亮，晚上很黑", "category": "0101",
                        "lng": "120.20", "lat": "30.25"},
            )
            late_id = created["case"]["id"]
            for name in ("accept", "register"):
                assert api.json("POST", f"/api/v1/cases/{late_id}/moves/{name}",
                                token=ids["dispatcher"])[0] == 200
            assert api.json("POST", f"/api/v1/cases/{late_id}/moves/dispatch", token=ids["dispatcher"],
                            fields={"team": "department", "department_id": ids["dept"]})[0] == 200
            with contextlib.closing(_pg_admin()) as c:
                c.execute('SELECT 1')  # server still there
            import psycopg

            with psycopg.connect(f"{base_url}/{dbname}", autocommit=True) as db:
                db.execute("UPDATE cases_case SET warn_at = now() - interval '2 hours', "
                           "due_at = now() - interval '1 hour' WHERE id = %s", [late_id])
                enq = run_python("import django; django.setup()\n"
                                 "from wangge.cases.tasks import sweep_deadlines\n"
                                 "print(sweep_deadlines.enqueue().id)", env)
                assert enq.returncode == 0, enq.stderr[-2000:]

                def red():
                    row = db.execute("SELECT alert FROM cases_case WHERE id = %s", [late_id]).fetchone()
                    return row[0] == "red"

                _wait(red, "the consumer to run the deadline sweep")
                kinds = [r[0] for r in db.execute(
                    "SELECT kind FROM cases_caseevent WHERE case_id = %s ORDER BY at, id", [late_id])]
                assert "red" in " ".join(kinds) or any("red" in k for k in kinds), kinds
                n = db.execute("SELECT count(*) FROM cases_notification").fetchone()[0]
                assert n >= 4

            if bouncer is not None:  # the web and the consumer went through PgBouncer
                admin_url = f"postgres://127.0.0.1:{bouncer}/pgbouncer"
                with psycopg.connect(admin_url, autocommit=True, cursor_factory=psycopg.ClientCursor) as pb:
                    cur = pb.execute("SHOW STATS")
                    cols = [d.name for d in cur.description]
                    stats = {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}
                assert stats[dbname]["total_xact_count"] > 50

        # Logs: one JSON object a line from both processes.
        worker_log.seek(0)
        lines = [ln for ln in worker_log.read().splitlines() if ln.startswith("{")]
        events = [json.loads(ln) for ln in lines]
        assert any(e["logger"].startswith("huey") for e in events)
        assert any("sweep_deadlines" in e["message"] for e in events)
    finally:
        web_log.close()
        worker_log.close()
        bouncer_log.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()
