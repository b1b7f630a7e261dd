"""Case engine benchmark, on SQLite and on PostgreSQL.

    .venv/bin/python bench/cases.py                          # both databases, small street
    .venv/bin/python bench/cases.py --db both --history 2000000   # the issue's figures
    .venv/bin/python bench/cases.py --db postgres --reuse --concurrency 1,4,16,32

For each database a child process migrates a fresh database and builds
`--streets` streets (communities × grids × micro-grids with rectangle
boundaries, so the locator routes points), departments named by the
catalogue, a dispatcher and resident users with bearer tokens. Then:

1. history: `--history` past cases (generated in SQL, most closed, 1% open
   with deadlines around now) with one event each, then VACUUM (ANALYZE) /
   ANALYZE — the load the sweep, the board and the lists run against;
2. raw insert rate: the rows one intake writes (case, reporter, event),
   inserted with the database driver itself (psycopg / sqlite3), one
   transaction per case, one connection, at the same durability as the app
   (PostgreSQL synchronous_commit on; SQLite WAL, synchronous=NORMAL);
3. HTTP intake: granian (WSGI, `--workers` × `--threads`) on 127.0.0.1, and
   a load generator on the same machine (up to `--clients` processes) posting
   reports with points for `--seconds`, once per entry of `--concurrency`
   (connections in all): cases/s, p50, p99, errors, the app's CPU per case
   (granian and its workers, from /proc) and the machine's busy cores;
4. reads over HTTP: the public board of street 1 and the dispatcher's case
   list (first page; open red cases), p50/p95 over `--reads` sequential
   requests each;
5. the deadline sweep over the whole table (first run does the work, the
   second shows the idempotent no-op cost).

The server runs with bench/cases_settings.py: the production base settings
with the reporting rate limit raised out of reach (one address posting for
40 residents), still counted on every request.

Results: bench/results/cases-<db>.json and a table on stdout. The load
average is recorded at the start and around each intake run: the CPU is
shared. `--reuse` keeps the database of the last run (world and history).
PostgreSQL: WANGGE_TEST_POSTGRES (default postgres://127.0.0.1:5432/postgres);
the database `--pg-db` (default `wangge_bench_cases`) is dropped and
re-created there. SQLite: var/bench/cases-bench.sqlite3."""

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


def fill_history(w, n: int, stale: float, open_share: float, batch: int = 250_000) -> float:
    """n past cases over the last year: `open_share` still open (registered/
    dispatched/handling, deadlines from two weeks ago to two weeks ahead),
    the rest closed (archived once their 7-day rating window passed), with
    one report event each. Generated in SQL (INSERT … SELECT over random
    numbers drawn by the database), `batch` rows per transaction: 2 M rows in
    minutes instead of the better part of an hour through the ORM."""
    from django.db import connection, transaction
    from django.utils import timezone

    from wangge.cases.models import Category

    pg = connection.vendor == "postgresql"
    cats = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    now = timezone.now()
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_leaf")
        cur.execute("DROP TABLE IF EXISTS bench_cat")
        cur.execute(
            "CREATE TEMP TABLE bench_leaf (idx integer PRIMARY KEY, mg bigint, grid bigint,"
            " community bigint, street bigint, path varchar(60), x0 float, y0 float,"
            " x1 float, y1 float)"
        )
        cur.execute("CREATE TEMP TABLE bench_cat (idx integer PRIMARY KEY, id bigint)")
        ph = "%s"
        cur.executemany(
            f"INSERT INTO bench_leaf VALUES ({', '.join([ph] * 10)})",
            [
                (i, mg.pk, grid.pk, community.pk, street.pk, mg.path, *mb)
                for i, (mg, grid, community, mb, street) in enumerate(w["leaves"])
            ],
        )
        cur.executemany("INSERT INTO bench_cat VALUES (%s, %s)", list(enumerate(cats)))
    n_leaf, n_cat, district = len(w["leaves"]), len(cats), w["district"].pk
    if pg:
        rnd = "random()"
        rows = "generate_series(1, {k})"
        now_sql = "CAST(%(now)s AS timestamptz)"
        stamp = "{e}"
        yes, no = "true", "false"
        data = "'{}'::jsonb"
    else:
        rnd = "((abs(random()) %% 1000000) / 1000000.0)"
        rows = "g"
        now_sql = "%(now)s"
        stamp = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', {e})"
        yes, no = "1", "0"
        data = "'{}'"

    if pg:

        def shift(ts, e, unit):
            return f"({ts} + ({e}) * interval '1 {unit}')"
    else:

        def shift(ts, e, unit):
            return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {ts}, (({e})) || ' {unit}s')"

    now_ts = now_sql

    # r: the random draws; t: the times derived from them; then the row.
    def draw(k: int) -> str:  # a random integer in [0, k)
        return f"CAST(floor({rnd} * {k}) AS integer)" if pg else f"(abs(random()) %% {k})"

    draws = (
        f"SELECT {draw(n_leaf)} AS li, {draw(n_cat)} AS ci, 60 + {draw(525600 - 60)} AS mins,"
        f" {rnd} < {open_share} AS is_open, {draw(672)} - 336 AS due_h, {draw(3)} AS st,"
        f" {rnd} AS r_stale, 1 + {draw(24)} AS esc_h, {rnd} AS rx, {rnd} AS ry FROM {rows}"
    )
    created = shift(now_ts, "-mins", "minute")
    timed = (
        f"SELECT r.*, l.mg, l.grid, l.community, l.street, l.path,"
        f" l.x0 + (l.x1 - l.x0) * rx AS lng, l.y0 + (l.y1 - l.y0) * ry AS lat, c.id AS cat,"
        f" {created} AS created,"
        f" CASE WHEN is_open THEN {shift(now_ts, 'due_h', 'hour')}"
        f" ELSE {shift(created, '72', 'hour')} END AS due,"
        f" CASE WHEN is_open THEN NULL ELSE"
        f" (CASE WHEN {shift(created, '48', 'hour')} < {now_ts}"
        f" THEN {shift(created, '48', 'hour')} ELSE {now_ts} END) END AS closed"
        " FROM r JOIN bench_leaf l ON l.idx = r.li JOIN bench_cat c ON c.idx = r.ci"
    )
    warn = shift("due", "-6", "hour")
    lit = (yes, no)
    # The draws are materialized: SQLite would otherwise draw again at each
    # reference to a column of the subquery.
    case_sql = (
        f"WITH r AS MATERIALIZED ({draws}) INSERT INTO cases_case (district_id, street_id, community_id, grid_id, micro_grid_id,"
        " area_id, area_path, level_area_id, lng, lat, address, category_id,"
        " category_suggested, handling, description, source, status, version, anonymous,"
        " idempotency_key, external_id, media_url, team, alert, supervised, escalations,"
        " rework_count, extension_count, extension_reason, park_reason, void_reason,"
        " rating_comment, created_at, accepted_at, registered_at, deadline_start, due_at,"
        " warn_at, escalate_at, closed_at, archived_at)"
        f" SELECT {district}, street, community, grid, mg, mg, path, grid, lng, lat, '', cat,"
        f" {lit[1]}, 'time_limited', '历史工单', 'resident',"
        " CASE WHEN is_open THEN (CASE st WHEN 0 THEN 'registered' WHEN 1 THEN 'dispatched'"
        f" ELSE 'handling' END) WHEN {shift('closed', '7', 'day')} > {now_ts} THEN 'closed'"
        f" ELSE 'archived' END, 1, {lit[1]}, '', '', '', '',"
        f" CASE WHEN is_open AND r_stale >= {stale} THEN (CASE WHEN due <= {now_ts} THEN 'red'"
        f" WHEN {warn} <= {now_ts} THEN 'yellow' ELSE '' END) ELSE '' END, {lit[1]},"
        f" CASE WHEN is_open AND r_stale >= {stale} AND due <= {now_ts} THEN 1 ELSE 0 END,"
        f" 0, 0, '', '', '', '', {stamp.format(e='created')},"
        f" {shift('created', '1', 'hour')}, {shift('created', '1', 'hour')},"
        f" {shift('due', '-72', 'hour')}, {stamp.format(e='due')}, {warn},"
        f" CASE WHEN is_open AND r_stale >= {stale} AND due <= {now_ts}"
        f" THEN {shift(now_ts, 'esc_h', 'hour')} ELSE NULL END,"
        f" {stamp.format(e='closed')},"
        f" CASE WHEN NOT is_open AND {shift('closed', '7', 'day')} <= {now_ts}"
        f" THEN {shift('closed', '7', 'day')} ELSE NULL END"
        f" FROM ({timed}) t"
    )
    event_sql = (
        "INSERT INTO cases_caseevent (case_id, district_id, kind, from_status, to_status, at,"
        f" note, data, public) SELECT id, district_id, 'report', '', 'reported', created_at,"
        f" '', {data}, {yes} FROM cases_case WHERE id > %(after)s"
    )
    now_param = now if pg else now.replace(tzinfo=None).isoformat(" ")
    done = 0
    while done < n:
        k = min(batch, n - done)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
            after = cur.fetchone()[0]
            if not pg:
                cur.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS g AS WITH RECURSIVE s(x) AS"
                    f" (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {batch}) SELECT x FROM s"
                )
                cur.execute(f"DELETE FROM g WHERE x > {k}")
            cur.execute(case_sql.format(k=k), {"now": now_param})
            cur.execute(event_sql, {"after": after})
        done += k
        print(f"  history {done}/{n} ({time.perf_counter() - started:.0f} s)", end="\r", flush=True)
    print()
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_leaf")
        cur.execute("DROP TABLE IF EXISTS bench_cat")
        cur.execute("DROP TABLE IF EXISTS g")
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


def start_server(env: dict, workers: int, threads: int, port: int) -> subprocess.Popen:
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
            str(threads),
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


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and all its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    f = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(d)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick)
    tree, todo = set(), [pid]
    while todo:
        p = todo.pop()
        tree.add(p)
        todo += [c for c, (pp, _) in stats.items() if pp == p and c not in tree]
    return sum(stats[p][1] for p in tree if p in stats)


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


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


def http_intake(port, tokens, seconds, clients, connections, server_pid) -> dict:
    """`connections` keep-alive connections in all, spread over up to
    `clients` load-generator processes."""
    q = mp.Queue()
    nproc = max(1, min(clients, connections))
    per = [connections // nproc + (1 if i < connections % nproc else 0) for i in range(nproc)]
    procs = [
        mp.Process(target=_load_worker, args=(port, tokens, seconds, per[i], BOX, i, q))
        for i in range(nproc)
    ]
    load_before = os.getloadavg()[0]
    cpu0, busy0 = tree_cpu(server_pid), machine_busy()
    started = time.perf_counter()
    for p in procs:
        p.start()
    parts = [q.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    cpu1, busy1 = tree_cpu(server_pid), machine_busy()
    lat = [x for part in parts for x in part["lat"]]
    codes: dict = {}
    for part in parts:
        for k, v in part["codes"].items():
            codes[str(k)] = codes.get(str(k), 0) + v
    done = max(len(lat), 1)
    return {
        "connections": connections,
        "load_generators": nproc,
        "cases": len(lat),
        "seconds": round(elapsed, 2),
        # granian and its workers (Django), per created case
        "app_cpu_ms_per_case": round((cpu1 - cpu0) / done * 1000, 2),
        # every process on the machine (the database, the load generator,
        # other people's jobs) over the run, in cores
        "machine_busy_cores": round(
            (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1) * (os.cpu_count() or 1), 2
        ),
        "loadavg_1m_before": round(load_before, 2),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "cases_per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(pct(lat, 50) * 1000, 1) if lat else None,
        "p99_ms": round(pct(lat, 99) * 1000, 1) if lat else None,
        "errors": sum(p["errors"] for p in parts),
        "codes": codes,
    }


def http_reads(port, path, token, n, server_pid) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    load_before = os.getloadavg()[0]
    cpu0 = None
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
        elif i == 4:
            cpu0 = tree_cpu(server_pid)
    cpu1 = tree_cpu(server_pid)
    conn.close()
    return {
        "p50_ms": round(pct(lat, 50) * 1000, 1),
        "p95_ms": round(pct(lat, 95) * 1000, 1),
        "n": n,
        # granian's CPU per request: what the request costs the app,
        # whatever else the machine is doing
        "app_cpu_ms_per_request": round((cpu1 - cpu0) / n * 1000, 2),
        "loadavg_1m_before": round(load_before, 2),
    }


# ---------------------------------------------------------------- child
def child(db: str, args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from wangge.cases.deadlines import sweep
    from wangge.cases.models import Case

    results: dict = {"db": db, "args": vars(args), "loadavg_at_start": os.getloadavg()}
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
    with connection.cursor() as c:
        # What autovacuum does after a bulk load (PostgreSQL: also the
        # visibility map that index-only scans need).
        c.execute("VACUUM (ANALYZE) cases_case" if db == "postgres" else "ANALYZE")

    rate = raw_insert_rate(db, w, args.raw)
    results["raw_insert_cases_per_s"] = round(rate, 1)
    print(f"[{db}] raw insert (driver, 1 txn per case): {rate:.0f} cases/s", flush=True)

    connection.close()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")])
    port = free_port()
    server = start_server(env, args.workers, args.threads, port)
    try:
        results["http_intake"] = []
        for conns in [int(c) for c in str(args.concurrency).split(",")]:
            intake = http_intake(
                port, w["resident_tokens"], args.seconds, args.clients, conns, server.pid
            )
            intake["ratio_to_raw"] = round(intake["cases_per_s"] / rate, 3) if rate else None
            results["http_intake"].append(intake)
            print(f"[{db}] HTTP intake: {json.dumps(intake, ensure_ascii=False)}", flush=True)
        results["board"] = http_reads(
            port, f"/api/v1/cases/board/{w['street'].pk}", None, args.reads, server.pid
        )
        results["list"] = http_reads(
            port, "/api/v1/cases/?limit=50", w["dispatcher_token"], args.reads, server.pid
        )
        results["list_open_filtered"] = http_reads(
            port,
            "/api/v1/cases/?open=true&alert=red&limit=50",
            w["dispatcher_token"],
            args.reads,
            server.pid,
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


def prepare_postgres(name: str, reuse: bool = False) -> str:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        if reuse:
            parts = urllib.parse.urlsplit(PG_URL)
            return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


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
    ap.add_argument("--threads", type=int, default=4, help="granian blocking threads per worker")
    ap.add_argument("--clients", type=int, default=2, help="load generator processes (at most)")
    ap.add_argument(
        "--concurrency",
        default="1,4,16,32",
        help="connections in all, comma-separated: one intake run each",
    )
    ap.add_argument("--reads", type=int, default=200)
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of the last run (skip the world and the history)",
    )
    ap.add_argument("--pg-db", default=PG_DB, help="PostgreSQL database (dropped and re-created)")
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
                DJANGO_SETTINGS_MODULE="cases_settings",
                WANGGE_VAR_DIR=tmp,
                WANGGE_LOG_LEVEL="WARNING",
                PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]),
            )
            if db == "sqlite":
                # Kept beside the other bench databases so --reuse finds it.
                path = ROOT / "var" / "bench" / "cases-bench.sqlite3"
                path.parent.mkdir(parents=True, exist_ok=True)
                if not args.reuse:
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{path}{suffix}").unlink(missing_ok=True)
                env["DATABASE_URL"] = f"sqlite:///{path}"
            else:
                env["DATABASE_URL"] = prepare_postgres(args.pg_db, args.reuse)
            argv = [sys.executable, __file__, "--child", db]
            for k, v in vars(args).items():
                if k == "reuse":
                    argv += ["--reuse"] if v else []
                elif k not in ("child", "db", "pg_db"):
                    argv += [f"--{k.replace('_', '-')}", str(v)]
            subprocess.run(argv, env=env, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
