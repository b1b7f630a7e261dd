"""The 3× city for real: several neighbouring cities, each generated at the
benchmark's density (its real divisions, `wangge generate --scale city`),
into one PostgreSQL database, measured once with the first city alone (1×)
and again with all of them (~3×), in the same database on the same machine.

    .venv/bin/python bench/city3.py                    # wg_city3: Jiaxing + Shaoxing + Zhoushan
    .venv/bin/python bench/city3.py --keep             # keep the database afterwards
    .venv/bin/python bench/city3.py --quick            # first street of each city (a minute)

Cities: 330400 嘉兴 (1,202 communities) + 330600 绍兴 (2,168) + 330900 舟山
(428) = 3,798 communities, 3.16× Jiaxing — the Hangzhou Bay cities; each
city is its own root of the area tree (there is no province level), the
plan gives each the benchmark's grids and micro-grids per community.

Steps, each command a child process waited with os.wait4 (wall, CPU user +
system, peak RSS of that child):
1. a fresh database `--db` (dropped and re-created; never `wangge_bench`,
   the coordinator's), `migrate`;
2. for each city in order: `wangge load-divisions --city C`, `wangge
   generate --scale city --city C --seed N -v 2` (measured), `VACUUM
   (ANALYZE)` (timed apart), then `--cases-per-community` past cases in
   each of its districts (bench/cases.py `fill_history`: SQL-generated, one
   year, 2% open), database size and row counts;
3. after the first city (1×) and after the last (3×): the assessment
   rollups rebuilt (whole table, timed), then the figures, in a child
   process, always on the first city's objects so 1× and 3× read the same
   street, grid and city:
   - point → micro-grid look-ups (bench/locate.py `measure`: 100,000 random
     points in the first city; the locator indexes every city's leaves),
     the subtree count of one street (`--street`);
   - a street cadre's and a grid worker's case list (`case_page`, newest
     first, and open cases only), the public board of the street and of the
     grid (`board`);
   - the dashboard (大屏) of the first city and of its first district, and
     the ranking of all the city's grids this month (assessment selectors,
     from the rollups);
   - the deadline sweep over every case, first run and again.
   Each as p50/p95 over `--repeat` runs with the CPU per run of this process
   and of its PostgreSQL backend (bench/_cpu.py), the load average beside.

Results: bench/results/<date>-city3-postgres.json and a table comparing 1×
and 3× on stdout. The case volumes are modest on purpose (every city gets
the same cases per community): the comparison is 1× against 3× in one run,
not against the 2 M-case benchmarks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from generate import PG_DB as SHARED_DB  # noqa: E402
from generate import PG_SERVER, row_counts, run_step  # noqa: E402

BENCH = {
    "backends": ["postgres"],
    "args": ["--db", "wg_city3_bench"],
    "quick": ["--quick", "--repeat", "3", "--points", "2000"],
    "result": "{date}-city3-{backend}.json",
    "order": 90,
    "timeout": 10800,
}

CITIES = "330400,330600,330900"
STREET = "330402007"  # 建设街道, Jiaxing: the street of bench/locate.py's figures


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def db_url(name: str) -> str:
    return f"{PG_SERVER.rsplit('/', 1)[0]}/{name}"


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------- child: fill cases
def fill(args) -> None:
    """Past cases for one city: `cases_per_community` × its communities that
    have grids, per district, over that district's micro-grids."""
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings.demo")
    import django

    django.setup()
    from cases import fill_history  # bench/cases.py

    from wangge.areas.models import Area, Level
    from wangge.areas.paths import subtree_q

    city = Area.objects.get(code=args.city[:6].ljust(12, "0"), level=Level.CITY)
    t = time.perf_counter()
    total = 0
    for d in Area.objects.filter(parent=city, level=Level.DISTRICT).order_by("path"):
        under = Area.objects.filter(subtree_q(d.path))
        communities = under.filter(level=Level.COMMUNITY, children__isnull=False).distinct()
        n = args.cases_per_community * communities.count()
        leaves = [
            (
                mg,
                mg.parent,
                mg.parent.parent,
                (mg.min_lng, mg.min_lat, mg.max_lng, mg.max_lat),
                mg.parent.parent.parent,
            )
            for mg in under.filter(level=Level.MICRO_GRID)
            .select_related("parent__parent__parent")
            .defer(
                "boundary",
                "parent__boundary",
                "parent__parent__boundary",
                "parent__parent__parent__boundary",
            )
            .iterator(chunk_size=5000)
        ]
        if n and leaves:
            fill_history({"district": d, "leaves": leaves}, n, 0.01, 0.02)
            total += n
    print(json.dumps({"cases": total, "fill_s": round(time.perf_counter() - t, 1)}))


# ---------------------------------------------------------------- child: measure
def measure(args) -> None:
    from locate import measure as locate_measure  # bench/locate.py; sets up Django

    street_code = args.street if args.street else None
    out: dict = {"load_average_start": load()}
    try:
        loc = locate_measure(
            "postgres", args.database_url, args.points, args.db_points, args.repeat, street_code
        )
    except Exception:  # the street is not generated (--quick): the first one with residents
        loc = locate_measure(
            "postgres", args.database_url, args.points, args.db_points, args.repeat, None
        )
    out["locate"] = {k: v for k, v in loc.items() if k not in ("benchmark", "backend", "date")}
    out["rss_after_locator_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    from _cpu import server_cpu
    from django.db import connection

    from wangge.accounts.models import User
    from wangge.areas.models import Area, Level
    from wangge.areas.paths import subtree_q
    from wangge.assessment import selectors as assess
    from wangge.assessment.rollups import rebuild
    from wangge.cases.deadlines import sweep
    from wangge.cases.models import Case
    from wangge.cases.selectors import CaseFilters, board, case_page
    from wangge.teams.models import RoleAssignment
    from wangge.teams.roles import Role

    def timed(fn, repeat: int = args.repeat) -> dict:
        fn()  # warm-up
        lat = []
        c0, s0 = time.process_time(), server_cpu(connection) or 0.0
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            lat.append(time.perf_counter() - t)
        c1, s1 = time.process_time(), server_cpu(connection) or 0.0
        return {
            "p50_ms": round(pct(lat, 50) * 1000, 2),
            "p95_ms": round(pct(lat, 95) * 1000, 2),
            "cpu_ms_per_run": round((c1 - c0 + s1 - s0) / repeat * 1000, 2),
            "n": repeat,
            "load_average": load(),
        }

    city = Area.objects.filter(level=Level.CITY).order_by("path").first()
    street = Area.objects.get(code=loc["subtree_count"]["street"].split()[-1], level="street")
    district = Area.objects.get(pk=street.parent_id)
    out["cases_total"] = Case.objects.count()
    out["cases_in_street"] = Case.objects.filter(subtree_q(street.path, "area_path")).count()
    out["open_cases_in_street"] = Case.objects.filter(
        subtree_q(street.path, "area_path"), closed_at__isnull=True
    ).count()

    t = time.perf_counter()
    out["rollup_rows"] = rebuild()
    out["rollup_rebuild_s"] = round(time.perf_counter() - t, 1)
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE assessment_caserollup")
        c.execute("VACUUM ANALYZE assessment_caserollupmonth")

    cadre, _ = User.objects.get_or_create(
        username="bench-city3-street", defaults={"kind": "staff", "name": "镇街干部（基准）"}
    )
    RoleAssignment.objects.get_or_create(
        user=cadre, role=Role.STREET_CADRE, area=street, defaults={"area_path": street.path}
    )
    worker_ra = (
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, area_path__startswith=street.path)
        .select_related("user", "area")
        .order_by("area_path")
        .first()
    )
    worker, grid = worker_ra.user, worker_ra.area
    out["grid"] = f"{grid.name} {grid.code}"
    out["cases_in_grid"] = Case.objects.filter(subtree_q(grid.path, "area_path")).count()

    def page(actor, **f):
        return lambda: case_page(actor=actor, filters=CaseFilters(**f), limit=50, cap=10_000)

    out["street_list"] = timed(page(cadre))
    out["street_list_open"] = timed(page(cadre, open=True))
    out["worker_list"] = timed(page(worker))
    out["worker_list_open"] = timed(page(worker, open=True))
    out["street_board"] = timed(lambda: board(area=street))
    out["grid_board"] = timed(lambda: board(area=grid))
    print("lists and boards done", file=sys.stderr, flush=True)

    boss = User(username="bench", is_superuser=True, is_active=True)  # unrestricted scope
    period = assess.parse_period()
    out["dashboard_city"] = timed(
        lambda: assess.dashboard(actor=boss, area_id=city.pk, period=period)
    )
    out["dashboard_district"] = timed(
        lambda: assess.dashboard(actor=boss, area_id=district.pk, period=period)
    )
    grids = assess.ranking(actor=boss, area_id=city.pk, level="grid", period=period)
    out["ranking_grids"] = {
        **timed(lambda: assess.ranking(actor=boss, area_id=city.pk, level="grid", period=period)),
        "grids": grids["count"],
    }
    print("dashboards done", file=sys.stderr, flush=True)

    for name in ("sweep_first", "sweep_again"):
        c0, s0 = time.process_time(), server_cpu(connection) or 0.0
        t = time.perf_counter()
        r = sweep()
        out[name] = {
            "seconds": round(time.perf_counter() - t, 2),
            "cpu_s": round(time.process_time() - c0 + (server_cpu(connection) or 0.0) - s0, 2),
            "result": {k: v for k, v in r.as_dict().items() if k != "failed"},
            "load_average": load(),
        }
    out["load_average_end"] = load()
    print(json.dumps(out, ensure_ascii=False, default=str))


# ---------------------------------------------------------------- driver
def sql(url: str, statement: str):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return (
            conn.execute(statement).fetchall()
            if statement.lstrip().upper().startswith("SELECT")
            else conn.execute(statement)
        )


def child_json(args: list[str], env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if out.returncode:
        print(out.stdout[-3000:], out.stderr[-5000:], file=sys.stderr)
        raise SystemExit(f"city3.py {args[0]} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def counts(env: dict, url: str) -> dict:
    tables = {"cases": "cases_case", "case_events": "cases_caseevent"}
    more = {k: sql(url, f"SELECT count(*) FROM {t}")[0][0] for k, t in tables.items()}
    return {**row_counts(env), **more}


def drive(args) -> None:
    if args.db == SHARED_DB:
        raise SystemExit(f"{SHARED_DB} is the shared benchmark city: pick another --db")
    url = db_url(args.db)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "wangge.settings.demo",
        "PYTHONPATH": str(ROOT / "src"),
    }
    cities = [c.strip() for c in args.cities.split(",") if c.strip()]
    earlier = sorted(RESULTS.glob("*-city3-postgres.json"))
    if args.resume and earlier:
        # Go on where a stopped run left off: the cities generated (with
        # their cases) are kept, so are the stages measured.
        result = json.loads(earlier[-1].read_text())
        result["args"]["cities"] = cities
        result.setdefault("resumed", []).append(
            {"at": dt.datetime.now().isoformat(timespec="seconds"), "load_average": load()}
        )
        run(args, url, env, cities, result, resume=True)
        return
    sql(PG_SERVER, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    sql(PG_SERVER, f'CREATE DATABASE "{args.db}"')
    result: dict = {
        "benchmark": "city3",
        "backend": "postgres",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "database_url": url,
        "args": {
            "cities": cities,
            "seed": args.seed,
            "quick": args.quick,
            "cases_per_community": args.cases_per_community,
            "repeat": args.repeat,
            "points": args.points,
            "street": args.street,
        },
        "command": " ".join(["bench/city3.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "load_average_start": load()},
        "steps": [],
        "stages": [],
    }
    with __import__("psycopg").connect(PG_SERVER) as conn:
        for name in ("server_version", "shared_buffers", "maintenance_work_mem", "max_wal_size"):
            result["machine"][name] = conn.execute(f"SHOW {name}").fetchone()[0]
    run(args, url, env, cities, result, resume=False)


def run(args, url: str, env: dict, cities: list[str], result: dict, *, resume: bool) -> None:
    python = sys.executable
    wangge = str(Path(python).with_name("wangge"))
    measured = {tuple(s["cities"]) for s in result["stages"]}

    def step(name, argv):
        la = load()
        s = run_step(name, argv, env)
        s["load_average_before"], s["load_average_after"] = la, load()
        result["steps"].append(s)
        print(
            f"{name}: {s['wall_seconds']} s wall, {s['cpu_user_seconds']} s user, "
            f"{s['peak_rss_mb']} MB, load {la[0]}",
            flush=True,
        )
        return s

    if not resume:
        step("migrate", [python, "manage.py", "migrate", "-v", "0"])
    scale = ["--scale", "street"] if args.quick else ["--scale", "city"]
    for i, city in enumerate(cities):
        if resume and generated(url, city):
            print(f"{city}: generated and filled before, kept", flush=True)
        else:
            one_city(args, url, city, step, wangge, scale, result, env)
        if i not in (0, len(cities) - 1) or tuple(cities[: i + 1]) in measured:
            continue
        stage = {
            "cities": cities[: i + 1],
            "database_bytes": sql(url, "SELECT pg_database_size(current_database())")[0][0],
            "rows": counts(env, url),
        }
        margs = [
            "measure",
            "--database-url",
            url,
            "--repeat",
            str(args.repeat),
            "--points",
            str(args.points),
            "--db-points",
            str(args.db_points),
        ]
        if args.street:
            margs += ["--street", args.street]
        stage["figures"] = child_json(margs, env)
        result["stages"].append(stage)
        save(result)  # partial results survive a later failure
        print(f"stage {'+'.join(stage['cities'])}: measured", flush=True)
    result["machine"]["load_average_end"] = load()
    if not args.keep:
        sql(PG_SERVER, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    path = save(result)
    table(result)
    print(f"-> {path.relative_to(ROOT)}")


def generated(url: str, city: str) -> bool:
    """The city's grids and its cases are there (a run stopped later)."""
    code = city[:6].ljust(12, "0")
    rows = sql(
        url,
        "SELECT count(*) FROM cases_case c JOIN areas_area d ON d.id = c.district_id "
        f"JOIN areas_area p ON p.id = d.parent_id WHERE p.code = '{code}'",
    )
    return rows[0][0] > 0


def one_city(args, url, city, step, wangge, scale, result, env) -> None:
    code = city[:6].ljust(12, "0")
    grids = sql(
        url,
        "SELECT count(*) FROM areas_area g JOIN areas_area c ON g.path LIKE c.path || '%%' "
        f"WHERE c.code = '{code}' AND c.level = 'city' AND g.level = 'grid'",
    )[0][0]
    if grids:  # generated by a stopped run, its cases not filled
        print(f"{city}: generated before ({grids} grids), kept", flush=True)
        return fill_city(args, url, city, result, env)
    step(f"load-divisions {city}", [wangge, "load-divisions", "--city", city])
    step(
        f"generate {city}",
        [
            wangge,
            "generate",
            *scale,
            "--city",
            city,
            "--seed",
            str(args.seed),
            "-v",
            "2",
            "--no-progress",
        ],
    )
    t = time.monotonic()
    sql(url, "VACUUM (ANALYZE)")
    result["steps"].append(
        {
            "step": f"vacuum analyze after {city}",
            "wall_seconds": round(time.monotonic() - t, 1),
            "load_average_after": load(),
        }
    )
    fill_city(args, url, city, result, env)


def fill_city(args, url, city, result, env) -> None:
    t = time.monotonic()
    filled = child_json(
        [
            "fill",
            "--database-url",
            url,
            "--city",
            city,
            "--cases-per-community",
            str(args.cases_per_community),
        ],
        env,
    )
    sql(url, "VACUUM (ANALYZE) cases_case")
    sql(url, "VACUUM (ANALYZE) cases_caseevent")
    result["steps"].append(
        {
            "step": f"cases {city}",
            **filled,
            "wall_seconds": round(time.monotonic() - t, 1),
            "load_average_after": load(),
        }
    )
    print(f"cases {city}: {filled}", flush=True)


def save(result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{result['date'][:10]}-city3-postgres.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    return path


FIGURES = [
    ("database size GiB", lambda s: s["database_bytes"] / 2**30),
    ("residents", lambda s: s["rows"]["residents"]),
    ("micro-grids", lambda s: s["rows"]["micro_grids"]),
    ("cases", lambda s: s["rows"]["cases"]),
    ("locator build s", lambda s: s["figures"]["locate"]["locator_build_seconds"]),
    ("locate_leaf_id /s", lambda s: s["figures"]["locate"]["locate_leaf_id_per_second"]),
    ("locate() /s", lambda s: s["figures"]["locate"]["locate_chain_per_second"]),
    ("street subtree count p50 ms", lambda s: s["figures"]["locate"]["subtree_count"]["p50_ms"]),
    ("rollup rebuild s", lambda s: s["figures"]["rollup_rebuild_s"]),
    *[
        (f"{name} {k}", lambda s, n=name, k=k: s["figures"][n][k])
        for name in (
            "street_list",
            "street_list_open",
            "worker_list",
            "worker_list_open",
            "street_board",
            "grid_board",
            "dashboard_city",
            "dashboard_district",
            "ranking_grids",
        )
        for k in ("p50_ms", "cpu_ms_per_run")
    ],
    ("sweep first s", lambda s: s["figures"]["sweep_first"]["seconds"]),
    ("sweep again s", lambda s: s["figures"]["sweep_again"]["seconds"]),
]


def table(result: dict) -> None:
    stages = result["stages"]
    if len(stages) < 2:
        return
    a, b = stages[0], stages[-1]
    print(f"\n{'figure':<32}{'1×':>14}{'all':>14}{'ratio':>8}")
    for label, get in FIGURES:
        x, y = get(a), get(b)
        ratio = f"{y / x:.2f}" if x else "-"
        print(f"{label:<32}{x:>14,.2f}{y:>14,.2f}{ratio:>8}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    ap.add_argument("--db", default="wg_city3", help="PostgreSQL database (dropped, re-created)")
    ap.add_argument("--cities", default=CITIES, help="city codes, the first is the 1× city")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases-per-community", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--db-points", type=int, default=5_000)
    ap.add_argument("--street", default=STREET, help="street of the first city measured")
    ap.add_argument("--quick", action="store_true", help="the first street of each city")
    ap.add_argument("--keep", action="store_true", help="keep the database")
    ap.add_argument(
        "--resume",
        action="store_true",
        help="go on with the database and the result file of a stopped run (--keep'd)",
    )
    f = sub.add_parser("fill")
    f.add_argument("--database-url", required=True)
    f.add_argument("--city", required=True)
    f.add_argument("--cases-per-community", type=int, required=True)
    m = sub.add_parser("measure")
    m.add_argument("--database-url", required=True)
    m.add_argument("--repeat", type=int, default=30)
    m.add_argument("--points", type=int, default=100_000)
    m.add_argument("--db-points", type=int, default=5_000)
    m.add_argument("--street", default=None)
    args = ap.parse_args()
    if args.cmd == "fill":
        fill(args)
    elif args.cmd == "measure":
        measure(args)
    else:
        if args.quick and args.street == STREET:
            args.street = ""
        drive(args)


if __name__ == "__main__":
    main()
