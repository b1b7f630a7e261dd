"""What the write audit costs one case intake, on SQLite and PostgreSQL.

    .venv/bin/python bench/audit_overhead.py                # both, 300 intakes per block
    .venv/bin/python bench/audit_overhead.py --db sqlite --n 500

In one process (Django's test client, no HTTP server: the audit's cost is
database work and Python, which the client measures without network noise),
on a fresh test database with the `tree` of the tests, a resident reports
cases through POST /api/v1/cases/ (multipart, a point in a micro-grid, so the
locator, routing, deadlines and notifications all run). Blocks with the audit
on and off alternate (4 blocks each) so a load change on the shared machine
hits both; per intake: mean and p50 wall time, SQL statements, audit rows and
INSERT statements into the audit table.

Results: bench/results/audit-overhead-<db>.json."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get("WANGGE_TEST_POSTGRES", "postgres://127.0.0.1:5432/postgres")


def run(db: str, n: int) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "wangge.settings.test"
    if db == "postgres":
        os.environ["WANGGE_TEST_DATABASE_URL"] = PG_URL.rsplit("/", 1)[0] + "/security_audit_bench"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    settings.WANGGE_RATE_LIMITS_OFF = True
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from wangge.accounts.models import User
        from wangge.audit import recorder
        from wangge.audit.models import AuditEvent
        from wangge.testing.fixtures import ensure_seed_data
        from wangge.testing.trees import build_tree

        ensure_seed_data()
        tree = build_tree()
        user = User.objects.create_user(
            username="13800000000", phone="13800000000", password="x", kind="resident",
            name="居民", home_grid=tree.grid_a1a_1,
        )
        client = Client()
        client.force_login(user)
        mg = tree.mg_a1a_1_1
        lng, lat = mg.center_lng, mg.center_lat

        def intake(i: int):
            with CaptureQueriesContext(connection) as q:
                t = time.perf_counter()
                r = client.post("/api/v1/cases/", {
                    "description": f"楼道堆放杂物，第{i}次", "lng": lng, "lat": lat,
                })
                dt = time.perf_counter() - t
            assert r.status_code == 201, r.content
            inserts = sum('INSERT INTO "audit_auditevent"' in x["sql"] for x in q.captured_queries)
            return dt, len(q.captured_queries), inserts

        for i in range(20):  # warm-up: caches, locator
            intake(i)
        blocks = {"on": [], "off": []}
        stats = {"on": {"queries": [], "inserts": []}, "off": {"queries": [], "inserts": []}}
        rows_before = AuditEvent.objects.count()
        rows_on = 0
        for b in range(8):
            mode = "on" if b % 2 == 0 else "off"
            recorder.enabled = mode == "on"
            before = AuditEvent.objects.count()
            for i in range(n // 4):
                dt, nq, ni = intake(1000 * b + i)
                blocks[mode].append(dt)
                stats[mode]["queries"].append(nq)
                stats[mode]["inserts"].append(ni)
            if mode == "on":
                rows_on += AuditEvent.objects.count() - before
        recorder.enabled = True
        out = {"db": db, "intakes_per_mode": len(blocks["on"]),
               "loadavg": os.getloadavg(), "audit_rows_total": AuditEvent.objects.count() - rows_before}
        for mode in ("on", "off"):
            xs = blocks[mode]
            out[mode] = {
                "mean_ms": round(1000 * statistics.mean(xs), 2),
                "p50_ms": round(1000 * statistics.median(xs), 2),
                "sql_per_intake": round(statistics.mean(stats[mode]["queries"]), 2),
                "audit_inserts_per_intake": round(statistics.mean(stats[mode]["inserts"]), 2),
            }
        out["audit_rows_per_intake"] = round(rows_on / len(blocks["on"]), 2)
        out["overhead_ms_mean"] = round(out["on"]["mean_ms"] - out["off"]["mean_ms"], 2)
        out["overhead_pct_mean"] = round(100 * out["overhead_ms_mean"] / out["off"]["mean_ms"], 1)
        return out
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--n", type=int, default=300, help="intakes per mode")
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run(args.db, args.n)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--db", db, "--n", str(args.n)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        (RESULTS / f"audit-overhead-{db}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
