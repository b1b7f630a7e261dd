"""Points (积分) and deliberation (议事) at city scale, on a COPY of the
benchmark city, each figure beside a raw SQL baseline of the same answer.

    createdb -h 127.0.0.1 -U postgres -T wangge_bench points_bench
    .venv/bin/python bench/points.py --database-url postgres://127.0.0.1:5432/points_bench

Never point it at the shared wangge_bench database: it migrates the copy and
writes a ledger, redemptions and votes into it.

Steps:
1. `migrate`; a ledger, set-based (timed apart, not a figure of the app):
   every resident whose id is a multiple of `--every` gets `--entries`
   earn entries this month (+5…+20) and one last month;
2. 网格排名: `selectors.grids_ranking(city, month)` — every grid of the city
   by points per 100 households — beside one raw GROUP BY over the ledger
   and one over the households;
3. the residents' ranking of a grid (`residents_ranking`), `--runs` random
   grids, beside the raw GROUP BY … ORDER BY … LIMIT 20;
4. a balance (`services.balance`) for `--runs` random holders, beside the
   raw SUM;
5. redemption throughput: `services.redemption_create` from 1, 4 and 8
   threads (each its own connection and holders) for `--seconds` each,
   beside the same statements as raw SQL (lock the holder, SUM, conditional
   stock UPDATE, ledger INSERT, redemption INSERT, COMMIT) from as many
   threads; then the expiry sweep over every code written;
6. the vote tally (`deliberation.services.tally`) of a topic with one vote
   per household of the biggest community and of the biggest district
   (votes written set-based), and `eligible_count` of each, beside raw
   GROUP BY / COUNT.

Every figure carries the load average (the machine is shared) and, on
PostgreSQL, the CPU seconds of this process and of its server backend.
Results: bench/results/points-<sqlite|postgres>.json and a table on stdout."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _cpu import server_cpu  # bench/_cpu.py (the script's directory is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
RESULTS = ROOT / "bench" / "results"
SHARED = ("/wangge_bench", "wangge-bench.sqlite3")

BENCH = {
    "backends": ["postgres"],
    "args": ["--database-url", "{database_url}"],
    "quick": ["--runs", "5", "--seconds", "2", "--every", "50"],
    "result": "points-{backend}.json",
    "order": 55,
    "city_copy": True,
}


def measured(fn, runs: int = 1) -> dict:
    """Wall ms per run (p50/p95 over `runs`), CPU of this process and of
    the server backend over all runs, and the load average."""
    from django.db import connection

    walls = []
    cpu0, srv0 = time.process_time(), server_cpu(connection)
    value = None
    for _ in range(runs):
        t = time.perf_counter()
        value = fn()
        walls.append((time.perf_counter() - t) * 1000)
    srv1 = server_cpu(connection)
    walls.sort()
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(walls), 2),
        "p95_ms": round(walls[min(len(walls) - 1, int(len(walls) * 0.95))], 2),
        "cpu_client_s": round(time.process_time() - cpu0, 3),
        "cpu_server_s": None if srv0 is None or srv1 is None else round(srv1 - srv0, 3),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "_value": value,
    }


def strip(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "_value"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--every", type=int, default=5, help="every n-th resident has a ledger")
    ap.add_argument("--entries", type=int, default=3, help="earn entries this month each")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", default="1,4,8")
    args = ap.parse_args()
    if any(args.database_url.rstrip("/").endswith(s) for s in SHARED):
        sys.exit("refusing to write into the shared benchmark database: make a copy")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    out: dict = {
        "db": vendor,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "args": vars(args),
    }

    from django.utils import timezone

    from wangge.accounts.models import User
    from wangge.areas.models import Area, Level
    from wangge.deliberation.models import Topic, Vote
    from wangge.deliberation.services import eligible_count, tally
    from wangge.people.models import Household, Resident
    from wangge.points import selectors, services
    from wangge.points.expiry import redemptions_expire
    from wangge.points.models import PointsEntry, Redemption, Shop, ShopItem

    now = timezone.now()
    month = selectors.period_start("month", now=now)
    city = Area.objects.get(level=Level.CITY)
    rng = random.Random(1)

    # -- 1: the ledger ------------------------------------------------------
    t = time.perf_counter()
    if not PointsEntry.objects.exists():
        _seed_ledger(connection, every=args.every, entries=args.entries, month=month)
    out["ledger"] = {
        "entries": PointsEntry.objects.count(),
        "seed_s": round(time.perf_counter() - t, 1),
    }
    if vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE points_pointsentry")
    print("ledger", out["ledger"], flush=True)

    # -- 2: 网格排名 of the city -------------------------------------------------
    app = measured(lambda: selectors.grids_ranking(area=city, since=month), max(3, args.runs // 6))
    raw_sql = (
        "SELECT e.grid_id, SUM(e.amount), COUNT(DISTINCT e.resident_id) FROM points_pointsentry e "
        "WHERE e.kind = 'earn' AND e.created_at >= %s GROUP BY e.grid_id"
    )
    raw_hh = "SELECT grid_id, COUNT(*) FROM people_household GROUP BY grid_id"

    def raw_grids():
        with connection.cursor() as cur:
            cur.execute(raw_sql, [month])
            a = cur.fetchall()
            cur.execute(raw_hh)
            return a, cur.fetchall()

    raw = measured(raw_grids, max(3, args.runs // 6))
    out["grid_ranking_city"] = {
        "grids": len(app["_value"]),
        "app": strip(app),
        "raw_sql": strip(raw),
    }
    print("grid ranking", out["grid_ranking_city"], flush=True)

    # -- 3: residents' ranking of a grid --------------------------------------
    grid_ids = list(
        PointsEntry.objects.values_list("grid_id", flat=True).distinct().order_by("grid_id")
    )
    grids = list(Area.objects.filter(pk__in=rng.sample(grid_ids, min(args.runs, len(grid_ids)))))
    for g in grids:  # warm the cache first: app and raw read the same pages
        selectors.residents_ranking(grid=g, since=month)
    it = iter(grids * 2)
    app = measured(lambda: selectors.residents_ranking(grid=next(it), since=month), len(grids))
    it = iter(grids * 2)
    rank_sql = (
        "SELECT resident_id, SUM(amount) AS p FROM points_pointsentry "
        "WHERE kind = 'earn' AND grid_id = %s AND resident_id IS NOT NULL AND created_at >= %s "
        "GROUP BY resident_id ORDER BY p DESC, resident_id LIMIT 20"
    )

    def raw_rank():
        with connection.cursor() as cur:
            cur.execute(rank_sql, [next(it).pk, month])
            return cur.fetchall()

    raw = measured(raw_rank, len(grids))
    entries_per_grid = PointsEntry.objects.count() / max(1, len(grid_ids))
    out["resident_ranking_grid"] = {
        "entries_per_grid": round(entries_per_grid),
        "app": strip(app),
        "raw_sql": strip(raw),
    }
    print("resident ranking", out["resident_ranking_grid"], flush=True)

    # -- 4: balance --------------------------------------------------------------
    holders = list(
        Resident.objects.filter(pk__in=_sample_ids(connection, args.every, args.runs, rng))
    )
    hs = [services.resident_holder(r) for r in holders]
    for h in hs:  # warm, as above
        services.balance(h)
    it = iter(hs * 2)
    app = measured(lambda: services.balance(next(it)), len(hs))
    it2 = iter(holders * 2)

    def raw_balance():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM points_pointsentry WHERE resident_id = %s",
                [next(it2).pk],
            )
            return cur.fetchone()[0]

    raw = measured(raw_balance, len(hs))
    out["balance"] = {"app": strip(app), "raw_sql": strip(raw)}
    print("balance", out["balance"], flush=True)

    # -- 5: concurrent redemptions -------------------------------------------------
    threads = [int(x) for x in args.threads.split(",") if x.strip()]
    community = Area.objects.filter(level=Level.COMMUNITY).order_by("path").first()
    shop = Shop.objects.create(community=community, name="压测积分超市")
    item = ShopItem.objects.create(shop=shop, name="压测商品", price=1, stock=10**9)
    # Holders: residents of the community with a ledger, each with a user.
    need = max(threads) * 8
    people = list(
        Resident.objects.filter(area_path__startswith=community.path)
        .filter(pk__in=PointsEntry.objects.values("resident_id"))
        .order_by("pk")[:need]
    )
    users = []
    for r in people:
        u, _ = User.objects.get_or_create(
            username=f"bench-points-{r.pk}",
            defaults={
                "kind": "resident",
                "name": r.name,
                "resident": r,
                "resident_status": "verified",
                "home_grid_id": r.grid_id,
            },
        )
        users.append(u)
    out["redeem"] = {"holders": len(users), "runs": []}
    for r in people:
        # Enough points that no run ends on 积分不足 (a correction, as a cadre would).
        PointsEntry.objects.create(
            resident=r,
            grid_id=r.grid_id,
            district_id=r.district_id,
            area_path=r.area_path,
            kind="correction",
            amount=1_000_000,
            reason="压测充值",
        )
        services.balance(services.resident_holder(r))  # and warm the ledger's pages
    for n in threads:
        app_rate = _throughput(
            n, args.seconds, users, lambda u: services.redemption_create(actor=u, item_id=item.pk)
        )
        raw_rate = _throughput(
            n, args.seconds, people, lambda r: _raw_redeem(connections["default"], r, item)
        )
        row = {"threads": n, "app": app_rate, "raw_sql": raw_rate}
        out["redeem"]["runs"].append(row)
        print("redeem", row, flush=True)
    codes = Redemption.objects.filter(shop=shop).count()
    later = now + timedelta(days=30)
    sweep = measured(lambda: redemptions_expire(now=later, limit=500))
    out["redeem"]["expiry_sweep"] = {"codes": codes, "expired": sweep["_value"], **strip(sweep)}
    print("expiry sweep", out["redeem"]["expiry_sweep"], flush=True)

    # -- 6: vote tally -------------------------------------------------------------
    voter, _ = User.objects.get_or_create(
        username="bench-points-voter", defaults={"kind": "staff", "name": "压测"}
    )
    out["tally"] = []
    for level in (Level.COMMUNITY, Level.DISTRICT):
        area = _biggest(connection, level)
        topic = Topic.objects.create(
            area=area,
            area_path=area.path,
            title=f"压测表决（{area.name}）",
            body="压测",
            status=Topic.Status.OPEN,
            raised_by=voter,
            vote_opens_at=now - timedelta(days=1),
            vote_closes_at=now + timedelta(days=1),
        )
        t = time.perf_counter()
        _seed_votes(connection, topic, voter)
        seed_s = time.perf_counter() - t
        elig = measured(lambda topic=topic: eligible_count(topic, at=now), 3)
        topic.eligible = elig["_value"]
        topic.save(update_fields=["eligible"])
        if vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE deliberation_vote")
        app = measured(lambda topic=topic: tally(topic), 5)

        def raw_tally(topic=topic):
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT choice, COUNT(*) FROM deliberation_vote WHERE topic_id = %s "
                    "GROUP BY choice",
                    [topic.pk],
                )
                return cur.fetchall()

        raw = measured(raw_tally, 5)
        row = {
            "level": level,
            "area": area.name,
            "votes": Vote.objects.filter(topic=topic).count(),
            "households": topic.eligible,
            "seed_votes_s": round(seed_s, 1),
            "eligible_count": strip(elig),
            "app": strip(app),
            "raw_sql": strip(raw),
            "result": {k: app["_value"][k] for k in ("counts", "turnout_percent", "quorum_met")},
        }
        out["tally"].append(row)
        print("tally", row, flush=True)

    out["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "postgres" if vendor == "postgresql" else "sqlite"
    path = RESULTS / f"points-{name}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    _ = Household  # imported for readers: the households are the voters


def _seed_ledger(connection, *, every: int, entries: int, month) -> None:
    """Earn entries this month and one last month for every `every`-th resident."""
    rules = ["report_valid", "case_useful", "volunteer_hour", "vote"]
    with connection.cursor() as cur:
        for i in range(entries + 1):
            at = month + timedelta(hours=6 + i * 7) if i < entries else month - timedelta(days=3)
            cur.execute(
                "INSERT INTO points_pointsentry (resident_id, worker_id, grid_id, district_id, "
                "area_path, kind, rule, amount, reason, source, created_by_id, created_at) "
                "SELECT r.id, NULL, r.grid_id, r.district_id, r.area_path, 'earn', %s, "
                "5 + (r.id %% 4) * 5, '压测积分', NULL, NULL, %s FROM people_resident r "
                "WHERE r.id %% %s = 0",
                [rules[i % len(rules)], at, every],
            )


def _sample_ids(connection, every: int, n: int, rng) -> list[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT MIN(id), MAX(id) FROM people_resident")
        lo, hi = cur.fetchone()
    return [((rng.randint(lo, hi)) // every) * every for _ in range(n)]


def _biggest(connection, level: str):
    from wangge.areas.models import Area

    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.id, (SELECT COUNT(*) FROM people_household h "
            "WHERE h.area_path >= a.path AND h.area_path < a.path || '~') AS n "
            "FROM areas_area a WHERE a.level = %s ORDER BY n DESC LIMIT 1",
            [level],
        )
        return Area.objects.get(pk=cur.fetchone()[0])


def _seed_votes(connection, topic, user) -> None:
    """One vote per household of the topic's area: two of three yes."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO deliberation_vote (topic_id, voter_key, option_id, choice, household_id, "
            "resident_id, user_id, created_at) "
            "SELECT %s, 'h' || h.id, NULL, CASE WHEN h.id %% 3 = 0 THEN 'no' ELSE 'yes' END, "
            "h.id, r.rid, %s, %s FROM people_household h JOIN "
            "(SELECT household_id, MIN(id) AS rid FROM people_resident "
            " WHERE area_path >= %s AND area_path < %s GROUP BY household_id) r "
            "ON r.household_id = h.id WHERE h.area_path >= %s AND h.area_path < %s",
            [
                topic.pk,
                user.pk,
                topic.vote_opens_at,
                topic.area_path,
                topic.area_path + "~",
                topic.area_path,
                topic.area_path + "~",
            ],
        )


def _raw_redeem(conn, resident, item) -> None:
    """What redemption_create writes, as plain SQL in one transaction."""
    import secrets

    from django.db import transaction

    with transaction.atomic(), conn.cursor() as cur:
        cur.execute("SELECT id FROM people_resident WHERE id = %s FOR UPDATE", [resident.pk])
        cur.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM points_pointsentry WHERE resident_id = %s",
            [resident.pk],
        )
        if cur.fetchone()[0] < item.price:
            raise RuntimeError("insufficient_points")
        cur.execute(
            "UPDATE points_shopitem SET stock = stock - 1 WHERE id = %s AND stock >= 1", [item.pk]
        )
        if cur.rowcount != 1:
            raise RuntimeError("out_of_stock")
        now = datetime.now(UTC)
        cur.execute(
            "INSERT INTO points_pointsentry (resident_id, worker_id, grid_id, district_id, "
            "area_path, kind, rule, amount, reason, source, created_by_id, created_at) "
            "VALUES (%s, NULL, %s, %s, %s, 'redeem', '', %s, '压测兑换', NULL, NULL, %s) "
            "RETURNING id",
            [
                resident.pk,
                resident.grid_id,
                resident.district_id,
                resident.area_path,
                -item.price,
                now,
            ],
        )
        entry = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO points_redemption (item_id, shop_id, area_path, resident_id, worker_id, "
            "user_id, quantity, points, code, status, entry_id, created_at, expires_at) "
            "SELECT %s, %s, %s, %s, NULL, u.id, 1, %s, %s, 'pending', %s, %s, %s "
            "FROM accounts_user u WHERE u.resident_id = %s",
            [
                item.pk,
                item.shop_id,
                item.area_path,
                resident.pk,
                item.price,
                f"9{secrets.randbelow(10**7):07d}",
                entry,
                now,
                now + timedelta(days=2),
                resident.pk,
            ],
        )


def _throughput(n: int, seconds: float, holders: list, call) -> dict:
    """`n` threads, each its own connection and its own holders, calling
    `call(holder)` in turn for `seconds`. Redemptions per second."""
    from django.db import connections

    per = max(1, len(holders) // n)
    counts = [0] * n
    errors = [0] * n
    kinds: dict[str, int] = {}
    barrier = threading.Barrier(n + 1)
    stop = threading.Event()

    def run(i: int) -> None:
        mine = holders[i * per : (i + 1) * per] or holders[:1]
        try:
            barrier.wait()
            k = 0
            while not stop.is_set():
                try:
                    call(mine[k % len(mine)])
                    counts[i] += 1
                except Exception as exc:
                    errors[i] += 1
                    kind = getattr(exc, "code", None) or str(exc)[:60]
                    kinds[kind] = kinds.get(kind, 0) + 1
                k += 1
        finally:
            connections.close_all()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    cpu0 = time.process_time()
    barrier.wait()
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    done = sum(counts)
    return {
        "redemptions": done,
        "errors": sum(errors),
        "error_kinds": kinds,
        "per_s": round(done / wall, 1),
        "cpu_client_s": round(time.process_time() - cpu0, 2),
        "wall_s": round(wall, 2),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    main()
