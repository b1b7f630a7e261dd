"""Case engine benchmark, on SQLite and on PostgreSQL.

    .venv/bin/python bench/cases.py                          # both databases, small street
    .venv/bin/python bench/cases.py --db postgres --history 2000000 --grids 400
    .venv/bin/python bench/cases.py --db sqlite --seconds 10 --concurrency 8

For each database a child process migrates a fresh database and builds one
street (communities × grids × micro-grids with rectangle boundaries, so the
locator routes points), departments named by the catalogue, a dispatcher and
resident users with bearer tokens. Then it measures:

1. history: `--history` past cases (bulk inserted, most closed, some open
   with deadlines around now) with one event each — the load the sweep and
   the lists run against;
2. raw insert rate: the rows one intake writes (case, reporter, event),
   inserted with the database driver itself (psycopg / sqlite3), one
   transaction per case — the ceiling to compare HTTP intake with;
3. HTTP intake: granian (WSGI, `--workers`) on 127.0.0.1, and a load
   generator (`--clients` processes × `--concurrency` keep-alive threads)
   posting reports with points for `--seconds`: cases/s, p50, p99, errors;
4. reads over HTTP: the public board of the street and the dispatcher's case
   list (first page), p50/p95 over `--reads` sequential requests each;
5. the deadline sweep over the whole table (first run does the work, the
   second shows the idempotent no-op cost).

Results: bench/results/cases-<db>.json and a table on stdout.
PostgreSQL: WANGGE_TEST_POSTGRES (default postgres://127.0.0.1:5432/postgres);
the database `wangge_bench_cases` is dropped and re-created there."""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get("WANGGE_TEST_POSTGRES", "postgres://127.0.0.1:5432/postgres")
PG_DB = "wangge_bench_cases"
BOX = (120.70, 30.70, 120.80, 30.80)  # the street's rectangle


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, round(p / 100 * (len(xs) - 1))))
    return xs[k]


# ---------------------------------------------------------------- world
def build_world(streets: int, communities: int, grids: int, micro: int):
    from shapely.geometry import box

    from wangge.accounts.models import User
    from wangge.accounts.services import token_issue
    from wangge.areas.geometry import to_geojson
    from wangge.areas.models import Level
    from wangge.areas.services import area_create
    from wangge.cases.catalogue import MINORS
    from wangge.teams.models import Department, RoleAssignment

    x0, y0, x1, y1 = BOX

    def mk(level, code, name, parent, b, **kw):
        return area_create(
            level=level, code=code, name=name, parent=parent, boundary=to_geojson(box(*b)), **kw
        )

    city = mk(Level.CITY, "330400000000", "嘉兴市", None, (120.0, 30.0, 121.5, 31.5))
    district = mk(Level.DISTRICT, "330402000000", "南湖区", city, (120.0, 30.0, 121.5, 31.5))
    # Street 1 is BOX (the dispatcher's, where the load generator posts);
    # the others tile the south of the district, 0.1° × 0.1° each.
    boxes = [BOX] + [
        (
            120.0 + (i % 15) * 0.1,
            30.0 + (i // 15) * 0.1,
            120.1 + (i % 15) * 0.1,
            30.1 + (i // 15) * 0.1,
        )
        for i in range(streets - 1)
    ]
    assert len(boxes) <= 91, "at most 91 streets"
    leaves = []
    first_street = None
    for si, sb in enumerate(boxes):
        street = mk(Level.STREET, f"330402{si + 1:03d}000", f"第{si + 1}街道", district, sb)
        first_street = first_street or street
        sx0, sy0, sx1, sy1 = sb
        cw = (sx1 - sx0) / communities
        for c in range(communities):
            cb = (sx0 + c * cw, sy0, sx0 + (c + 1) * cw, sy1)
            community = mk(
                Level.COMMUNITY,
                f"330402{si + 1:03d}{c + 1:03d}",
                f"第{si + 1}街道第{c + 1}社区",
                street,
                cb,
                community_kind="urban",
            )
            gh = (sy1 - sy0) / grids
            for g in range(grids):
                gb = (cb[0], sy0 + g * gh, cb[2], sy0 + (g + 1) * gh)
                grid = mk(
                    Level.GRID,
                    f"{community.code}{g + 1:03d}",
                    f"{community.name}第{g + 1}网格",
                    community,
                    gb,
                    grid_kind="basic",
                )
                mw = (gb[2] - gb[0]) / micro
                for k in range(micro):
                    mb = (gb[0] + k * mw, gb[1], gb[0] + (k + 1) * mw, gb[3])
                    mg = mk(
                        Level.MICRO_GRID, f"{grid.code}{k + 1:03d}", f"{k + 1}号微网格", grid, mb
                    )
                    leaves.append((mg, grid, community, mb, street))
    street = first_street
    names = sorted({d for row in MINORS for d in row[5]})
    for n in names:
        Department.objects.create(name=n, level="district", area=district, area_path=district.path)
    dispatcher = User.objects.create_user(username="dispatcher", password="x", kind="staff")
    RoleAssignment.objects.create(
        user=dispatcher, role="dispatcher", area=street, area_path=street.path
    )
    residents = []
    for i in range(40):
        mg, grid, *_ = leaves[i % (communities * grids * micro)]  # street 1
        u = User.objects.create_user(
            username=f"r{i}",
            password="x",
            kind="resident",
            phone=f"1390000{i:04d}",
            home_grid=grid,
        )
        residents.append(token_issue(user=u, label="bench"))
    return {
        "street": street,
        "district": district,
        "leaves": leaves,
        "dispatcher_token": token_issue(user=dispatcher, label="bench"),
        "resident_tokens": residents,
    }


def load_world():
    """The world of an earlier run (with --reuse): same areas and users, new tokens."""
    from wangge.accounts.models import User
    from wangge.accounts.services import token_issue
    from wangge.areas.models import Area, Level

    street = Area.objects.filter(level=Level.STREET).order_by("code").first()
    leaves = []
    for mg in Area.objects.filter(level=Level.MICRO_GRID).select_related("parent__parent__parent"):
        grid = mg.parent
        leaves.append(
            (
                mg,
                grid,
                grid.parent,
                (mg.min_lng, mg.min_lat, mg.max_lng, mg.max_lat),
                grid.parent.parent,
            )
        )
    return {
        "street": street,
        "district": street.parent,
        "leaves": leaves,
        "dispatcher_token": token_issue(user=User.objects.get(username="dispatcher"), label="b"),
        "resident_tokens": [
            token_issue(user=u, label="bench") for u in User.objects.filter(kind="resident")
        ],
    }


def fill_history(w, n: int, stale: float, open_share: float, batch: int = 5000) -> float:
    """n past cases over the last year: `open_share` still open (registered/
    dispatched/handling, deadlines from two weeks ago to two weeks ahead),
    the rest closed (archived once their 7-day rating window passed)."""
    from django.db import transaction
    from django.utils import timezone

    from wangge.cases.models import Case, CaseEvent, Category

    cats = list(Category.objects.filter(parent__isnull=False))
    rng = random.Random(7)
    now = timezone.now()
    started = time.perf_counter()
    done = 0
    while done < n:
        k = min(batch, n - done)
        rows = []
        for _ in range(k):
            mg, grid, community, mb, street = rng.choice(w["leaves"])
            created = now - timedelta(minutes=rng.randint(60, 60 * 24 * 365))
            open_ = rng.random() < open_share
            if open_:
                due = now + timedelta(hours=rng.randint(-24 * 14, 24 * 14))
                status = rng.choice(["registered", "dispatched", "handling"])
                closed_at = None
            else:
                due = created + timedelta(days=3)
                closed_at = min(created + timedelta(days=2), now)
                status = "closed" if now - closed_at < timedelta(days=7) else "archived"
            warn = due - timedelta(hours=6)
            # Lights as the sweep left them; a `--stale` share is left behind
            # (as after downtime) for the first sweep to catch up on.
            alert, escalate_at = "", None
            if open_ and rng.random() >= stale:
                if due <= now:
                    alert, escalate_at = "red", now + timedelta(hours=rng.randint(1, 24))
                elif warn <= now:
                    alert = "yellow"
            rows.append(
                Case(
                    district=w["district"],
                    street=street,
                    community=community,
                    grid=grid,
                    micro_grid=mg,
                    area=mg,
                    area_path=mg.path,
                    level_area=grid,
                    lng=rng.uniform(mb[0], mb[2]),
                    lat=rng.uniform(mb[1], mb[3]),
                    category=rng.choice(cats),
                    handling="time_limited",
                    description="历史工单",
                    source="resident",
                    status=status,
                    created_at=created,
                    accepted_at=created + timedelta(hours=1),
                    registered_at=created + timedelta(hours=1),
                    deadline_start=due - timedelta(days=3),
                    due_at=due,
                    warn_at=warn,
                    alert=alert,
                    escalate_at=escalate_at,
                    escalations=1 if alert == "red" else 0,
                    closed_at=closed_at,
                    archived_at=closed_at + timedelta(days=7) if status == "archived" else None,
                )
            )
        with transaction.atomic():
            made = Case.objects.bulk_create(rows, batch_size=2000)
            CaseEvent.objects.bulk_create(
                [
                    CaseEvent(
                        case_id=c.pk,
                        district_id=c.district_id,
                        kind="report",
                        to_status="reported",
                        at=c.created_at,
                    )
                    for c in made
                ],
                batch_size=2000,
            )
        done += k
        print(f"  history {done}/{n}", end="\r", flush=True)
    print()
    return time.perf_counter() - started


# ---------------------------------------------------------------- raw inserts
def raw_insert_rate(db: str, w, n: int) -> float:
    """The three rows of an intake, with the driver, one transaction each."""
    from django.conf import settings
    from django.db import connection

    from wangge.cases.models import Category

    cat = Category.objects.get(code="0101")
    mg, grid, community, _, _ = w["leaves"][0]
    cols_case = (
        "district_id, street_id, community_id, grid_id, micro_grid_id, area_id, area_path,"
        " level_area_id, lng, lat, address, category_id, category_suggested, handling,"
        " description, source, status, version, anonymous, idempotency_key, external_id,"
        " media_url, team, alert, supervised, escalations, rework_count, extension_count,"
        " extension_reason, park_reason, void_reason, rating_comment, created_at"
    )
    vals = (
        w["district"].pk,
        w["street"].pk,
        community.pk,
        grid.pk,
        mg.pk,
        mg.pk,
        mg.path,
        mg.pk,
        120.75,
        30.75,
        "",
        cat.pk,
        False,
        "immediate",
        "原始插入",
        "resident",
        "reported",
        1,
        False,
        "",
        "",
        "",
        "",
        "",
        False,
        0,
        0,
        0,
        "",
        "",
        "",
        "",
    )
    connection.close()
    if db == "postgres":
        import psycopg

        conn = psycopg.connect(os.environ["DATABASE_URL"])
        ph = "%s"
    else:
        import sqlite3

        conn = sqlite3.connect(settings.DATABASES["default"]["NAME"], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        ph = "?"
    q_case = (
        f"INSERT INTO cases_case ({cols_case}) VALUES ({', '.join([ph] * (len(vals) + 1))})"
        " RETURNING id"
    )
    q_rep = (
        "INSERT INTO cases_casereporter (case_id, name, phone_enc, phone_masked, anonymous)"
        f" VALUES ({ph}, '', '', '', {'false' if db == 'postgres' else '0'})"
    )
    q_evt = (
        "INSERT INTO cases_caseevent (case_id, district_id, kind, from_status, to_status, at,"
        f" note, data, public) VALUES ({ph}, {ph}, 'report', '', 'reported', {ph}, '', '{{}}',"
        f" {'true' if db == 'postgres' else '1'})"
    )
    from django.utils import timezone

    started = time.perf_counter()
    for _ in range(n):
        now = timezone.now()
        stamp = now if db == "postgres" else now.replace(tzinfo=None).isoformat(" ")
        if db == "postgres":
            with conn.transaction():
                cid = conn.execute(q_case, (*vals, stamp)).fetchone()[0]
                conn.execute(q_rep, (cid,))
                conn.execute(q_evt, (cid, w["district"].pk, stamp))
        else:
            conn.execute("BEGIN IMMEDIATE")
            cid = conn.execute(q_case, (*vals, stamp)).fetchone()[0]
            conn.execute(q_rep, (cid,))
            conn.execute(q_evt, (cid, w["district"].pk, stamp))
            conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return n / elapsed


# ---------------------------------------------------------------- HTTP
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, workers: int, port: int) -> subprocess.Popen:
    granian = str(Path(sys.executable).parent / "granian")
    proc = subprocess.Popen(  # noqa: S603
        [
            granian,
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            "4",
            "--log-level",
            "warning",
            "wangge.wsgi:application",
        ],
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/cases/categories")
            if c.getresponse().status == 200:
                c.close()
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("granian did not start")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _load_worker(port, tokens, seconds, threads, box, seed, out):
    """One load process: `threads` keep-alive connections posting reports."""
    lat_all, errors, codes = [], 0, {}
    lock = threading.Lock()
    stop_at = time.time() + seconds
    run_id = f"{os.getppid()}-{int(time.time())}"

    def run(tid):
        nonlocal errors
        rng = random.Random(seed * 1000 + tid)
        token = tokens[(seed * threads + tid) % len(tokens)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, n = [], 0
        while time.time() < stop_at:
            n += 1
            body = urllib.parse.urlencode(
                {
                    "description": "路边有暴露垃圾需要清理",
                    "category": "0101",
                    "lng": f"{rng.uniform(box[0] + 1e-4, box[2] - 1e-4):.6f}",
                    "lat": f"{rng.uniform(box[1] + 1e-4, box[3] - 1e-4):.6f}",
                    "idempotency_key": f"bench-{run_id}-{seed}-{tid}-{n}",
                }
            )
            t0 = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    "/api/v1/cases/",
                    body=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except OSError:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            dt_ = time.perf_counter() - t0
            with lock:
                codes[status] = codes.get(status, 0) + 1
                if status == 201:
                    mine.append(dt_)
                else:
                    errors += 1
        with lock:
            lat_all.extend(mine)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put({"lat": lat_all, "errors": errors, "codes": codes})


def http_intake(port, tokens, seconds, clients, concurrency) -> dict:
    q = mp.Queue()
    procs = [
        mp.Process(target=_load_worker, args=(port, tokens, seconds, concurrency, BOX, i, q))
        for i in range(clients)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    parts = [q.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    lat = [x for part in parts for x in part["lat"]]
    codes: dict = {}
    for part in parts:
        for k, v in part["codes"].items():
            codes[str(k)] = codes.get(str(k), 0) + v
    return {
        "cases": len(lat),
        "seconds": round(elapsed, 2),
        "cases_per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(pct(lat, 50) * 1000, 1) if lat else None,
        "p99_ms": round(pct(lat, 99) * 1000, 1) if lat else None,
        "errors": sum(p["errors"] for p in parts),
        "codes": codes,
    }


def http_reads(port, path, token, n) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    lat = []
    for i in range(n + 5):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, (path, resp.status)
        if i >= 5:  # warm-up
            lat.append(time.perf_counter() - t0)
    conn.close()
    return {
        "p50_ms": round(pct(lat, 50) * 1000, 1),
        "p95_ms": round(pct(lat, 95) * 1000, 1),
        "n": n,
    }


# ---------------------------------------------------------------- child
def child(db: str, args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from wangge.cases.deadlines import sweep
    from wangge.cases.models import Case

    results: dict = {"db": db, "args": vars(args)}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    if args.reuse:
        w = load_world()
        args.history = 0
    else:
        w = build_world(args.streets, args.communities, args.grids, args.micro)
    results["setup_s"] = round(time.perf_counter() - t0, 1)
    results["micro_grids"] = len(w["leaves"])
    print(f"[{db}] migrated, {len(w['leaves'])} micro-grids in {results['setup_s']} s", flush=True)

    if args.history:
        s = fill_history(w, args.history, args.stale, args.open_share)
        results["history"] = {"cases": args.history, "insert_s": round(s, 1)}
        print(f"[{db}] history: {args.history} cases in {s:.1f} s", flush=True)
    if db == "postgres":
        with connection.cursor() as c:
            c.execute("ANALYZE")

    rate = raw_insert_rate(db, w, args.raw)
    results["raw_insert_cases_per_s"] = round(rate, 1)
    print(f"[{db}] raw insert (driver, 1 txn per case): {rate:.0f} cases/s", flush=True)

    connection.close()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src")
    port = free_port()
    server = start_server(env, args.workers, port)
    try:
        intake = http_intake(
            port, w["resident_tokens"], args.seconds, args.clients, args.concurrency
        )
        intake["ratio_to_raw"] = round(intake["cases_per_s"] / rate, 3) if rate else None
        results["http_intake"] = intake
        print(f"[{db}] HTTP intake: {json.dumps(intake, ensure_ascii=False)}", flush=True)
        results["board"] = http_reads(
            port, f"/api/v1/cases/board/{w['street'].pk}", None, args.reads
        )
        results["list"] = http_reads(
            port, "/api/v1/cases/?limit=50", w["dispatcher_token"], args.reads
        )
        results["list_open_filtered"] = http_reads(
            port, "/api/v1/cases/?open=true&alert=red&limit=50", w["dispatcher_token"], args.reads
        )
        print(f"[{db}] board {results['board']}  list {results['list']}", flush=True)
    finally:
        stop_server(server)

    results["cases_total"] = Case.objects.count()
    for run in ("sweep_first", "sweep_again"):
        t = time.perf_counter()
        r = sweep()
        results[run] = {
            "s": round(time.perf_counter() - t, 2),
            **r.as_dict(),
            "failed": len(r.failed),
        }
        print(f"[{db}] {run}: {results[run]}", flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"cases-{db}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    print(f"[{db}] wrote {out.relative_to(ROOT)}")


def prepare_postgres(reuse: bool = False) -> str:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        if reuse:
            parts = urllib.parse.urlsplit(PG_URL)
            return urllib.parse.urlunsplit(parts._replace(path=f"/{PG_DB}"))
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    parts = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{PG_DB}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--history", type=int, default=20000, help="past cases to insert first")
    ap.add_argument("--open-share", type=float, default=0.01, help="share of past cases still open")
    ap.add_argument(
        "--stale", type=float, default=0.01, help="share of open cases whose light is stale"
    )
    ap.add_argument("--streets", type=int, default=7, help="streets (history spreads over all)")
    ap.add_argument("--communities", type=int, default=4)
    ap.add_argument("--grids", type=int, default=5, help="grids per community")
    ap.add_argument("--micro", type=int, default=4, help="micro-grids per grid")
    ap.add_argument("--raw", type=int, default=2000, help="cases for the raw insert rate")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--workers", type=int, default=2, help="granian workers")
    ap.add_argument("--clients", type=int, default=2, help="load generator processes")
    ap.add_argument("--concurrency", type=int, default=4, help="connections per process")
    ap.add_argument("--reads", type=int, default=200)
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: keep the database of the last run (skip the history)",
    )
    ap.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args)
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in dbs:
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(
                os.environ,
                DJANGO_SETTINGS_MODULE="wangge.settings.base",
                WANGGE_VAR_DIR=tmp,
                WANGGE_LOG_LEVEL="WARNING",
                PYTHONPATH=str(ROOT / "src"),
            )
            env["DATABASE_URL"] = (
                f"sqlite:///{tmp}/bench.sqlite3" if db == "sqlite" else prepare_postgres(args.reuse)
            )
            argv = [sys.executable, __file__, "--child", db]
            for k, v in vars(args).items():
                if k == "reuse":
                    argv += ["--reuse"] if v else []
                elif k not in ("child", "db"):
                    argv += [f"--{k.replace('_', '-')}", str(v)]
            subprocess.run(argv, env=env, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
