"""Assessment benchmark on the city-scale PostgreSQL data set with ~2 M cases.

    .venv/bin/python bench/assessment.py prepare --cases 2000000   # once: fill and roll up
    .venv/bin/python bench/assessment.py run                         # measure

`prepare` works on a COPY of the generated city (`createdb -T wangge_bench
assess_bench`, made beforehand; set ASSESS_BENCH_URL to use another): it
migrates the assessment app, adds `--cases` past cases over the last year
with `bench/cases.py`'s `fill_history` (called once per district, the cases
spread over that district's micro-grids), gives a share of the closed ones
ratings, rework, extensions and supervision (one UPDATE each, by id
arithmetic: deterministic), and rebuilds the rollup (timed).

`run` measures, in one process and one run:
1. dashboard data for the city and for one district — the calls the 大屏
   makes (headline indices this month and last, 12 monthly points, 30 daily
   points, ranking of the level below, top categories) — p50/p95 over
   `--repeat` rounds, from the rollup;
2. DuckDB answering the same questions from the same case rows (copied out of
   PostgreSQL once into an in-memory DuckDB table), p50/p95;
3. the ranking of all 4,365 grids of the city for a month: COLD first
   (every call right after emptying the cache, as the first viewer after
   the 5-minute expiry or a restart sees it; the first call of the process
   is `first_ms`): counted live (`ranking_grids_cold_live`, the month's
   stored totals removed), then the refresh of the stored month totals
   (`index_refresh`, per source) and cold again reading them
   (`ranking_grids_cold`); then warm p50/p95 (`ranking_grids`);
4. the proactive rules over the whole city (one full run, timed).
Results: bench/results/assessment-postgres.json (with the load average).

    .venv/bin/python bench/assessment.py explain                     # plans

`explain` records every query one city screen call and one grid ranking
make, runs each again under EXPLAIN (ANALYZE, BUFFERS) and writes the plan
nodes, rows, heap fetches and time per query to
bench/results/assessment-explain-postgres.json (a Seq Scan or a query over
50 ms is flagged).

SQLite (rollup reads only):

    .venv/bin/python bench/assessment.py sqlite-copy                 # from assess_bench
    ASSESS_BENCH_URL=sqlite:///var/bench/assess-bench.sqlite3 \
        .venv/bin/python bench/assessment.py run --skip-rules --skip-duckdb

`sqlite-copy` migrates an SQLite file and copies the areas, categories and
both rollup tables of the prepared PostgreSQL database into it (not the 2 M
cases: the screen and the rankings read the rollups; the live numbers that
need cases read none there, the hot-spot rule and DuckDB are left out).
Results: bench/results/assessment-sqlite.json."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DB_URL = os.environ.get("ASSESS_BENCH_URL", "postgres://127.0.0.1:5432/assess_bench")


def setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ["DATABASE_URL"] = DB_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings.base")
    import django

    django.setup()


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def cold(fn, repeat: int) -> dict:
    """Each call right after emptying the cache (what the first viewer after
    the 5-minute expiry, or after a restart, waits for): the first call of
    the process, then `repeat` more."""
    from _cpu import server_cpu  # bench/_cpu.py
    from django.core.cache import cache
    from django.db import connection

    lat, cpu = [], []
    for _ in range(repeat + 1):
        cache.clear()
        s0, c0, t = server_cpu(connection) or 0.0, time.process_time(), time.perf_counter()
        fn()
        lat.append(time.perf_counter() - t)
        # CPU of this process and of its PostgreSQL backend: on a shared
        # machine the wall time includes waiting for a core.
        cpu.append(time.process_time() - c0 + (server_cpu(connection) or 0.0) - s0)
    first, rest = lat[0], lat[1:]
    return {
        "first_ms": round(first * 1000, 1),
        "p50_ms": round(pct(rest, 50) * 1000, 1),
        "max_ms": round(max(rest) * 1000, 1),
        "cpu_p50_ms": round(pct(cpu[1:], 50) * 1000, 1),
        "n": repeat,
    }


def timed(fn, repeat: int) -> dict:
    fn()  # warm-up
    lat = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        lat.append(time.perf_counter() - t)
    return {
        "p50_ms": round(pct(lat, 50) * 1000, 1),
        "p95_ms": round(pct(lat, 95) * 1000, 1),
        "n": repeat,
    }


# ---------------------------------------------------------------- prepare
def prepare(args) -> None:
    setup()
    from cases import fill_history  # bench/cases.py
    from django.core.management import call_command
    from django.db import connection

    from wangge.areas.models import Area, Level
    from wangge.assessment.rollups import rebuild
    from wangge.cases.models import Case

    call_command("migrate", "assessment", verbosity=0)
    have = Case.objects.count()
    out: dict = {"cases_before": have}
    if have < args.cases:
        districts = list(Area.objects.filter(level=Level.DISTRICT).order_by("path"))
        leaves_by: dict[int, list] = {d.pk: [] for d in districts}
        mgs = Area.objects.filter(level=Level.MICRO_GRID).select_related(
            "parent__parent__parent__parent"
        )
        for mg in mgs.iterator(chunk_size=5000):
            grid = mg.parent
            community = grid.parent
            street = community.parent
            leaves_by[street.parent_id].append(
                (mg, grid, community, (mg.min_lng, mg.min_lat, mg.max_lng, mg.max_lat), street)
            )
        total_leaves = sum(len(v) for v in leaves_by.values())
        need = args.cases - have
        t = time.perf_counter()
        for d in districts:
            leaves = leaves_by[d.pk]
            n = round(need * len(leaves) / total_leaves)
            if n and leaves:
                print(f"{d.name}: {n} cases over {len(leaves)} micro-grids", flush=True)
                fill_history({"district": d, "leaves": leaves}, n, 0.01, 0.02)
        out["fill_s"] = round(time.perf_counter() - t, 1)
    if not Case.objects.filter(rating__isnull=False).exists():
        with connection.cursor() as c:
            # Outcomes fill_history leaves out, by id arithmetic, in one pass:
            # 60 % of closed cases rated (two in three of those 5, the rest
            # 1–5), 1/23 reworked, 1/31 extended, 1/47 supervised, 1/13 of
            # the closed ones closed a day after their deadline.
            c.execute(
                "UPDATE cases_case SET "
                "rating = CASE WHEN status IN ('closed', 'archived') AND id % 10 < 6 "
                "  THEN CASE WHEN id % 10 < 4 THEN 5 ELSE 1 + (id * 7) % 5 END END, "
                "rated_at = CASE WHEN status IN ('closed', 'archived') AND id % 10 < 6 "
                "  THEN closed_at END, "
                "rework_count = CASE WHEN id % 23 = 0 THEN 1 ELSE 0 END, "
                "extension_count = CASE WHEN id % 31 = 0 THEN 1 ELSE 0 END, "
                "supervised = (id % 47 = 0), "
                "closed_at = CASE WHEN closed_at IS NOT NULL AND id % 13 = 0 "
                "  THEN due_at + interval '1 day' ELSE closed_at END "
                "WHERE (status IN ('closed', 'archived') AND id % 10 < 6) "
                "OR id % 23 = 0 OR id % 31 = 0 OR id % 47 = 0 "
                "OR (closed_at IS NOT NULL AND id % 13 = 0)"
            )
            c.execute("ANALYZE cases_case")
    if not args.no_sources:
        out["sources"] = seed_sources(connection)
    t = time.perf_counter()
    out["rollup_rows"] = rebuild()
    out["rebuild_s"] = round(time.perf_counter() - t, 1)
    with connection.cursor() as c:  # index-only scans need the visibility map
        c.execute("VACUUM ANALYZE assessment_caserollup")
        c.execute("VACUUM ANALYZE assessment_caserollupmonth")
    out["cases"] = Case.objects.count()
    print(json.dumps(out, ensure_ascii=False), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "assessment-prepare-postgres.json").write_text(
        json.dumps({**out, "loadavg": os.getloadavg()}, ensure_ascii=False, indent=2)
    )


def link_party_workers(connection) -> int:
    """Each grid's first grid worker (the one `seed_sources` has visit) is
    the staff account of one party member of that grid (a worker with two
    grids: once)."""
    with connection.cursor() as c:
        c.execute(
            """
            WITH w AS (SELECT area_id, MIN(user_id) AS user_id FROM teams_roleassignment
                       WHERE role = 'grid_worker' AND is_active GROUP BY area_id),
                 g AS (SELECT DISTINCT ON (w.user_id) a.path, w.user_id
                       FROM w JOIN areas_area a ON a.id = w.area_id ORDER BY w.user_id, a.path),
                 pick AS (SELECT MIN(id) AS mid, substr(area_path, 1, 25) AS gp
                          FROM party_partymember WHERE is_active
                          GROUP BY substr(area_path, 1, 25))
            UPDATE party_partymember m SET user_id = g.user_id
            FROM pick JOIN g ON g.path = pick.gp
            WHERE m.id = pick.mid
            """
        )
        return c.rowcount


def seed_sources(connection) -> dict:
    """The data behind the indices that do not come from cases, at city
    scale, for this month (the ranking's default period), so a cold ranking
    reads every source as a real city would fill it (set-based, timed each;
    skipped where rows exist):
    - 党组织: `party_generate` for the city (a branch per grid, members from
      the party-member residents, 3 linked households each), and in each
      grid one member is its grid worker (党员网格员: the member's staff
      account, so the visits and cases they make count in 先锋指数);
    - 走访: one visit this month for every second household, by its grid's
      worker, and the coverage counters rebuilt (as `bench/visits.py` seeds);
    - 在线: a day of presence for every grid worker and part-time worker on
      every working day of the month so far, 120–479 minutes;
    - 积分: an earn entry this month for every fifth resident (the month
      totals kept by the ledger's triggers);
    - 知晓率: a city survey with one awareness question, answered by one
      resident in 20 (four in five 知道)."""
    from datetime import datetime, timedelta
    from datetime import time as dtime

    from wangge.areas.models import Area
    from wangge.assessment.selectors import today
    from wangge.cases.workdays import TZ, china
    from wangge.party.generate import generate_party
    from wangge.party.models import PartyMember, PartyOrg
    from wangge.visits.services import coverage_refresh, periods_of

    city = Area.objects.get(depth=1)
    day = today()
    month = day.replace(day=1)
    start = datetime.combine(month, dtime(9), tzinfo=TZ)
    days_so_far = (day - month).days + 1
    out: dict = {}

    def timed_step(name, fn):
        t = time.perf_counter()
        result = fn()
        out[name] = {"s": round(time.perf_counter() - t, 1), "rows": result}
        print(f"  sources: {name} {out[name]}", flush=True)

    def count(table):
        with connection.cursor() as c:
            c.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a fixed name
            return c.fetchone()[0]

    if not PartyOrg.objects.exists():
        timed_step("party", lambda: generate_party(area=city, links=3))
    if not PartyMember.objects.filter(user__isnull=False).exists():
        timed_step("party_workers", lambda: link_party_workers(connection))

    def visits():
        with connection.cursor() as c:
            c.execute(
                """
                INSERT INTO visits_visit
                    (kind, household_id, district_id, grid_id, area_path, visitor_id, visited_at,
                     far_from_building, place, topic, people_met, notes, issues,
                     idempotency_key, created_at)
                SELECT 'household', h.id, h.district_id, h.grid_id, h.area_path, w.user_id,
                       %s::timestamptz + (h.id %% %s) * interval '1 day',
                       FALSE, '', '', '', '', '', '', %s
                FROM people_household h
                JOIN (SELECT area_id, MIN(user_id) AS user_id FROM teams_roleassignment
                      WHERE role = 'grid_worker' AND is_active GROUP BY area_id) w
                  ON w.area_id = h.grid_id
                WHERE h.id %% 2 = 0
                """,
                [start, days_so_far, start],
            )
            n = c.rowcount
            c.execute("ANALYZE visits_visit")
        for period in periods_of(month):
            coverage_refresh(period=period, rebuild=True)
        return n

    if not count("visits_visit"):
        timed_step("visits", visits)

    def presence():
        cal = china()
        workdays = [
            month + timedelta(days=i)
            for i in range(days_so_far)
            if cal.is_working_day(month + timedelta(days=i))
        ]
        n = 0
        with connection.cursor() as c:
            for d in workdays:
                at = datetime.combine(d, dtime(8), tzinfo=TZ)
                c.execute(
                    """
                    INSERT INTO worker_presenceday
                        (user_id, day, minutes, count, first_seen, last_seen)
                    SELECT u.user_id, %s, decode(repeat('00', 180), 'hex'),
                           120 + (u.user_id * 7 + %s) %% 360, %s, %s + interval '9 hours'
                    FROM (SELECT DISTINCT user_id FROM teams_roleassignment
                          WHERE role IN ('grid_worker', 'part_time_worker') AND is_active) u
                    """,
                    [d, d.day, at, at],
                )
                n += c.rowcount
            c.execute("ANALYZE worker_presenceday")
        return n

    if not count("worker_presenceday"):
        timed_step("presence", presence)

    def points():
        with connection.cursor() as c:
            c.execute(
                "INSERT INTO points_pointsentry (resident_id, worker_id, grid_id, district_id, "
                "area_path, kind, rule, amount, reason, source, created_by_id, created_at) "
                "SELECT r.id, NULL, r.grid_id, r.district_id, r.area_path, 'earn', "
                "'report_valid', 5 + (r.id %% 4) * 5, '压测积分', NULL, NULL, "
                "%s::timestamptz + (r.id %% %s) * interval '1 day' "
                "FROM people_resident r WHERE r.id %% 5 = 0",
                [start, days_so_far],
            )
            n = c.rowcount
            c.execute("ANALYZE points_pointsentry")
            c.execute("ANALYZE assessment_pointsmonth")
        return n

    if not count("points_pointsentry"):
        timed_step("points", points)

    def survey():
        from wangge.accounts.models import User
        from wangge.surveys.models import Question, Survey

        staff = User.objects.filter(is_staff=True).order_by("pk").first() or User.objects.first()
        sv = Survey.objects.create(
            name="网格员知晓度调查（压测）",
            area=city,
            area_path=city.path,
            start=month,
            end=day + timedelta(days=30),
            created_by=staff,
        )
        q = Question.objects.create(survey=sv, text="您知道您的网格员是谁吗？", awareness=True)
        with connection.cursor() as c:
            c.execute(
                "INSERT INTO surveys_response (survey_id, resident_id, area_path, at) "
                "SELECT %s, r.id, r.area_path, %s::timestamptz + (r.id %% %s) * interval '1 day' "
                "FROM people_resident r WHERE r.id %% 20 = 0",
                [sv.pk, start, days_so_far],
            )
            c.execute(
                "INSERT INTO surveys_answer (response_id, question_id, choice) "
                "SELECT s.id, %s, CASE WHEN s.id %% 5 = 0 THEN 'no' ELSE 'yes' END "
                "FROM surveys_response s WHERE s.survey_id = %s",
                [q.pk, sv.pk],
            )
            n = c.rowcount
            c.execute("ANALYZE surveys_response")
            c.execute("ANALYZE surveys_answer")
        return n

    if not count("surveys_answer"):
        timed_step("survey", survey)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--cases", type=int, default=2_000_000)
    p.add_argument(
        "--no-sources",
        action="store_true",
        help="leave out the party, visit, presence, points and survey rows (cases only)",
    )
    r = sub.add_parser("run")
    r.add_argument("--repeat", type=int, default=30)
    r.add_argument(
        "--cold-repeat", type=int, default=5, help="cold grid rankings (cache emptied before each)"
    )
    r.add_argument(
        "--live-cold-repeat",
        type=int,
        default=2,
        help="cold grid rankings counted live, before the stored month totals are refreshed",
    )
    r.add_argument("--skip-rules", action="store_true")
    r.add_argument("--skip-duckdb", action="store_true")
    r.add_argument(
        "--again",
        default="",
        help="only re-measure the screen and the grid ranking; store them under this key "
        "in the existing results file (e.g. after an index change)",
    )
    sub.add_parser("explain")
    sub.add_parser("sqlite-copy")
    args = ap.parse_args()
    cmds = {"prepare": prepare, "run": run, "explain": explain, "sqlite-copy": sqlite_copy}
    cmds[args.cmd](args)


SQLITE_FILE = ROOT / "var" / "bench" / "assess-bench.sqlite3"


def sqlite_copy(args) -> None:
    """Areas, categories and the rollups of the PostgreSQL bench database,
    copied into a freshly migrated SQLite file."""
    import psycopg

    global DB_URL
    pg_url = DB_URL
    SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    DB_URL = f"sqlite:///{SQLITE_FILE}"
    setup()
    from django.core.management import call_command
    from django.db import connection

    from wangge.areas.models import Area
    from wangge.assessment.models import CaseRollup, CaseRollupMonth
    from wangge.cases.models import Category

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    out: dict = {"migrate_s": round(time.perf_counter() - t, 1)}
    src = psycopg.connect(pg_url.replace("postgres://", "postgresql://postgres@", 1))
    connection.ensure_connection()
    db = connection.connection
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA cache_size = -1000000")  # 1 GB for the index builds
    for model in (Area, Category, CaseRollup, CaseRollupMonth):
        table = model._meta.db_table
        cols = [f.column for f in model._meta.concrete_fields]
        quoted = ", ".join(f'"{c}"' for c in cols)
        t = time.perf_counter()
        db.execute(f"DELETE FROM {table}")
        # Rows first, indexes after (one sorted build instead of millions of
        # random inserts into two B-trees).
        indexes = [
            sql
            for (sql,) in db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (table,),
            )
        ]
        for (name,) in list(
            db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (table,),
            )
        ):
            db.execute(f'DROP INDEX "{name}"')
        n = 0
        with src.cursor(name=f"copy_{table}") as cur:
            cur.itersize = 20_000
            cur.execute(f"SELECT {quoted} FROM {table}")
            insert = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['?'] * len(cols))})"
            while rows := cur.fetchmany(20_000):
                rows = [
                    tuple(
                        json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                        for v in r
                    )
                    for r in rows
                ]
                db.execute("BEGIN")
                db.executemany(insert, rows)
                db.execute("COMMIT")
                n += len(rows)
        for sql in indexes:
            db.execute(sql)
        db.commit()
        out[table] = {"rows": n, "seconds": round(time.perf_counter() - t, 1)}
        print(table, out[table], flush=True)
    db.execute("ANALYZE")
    db.commit()
    src.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "assessment-sqlite-copy.json").write_text(
        json.dumps({**out, "loadavg": os.getloadavg()}, ensure_ascii=False, indent=2)
    )


def explain(args) -> None:
    """EXPLAIN ANALYZE every query of the screen (city) and the grid ranking."""
    setup()
    from django.core.management import call_command
    from django.db import connection

    from wangge.accounts.models import User
    from wangge.areas.models import Area
    from wangge.assessment import selectors

    call_command("migrate", verbosity=0)
    boss = User(username="bench", is_superuser=True, is_active=True)
    city = Area.objects.get(depth=1)
    period = selectors.parse_period()
    calls = {
        "dashboard_city": lambda: selectors.dashboard(actor=boss, area_id=city.pk, period=period),
        "ranking_grids": lambda: selectors.ranking(
            actor=boss, area_id=city.pk, level="grid", period=period
        ),
    }
    out: dict = {"loadavg_start": os.getloadavg(), "period": period.as_dict()}
    for name, fn in calls.items():
        fn()  # warm (caches of the slow-moving counts filled)
        seen: list = []

        def grab(execute, sql, params, many, context, seen=seen):
            seen.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(grab):
            fn()
        plans = []
        for sql, params in seen:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
                plan = cur.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            nodes: list = []

            def walk(n, nodes=nodes):
                nodes.append(
                    {
                        "node": n["Node Type"],
                        "relation": n.get("Relation Name", ""),
                        "index": n.get("Index Name", ""),
                        "rows": n.get("Actual Rows"),
                        "heap_fetches": n.get("Heap Fetches"),
                    }
                )
                for c in n.get("Plans", ()):
                    walk(c)

            walk(plan["Plan"])
            ms = plan["Execution Time"]
            plans.append(
                {
                    "sql": sql[:240],
                    "ms": round(ms, 2),
                    "nodes": [n for n in nodes if n["relation"] or n["index"]],
                    "flag": ms > 50 or any(n["node"] == "Seq Scan" for n in nodes),
                }
            )
        out[name] = {
            "queries": len(plans),
            "total_ms": round(sum(p["ms"] for p in plans), 1),
            "flagged": sum(p["flag"] for p in plans),
            "plans": plans,
        }
        print(name, out[name]["queries"], "queries", out[name]["total_ms"], "ms", flush=True)
        for p in plans:
            scans = ", ".join(f"{n['node']} {n['index'] or n['relation']}" for n in p["nodes"])
            print(f"  {p['ms']:8.2f} ms {'!' if p['flag'] else ' '} {scans}", flush=True)
    out["loadavg_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "assessment-explain-postgres.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=2, default=str)
    )


EXPORT_COLS = (
    "id, area_path, category_id, department_id, status, "
    "(created_at AT TIME ZONE 'Asia/Shanghai') AS created_local, "
    "(closed_at AT TIME ZONE 'Asia/Shanghai') AS closed_local, "
    "(due_at AT TIME ZONE 'Asia/Shanghai') AS due_local, "
    "rating, rework_count, extension_count, supervised, escalations, alert"
)


def load_duckdb():
    """The same case rows, copied out of PostgreSQL once (CSV), into DuckDB."""
    import duckdb
    from django.db import connection

    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.csv"
        connection.ensure_connection()
        copy = f"COPY (SELECT {EXPORT_COLS} FROM cases_case) TO STDOUT WITH CSV HEADER"
        with connection.connection.cursor() as cur, path.open("wb") as f, cur.copy(copy) as cp:
            for chunk in cp:
                f.write(chunk)
        con.execute(
            f"CREATE TABLE cases AS SELECT * FROM read_csv('{path}', header=true, "
            "types={'area_path': 'VARCHAR', 'department_id': 'BIGINT', 'rating': 'INTEGER'})"
        )
    return con


def duck_counters() -> str:
    from wangge.assessment.rollups import COUNTER_SQL

    sql = ", ".join(COUNTER_SQL)
    return sql.replace("closed_at", "closed_local").replace("due_at", "due_local")


def duck_dashboard(con, path: str, period, prev, today: date, child_len: int) -> dict:
    """The screen's questions, answered by DuckDB from raw case rows."""
    counters = duck_counters()
    day = "CAST(created_local AS DATE)"
    where = f"area_path LIKE '{path}%'"
    out = {}
    for name, p in (("current", period), ("previous", prev)):
        out[name] = con.execute(
            f"SELECT {counters} FROM cases WHERE {where} AND {day} BETWEEN ? AND ?",
            [p.start, p.end],
        ).fetchone()
    out["live"] = con.execute(
        f"SELECT SUM(CASE WHEN {day} = ? THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status IN ('closed','rated','archived') AND CAST(closed_local AS DATE) = ? "
        "THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status NOT IN ('closed','rated','archived','voided','merged') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status NOT IN ('closed','rated','archived','voided','merged') "
        "AND alert = 'red' THEN 1 ELSE 0 END) "
        f"FROM cases WHERE {where}",
        [today, today],
    ).fetchone()
    start12 = date(period.end.year - 1, period.end.month, 1)
    out["monthly"] = con.execute(
        f"SELECT date_trunc('month', {day}) m, {counters} FROM cases WHERE {where} "
        f"AND {day} BETWEEN ? AND ? GROUP BY m ORDER BY m",
        [start12, period.end],
    ).fetchall()
    out["daily"] = con.execute(
        f"SELECT {day} d, COUNT(*), SUM(CASE WHEN status IN ('closed','rated','archived') "
        f"THEN 1 ELSE 0 END) FROM cases WHERE {where} AND {day} BETWEEN ? AND ? "
        "GROUP BY d ORDER BY d",
        [period.end - timedelta(days=29), period.end],
    ).fetchall()
    out["ranking"] = con.execute(
        f"SELECT substr(area_path, 1, {child_len}) a, {counters} FROM cases WHERE {where} "
        f"AND {day} BETWEEN ? AND ? GROUP BY a",
        [period.start, period.end],
    ).fetchall()
    out["categories"] = con.execute(
        f"SELECT category_id, COUNT(*) n FROM cases WHERE {where} AND {day} BETWEEN ? AND ? "
        "GROUP BY category_id ORDER BY n DESC LIMIT 10",
        [period.start, period.end],
    ).fetchall()
    return out


def run(args) -> None:
    setup()
    from django.core.management import call_command
    from django.db import connection

    from wangge.accounts.models import User
    from wangge.areas.models import Area, Level
    from wangge.assessment import selectors
    from wangge.assessment.models import CaseRollup, CaseRollupMonth
    from wangge.assessment.proactive import run_rules
    from wangge.cases.models import Case

    # Every app: the screen's indices read other apps' tables too (visits,
    # surveys, party, points).
    call_command("migrate", verbosity=0)
    boss = User(username="bench", is_superuser=True, is_active=True)  # unrestricted scope
    city = Area.objects.get(depth=1)
    district = Area.objects.filter(level=Level.DISTRICT).order_by("path").first()
    period = selectors.parse_period()
    prev = period.previous()
    today = selectors.today()
    vendor = "postgres" if connection.vendor == "postgresql" else connection.vendor
    results: dict = {
        "db": vendor,
        "cases": Case.objects.count(),
        "rollup_rows": CaseRollup.objects.count(),
        "rollup_month_rows": CaseRollupMonth.objects.count(),
        "period": period.as_dict(),
        "loadavg_start": os.getloadavg(),
    }
    print(f"{results['cases']} cases, {results['rollup_rows']} rollup rows", flush=True)

    def screen(area):
        return lambda: selectors.dashboard(actor=boss, area_id=area.pk, period=period)

    ranking = lambda: selectors.ranking(  # noqa: E731
        actor=boss, area_id=city.pk, level="grid", period=period
    )
    # Cold first (nothing cached yet in this process), then warm. Cold twice:
    # counted live (no stored month totals: a period other than one month, or
    # before the first refresh), then from the stored month totals, after
    # timing their refresh (what the periodic task does every 30 minutes).
    from wangge.assessment import stored
    from wangge.assessment.indices import Period
    from wangge.assessment.models import StoredIndexRun

    StoredIndexRun.objects.all().delete()
    ranking_live = cold(ranking, args.live_cold_repeat)
    print("ranking cold, counted live", ranking_live, flush=True)
    results["ranking_grids_cold_live"] = ranking_live
    t = time.perf_counter()
    results["index_refresh"] = stored.refresh(stored.period_key(period))
    results["index_refresh"]["wall_s"] = round(time.perf_counter() - t, 1)
    print("stored month totals", results["index_refresh"], flush=True)
    ranking_cold = cold(ranking, args.cold_repeat)
    print("ranking cold", ranking_cold, flush=True)
    # The year so far: the same, for the year's ranking (a year of cases in
    # the rollup, the year's visits, members' work and points).
    year = Period(date(today.year, 1, 1), date(today.year, 12, 31))
    year_ranking = lambda: selectors.ranking(  # noqa: E731
        actor=boss, area_id=city.pk, level="grid", period=year
    )
    results["ranking_grids_year_cold_live"] = cold(year_ranking, 1)
    t = time.perf_counter()
    results["index_refresh_year"] = stored.refresh(str(today.year))
    results["index_refresh_year"]["wall_s"] = round(time.perf_counter() - t, 1)
    results["ranking_grids_year_cold"] = cold(year_ranking, args.cold_repeat)
    print(
        "year",
        {k: v for k, v in results.items() if "year" in k},
        flush=True,
    )

    if args.again:
        out = RESULTS / f"assessment-{vendor}.json"
        prior = json.loads(out.read_text()) if out.exists() else {}
        again = {
            "loadavg_start": os.getloadavg(),
            "ranking_grids_cold_live": ranking_live,
            "index_refresh": results["index_refresh"],
            "ranking_grids_cold": ranking_cold,
        }
        for name, area in (("dashboard_city", city), ("dashboard_district", district)):
            again[name] = timed(screen(area), args.repeat)
        again["ranking_grids"] = timed(ranking, args.repeat)
        if not args.skip_rules:
            t = time.perf_counter()
            again["proactive"] = run_rules()
            again["proactive_s"] = round(time.perf_counter() - t, 1)
        again["loadavg_end"] = os.getloadavg()
        prior[args.again] = again
        out.write_text(json.dumps(prior, ensure_ascii=False, indent=2, default=str))
        print(json.dumps(again, ensure_ascii=False))
        return
    results["ranking_grids_cold"] = ranking_cold
    results["dashboard_city"] = timed(screen(city), args.repeat)
    results["dashboard_district"] = timed(screen(district), args.repeat)
    print("dashboard", results["dashboard_city"], results["dashboard_district"], flush=True)

    grids = ranking()
    results["ranking_grids"] = {**timed(ranking, args.repeat), "grids": grids["count"]}
    print("ranking", results["ranking_grids"], flush=True)

    if args.skip_duckdb:
        return _finish(args, results, run_rules, connection, vendor)
    t = time.perf_counter()
    con = load_duckdb()
    results["duckdb_load_s"] = round(time.perf_counter() - t, 1)
    print(f"duckdb loaded in {results['duckdb_load_s']} s", flush=True)
    for name, area in (("city", city), ("district", district)):
        child = len(area.path) + 5
        results[f"duckdb_dashboard_{name}"] = timed(
            lambda a=area, c=child: duck_dashboard(con, a.path, period, prev, today, c),
            args.repeat,
        )
    counters = duck_counters()
    results["duckdb_ranking_grids"] = timed(
        lambda: con.execute(
            f"SELECT substr(area_path, 1, 25) g, {counters} FROM cases "
            "WHERE length(area_path) >= 25 AND CAST(created_local AS DATE) BETWEEN ? AND ? "
            "GROUP BY g",
            [period.start, period.end],
        ).fetchall(),
        args.repeat,
    )
    # The two answer the same: the city's counters this period.
    duck = duck_dashboard(con, city.path, period, prev, today, len(city.path) + 5)
    mine = selectors.dashboard(actor=boss, area_id=city.pk, period=period)
    closure = next(i for i in mine["headline"] if i["code"] == "closure")["raw"]
    results["same_answer"] = list(duck["current"]) == [closure[c] for c in closure]
    for name in ("city", "district"):
        ours = results[f"dashboard_{name}"]["p95_ms"]
        theirs = results[f"duckdb_dashboard_{name}"]["p95_ms"]
        results[f"ratio_to_duckdb_{name}"] = round(ours / theirs, 2) if theirs else None
    print(
        "duckdb",
        {k: v for k, v in results.items() if k.startswith(("duckdb", "ratio", "same"))},
        flush=True,
    )

    _finish(args, results, run_rules, connection, vendor)


def _finish(args, results, run_rules, connection, vendor) -> None:
    if not args.skip_rules:
        t = time.perf_counter()
        results["proactive"] = run_rules()
        results["proactive_s"] = round(time.perf_counter() - t, 1)
        print("proactive", results["proactive_s"], results["proactive"], flush=True)
    results["loadavg_end"] = os.getloadavg()
    connection.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"assessment-{vendor}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
