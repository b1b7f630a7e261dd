"""Visits (issue 5): monthly plan generation for the whole benchmark city and
the city coverage report (入户率), on a COPY of the benchmark database.

    createdb -h 127.0.0.1 -U postgres -T wangge_bench visits_bench
    .venv/bin/python bench/visits.py --database-url postgres://127.0.0.1:5432/visits_bench
    cp var/bench/wangge-bench.sqlite3 var/bench/visits.sqlite3
    .venv/bin/python bench/visits.py --database-url sqlite:///var/bench/visits.sqlite3

Steps:
1. `migrate` (adds the visits tables and the default rules to the copy);
2. a visit history, once, set-based: every household whose id is not a
   multiple of 4 gets one visit by its grid's worker, on a day spread over
   the 150 days before the plan month (timed apart, not part of the goal) —
   so the plan has due, overdue and not-yet-due households, and coverage is
   not zero;
3. `plan_generate(month)` for the whole city (every household, every worker's
   targets, the coverage rollup of the month, quarter and year) — goal < 60 s;
   run `--plan-runs` times (it replaces the month's plan each time);
4. the city coverage report, as the API computes it for a city-level user
   (districts under the city) and for each street of one district, `--runs`
   times each — goal < 1 s; and the grid table of the whole city (every
   grid's row).

Results: bench/results/visits-<sqlite|postgres>.json (with the load average:
the machine is shared) and a table on stdout."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from _cpu import server_cpu  # bench/_cpu.py (the script's directory is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--month", default="2026-11")
    ap.add_argument("--plan-runs", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument(
        "--rebuild-coverage",
        action="store_true",
        help="rebuild the visited-household sets from existing visits first",
    )
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    backend = connection.vendor
    if backend == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA cache_size = -262144")  # 256 MB, like a production setting
    load_start = os.getloadavg()
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t

    from wangge.accounts.models import User
    from wangge.areas.models import Area, Level
    from wangge.people.models import Household
    from wangge.visits import selectors
    from wangge.visits.models import CoverageCount, PlanItem, Visit, WorkerPlan
    from wangge.visits.services import plan_generate

    month = date.fromisoformat(args.month + "-01")
    households = Household.objects.count()
    seed_s = None
    if not Visit.objects.exists() or args.rebuild_coverage:
        if not Visit.objects.exists():
            seed_s = _seed_history(connection, month)
        else:
            from wangge.visits.services import coverage_refresh, periods_of

            t = time.perf_counter()
            for period in periods_of(month):
                coverage_refresh(period=period, rebuild=True)
            seed_s = round(time.perf_counter() - t, 1)
    visits = Visit.objects.count()

    plan_runs = []
    for _ in range(args.plan_runs):
        t = time.perf_counter()
        cpu_client, cpu_server = time.process_time(), server_cpu(connection)
        wait_server = _server_wait(connection)
        result = plan_generate(month=month)
        plan_runs.append(
            {
                "wall_s": round(time.perf_counter() - t, 2),
                # CPU seconds used (the machine is shared: wall time includes waiting).
                "cpu_client_s": round(time.process_time() - cpu_client, 2),
                "cpu_server_s": _delta(server_cpu(connection), cpu_server),
                # Seconds the backend was runnable but waited for a CPU (the
                # rest of wall − CPU is I/O: WAL, index pages, commit).
                "runqueue_wait_server_s": _delta(_server_wait(connection), wait_server),
                **result.as_dict(),
            }
        )
        print("plan", plan_runs[-1], flush=True)

    admin, _ = User.objects.get_or_create(
        username="bench_visits_admin", defaults={"kind": "staff", "is_superuser": True}
    )
    city = Area.objects.get(level=Level.CITY)
    district = Area.objects.filter(level=Level.DISTRICT).order_by("path").first()
    period = args.month

    def timed(fn, runs):
        out = []
        for _ in range(runs):
            t = time.perf_counter()
            value = fn()
            out.append((time.perf_counter() - t) * 1000)
        return value, out

    city_report, city_ms = timed(
        lambda: selectors.coverage(actor=admin, period=period, area=city), args.runs
    )
    district_report, district_ms = timed(
        lambda: selectors.coverage(actor=admin, period=period, area=district), args.runs
    )
    year_report, year_ms = timed(
        lambda: selectors.coverage(actor=admin, period=args.month[:4], area=city), args.runs
    )
    grids, grids_ms = timed(
        lambda: list(
            CoverageCount.objects.filter(period=period).values_list(
                "grid_id", "households", "visited"
            )
        ),
        max(3, args.runs // 4),
    )

    def ms(values):
        values = sorted(values)
        return {
            "median": round(statistics.median(values), 1),
            "p95": round(values[max(0, int(len(values) * 0.95) - 1)], 1),
            "max": round(values[-1], 1),
        }

    out = {
        "script": "bench/visits.py",
        "backend": backend,
        "database": args.database_url.rsplit("/", 1)[-1],
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "households": households,
        "visits": visits,
        "migrate_s": round(migrate_s, 1),
        "seed_history_s": seed_s,
        "plan": plan_runs,
        "plan_items": PlanItem.objects.filter(month=month).count(),
        "worker_plans": WorkerPlan.objects.filter(month=month).count(),
        "goal_plan_s": 60,
        "coverage_city_ms": ms(city_ms),
        "coverage_city_rows": len(city_report["rows"]),
        "coverage_city_rate": city_report["rate"],
        "coverage_city_year_ms": ms(year_ms),
        "coverage_city_year_rate": year_report["rate"],
        "coverage_district_ms": ms(district_ms),
        "coverage_district_rows": len(district_report["rows"]),
        "coverage_all_grids_ms": ms(grids_ms),
        "coverage_all_grids_rows": len(grids),
        "goal_coverage_ms": 1000,
    }
    results = (
        ROOT
        / "bench"
        / "results"
        / f"visits-{'postgres' if backend == 'postgresql' else backend}.json"
    )
    results.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(out, ensure_ascii=False, indent=2))
    print("->", results.relative_to(ROOT))


def _server_wait(connection) -> float | None:
    """Seconds this connection's backend spent waiting on a run queue
    (/proc/<pid>/schedstat, 2nd field, ns); None for SQLite."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def _delta(after, before):
    return round(after - before, 2) if after is not None and before is not None else None


def _seed_history(connection, month: date) -> float:
    """One visit for 3 of every 4 households, by the grid's worker, on a day
    among the 150 before the month (set-based; not part of the goal)."""
    from datetime import datetime, timedelta
    from datetime import time as dtime

    from wangge.cases.workdays import TZ

    start = datetime.combine(month, dtime(9), tzinfo=TZ) - timedelta(days=150)
    t = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            when = "(%s::timestamptz + (h.id %% 150) * interval '1 day')"
        else:
            when = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '+' || (h.id %% 150) || ' days')"
        cur.execute(
            f"""
            INSERT INTO visits_visit
                (kind, household_id, district_id, grid_id, area_path, visitor_id, visited_at,
                 far_from_building, place, topic, people_met, notes, issues,
                 idempotency_key, created_at)
            SELECT 'household', h.id, h.district_id, h.grid_id, h.area_path, w.user_id, {when},
                   FALSE, '', '', '', '', '', '', %s
            FROM people_household h
            JOIN (SELECT area_id, MIN(user_id) AS user_id FROM teams_roleassignment
                  WHERE role = 'grid_worker' AND is_active GROUP BY area_id) w
              ON w.area_id = h.grid_id
            WHERE h.id %% 4 <> 0
            """,
            [
                connection.ops.adapt_datetimefield_value(start),
                connection.ops.adapt_datetimefield_value(start),
            ],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE visits_visit")
    # The bulk insert bypassed visit_record: rebuild the visited-household
    # sets the coverage counters read (what `visits_plan --rebuild-coverage` does).
    from wangge.visits.services import coverage_refresh, periods_of

    for period in periods_of(month):
        coverage_refresh(period=period, rebuild=True)
    return round(time.perf_counter() - t, 1)


if __name__ == "__main__":
    main()
