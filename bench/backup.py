"""`wangge backup` and `wangge restore` on the benchmark city: time, size,
beside a plain file copy of the same database.

    .venv/bin/python bench/backup.py --backend postgres           # the city (wangge_bench), read only
    .venv/bin/python bench/backup.py --backend sqlite --quick     # a small generated community

Full run: `wangge backup` of the benchmark city (PostgreSQL `wangge_bench`,
SQLite var/bench/wangge-bench.sqlite3; only read: pg_dump's snapshot, the
SQLite online backup API) to var/bench/backup/, then `wangge restore` of that
file into a new empty database (`wangge_bench_restore`, or a new SQLite
file), which checks every table's row count against the manifest; both as the
operator runs them (child processes: wall time, CPU, peak memory). Beside
them, the physical floor on the same disk: the database copied as files
(PostgreSQL `CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`, SQLite a file
copy) — what a restore could cost at best, indexes included, with none of
the portability of a dump. Everything it creates is dropped afterwards.

`--quick`: the same on a small database it builds (migrate, divisions, one
generated community), not the city.

Results: bench/results/backup-<backend>.json (times in seconds, sizes in MB,
load averages before and after)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

from generate import BENCH_DIR, PG_SERVER, ROOT, database_url, run_step, server_info

BENCH = {
    "backends": ["sqlite", "postgres"],
    "args": ["--backend", "{backend}"],
    "quick": ["--quick"],
    "result": "backup-{backend}.json",
    "order": 70,
    "city": True,  # read only: no copy needed
}

RESULTS = ROOT / "bench" / "results"
WORK = BENCH_DIR / "backup"
PG_BASE = PG_SERVER.rsplit("/", 1)[0]


def _pg(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{PG_BASE}/{dbname}", autocommit=True, connect_timeout=10)


def _pg_fresh(name: str) -> str:
    with _pg() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def _pg_drop(name: str) -> None:
    with _pg() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_path(url: str) -> Path:
    return Path(url.split("sqlite:///", 1)[1])


def _sqlite_remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def size_mb(url: str) -> float:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        total = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
        return round(total / 2**20, 1)
    with _pg(url.rsplit("/", 1)[1]) as c:
        return round(c.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20, 1)


def _env(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "wangge.settings.demo",
        "PYTHONPATH": str(ROOT / "src"),
    }


def small_database(backend: str) -> str:
    """--quick: a fresh database with one generated community."""
    if backend == "sqlite":
        path = WORK / "quick-source.sqlite3"
        _sqlite_remove(path)
        url = f"sqlite:///{path}"
    else:
        url = _pg_fresh("wangge_bench_backup_quick")
    env, python = _env(url), sys.executable
    wangge = str(Path(python).with_name("wangge"))
    run_step("migrate", [python, "manage.py", "migrate", "-v", "0"], env)
    run_step("load-divisions", [wangge, "load-divisions", "--city", "330400"], env)
    run_step("generate", [wangge, "generate", "--scale", "community", "--seed", "1", "--no-progress"], env)
    return url


def file_copy(source: str) -> float | None:
    """Seconds to copy the database as files (the physical floor); None when
    PostgreSQL cannot copy it (someone else connected to it the whole time)."""
    started = time.monotonic()
    if source.startswith("sqlite"):
        src = _sqlite_path(source)
        dst = WORK / "file-copy.sqlite3"
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            shutil.copyfileobj(fin, fout, 16 * 2**20)
            fout.flush()
            os.fsync(fout.fileno())
        seconds = time.monotonic() - started
        dst.unlink()
        return round(seconds, 2)
    import psycopg

    template = source.rsplit("/", 1)[1]
    with _pg() as c:
        c.execute('DROP DATABASE IF EXISTS "wangge_bench_filecopy" WITH (FORCE)')
        for _attempt in range(6):  # CREATE … TEMPLATE fails while anyone is connected to it
            try:
                started = time.monotonic()
                c.execute(
                    f'CREATE DATABASE "wangge_bench_filecopy" TEMPLATE "{template}" STRATEGY FILE_COPY'
                )
            except psycopg.errors.ObjectInUse:
                time.sleep(10)
                continue
            seconds = time.monotonic() - started
            c.execute('DROP DATABASE "wangge_bench_filecopy"')
            return round(seconds, 2)
    print(f"file copy skipped: {template} stayed in use", file=sys.stderr)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--quick", action="store_true", help="a small generated community, not the city")
    args = parser.parse_args()
    backend = args.backend
    WORK.mkdir(parents=True, exist_ok=True)
    info = server_info(backend)
    load_before = [round(x, 2) for x in os.getloadavg()]

    source = small_database(backend) if args.quick else database_url(backend)
    dump = WORK / ("city.dump" if backend == "postgres" else "city.sqlite3")
    for p in (dump, Path(f"{dump}.json")):
        p.unlink(missing_ok=True)
    if backend == "postgres":
        target = _pg_fresh("wangge_bench_restore")
    else:
        target_path = WORK / "restored.sqlite3"
        _sqlite_remove(target_path)
        target = f"sqlite:///{target_path}"
    wangge = str(Path(sys.executable).with_name("wangge"))
    env = _env(source)
    try:
        database_mb = size_mb(source)
        backup = run_step("backup", [wangge, "backup", "--out", str(dump), "--database-url", source], env)
        manifest = json.loads(Path(f"{dump}.json").read_text())
        restore = run_step("restore", [wangge, "restore", str(dump), "--database-url", target], env)
        restored_mb = size_mb(target)
        copy_s = file_copy(source)
    finally:
        if backend == "postgres":
            _pg_drop("wangge_bench_restore")
            if args.quick:
                _pg_drop("wangge_bench_backup_quick")
        else:
            _sqlite_remove(WORK / "restored.sqlite3")
            if args.quick:
                _sqlite_remove(WORK / "quick-source.sqlite3")
        backup_mb = round(dump.stat().st_size / 2**20, 1) if dump.exists() else None
        _sqlite_remove(dump)  # the dump and, for SQLite, the -wal/-shm its check left
        Path(f"{dump}.json").unlink(missing_ok=True)

    rows = sum(t["rows"] for t in manifest["tables"].values())
    result = {
        "benchmark": "backup",
        "backend": backend,
        "args": {"quick": args.quick, "source": source.rsplit("/", 1)[-1]},
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": info,
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "tables": len(manifest["tables"]),
        "rows": rows,
        "database_mb": database_mb,
        "backup_file_mb": backup_mb,
        "restored_database_mb": restored_mb,
        "backup_wall_s": backup["wall_seconds"],
        "backup_cpu_s": round(backup["cpu_user_seconds"] + backup["cpu_system_seconds"], 1),
        "backup_peak_rss_mb": backup["peak_rss_mb"],
        "restore_wall_s": restore["wall_seconds"],
        "restore_cpu_s": round(restore["cpu_user_seconds"] + restore["cpu_system_seconds"], 1),
        "restore_peak_rss_mb": restore["peak_rss_mb"],
        "file_copy_s": copy_s,
        "commands": [backup["command"], restore["command"]],
        "output": backup["output"] + restore["output"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"backup-{backend}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(f"\nbackup [{backend}{', quick' if args.quick else ''}] load {load_before}")
    print(f"{'':24}{'seconds':>10}{'MB':>10}")
    print(f"{'database':24}{'':>10}{database_mb:>10}")
    print(f"{'wangge backup':24}{result['backup_wall_s']:>10}{backup_mb:>10}")
    print(f"{'wangge restore':24}{result['restore_wall_s']:>10}{restored_mb:>10}")
    print(f"{'file copy (floor)':24}{copy_s if copy_s is not None else '-':>10}{'':>10}")
    print(f"{rows:,} rows in {len(manifest['tables'])} tables; written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
