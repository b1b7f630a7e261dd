"""The console map's time to draw, in Debian's chromium.

    .venv/bin/python bench/console_pages.py                 # SQLite: the demo city
    .venv/bin/python bench/console_pages.py --db postgres   # PostgreSQL: Jiaxing's full tree
    .venv/bin/python bench/console_pages.py --db both --runs 10 --cases 3000

What is measured (issue 4): the time for the console's map to draw
- all grids of one street (the street with the most grids), and
- all villages/communities of the city (1,202 for Jiaxing),
from the moment the map is asked for them until they are on the screen: the
boundaries request (`/console/map/<id>/shapes/?level=…`, GeoJSON simplified
by the area tree's `area_features`, gzipped), the counts request
(`/console/map/<id>/counts/`, open/yellow/red cases per area from one grouped
query), Leaflet drawing every polygon on its canvas, shaded by its counts,
and two animation frames (so the canvas has been painted). The page records
that span itself (`#map[data-draw-ms]`); the script also reads the bytes of
the boundaries response. Each target is drawn `--runs` times after a warm-up:
"cold" with the browser cache disabled (every draw refetches), "warm" with it
on (the boundaries are kept a minute; the counts are always fetched). The
first console page load (page, map of the user's area, charts) is timed too.

Data:
- sqlite: `wangge demo` in a scratch WANGGE_VAR_DIR (the real divisions of
  Jiaxing: 7 districts, 72 streets, 1,202 communities with generated
  boundaries; one generated street with its grids and micro-grids);
- postgres: a scratch database `wangge_console_bench` (dropped and re-created
  each run) migrated, then the whole area tree of the city-scale benchmark
  database `wangge_bench` copied in (read only: `pg_dump --data-only -t
  areas_area`): 4,365 grids, 92,600 micro-grids.
Both get `--cases` open cases at random points of random grids (hotline
intake through `case_report`, so the locator routes them), some accepted,
dispatched and overdue, and a city administrator to look at them.

The server is granian (WSGI, 1 worker) on a free loopback port, stopped at
the end. Results: bench/results/console-pages-<db>.json and a table."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
from _http import free_port, wait_http  # noqa: E402 - bench/_http.py

from wangge.testing.browser import CHROMIUM, LAUNCH_ARGS  # noqa: E402 - the same flags as the tests

PG_SERVER = os.environ.get("WANGGE_TEST_POSTGRES", "postgres://127.0.0.1:5432/postgres")
PG_SOURCE = "wangge_bench"
PG_SCRATCH = "wangge_console_bench"
USER, PASSWORD = "bench_console_admin", "Bench-Console-2026"


def pg_url(db: str) -> str:
    return PG_SERVER.rsplit("/", 1)[0] + "/" + db


# ---------------------------------------------------------------- data (child process)
def seed(n_cases: int, seed_value: int) -> None:
    """Runs inside Django (see main): a city administrator and open cases."""
    import django

    django.setup()
    from datetime import timedelta

    from django.db.models import Count
    from django.utils import timezone

    from wangge.accounts.models import User
    from wangge.accounts.services import user_create_staff
    from wangge.areas.models import Area, Level
    from wangge.cases.deadlines import sweep
    from wangge.cases.models import Case, Category
    from wangge.cases.services import case_move, case_report
    from wangge.teams.roles import Role
    from wangge.teams.services import role_assign

    city = Area.objects.get(level=Level.CITY)
    user = User.objects.filter(username=USER).first()
    if user is None:
        user = user_create_staff(
            username=USER, name="基准测试管理员", phone="13900008888", password=PASSWORD
        )
        role_assign(actor=None, user=user, role=Role.CITY_ADMIN, area=city)
    street = (
        Area.objects.filter(level=Level.GRID)
        .values("parent__parent_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    street_id = street["parent__parent_id"]
    have = Case.objects.count()
    if have < n_cases:
        rnd = random.Random(seed_value)
        grids = list(
            Area.objects.filter(level=Level.GRID)
            .exclude(boundary="")
            .values_list("pk", "center_lng", "center_lat", "parent__parent_id")
        )
        # Half the cases in the measured street, so its map has something to shade.
        in_street = [g for g in grids if g[3] == street_id]
        cats = list(
            Category.objects.filter(parent__isnull=False, is_active=True, anonymous_allowed=False)
        )
        now = timezone.now()
        t0 = time.time()
        for i in range(have, n_cases):
            _, lng, lat, _ = rnd.choice(in_street if i % 2 else grids)
            at = now - timedelta(days=rnd.uniform(0, 20))
            try:
                case, _ = case_report(
                    actor=None,
                    description=f"基准工单{i}",
                    category=rnd.choice(cats).code,
                    lng=lng + rnd.uniform(-1e-4, 1e-4),
                    lat=lat + rnd.uniform(-1e-4, 1e-4),
                    source="hotline",
                    external_id=f"bench-console-{i}",
                    at=at,
                    check_scope=False,
                )
            except Exception as exc:  # noqa: BLE001 - a point may fall in a gap
                print("skip", i, exc, file=sys.stderr)
                continue
            r = rnd.random()
            if r < 0.5:
                continue
            case_move(case_id=case.pk, move="accept", actor=user, at=at)
            if r < 0.6:
                continue
            due = (at + timedelta(days=rnd.choice([1, 3, 10, 30]))).isoformat()
            case_move(case_id=case.pk, move="register", actor=user, at=at, due_at=due)
            case_move(case_id=case.pk, move="dispatch", actor=user, at=at, team="grid")
        print(f"seeded {n_cases - have} cases in {time.time() - t0:.1f} s", file=sys.stderr)
        sweep(now=now)  # yellow and red lights for the map
    print(json.dumps({"city": city.pk, "street": street_id}))


def prepare_postgres(env: dict) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_SCRATCH}")
        conn.execute(f"CREATE DATABASE {PG_SCRATCH}")
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    with psycopg.connect(pg_url(PG_SCRATCH), autocommit=True) as conn:
        # Empty after migrate; DELETE, not TRUNCATE … CASCADE, which would reach
        # the append-only audit tables (through accounts_user) and be refused.
        conn.execute("DELETE FROM areas_area")
    dump = subprocess.Popen(  # noqa: S603
        ["pg_dump", "--data-only", "-t", "areas_area", pg_url(PG_SOURCE)],
        stdout=subprocess.PIPE,
    )
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", pg_url(PG_SCRATCH)],
        stdin=dump.stdout,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    dump.wait()
    with psycopg.connect(pg_url(PG_SCRATCH), autocommit=True) as conn:
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('areas_area', 'id'), (SELECT max(id) FROM areas_area))"
        )
        conn.execute("ANALYZE")


# ---------------------------------------------------------------- measuring
def draw(page, area_id: int, level: str) -> dict:
    """Ask the map for `level` under `area_id` (as the level picker does) and
    wait until it is drawn."""
    shapes: list[int] = []

    def on_response(resp):
        if "/shapes/" in resp.url and resp.status == 200:
            # A response served from the cache has no body here.
            with contextlib.suppress(Exception):
                shapes.append((len(resp.body()), int(resp.headers.get("content-length", 0))))

    page.on("response", on_response)
    page.evaluate(
        """([id, level]) => { document.getElementById('map').dataset.ready = '0';
            window.wgConsole.load(id, level); }""",
        [area_id, level],
    )
    page.wait_for_function(
        "document.getElementById('map').dataset.ready === '1'", polling=5, timeout=120000
    )
    page.remove_listener("response", on_response)
    d = page.evaluate("Object.assign({}, document.getElementById('map').dataset)")
    return {
        "ms": float(d["drawMs"]),
        "features": int(d["features"]),
        "shapes_kb": shapes[0][0] / 1024 if shapes else None,
        "shapes_kb_gzip": shapes[0][1] / 1024 if shapes and shapes[0][1] else None,
    }


def summarize(rows: list[dict]) -> dict:
    ms = [r["ms"] for r in rows]
    return {
        "median_ms": round(statistics.median(ms), 1),
        "max_ms": round(max(ms), 1),
        "min_ms": round(min(ms), 1),
        "features": rows[0]["features"],
        "shapes_kb": _kb(rows, "shapes_kb"),
        "shapes_kb_gzip": _kb(rows, "shapes_kb_gzip"),
    }


def _kb(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r[key]]
    return round(vals[0], 1) if vals else None


def run(db: str, args) -> dict:
    var = Path(args.var) / db
    var.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, WANGGE_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="wangge.settings.demo")
    env.pop("DATABASE_URL", None)
    t0 = time.time()
    if db == "postgres":
        env["DATABASE_URL"] = pg_url(PG_SCRATCH)
        prepare_postgres(env)
    else:
        subprocess.run(
            [str(BIN / "wangge"), "demo"], env=env, check=True, stdout=subprocess.DEVNULL
        )
    out = subprocess.run(
        [str(BIN / "python"), __file__, "seed", "--cases", str(args.cases)],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    ids = json.loads(out.stdout.strip().splitlines()[-1])
    setup_s = time.time() - t0

    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "wangge"), "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    result: dict = {}
    try:
        wait_http(base + "/accounts/login/", timeout=90)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            ctx = browser.new_context(
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                viewport={"width": 1600, "height": 1000},
            )
            page = ctx.new_page()
            page.goto(base + "/console/")
            page.fill("#id_username", USER)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/console/")
            page.wait_for_selector("#map[data-ready='1']", timeout=120000)
            page.wait_for_selector(".c-charts[data-ready='1']", timeout=120000)
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")

            # First page load of the console (city map of districts, charts).
            loads = []
            for _ in range(args.runs):
                t = time.time()
                page.goto(base + "/console/")
                page.wait_for_selector("#map[data-ready='1']", timeout=120000)
                page.wait_for_selector(".c-charts[data-ready='1']", timeout=120000)
                loads.append((time.time() - t) * 1000)
            result["console_load"] = {
                "median_ms": round(statistics.median(loads), 1),
                "max_ms": round(max(loads), 1),
            }

            targets = [
                ("street_grids", ids["street"], "grid"),
                ("city_communities", ids["city"], "community"),
            ]
            for name, area_id, level in targets:
                entry = {}
                for cache in ("cold", "warm"):
                    cdp.send("Network.setCacheDisabled", {"cacheDisabled": cache == "cold"})
                    draw(page, area_id, level)  # warm-up
                    entry[cache] = summarize([draw(page, area_id, level) for _ in range(args.runs)])
                result[name] = entry
                shots = ROOT / "var" / "screenshots"
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"console-bench-{db}-{name}.png"))
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    return {
        "benchmark": "console-pages",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "database": db,
        "areas": "Jiaxing, full city-scale tree (wangge_bench)"
        if db == "postgres"
        else "Jiaxing divisions + one demo street (wangge demo)",
        "open_cases_seeded": args.cases,
        "server": "granian WSGI, 1 worker, loopback",
        "browser": "Debian chromium, 1600x1000, no throttling",
        "runs": args.runs,
        "setup_seconds": round(setup_s, 1),
        **result,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        ap = argparse.ArgumentParser()
        ap.add_argument("cmd")
        ap.add_argument("--cases", type=int, default=2000)
        ap.add_argument("--seed", type=int, default=1)
        a = ap.parse_args()
        sys.path.insert(0, str(ROOT / "src"))
        seed(a.cases, a.seed)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", default="sqlite", choices=["sqlite", "postgres", "both"])
    ap.add_argument("--var", default="/tmp/wangge-console-bench", help="scratch directory")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cases", type=int, default=2000, help="open cases to seed")
    args = ap.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in dbs:
        out = run(db, args)
        dest = ROOT / "bench" / "results" / f"console-pages-{db}.json"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        print(f"\n{db}: console first load median {out['console_load']['median_ms']} ms")
        print(
            f"{'map':<18} {'cache':<5} {'features':>8} {'KB':>7} {'KB gz':>7} "
            f"{'median':>8} {'max':>8}  (ms)"
        )
        for name in ("street_grids", "city_communities"):
            for cache, s in out[name].items():
                kb = f"{s['shapes_kb']:.0f}" if s["shapes_kb"] else "-"
                gz = f"{s['shapes_kb_gzip']:.0f}" if s["shapes_kb_gzip"] else "-"
                print(
                    f"{name:<18} {cache:<5} {s['features']:>8} {kb:>7} {gz:>7} "
                    f"{s['median_ms']:>8.1f} {s['max_ms']:>8.1f}"
                )
        print(f"→ {dest}")


if __name__ == "__main__":
    main()
