"""Benchmark of `wangge generate --scale city` on a fresh database.

    .venv/bin/python bench/generate.py --backend postgres
    .venv/bin/python bench/generate.py --backend sqlite
    .venv/bin/python bench/generate.py --backend sqlite --scale district   # a quick look

Steps, each a child process of this script, waited with os.wait4 so its own
wall time and peak RSS (ru_maxrss, including its children) are measured:
1. a fresh database: SQLite file var/bench/wangge-bench.sqlite3 (deleted
   first), or the PostgreSQL database `wangge_bench` on 127.0.0.1 (dropped
   and re-created; server from WANGGE_TEST_POSTGRES, default
   postgres://127.0.0.1:5432/postgres), then `migrate`;
2. `wangge load-divisions --city 330400`;
3. `wangge generate --scale city --seed N -v 2` — the measured step;
4. on PostgreSQL, `VACUUM (ANALYZE)` (timed apart: what autovacuum does
   after a bulk load; bench/locate.py then sees index-only scans).
Then the database size (file + WAL, or pg_database_size) and row counts.
The database is kept for bench/locate.py.

Results: bench/results/<date>-generate-<backend>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BENCH_DIR = ROOT / "var" / "bench"
SQLITE_PATH = BENCH_DIR / "wangge-bench.sqlite3"
PG_SERVER = os.environ.get("WANGGE_TEST_POSTGRES", "postgres://127.0.0.1:5432/postgres")
PG_DB = "wangge_bench"


def database_url(backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{SQLITE_PATH}"
    base = PG_SERVER.rsplit("/", 1)[0]
    return f"{base}/{PG_DB}"


def fresh_database(backend: str) -> None:
    if backend == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')


def run_step(name: str, args: list[str], env: dict) -> dict:
    """Run a child, wait for it with wait4: wall time, CPU, peak RSS."""
    started = time.monotonic()
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        print(out, file=sys.stderr)
        raise SystemExit(f"{name} failed with exit code {proc.returncode}")
    return {
        "step": name,
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(args)),
        "wall_seconds": round(wall, 1),
        "cpu_user_seconds": round(usage.ru_utime, 1),
        "cpu_system_seconds": round(usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "output": out.strip().splitlines()[-3:],
    }


def database_size(backend: str) -> int:
    if backend == "sqlite":
        return sum(
            Path(f"{SQLITE_PATH}{s}").stat().st_size
            for s in ("", "-wal")
            if Path(f"{SQLITE_PATH}{s}").exists()
        )
    import psycopg

    with psycopg.connect(database_url(backend)) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def row_counts(env: dict) -> dict:
    code = (
        "import json, django; django.setup();"
        "from wangge.generator.run import city_totals;"
        "print(json.dumps(city_totals()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def server_info(backend: str) -> dict:
    info = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": os.getloadavg(),
    }
    if backend == "postgres":
        import psycopg

        with psycopg.connect(PG_SERVER) as conn:
            info["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
            for name in (
                "shared_buffers",
                "maintenance_work_mem",
                "max_wal_size",
                "synchronous_commit",
            ):
                info[name] = conn.execute(f"SHOW {name}").fetchone()[0]
    else:
        import sqlite3

        info["sqlite"] = sqlite3.sqlite_version
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--scale", default="city", choices=["street", "district", "city"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": database_url(args.backend),
        "DJANGO_SETTINGS_MODULE": "wangge.settings.demo",
        "PYTHONPATH": str(ROOT / "src"),
    }
    info = server_info(args.backend)
    fresh_database(args.backend)
    python = sys.executable
    wangge = str(Path(python).with_name("wangge"))
    steps = [
        run_step("migrate", [python, "manage.py", "migrate", "-v", "0"], env),
        run_step("load-divisions", [wangge, "load-divisions", "--city", "330400"], env),
    ]
    gen = run_step(
        "generate",
        [
            wangge,
            "generate",
            "--scale",
            args.scale,
            "--seed",
            str(args.seed),
            "-v",
            "2",
            "--no-progress",
        ],
        env,
    )
    steps.append(gen)
    if args.backend == "postgres":
        # Not part of the generate figure: what autovacuum would do next, so
        # that bench/locate.py sees index-only scans (visibility map set).
        t = time.monotonic()
        import psycopg

        with psycopg.connect(database_url(args.backend), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        steps.append({"step": "vacuum analyze", "wall_seconds": round(time.monotonic() - t, 1)})
    phases = {}
    for line in gen["output"]:
        if line.startswith("分段用时"):
            phases = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)s", line)}
    size = database_size(args.backend)
    counts = row_counts(env)
    result = {
        "benchmark": "generate",
        "backend": args.backend,
        "scale": args.scale,
        "seed": args.seed,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "database_url": env["DATABASE_URL"],
        "wall_seconds": gen["wall_seconds"],
        "peak_rss_mb": gen["peak_rss_mb"],
        "phases_seconds": phases,
        "database_bytes": size,
        "rows": counts,
        "steps": steps,
        "machine": info,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.scale == "city" else f"-{args.scale}"
    path = RESULTS / f"{dt.date.today():%Y-%m-%d}-generate-{args.backend}{suffix}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")

    print(f"\nwangge generate --scale {args.scale} --seed {args.seed} on {args.backend}")
    print(f"{'step':<16}{'wall s':>9}{'user s':>9}{'sys s':>8}{'peak RSS MB':>13}")
    for s in steps:
        if "peak_rss_mb" not in s:
            print(f"{s['step']:<16}{s['wall_seconds']:>9.1f}")
            continue
        print(
            f"{s['step']:<16}{s['wall_seconds']:>9.1f}{s['cpu_user_seconds']:>9.1f}"
            f"{s['cpu_system_seconds']:>8.1f}{s['peak_rss_mb']:>13.1f}"
        )
    if phases:
        print("phases: " + ", ".join(f"{k} {v:.1f}s" for k, v in phases.items()))
    print(f"database size: {size / 2**30:.2f} GiB")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"-> {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
