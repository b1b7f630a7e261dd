"""Point look-ups and subtree counts against a generated city.

    .venv/bin/python bench/locate.py                      # both bench databases
    .venv/bin/python bench/locate.py --backend postgres
    .venv/bin/python bench/locate.py --backend sqlite --points 200000

Uses the databases bench/generate.py leaves behind (var/bench/wangge-bench.sqlite3,
PostgreSQL `wangge_bench`), or --database-url. Measures, on the same random
points inside the city polygon (seeded):
- building the locator's index from the database;
- `locate_leaf_id(lng, lat)` (in memory) per second;
- `locate(lng=, lat=)` (index + one query for the chain) per second;
- a raw shapely 2 STRtree over the same leaf polygons: one `query(point,
  predicate="intersects")` per point, and one vectorized query for all;
- the subtree count of one street: residents under the street's path
  (`subtree_q(street.path, "area_path")`), p50 over repeated runs.

Results: bench/results/<date>-locate-<backend>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from generate import database_url  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def measure(backend: str, url: str, n_points: int, n_db_points: int, repeat: int, street_code):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings.demo")
    import django

    django.setup()
    import numpy as np
    import shapely

    from wangge.areas.geometry import parse_boundary
    from wangge.areas.locator import locator
    from wangge.areas.models import Area
    from wangge.areas.paths import subtree_q
    from wangge.people.models import Resident

    city = Area.objects.filter(level="city").order_by("path").first()
    if city is None:
        raise SystemExit(f"no city in {url}: run bench/generate.py --backend {backend} first")
    city_geom = parse_boundary(city.boundary)
    shapely.prepare(city_geom)
    rng = random.Random(1)
    x0, y0, x1, y1 = city_geom.bounds
    pts: list[tuple[float, float]] = []
    while len(pts) < n_points:
        xs = np.array([x0 + (x1 - x0) * rng.random() for _ in range(10_000)])
        ys = np.array([y0 + (y1 - y0) * rng.random() for _ in range(10_000)])
        inside = shapely.contains_xy(city_geom, xs, ys)
        pts.extend(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True))
    pts = pts[:n_points]

    # The locator: build, then in-memory look-ups.
    locator.reset()
    t = time.perf_counter()
    leaves = locator.size
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    found = [locator.locate_leaf_id(x, y) for x, y in pts]
    leaf_s = time.perf_counter() - t
    hit_share = sum(f is not None for f in found) / len(found)

    t = time.perf_counter()
    chains = [locator.locate(lng=x, lat=y) for x, y in pts[:n_db_points]]
    chain_s = time.perf_counter() - t
    depth = statistics.mean(len(c) for c in chains if c) if any(chains) else 0

    # Raw shapely on the same polygons and points.
    index = locator._index
    geoms = index.geoms.copy()
    t = time.perf_counter()
    tree = shapely.STRtree(geoms)
    raw_build_s = time.perf_counter() - t
    shapely.prepare(geoms)
    t = time.perf_counter()
    raw = []
    for x, y in pts:
        hits = tree.query(shapely.Point(x, y), predicate="intersects")
        raw.append(int(index.leaf_ids[hits.min()]) if len(hits) else None)
    raw_loop_s = time.perf_counter() - t
    t = time.perf_counter()
    pairs = tree.query(shapely.points(np.array(pts)), predicate="intersects")
    raw_vec_s = time.perf_counter() - t
    agree = sum(a == b for a, b in zip(raw, found, strict=True) if a is not None) / max(
        1, sum(a is not None for a in raw)
    )

    # Subtree count for one street.
    streets = Area.objects.filter(subtree_q(city.path), level="street")
    street = streets.get(code=street_code.ljust(12, "0")) if street_code else None
    if street is None:
        with_people = (
            Resident.objects.values_list("area_path", flat=True).order_by("area_path").first()
        )
        street = streets.filter(path=with_people[:15]).first() if with_people else streets.first()
    qs = Resident.objects.filter(subtree_q(street.path, "area_path"))
    for _ in range(2):
        count = qs.count()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        qs.count()
        times.append((time.perf_counter() - t) * 1000)

    return {
        "benchmark": "locate",
        "backend": backend,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "database_url": url,
        "load_average": os.getloadavg(),
        "leaves": leaves,
        "points": len(pts),
        "points_in_a_leaf": round(hit_share, 4),
        "locator_build_seconds": round(build_s, 2),
        "locate_leaf_id_per_second": round(len(pts) / leaf_s),
        "locate_chain_per_second": round(len(chains) / chain_s),
        "locate_chain_points": len(chains),
        "chain_mean_length": round(depth, 2),
        "raw_strtree_build_seconds": round(raw_build_s, 2),
        "raw_strtree_query_per_second": round(len(pts) / raw_loop_s),
        "raw_strtree_vectorized_per_second": round(len(pts) / raw_vec_s),
        "raw_pairs": int(pairs.shape[1]),
        "raw_agrees_with_locator": round(agree, 4),
        "subtree_count": {
            "street": f"{street.name} {street.code}",
            "residents": count,
            "repeat": repeat,
            "p50_ms": round(statistics.median(times), 2),
            "p90_ms": round(pct(times, 90), 2),
            "min_ms": round(min(times), 2),
        },
    }


def table(results: list[dict]) -> None:
    rows = [
        ("leaves indexed", "leaves", "{:,}"),
        ("points (inside city)", "points", "{:,}"),
        ("share in a leaf", "points_in_a_leaf", "{:.2%}"),
        ("locator build s", "locator_build_seconds", "{:.2f}"),
        ("locate_leaf_id /s", "locate_leaf_id_per_second", "{:,}"),
        ("locate() /s", "locate_chain_per_second", "{:,}"),
        ("raw STRtree build s", "raw_strtree_build_seconds", "{:.2f}"),
        ("raw STRtree query /s", "raw_strtree_query_per_second", "{:,}"),
        ("raw vectorized /s", "raw_strtree_vectorized_per_second", "{:,}"),
    ]
    print(f"\n{'':<24}" + "".join(f"{r['backend']:>14}" for r in results))
    for label, key, fmt in rows:
        print(f"{label:<24}" + "".join(f"{fmt.format(r[key]):>14}" for r in results))
    for label, key in (("subtree count p50 ms", "p50_ms"), ("subtree count p90 ms", "p90_ms")):
        print(f"{label:<24}" + "".join(f"{r['subtree_count'][key]:>14.2f}" for r in results))
    for r in results:
        s = r["subtree_count"]
        print(f"  {r['backend']}: {s['street']}, {s['residents']:,} residents, {s['repeat']} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--database-url", help="instead of the bench database")
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--db-points", type=int, default=5_000, help="points for locate()")
    parser.add_argument("--repeat", type=int, default=30, help="subtree count runs")
    parser.add_argument("--street", help="street code for the subtree count")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.backend == "both":
        results = []
        for backend in ("sqlite", "postgres"):
            cmd = [sys.executable, __file__, "--backend", backend, "--json-only"]
            cmd += ["--points", str(args.points), "--db-points", str(args.db_points)]
            cmd += ["--repeat", str(args.repeat)] + (
                ["--street", args.street] if args.street else []
            )
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode:
                print(out.stderr, file=sys.stderr)
                continue
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        table(results)
        return

    url = args.database_url or database_url(args.backend)
    result = measure(args.backend, url, args.points, args.db_points, args.repeat, args.street)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{dt.date.today():%Y-%m-%d}-locate-{args.backend}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    if args.json_only:
        print(json.dumps(result, ensure_ascii=False))
    else:
        table([result])
        print(f"-> {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
