"""Notice fan-out at city scale (知事 to every household), on a copy of the
benchmark city, PostgreSQL or SQLite.

    createdb -h 127.0.0.1 -U postgres -T wangge_bench notices_bench
    .venv/bin/python bench/notices.py --database-url postgres://127.0.0.1:5432/notices_bench
    cp var/bench/wangge-bench.sqlite3 var/bench/notices.sqlite3
    .venv/bin/python bench/notices.py --database-url sqlite:///var/bench/notices.sqlite3

Never point it at the shared wangge_bench databases: it migrates the copy and
writes a notice with ~1.9 M deliveries into it.

What it measures (a city admin sends one notice to the whole city):

1. the request: `notices.services.notice_send` (validation, the notice row,
   commit, enqueue to Huey) — what the sender waits for;
2. end to end: a real Huey consumer (`manage.py run_huey -m 0.5`: it polls
   an idle queue at least every 0.5 s; its own queue file in a scratch
   WANGGE_VAR_DIR, warmed up with a notice to one grid) picks the task up
   and fans out; the clock
   runs from the send until the notice's status is `sent` (polled every
   50 ms), with the task's own time (`fanout_seconds`) beside it;
3. the raw bulk-insert rate of the same rows (notice, grid, household) into a
   scratch table with the same primary key: COPY (PostgreSQL) / executemany
   in one transaction (SQLite), rows already in memory; and the same
   INSERT … SELECT the fan-out uses, into the scratch table, for reference;
4. reads after the fan-out: the sender's progress (city, one district), one
   resident's read receipt, one grid worker's list of households not reached.

Results: bench/results/notices-<db>.json (with the load average: the machine
is shared) and a table on stdout."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _cpu import server_cpu  # bench/_cpu.py (the script's directory is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SHARED = ("/wangge_bench", "wangge-bench.sqlite3")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--skip-migrate", action="store_true")
    args = ap.parse_args()
    if any(args.database_url.rstrip("/").endswith(s) for s in SHARED):
        sys.exit("refusing to write into the shared benchmark database: make a copy")
    db = "postgres" if args.database_url.startswith("postgres") else "sqlite"
    var = Path(tempfile.mkdtemp(prefix="notices-bench-"))
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        WANGGE_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="wangge.settings.demo",
        WANGGE_TASK_WORKERS="1",
    )
    os.environ.update(env)
    py = sys.executable
    if not args.skip_migrate:
        subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.db import connection, transaction

    from wangge.accounts.models import User
    from wangge.areas.models import Area
    from wangge.notices import selectors, services
    from wangge.notices.models import Delivery, Notice
    from wangge.people.models import Household
    from wangge.teams.models import RoleAssignment

    load_start = os.getloadavg()
    city = Area.objects.get(level="city")
    admin, _ = User.objects.get_or_create(
        username="bench-notices-admin", defaults={"kind": "staff", "name": "知事压测管理员"}
    )
    RoleAssignment.objects.get_or_create(
        user=admin, role="city_admin", area=city, defaults={"area_path": city.path}
    )
    households = Household.objects.count()
    out: dict = {
        "db": db,
        "vendor": connection.vendor,
        "households": households,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_start": load_start,
    }

    # -- 1 + 2: request, then the real consumer fans out ------------------
    consumer = subprocess.Popen(
        [py, "manage.py", "run_huey", "-w", "1", "-k", "thread", "-m", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Warm-up: a notice to one grid, waited for, so the consumer is up and
        # polling (its start-up on a loaded machine is not part of the figure).
        grid = Area.objects.filter(level="grid").order_by("path").first()
        warm = services.notice_send(actor=admin, area=grid, title="预热", body="预热")
        w0 = time.perf_counter()
        while time.perf_counter() - w0 < 300:
            if Notice.objects.filter(pk=warm.pk, status="sent").exists():
                break
            time.sleep(0.1)
        time.sleep(1)
        t0 = time.perf_counter()
        notice = services.notice_send(
            actor=admin,
            area=city,
            title="防台防汛紧急通知",
            body="台风将于今晚登陆，请关好门窗、收好阳台物品，非必要不外出。",
            urgency="urgent",
        )
        t_request = time.perf_counter() - t0
        status = ""
        while time.perf_counter() - t0 < 600:
            status = Notice.objects.filter(pk=notice.pk).values_list("status", flat=True).get()
            if status in ("sent", "failed"):
                break
            time.sleep(0.05)
        t_end_to_end = time.perf_counter() - t0
    finally:
        consumer.terminate()
        try:
            err = consumer.communicate(timeout=20)[1]
        except subprocess.TimeoutExpired:
            consumer.kill()
            err = ""
    notice.refresh_from_db()
    if notice.status != "sent":
        print(err[-3000:], file=sys.stderr)
        sys.exit(f"fan-out did not finish: {notice.status} {notice.error}")
    deliveries = Delivery.objects.filter(notice=notice).count()
    out["send_request_ms"] = round(t_request * 1000, 1)
    out["fanout"] = {
        "deliveries": deliveries,
        "staff_deliveries": notice.staff,
        "end_to_end_s": round(t_end_to_end, 2),
        "task_s": notice.fanout_seconds,
        "rows_per_s": round(deliveries / notice.fanout_seconds),
    }
    out["loadavg_after_fanout"] = os.getloadavg()

    # -- 2b: the same fan-out in this process, for its CPU -------------------
    # (the consumer's database backend is not ours to read: a second city
    # notice, fanned out here, gives the task's CPU — this process and its
    # PostgreSQL backend — beside its wall time and the load average)
    again = services.notice_send(actor=admin, area=city, title="CPU 计量", body="同上")
    load_before = os.getloadavg()
    cpu0, srv0 = time.process_time(), server_cpu(connection)
    t0 = time.perf_counter()
    services.notice_fan_out(notice_id=again.pk)
    wall = time.perf_counter() - t0
    srv1 = server_cpu(connection)
    out["fanout_in_process"] = {
        "wall_s": round(wall, 2),
        "cpu_client_s": round(time.process_time() - cpu0, 2),
        "cpu_server_s": None if srv0 is None or srv1 is None else round(srv1 - srv0, 2),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }

    # -- 3: raw bulk insert of the same rows ------------------------------
    rows = list(
        Delivery.objects.filter(notice=notice).values_list("notice_id", "grid_id", "household_id")
    )
    raw: dict = {}
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_delivery")
        _scratch_table(cur, db)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        if db == "postgres":
            with cur.cursor.copy(
                "COPY bench_delivery (notice_id, grid_id, household_id) FROM STDIN"
            ) as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            cur.cursor.executemany("INSERT INTO bench_delivery VALUES (?, ?, ?)", rows)
    t_raw = time.perf_counter() - t0
    raw["method"] = "COPY" if db == "postgres" else "executemany (one transaction)"
    raw["rows"] = len(rows)
    raw["seconds"] = round(t_raw, 2)
    raw["rows_per_s"] = round(len(rows) / t_raw)
    with connection.cursor() as cur:
        # TRUNCATE, not DELETE: 1.9 M dead index entries with the very same
        # keys would make every insert below visit them (19 s instead of ~5 s).
        cur.execute("DROP TABLE bench_delivery")
        _scratch_table(cur, db)
    h = Household._meta.db_table
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO bench_delivery (notice_id, grid_id, household_id) "
            f"SELECT %s, grid_id, id FROM {h}",
            [notice.pk],
        )
    t_sel = time.perf_counter() - t0
    raw["insert_select_one_statement_s"] = round(t_sel, 2)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_delivery")
    out["raw_bulk_insert"] = raw
    del rows

    # -- 4: reads after the fan-out ---------------------------------------
    def timed(fn, n=5):
        best = None
        for _ in range(n):
            t = time.perf_counter()
            fn()
            d = (time.perf_counter() - t) * 1000
            best = d if best is None else min(best, d)
        return round(best, 1)

    district = Area.objects.filter(parent=city).order_by("path").first()
    reads = {
        "progress_city_ms": timed(lambda: selectors.notice_progress(notice=notice)),
        "progress_district_ms": timed(
            lambda: selectors.notice_progress(notice=notice, area=district)
        ),
    }
    from wangge.people.models import Resident

    ruser = User.objects.filter(username="bench-notices-resident").first()
    resident = ruser.resident if ruser else Resident.objects.filter(user__isnull=True).first()
    hh = {"pk": resident.household_id, "grid_id": resident.grid_id}
    ruser, _ = User.objects.get_or_create(
        username="bench-notices-resident",
        defaults={
            "kind": "resident",
            "name": "压测居民",
            "resident": resident,
            "resident_status": "verified",
        },
    )
    t = time.perf_counter()
    services.notice_read(actor=ruser, notice=notice)
    reads["resident_read_receipt_ms"] = round((time.perf_counter() - t) * 1000, 1)
    reads["resident_list_ms"] = timed(lambda: selectors.resident_notices(actor=ruser))
    grid = Area.objects.get(pk=hh["grid_id"])
    worker = User.objects.filter(
        assignments__role="grid_worker", assignments__area=grid, assignments__is_active=True
    ).first()
    Notice.objects.filter(pk=notice.pk).update(reach_by=notice.created_at - timedelta(minutes=1))
    if worker is not None:
        res = {}

        def unreached():
            res.update(selectors.unreached(actor=worker, limit=30))

        reads["worker_unreached_ms"] = timed(unreached)
        reads["worker_unreached_households"] = res["total"]
    out["reads"] = reads
    out["loadavg_end"] = os.getloadavg()

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"notices-{db}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    f = out["fanout"]
    print(f"{db}: {households:,} households")
    print(f"  send request            {out['send_request_ms']} ms")
    print(
        f"  fan-out end to end      {f['end_to_end_s']} s (task {f['task_s']} s, {f['rows_per_s']:,} rows/s)"
    )
    print(f"  raw {raw['method']:<20} {raw['seconds']} s ({raw['rows_per_s']:,} rows/s)")
    print(f"  INSERT … SELECT (1 stmt) {raw['insert_select_one_statement_s']} s")
    for k, v in reads.items():
        print(f"  {k:<24}{v}")
    print(f"  load average start/end  {load_start} / {out['loadavg_end']}")
    print(f"-> {path.relative_to(ROOT)}")


def _scratch_table(cur, db: str) -> None:
    kind = "bigint" if db == "postgres" else "integer"
    cur.execute(
        f"CREATE TABLE bench_delivery (notice_id {kind} NOT NULL, grid_id {kind} NOT NULL,"
        f" household_id {kind} NOT NULL, PRIMARY KEY (notice_id, grid_id, household_id))"
    )


if __name__ == "__main__":
    main()
