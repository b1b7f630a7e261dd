"""Import benchmark: 100k resident rows into a fresh database, on SQLite and
on PostgreSQL.

    .venv/bin/python bench/import.py                 # both databases
    .venv/bin/python bench/import.py --db sqlite --rows 100000

For each database a child process migrates a fresh database, builds an area
(1 street, 2 communities, 20 grids with 5 micro-grids each, 50 buildings per
grid), writes a 100k-row residents .xlsx and a GBK .csv of the same rows, then
times, as a street cadre:
  1. the first import (every row new: 100k residents, ~35k households),
  2. re-importing the same .xlsx (every row unchanged, nothing written),
  3. importing the GBK .csv (unchanged again),
  4. a re-import where 10% of the phones changed.
Results go to bench/results/import-<db>.json and a table on stdout.
PostgreSQL: WANGGE_TEST_POSTGRES (default postgres://127.0.0.1:5432/postgres);
the database `wangge_bench_import` is dropped and re-created there."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get("WANGGE_TEST_POSTGRES", "postgres://127.0.0.1:5432/postgres")
PG_DB = "wangge_bench_import"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_area():
    from wangge.accounts.models import User
    from wangge.areas.models import Level
    from wangge.areas.services import area_create
    from wangge.people.models import Building
    from wangge.teams.models import RoleAssignment

    city = area_create(level=Level.CITY, code="330400000000", name="嘉兴市")
    district = area_create(level=Level.DISTRICT, code="330402000000", name="南湖区", parent=city)
    street = area_create(level=Level.STREET, code="330402001000", name="解放街道", parent=district)
    grids = []
    for c in range(1, 3):
        community = area_create(
            level=Level.COMMUNITY, code=f"330402001{c:03d}", name=f"第{c}社区", parent=street
        )
        for g in range(1, 11):
            grid = area_create(
                level=Level.GRID, code=f"{community.code}{g:03d}", name=f"第{g}网格",
                parent=community, grid_kind="basic",
            )  # fmt: skip
            mgs = [
                area_create(
                    level=Level.MICRO_GRID,
                    code=f"{grid.code}{m:03d}",
                    name=f"{m}号微网格",
                    parent=grid,
                )  # fmt: skip
                for m in range(1, 6)
            ]
            grids.append((grid, mgs))
    buildings = []
    for grid, mgs in grids:
        for b in range(1, 51):
            mg = mgs[(b - 1) // 10]
            buildings.append(
                Building(
                    district=district,
                    grid=grid,
                    micro_grid=mg,
                    area_path=mg.path,
                    code=f"{b:05d}",
                    name=f"{b}幢",
                    address=f"{grid.name}路{b}号",
                )  # fmt: skip
            )
    Building.objects.bulk_create(buildings, batch_size=1000)
    actor = User.objects.create_user(username="bench", password="x", kind="staff")
    RoleAssignment.objects.create(
        user=actor, role="street_cadre", area=street, area_path=street.path
    )
    return actor, [g for g, _ in grids]


def resident_rows(grids, n: int) -> list[list]:
    from wangge.core.idnumbers import make_id_number

    rows = []
    relationships = ["户主", "配偶", "子女", "父母"]
    care = ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "孤寡老人", "困难家庭"]  # fmt: skip
    per_building = max(1, n // (len(grids) * 50))
    i = 0
    while i < n:
        grid = grids[(i // (per_building * 50)) % len(grids)]
        building = (i // per_building) % 50 + 1
        k = i % per_building
        household = k // 3
        unit, floor, room = household // 18 + 1, (household % 18) // 3 + 1, household % 3 + 1
        born = dt.date(1940, 1, 1) + dt.timedelta(days=i // 100)
        number = make_id_number("330402", born, i % 100, "M" if i % 2 else "F")
        rows.append([
            grid.code, f"{building:05d}", str(unit), f"{floor}0{room}", f"居民{i}", number,
            f"139{i:08d}", relationships[k % 3] if k % 3 else "户主", "", "浙江省嘉兴市南湖区",
            "是" if i % 11 == 0 else "否", care[i % len(care)],
        ])  # fmt: skip
        i += 1
    return rows


def write_xlsx(path: Path, headers, rows) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_csv(path: Path, headers, rows, encoding: str) -> None:
    import csv

    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)


def timed(label, fn, results):
    started, cpu = time.perf_counter(), time.process_time()
    report = fn()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert report.ok, (label, report.message, report.errors[:5])
    results["steps"].append({
        "step": label, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
        "rows": report.rows,
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "households_created": report.households_created, "peak_rss_mb": round(peak_mb()),
    })  # fmt: skip
    print(f"  {label:<38} {seconds:6.1f} s (CPU {cpu:5.1f} s)  {report.message}", flush=True)
    return report


def child(db: str, n: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from wangge.people.importers import import_file
    from wangge.people.layouts import LAYOUTS
    from wangge.people.models import Household, Resident

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    actor, grids = build_area()
    print(
        f"[{db}] migrated and built the area in {time.perf_counter() - started:.1f} s", flush=True
    )
    headers = LAYOUTS["residents"].headers
    rows = resident_rows(grids, n)
    results = {"db": db, "rows": n, "vendor": connection.vendor, "cpus": os.cpu_count(),
               "load_before": os.getloadavg()[0], "steps": []}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        xlsx_path, csv_path = Path(tmp) / "residents.xlsx", Path(tmp) / "residents-gbk.csv"
        t = time.perf_counter()
        write_xlsx(xlsx_path, headers, rows)
        write_csv(csv_path, headers, rows, "gbk")
        results["file_mb"] = round(xlsx_path.stat().st_size / 1048576, 1)
        results["csv_mb"] = round(csv_path.stat().st_size / 1048576, 1)
        print(f"[{db}] wrote {n} rows: xlsx {results['file_mb']} MB, GBK csv {results['csv_mb']} MB "
              f"in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
        data = xlsx_path.read_bytes()

        def run(name, payload, **kw):
            return lambda: import_file(actor=actor, kind="residents", name=name, data=payload, **kw)

        timed("first import (all new), xlsx", run("r.xlsx", data), results)
        assert Resident.objects.count() == n
        results["households"] = Household.objects.count()
        timed("re-import same xlsx (all unchanged)", run("r.xlsx", data), results)
        timed("import same rows as GBK csv", run("r.csv", csv_path.read_bytes()), results)
        for i in range(0, n, 10):
            rows[i][6] = f"137{i:08d}"
        write_xlsx(xlsx_path, headers, rows)
        timed("re-import, 10% phones changed", run("r.xlsx", xlsx_path.read_bytes()), results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"import-{db}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"[{db}] peak RSS {peak_mb():.0f} MB; results in {out.relative_to(ROOT)}", flush=True)


def prepare_postgres() -> str:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    return PG_URL.rsplit("/", 1)[0] + "/" + PG_DB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="wangge.settings.base",
                   PYTHONPATH=str(ROOT / "src"), WANGGE_LOG_LEVEL="WARNING")  # fmt: skip
        tmp = None
        if db == "sqlite":
            tmp = tempfile.TemporaryDirectory()
            env["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
        else:
            env["DATABASE_URL"] = prepare_postgres()
        try:
            subprocess.run(
                [sys.executable, __file__, "--child", db, "--rows", str(args.rows)],
                env=env,
                check=True,
            )
        finally:
            if tmp is not None:
                tmp.cleanup()
            if db == "postgres":
                import psycopg

                with psycopg.connect(PG_URL, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
