"""Soak (issue 9): the deployed platform on loopback at a steady intake rate
for a bounded time, memory and latency sampled; fails on any error or a
growth trend.

    .venv/bin/python bench/soak.py --backend postgres            # 8 minutes (make soak)
    .venv/bin/python bench/soak.py --backend sqlite --quick      # 40 seconds

What runs: production settings, `wangge serve` (granian, two workers) and a
Huey consumer on Redis, on a fresh database of its own (PostgreSQL: a copy of
the migrated template of the tests; SQLite: a file under a scratch
directory), seeded with the test tree (4 districts' worth of areas, a
department, staff with bearer tokens).

The load is open-loop (requests are sent on a fixed schedule, whatever the
answers do; latency is counted from the scheduled moment, so a server that
falls behind shows it): `--rate` intakes per second (POST /api/v1/cases/ with
an idempotency key, as staff, no rate limit) and `--read-rate` reads per
second, alternating the public board of a street (GET /cases/board/{id}) and
a dispatcher's case list (GET /cases/?limit=20). Every `--sample` seconds:
the resident memory (RSS) of the server's process group (granian and its
workers) and of the consumer, the window's p50/p95 latency, requests,
errors and the load average.

It fails (exit 1) on:
- any error (non-2xx answer or no answer);
- an achieved intake rate below 90 % of `--rate`;
- a memory trend: the least-squares slope of the server's RSS over the run
  (every sample of the measured run; a 20 s warm-up at the same rate comes
  first and is not measured) above `--max-rss-slope` MB/min;
- a latency trend: the median of the last third's window p95s above 1.5 ×
  the first third's + 20 ms. (Each sample's window p95 is computed; the
  median over a third ignores the few windows a burst of other jobs on this
  shared machine slows down, which a trend would not. The pooled p95 of the
  first and last thirds is reported beside it.)

Writes bench/results/soak-<backend>.json (`--quick`: var/bench/)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from wangge.ops.tests.helpers import (  # noqa: E402
    PG_SERVER,
    REDIS,
    migrated_template,
    production_env,
    run_python,
    wangge,
)
from wangge.ops.tests.test_production_e2e import Api, _free_port  # noqa: E402

BENCH = {
    "backends": ["postgres", "sqlite"],
    "args": ["--backend", "{backend}"],
    "quick": ["--quick"],
    "full": [],
    "result": "soak-{backend}.json",
    "order": 200,
}

SEED = r"""
import django, json
django.setup()
from wangge.testing.trees import build_tree
from wangge.teams.models import RoleAssignment
from wangge.accounts.models import User
from wangge.accounts.services import token_issue

t = build_tree()
def staff(name, role, area):
    u = User.objects.create_user(username=name, password="pass-Wangge-2026", kind="staff", name=name)
    RoleAssignment.objects.create(user=u, role=role, area=area, area_path=area.path)
    return u
out = {
    "tokens": [token_issue(user=staff(f"soak{i}", "dispatcher", t.street_a1)) for i in range(4)],
    "street": t.street_a1.pk,
}
print(json.dumps(out))
"""


def rss_mb(pgid: int, field: str = "VmRSS") -> float:
    """Resident memory of every process in a process group, MB (`field`:
    VmRSS, or its parts RssAnon — heap, SQLite's page cache among it — and
    RssFile/RssShmem — mapped files such as SQLite's -shm index)."""
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
            # pgrp is the 5th field, after "pid (comm) state ppid"
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in Path(f"/proc/{d}/status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return round(total / 1024, 1)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(q * len(v)))], 1)


def median_of(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    if len(points) < 2:
        return 0.0
    xs, ys = zip(*points, strict=True)
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[tuple[float, str, float, bool]] = []  # (at, kind, ms, ok)
        self.errors: list[str] = []

    def add(self, at, kind, ms, ok, what=""):
        with self.lock:
            self.rows.append((at, kind, ms, ok))
            if not ok and len(self.errors) < 50:
                self.errors.append(what)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--quick", action="store_true", help="40 seconds, 4 s samples, result under var/bench/")
    ap.add_argument("--rate", type=float, default=20.0, help="intakes per second")
    ap.add_argument("--read-rate", type=float, default=10.0, help="board/list reads per second")
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--max-rss-slope", type=float, default=None,
                    help="MB per minute, server group (default 2; 10 with --quick, whose 40 s are mostly warm-up)")
    ap.add_argument("--sqlite-cache-kb", type=int, default=None,
                    help="SQLite page cache per connection, KB (WANGGE_SQLITE_CACHE_KB; default: the setting's)")
    ap.add_argument("--out", type=Path, default=None, help="result file (default: bench/results/soak-<backend>.json)")
    args = ap.parse_args()
    if args.max_rss_slope is None:
        args.max_rss_slope = 10.0 if args.quick else 2.0
    seconds = 40.0 if args.quick else args.minutes * 60
    warmup = 5.0 if args.quick else 20.0
    sample = 4.0 if args.quick else args.sample

    import psycopg

    scratch = Path(tempfile.mkdtemp(prefix="wangge-soak-"))
    base_url = PG_SERVER.rsplit("/", 1)[0]
    dbname = f"wangge_soak_{os.getpid()}"
    admin = None
    env = production_env(
        WANGGE_REDIS_URL=REDIS,
        WANGGE_QUEUE_NAME=f"wangge-soak-{uuid.uuid4().hex[:8]}",
        WANGGE_VAR_DIR=str(scratch / "var"),
        WANGGE_ALLOWED_HOSTS="127.0.0.1",
        WANGGE_PGBOUNCER="0",
    )
    if args.backend == "postgres":
        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
        admin.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{migrated_template(admin, env, base_url)}"')
        env["DATABASE_URL"] = f"{base_url}/{dbname}"
    else:
        env.update(DATABASE_URL=f"sqlite:///{scratch / 'soak.sqlite3'}", WANGGE_ALLOW_SQLITE="1")
        if args.sqlite_cache_kb is not None:
            env["WANGGE_SQLITE_CACHE_KB"] = str(args.sqlite_cache_kb)
    procs: list[subprocess.Popen] = []
    web_log = open(scratch / "web.log", "w+")  # noqa: SIM115
    worker_log = open(scratch / "worker.log", "w+")  # noqa: SIM115
    try:
        if args.backend == "sqlite":
            mig = wangge("manage", "migrate", "-v", "0", env=env)
            assert mig.returncode == 0, mig.stderr[-3000:]
        seed = run_python(SEED, env)
        assert seed.returncode == 0, seed.stderr[-3000:]
        ids = json.loads(seed.stdout.strip().splitlines()[-1])
        port = _free_port()
        cli = [sys.executable, "-m", "wangge.cli"]
        for argv, log in (
            ([*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
              "--no-collectstatic"], web_log),
            ([*cli, "manage", "run_huey", "--workers", "2"], worker_log),
        ):
            procs.append(subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True))
        api = Api(f"http://127.0.0.1:{port}")
        end = time.monotonic() + 120
        while time.monotonic() < end:
            with contextlib.suppress(Exception):
                if api.call("GET", "/readyz")[0] == 200:
                    break
            time.sleep(0.5)
        else:
            raise SystemExit("the server did not come up in 120 s")

        rec = Recorder()
        pool = ThreadPoolExecutor(max_workers=24)
        tokens = ids["tokens"]

        def intake(n: int, due: float, rec: Recorder = rec):
            fields = {"description": f"小区路面破损，第{n}次上报", "category": "0101",
                      "lng": "120.06", "lat": "30.25", "idempotency_key": uuid.uuid4().hex}
            try:
                status, body, _ = api.call("POST", "/api/v1/cases/", token=tokens[n % len(tokens)],
                                           fields=fields)
                ok, what = status == 201, f"intake {status} {body[:200]!r}"
            except Exception as exc:
                ok, what = False, f"intake {exc!r}"
            rec.add(due, "intake", (time.monotonic() - due) * 1000, ok, what)

        def read(n: int, due: float, rec: Recorder = rec):
            path = (f"/api/v1/cases/board/{ids['street']}" if n % 2 else "/api/v1/cases/?limit=20")
            try:
                status, body, _ = api.call("GET", path, token="" if n % 2 else tokens[0])
                ok, what = status == 200, f"GET {path} {status} {body[:200]!r}"
            except Exception as exc:
                ok, what = False, f"GET {path} {exc!r}"
            rec.add(due, "board" if n % 2 else "list", (time.monotonic() - due) * 1000, ok, what)

        server_pgid, consumer_pgid = procs[0].pid, procs[1].pid
        # Warm-up, not measured: each granian worker loads the application
        # and its caches on its first requests (seconds on a loaded machine).
        warm = Recorder()
        w0 = time.monotonic()
        for i in range(int(warmup * args.rate)):
            time.sleep(max(0.0, w0 + i / args.rate - time.monotonic()))
            pool.submit(intake, -1 - i, time.monotonic(), warm)
            if i % 2:
                pool.submit(read, i, time.monotonic(), warm)
        while True:
            with warm.lock:
                if len(warm.rows) >= int(warmup * args.rate) * 3 // 2:
                    break
            time.sleep(0.2)
        t0 = time.monotonic()
        samples = []
        plan = sorted(
            [(t0 + i / args.rate, intake, i) for i in range(int(seconds * args.rate))]
            + [(t0 + i / args.read_rate, read, i) for i in range(int(seconds * args.read_rate))],
            key=lambda p: p[0],
        )
        next_sample, last_row = t0, 0
        print(f"soak on {args.backend}: {seconds:.0f} s, {args.rate}/s intake, "
              f"{args.read_rate}/s reads, sample every {sample:.0f} s", flush=True)
        for due, fn, i in plan:
            now = time.monotonic()
            if now >= next_sample:
                with rec.lock:
                    window = rec.rows[last_row:]
                    last_row = len(rec.rows)
                lat = [r[2] for r in window]
                s = {
                    "t_s": round(now - t0, 1),
                    "server_rss_mb": rss_mb(server_pgid),
                    "consumer_rss_mb": rss_mb(consumer_pgid),
                    "server_anon_mb": rss_mb(server_pgid, "RssAnon"),
                    "server_file_mb": round(rss_mb(server_pgid, "RssFile") + rss_mb(server_pgid, "RssShmem"), 1),
                    "requests": len(window),
                    "errors": sum(1 for r in window if not r[3]),
                    "p50_ms": pct(lat, 0.5),
                    "p95_ms": pct(lat, 0.95),
                    "load": [round(x, 2) for x in os.getloadavg()],
                }
                samples.append(s)
                print(json.dumps(s), flush=True)
                next_sample += sample
            if due > now:
                time.sleep(due - now)
            pool.submit(fn, i, due)
        pool.shutdown(wait=True)
        wall = time.monotonic() - t0
        samples.append({
            "t_s": round(wall, 1),
            "server_rss_mb": rss_mb(server_pgid),
            "consumer_rss_mb": rss_mb(consumer_pgid),
            "server_anon_mb": rss_mb(server_pgid, "RssAnon"),
            "server_file_mb": round(rss_mb(server_pgid, "RssFile") + rss_mb(server_pgid, "RssShmem"), 1),
            "requests": len(rec.rows) - last_row,
            "errors": sum(1 for r in rec.rows[last_row:] if not r[3]),
            "load": [round(x, 2) for x in os.getloadavg()],
        })
        print(json.dumps(samples[-1]), flush=True)
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, 15)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
        web_log.close()
        worker_log.close()
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            admin.close()

    rows = rec.rows
    lat_all = [r[2] for r in rows]
    third = seconds / 3
    first = [r[2] for r in rows if r[0] - t0 < third]
    last = [r[2] for r in rows if r[0] - t0 >= 2 * third]
    kinds = {
        k: {"n": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95), "p99_ms": pct(v, 0.99)}
        for k in ("intake", "board", "list")
        for v in [[r[2] for r in rows if r[1] == k]]
    }
    trend_points = [(s["t_s"] / 60, s["server_rss_mb"]) for s in samples]
    rss_slope = round(slope(trend_points), 3)
    intakes_ok = sum(1 for r in rows if r[1] == "intake" and r[3])
    summary = {
        "wall_s": round(wall, 1),
        "requests": len(rows),
        "errors": sum(1 for r in rows if not r[3]),
        "intake_per_s": round(intakes_ok / wall, 2),
        "p50_ms": pct(lat_all, 0.5),
        "p95_ms": pct(lat_all, 0.95),
        "p99_ms": pct(lat_all, 0.99),
        "first_third_p95_ms": pct(first, 0.95),
        "last_third_p95_ms": pct(last, 0.95),
        # The trend test: the median of the 10-second windows' p95 in the
        # first and the last third (a burst of other jobs on this shared
        # machine moves a few windows; a trend moves them all).
        "first_third_window_p95_median_ms": median_of(
            [w["p95_ms"] for w in samples if w.get("p95_ms") is not None and w["t_s"] <= third]),
        "last_third_window_p95_median_ms": median_of(
            [w["p95_ms"] for w in samples if w.get("p95_ms") is not None and w["t_s"] > 2 * third]),
        "server_rss_start_mb": samples[0]["server_rss_mb"],
        "server_rss_end_mb": samples[-1]["server_rss_mb"],
        "server_rss_max_mb": max(s["server_rss_mb"] for s in samples),
        "server_rss_slope_mb_per_min": rss_slope,
        "server_anon_start_end_mb": [samples[0].get("server_anon_mb"), samples[-1].get("server_anon_mb")],
        "server_file_start_end_mb": [samples[0].get("server_file_mb"), samples[-1].get("server_file_mb")],
        "consumer_rss_start_mb": samples[0]["consumer_rss_mb"],
        "consumer_rss_end_mb": samples[-1]["consumer_rss_mb"],
        "consumer_rss_slope_mb_per_min": round(
            slope([(s["t_s"] / 60, s["consumer_rss_mb"]) for s in samples]), 3),
        "by_kind": kinds,
    }
    reasons = []
    if summary["errors"]:
        reasons.append(f"{summary['errors']} errors, e.g. {rec.errors[:3]}")
    if summary["intake_per_s"] < 0.9 * args.rate:
        reasons.append(f"intake {summary['intake_per_s']}/s below 90% of {args.rate}/s")
    if rss_slope > args.max_rss_slope:
        reasons.append(f"server RSS grows {rss_slope} MB/min (> {args.max_rss_slope})")
    a, b = summary["first_third_window_p95_median_ms"], summary["last_third_window_p95_median_ms"]
    if a is not None and b is not None and b > 1.5 * a + 20:
        reasons.append(f"p95 (median of the windows) grew from {a} to {b} ms")
    result = {
        "what": "soak: open-loop intake + board/list reads against granian + Huey on loopback",
        "backend": args.backend,
        "args": {**vars(args), "out": str(args.out) if args.out else None, "seconds": seconds, "sample_s": sample, "warmup_s": warmup},
        "load_before": samples[0]["load"] if samples else None,
        "load_after": list(os.getloadavg()),
        "cores": os.cpu_count(),
        "summary": summary,
        "passed": not reasons,
        "reasons": reasons,
        "samples": samples,
    }
    out_dir = ROOT / ("var/bench" if args.quick else "bench/results")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out or out_dir / f"soak-{args.backend}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(json.dumps(summary, ensure_ascii=False))
    print(f"{'PASSED' if not reasons else 'FAILED: ' + '; '.join(reasons)} -> {out}")
    return 0 if not reasons else 1


if __name__ == "__main__":
    sys.exit(main())
