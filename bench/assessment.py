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
3. the ranking of all 4,365 grids of the city for a month, p50/p95;
4. the proactive rules over the whole city (one full run, timed).
Results: bench/results/assessment-postgres.json (with the load average)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
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
        with connection.cursor() as c:
            # Outcomes fill_history leaves out, by id arithmetic.
            c.execute(
                "UPDATE cases_case SET rating = 1 + (id * 7) %% 5, rated_at = closed_at "
                "WHERE status IN ('closed', 'archived') AND id %% 10 < 6"
            )
            c.execute("UPDATE cases_case SET rating = 5 WHERE rating IS NOT NULL AND id %% 10 < 4")
            c.execute("UPDATE cases_case SET rework_count = 1 WHERE id %% 23 = 0")
            c.execute("UPDATE cases_case SET extension_count = 1 WHERE id %% 31 = 0")
            c.execute("UPDATE cases_case SET supervised = true WHERE id %% 47 = 0")
            c.execute(
                "UPDATE cases_case SET closed_at = due_at + interval '1 day' "
                "WHERE closed_at IS NOT NULL AND id %% 13 = 0"
            )
            c.execute("ANALYZE cases_case")
    t = time.perf_counter()
    out["rollup_rows"] = rebuild()
    out["rebuild_s"] = round(time.perf_counter() - t, 1)
    with connection.cursor() as c:
        c.execute("ANALYZE assessment_caserollup")
    out["cases"] = Case.objects.count()
    print(json.dumps(out, ensure_ascii=False), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "assessment-prepare-postgres.json").write_text(
        json.dumps({**out, "loadavg": os.getloadavg()}, ensure_ascii=False, indent=2)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--cases", type=int, default=2_000_000)
    r = sub.add_parser("run")
    r.add_argument("--repeat", type=int, default=30)
    r.add_argument("--skip-rules", action="store_true")
    args = ap.parse_args()
    {"prepare": prepare, "run": run}[args.cmd](args)


def run(args) -> None:  # filled in below
    raise SystemExit("not yet")


if __name__ == "__main__":
    main()
