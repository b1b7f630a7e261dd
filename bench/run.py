"""`make bench`: every benchmark script, on SQLite and PostgreSQL, one table.

    .venv/bin/python bench/run.py                      # everything, both backends (hours)
    .venv/bin/python bench/run.py --quick              # small sizes: checks the scripts run
    .venv/bin/python bench/run.py --backend sqlite --only cases,import
    .venv/bin/python bench/run.py --list               # what would run, and how

1. The benchmark city (`wangge generate --scale city`, Jiaxing): reused when
   the PostgreSQL database `wangge_bench` / the file
   var/bench/wangge-bench.sqlite3 already holds it, else built by
   bench/generate.py (never in --quick mode).
2. Each script under bench/ runs as a child process, per backend, with the
   arguments its `BENCH` declaration gives (see bench/README.md); scripts
   that write into the city get a copy of it (`createdb -T wangge_bench`,
   or an SQLite online-backup copy) that is dropped afterwards.
3. Each script writes its own JSON under bench/results/; this driver reads
   it back, keeps its numeric figures, and writes the summary
   bench/results/<date>-<backend>.json (machine, load average before and
   after each script, seconds, figures).
4. Every figure is compared with the same figure in the last committed
   results (the script's result file as in git HEAD): a change of more than
   30% for the worse is printed loudly. Nothing fails on it.

--quick runs every script with small sizes to check that it still works;
its figures go to var/bench/quick-<date>-<backend>.json and the committed
result files are left as they were.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
VAR = ROOT / "var" / "bench"
PG_SERVER = os.environ.get("WANGGE_TEST_POSTGRES", "postgres://127.0.0.1:5432/postgres")
PG_BASE = PG_SERVER.rsplit("/", 1)[0]
CITY_PG = "wangge_bench"
CITY_SQLITE = VAR / "wangge-bench.sqlite3"
CITY_MICRO_GRIDS = 50_000  # more than this: the city is there (Jiaxing: 92,600)
THRESHOLD = 0.30
WRITTEN: set[Path] = set()  # result files the scripts of this run write

# Declarations for the scripts written before the convention; a script's own
# `BENCH = {...}` takes precedence. Keys: bench/README.md.
KNOWN: dict[str, dict] = {
    "generate": {"order": 0, "city_build": True, "args": ["--backend", "{backend}"],
                 "result": "{date}-generate-{backend}.json"},
    "locate": {"order": 10, "city": True, "args": ["--backend", "{backend}"],
               "quick": ["--points", "2000", "--db-points", "200", "--repeat", "5"],
               "result": "{date}-locate-{backend}.json"},
    "import": {"order": 20, "args": ["--db", "{backend}"], "quick": ["--rows", "2000"],
               "result": "import-{backend}.json"},
    "cases": {"order": 30, "args": ["--db", "{backend}"],
              "full": ["--history", "2000000"],
              "quick": ["--history", "2000", "--raw", "200", "--seconds", "3", "--reads", "20"],
              "result": "cases-{backend}.json"},
    "audit_overhead": {"order": 35, "args": ["--db", "{backend}"], "quick": ["--n", "20"],
                       "result": "audit-overhead-{backend}.json"},
    "pages": {"order": 40, "backends": ["sqlite"], "args": ["--var", "/tmp/wangge-bench-pages"],
              "quick": ["--runs", "1"], "result": "pages-{backend}.json"},
    "worker_pages": {"order": 41, "backends": ["sqlite"],
                     "args": ["--var", "/tmp/wangge-bench-worker-pages"],
                     "quick": ["--runs", "1"], "result": "worker-pages-{backend}.json"},
    "console_pages": {"order": 42, "args": ["--db", "{backend}"],
                      "quick": ["--runs", "1", "--cases", "50"],
                      "result": "console-pages-{backend}.json"},
    "notices": {"order": 50, "city_copy": True, "args": ["--database-url", "{database_url}"],
                "result": "notices-{backend}.json"},
    "visits": {"order": 51, "city_copy": True, "args": ["--database-url", "{database_url}"],
               "result": "visits-{backend}.json"},
    "cards": {"order": 52, "city_copy": True,
              "args": ["--database-url", "{database_url}", "--backend", "{backend}"],
              "result": "cards-{backend}.json"},
    "assessment": {"order": 53, "backends": ["postgres"], "city_copy": True,
                   "env": {"ASSESS_BENCH_URL": "{database_url}"},
                   "steps": [["prepare", "--cases", "2000000"], ["run"]],
                   "result": "assessment-{backend}.json"},
}
DEFAULTS = {"order": 100, "backends": ["sqlite", "postgres"], "args": [], "quick": [], "full": [],
            "city": False, "city_copy": False, "city_build": False, "env": {}, "steps": None,
            "timeout": 4 * 3600, "quick_timeout": 900}


# -- the convention ---------------------------------------------------------------

def declaration(path: Path) -> dict | None:
    """The script's `BENCH = {...}` (read without importing it), the
    built-in one for the older scripts, or None (not a benchmark script)."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", "") == "BENCH"):
            return {**DEFAULTS, **ast.literal_eval(node.value)}
    if path.stem in KNOWN:
        return {**DEFAULTS, **KNOWN[path.stem]}
    return None


def scripts() -> tuple[dict[str, dict], list[str]]:
    """{name: declaration} in run order, and the scripts that have a main
    but no declaration (they are not run: said loudly)."""
    found, undeclared = {}, []
    for path in sorted(BENCH.glob("*.py")):
        if path.name == "run.py" or path.name.startswith("_"):
            continue
        decl = declaration(path)
        if decl is None:
            if "__main__" in path.read_text():
                undeclared.append(path.name)
            continue
        found[path.stem] = decl
    return dict(sorted(found.items(), key=lambda kv: (kv[1]["order"], kv[0]))), undeclared


# -- figures and comparison -------------------------------------------------------

HIGHER = re.compile(r"(per_s\b|per_s_|_per_sec|/s\b|_rps|rate|throughput|qps|speedup)", re.I)
LOWER = re.compile(
    r"(_ms\b|_ms_|\bms\b|_s\b|_s_|seconds|wall|p50|p90|p95|p99|_mb\b|_mb_|bytes|_kb\b|rss|size|elapsed)",
    re.I,
)
SKIP = re.compile(r"(^|\.)(args|machine|load(avg|_average)?|loadavg_[a-z]+|seed|cpus?|date|when|rows_?count)(\.|$)", re.I)


def flatten(value, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            label = v.get("label") or v.get("name") or v.get("step") if isinstance(v, dict) else None
            out.update(flatten(v, f"{prefix}[{label or i}]"))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out[prefix] = float(value)
    return out


def direction(key: str) -> int:
    """+1: higher is better; -1: lower is better; 0: not a performance figure."""
    if SKIP.search(key):
        return 0
    leaf = key.rsplit(".", 1)[-1]
    if HIGHER.search(leaf):
        return 1
    if LOWER.search(leaf):
        return -1
    return 0


def figures(result: dict) -> dict[str, float]:
    return {k: v for k, v in flatten(result).items() if direction(k)}


def compare(old: dict[str, float], new: dict[str, float], threshold: float = THRESHOLD) -> list[dict]:
    """Figures worse than `old` by more than `threshold` (relative)."""
    worse = []
    for key, value in new.items():
        before = old.get(key)
        if before is None or before <= 0 or value < 0:
            continue
        sign = direction(key)
        change = (value - before) / before
        if (sign < 0 and change > threshold) or (sign > 0 and -change > threshold / (1 + threshold)):
            worse.append({"figure": key, "before": before, "after": value,
                          "change_pct": round(change * 100, 1)})
    return worse


def committed(path: Path) -> dict | None:
    rel = path.relative_to(ROOT).as_posix()
    proc = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        return None


# -- the city and its copies ------------------------------------------------------

def _pg(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{PG_BASE}/{dbname}", autocommit=True, connect_timeout=5)


def city_present(backend: str) -> bool:
    sql = "SELECT count(*) FROM areas_area WHERE level = 'micro_grid'"
    try:
        if backend == "postgres":
            with _pg(CITY_PG) as c:
                return c.execute(sql).fetchone()[0] > CITY_MICRO_GRIDS
        if not CITY_SQLITE.exists():
            return False
        with sqlite3.connect(f"file:{CITY_SQLITE}?mode=ro", uri=True) as c:
            return c.execute(sql).fetchone()[0] > CITY_MICRO_GRIDS
    except Exception:
        return False


def city_copy(backend: str, name: str) -> str:
    if backend == "postgres":
        db = f"wangge_bench_{name}"
        with _pg() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            for attempt in range(30):  # fails while anyone is connected to the template
                try:
                    c.execute(f'CREATE DATABASE "{db}" TEMPLATE "{CITY_PG}"')
                    break
                except Exception:
                    if attempt == 29:
                        raise
                    time.sleep(10)
        return f"{PG_BASE}/{db}"
    path = VAR / f"copy-{name}.sqlite3"
    path.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{CITY_SQLITE}?mode=ro", uri=True)
    dst = sqlite3.connect(path)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return f"sqlite:///{path}"


def drop_copy(url: str) -> None:
    if url.startswith("postgres"):
        with _pg() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(url.split("sqlite:///", 1)[1] + suffix).unlink(missing_ok=True)


# -- running ------------------------------------------------------------------------

def plan(name: str, decl: dict, backend: str, quick: bool) -> tuple[str, list[list[str]]]:
    """('' or why it is skipped, the argument lists to run)."""
    if backend not in decl["backends"]:
        return f"{backend}: not supported by the script", []
    if decl["city_build"]:
        if city_present(backend):
            return "the benchmark city is there: reused", []
        if quick:
            return "no benchmark city (built by a full run only)", []
    elif decl["city_copy"] and quick:
        return "writes into a copy of the benchmark city: full run only", []
    elif (decl["city"] or decl["city_copy"]) and not city_present(backend):
        return "no benchmark city (make bench builds it)", []
    extra = decl["quick"] if quick else decl["full"]
    steps = decl["steps"] or [[]]
    fmt = {"backend": backend, "date": dt.date.today().isoformat(), "database_url": "{database_url}"}
    return "", [[a.format(**fmt) for a in [*decl["args"], *step, *extra]] for step in steps]


def merge_earlier(summary: dict, out: Path) -> None:
    """Runs of one day add up: a script this run did not run, or only skipped
    (the city reused), keeps the entry an earlier run of the day wrote."""
    if not out.exists():
        return
    try:
        earlier = json.loads(out.read_text())
    except ValueError:
        return
    merged = dict(earlier.get("scripts", {}))
    for name, entry in summary["scripts"].items():
        if entry.get("status") != "skipped" or name not in merged:
            merged[name] = entry
    summary["scripts"] = merged
    summary["started"] = min(earlier.get("started", summary["started"]), summary["started"])


def machine() -> dict:
    mem = 0
    with contextlib.suppress(ValueError, OSError):
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    info = {"host": platform.node(), "cpus": os.cpu_count(), "memory_gb": round(mem / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "sqlite": sqlite3.sqlite_version}
    try:
        with _pg() as c:
            info["postgres"] = c.execute("SHOW server_version").fetchone()[0]
    except Exception:
        info["postgres"] = None
    return info


def run_one(name: str, decl: dict, backend: str, quick: bool, date: str) -> dict:
    why, argvs = plan(name, decl, backend, quick)
    if why:
        return {"status": "skipped", "why": why}
    fmt = {"backend": backend, "date": date, "database_url": ""}
    copy = city_copy(backend, name) if decl["city_copy"] else ""
    fmt["database_url"] = copy
    env = {**os.environ, **{k: v.format(**fmt) for k, v in decl["env"].items()}}
    entry: dict = {"status": "ok", "load_before": [round(x, 2) for x in os.getloadavg()]}
    t0, started = time.monotonic(), time.time() - 1
    try:
        for argv in argvs:
            cmd = [sys.executable, str(BENCH / f"{name}.py"),
                   *(a.replace("{database_url}", copy) for a in argv)]
            entry.setdefault("commands", []).append(" ".join(cmd[1:]))
            print(f"\n=== {name} [{backend}]: {' '.join(cmd[1:])}", flush=True)
            try:
                proc = subprocess.run(cmd, cwd=ROOT, env=env,
                                      timeout=decl["quick_timeout" if quick else "timeout"])
            except subprocess.TimeoutExpired:
                entry.update(status="timeout")
                break
            if proc.returncode != 0:
                entry.update(status=f"failed (exit {proc.returncode})")
                break
    finally:
        if copy:
            drop_copy(copy)
    entry["seconds"] = round(time.monotonic() - t0, 1)
    entry["load_after"] = [round(x, 2) for x in os.getloadavg()]
    # The file the script wrote in this run (a date in its name is the script's own).
    result_path = None
    if decl.get("result"):
        pattern = decl["result"].format(**{**fmt, "date": "*"})
        fresh = [p for p in RESULTS.glob(pattern) if p.stat().st_mtime >= started]
        result_path = max(fresh, key=lambda p: p.stat().st_mtime) if fresh else RESULTS / pattern
        if fresh:
            WRITTEN.add(result_path)
    if result_path is not None and result_path.exists() and entry["status"] == "ok":
        entry["result_file"] = result_path.relative_to(ROOT).as_posix()
        entry["figures"] = figures(json.loads(result_path.read_text()))
        before = committed(result_path)
        entry["baseline"] = "git HEAD" if before is not None else None
        entry["regressions"] = compare(figures(before), entry["figures"]) if before and not quick else []
    elif entry["status"] == "ok" and result_path is not None:
        entry["status"] = f"ok, but {result_path.name} was not written"
    return entry


def table(backend: str, results: dict) -> None:
    print(f"\n{'=' * 100}\n{backend}: {len(results)} scripts")
    print(f"{'script':<16}{'status':<34}{'s':>8}  {'load':>11}  figures")
    for name, r in results.items():
        load = f"{r['load_before'][0]:.1f}→{r['load_after'][0]:.1f}" if "load_before" in r else ""
        status = r["status"] if r["status"] != "skipped" else f"skipped: {r['why']}"
        print(f"{name:<16}{status[:33]:<34}{r.get('seconds', ''):>8}  {load:>11}  {len(r.get('figures', {}))}")
        for key, value in list(r.get("figures", {}).items())[:6]:
            print(f"{'':<16}  {key[:60]:<60} {value:>14,.2f}")
    worse = [(n, w) for n, r in results.items() for w in r.get("regressions", [])]
    if worse:
        print("\n" + "!" * 100)
        print(f"!!! {len(worse)} FIGURE(S) MORE THAN {THRESHOLD:.0%} WORSE THAN THE LAST COMMITTED RESULTS ({backend})")
        for name, w in worse:
            print(f"!!!   {name}: {w['figure']}: {w['before']:,.2f} → {w['after']:,.2f} ({w['change_pct']:+.1f}%)")
        print("!!! (check the load average columns: the machine is shared)")
        print("!" * 100)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--quick", action="store_true", help="small sizes; committed results untouched")
    ap.add_argument("--only", default="", help="comma-separated script names")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    found, undeclared = scripts()
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - set(found)
        if unknown:
            sys.exit(f"unknown benchmark script(s): {', '.join(sorted(unknown))}")
        found = {k: v for k, v in found.items() if k in wanted}
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if undeclared:
        print("!!! not run, no BENCH declaration (bench/README.md): " + ", ".join(undeclared))
    if args.list:
        for backend in backends:
            for name, decl in found.items():
                why, argvs = plan(name, decl, backend, args.quick)
                print(f"{backend:<9}{name:<16}{why or ' | '.join(' '.join(a) for a in argvs)}")
        return

    date = dt.date.today().isoformat()
    VAR.mkdir(parents=True, exist_ok=True)
    saved = {p: p.read_bytes() for p in RESULTS.glob("*.json")} if args.quick else {}
    host = machine()
    try:
        for backend in backends:
            summary = {"date": date, "backend": backend, "quick": args.quick, "machine": host,
                       "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "scripts": {}}
            for name, decl in found.items():
                summary["scripts"][name] = run_one(name, decl, backend, args.quick, date)
            summary["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            out = (VAR / f"quick-{date}-{backend}.json") if args.quick else RESULTS / f"{date}-{backend}.json"
            merge_earlier(summary, out)
            out.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
            table(backend, summary["scripts"])
            print(f"summary: {out.relative_to(ROOT)}")
    finally:
        if args.quick:  # put the figures back as they were; drop files the quick run added
            for p in WRITTEN:
                if p in saved:
                    p.write_bytes(saved[p])
                else:
                    p.unlink(missing_ok=True)


if __name__ == "__main__":
    if shutil.which("git") is None:
        sys.exit("git is needed (the last committed results are read from HEAD)")
    main()
