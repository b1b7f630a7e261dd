"""Where a SQLite server process's memory goes under the soak's mix (issue 9).

    .venv/bin/python bench/_sqlite_memory.py --requests 6000 [--cache-kb 65536] [--threads 4]

One process, production settings, a fresh migrated SQLite file seeded like
bench/soak.py; `--threads` threads (a granian worker's blocking threads,
each with its own persistent connection) send the soak's mix through
Django's test client, as fast as they can: two intakes (POST
/api/v1/cases/, staff token, idempotency key) to one read (a street's
board or a dispatcher's list). Every `--every` requests it prints the
process's RSS and its parts (RssAnon: heap; RssFile), SQLite's own heap
(`sqlite3_memory_used()` of the libsqlite3 this Python uses, all
connections), Python's allocated blocks and the database file's size.

A growth of RSS that SQLite's heap and Python's blocks do not show is the C
allocator's (glibc arenas per thread). Not a pass/fail bench: a probe.
Writes var/bench/sqlite-memory-<cache>kb-<threads>t.json."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")
    ]


def malloc_mb() -> dict:
    """glibc's view: bytes in use (uordblks + mmapped hblkhd) and held free."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _Mallinfo2
    m = libc.mallinfo2()
    return {
        "malloc_in_use_mb": round((m.uordblks + m.hblkhd) / 2**20, 1),
        "malloc_free_mb": round(m.fordblks / 2**20, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=6000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--cache-kb", type=int, default=None, help="WANGGE_SQLITE_CACHE_KB")
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--mix", choices=["all", "intake"], default="all", help="intake: no reads")
    args = ap.parse_args()

    from wangge.ops.tests.helpers import production_env, run_python, wangge

    scratch = Path(tempfile.mkdtemp(prefix="wangge-sqlmem-"))
    env = production_env(
        DATABASE_URL=f"sqlite:///{scratch / 'mem.sqlite3'}",
        WANGGE_ALLOW_SQLITE="1",
        WANGGE_VAR_DIR=str(scratch / "var"),
    )
    if args.cache_kb is not None:
        env["WANGGE_SQLITE_CACHE_KB"] = str(args.cache_kb)
    mig = wangge("manage", "migrate", "-v", "0", env=env)
    assert mig.returncode == 0, mig.stderr[-3000:]
    from soak import SEED  # the soak's world: a tree, four dispatchers with tokens

    seed = run_python(SEED, env)
    assert seed.returncode == 0, seed.stderr[-3000:]
    ids = json.loads(seed.stdout.strip().splitlines()[-1])
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections
    from django.test import Client

    lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
    db_file = scratch / "mem.sqlite3"
    tokens = ids["tokens"]
    counter = iter(range(args.requests))
    lock = threading.Lock()
    samples: list[dict] = []
    errors: list[str] = []
    t0 = time.monotonic()

    def sample(n: int) -> None:
        s = {
            "requests": n,
            "s": round(time.monotonic() - t0, 1),
            "rss_mb": status("VmRSS"),
            "anon_mb": status("RssAnon"),
            "file_mb": status("RssFile"),
            "sqlite_heap_mb": round(lib.sqlite3_memory_used() / 2**20, 2),
            # SQLite's peak since the last sample (a query's page cache and
            # temp b-trees live only while it runs).
            "sqlite_peak_mb": round(lib.sqlite3_memory_highwater(1) / 2**20, 2),
            **malloc_mb(),
            "py_blocks": sys.getallocatedblocks(),
            "db_mb": round(db_file.stat().st_size / 2**20, 1),
            "load": round(os.getloadavg()[0], 1),
        }
        samples.append(s)
        print(json.dumps(s), flush=True)

    def work() -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        try:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                if n % 3 == 2 and args.mix == "all":
                    path = (
                        f"/api/v1/cases/board/{ids['street']}" if n % 2 else "/api/v1/cases/?limit=20"
                    )
                    auth = {} if n % 2 else {"HTTP_AUTHORIZATION": f"Bearer {tokens[0]}"}
                    r = client.get(path, **auth)
                    ok = r.status_code == 200
                else:
                    r = client.post(
                        "/api/v1/cases/",
                        {
                            "description": f"小区路面破损，第{n}次上报",
                            "category": "0101",
                            "lng": "120.06",
                            "lat": "30.25",
                            "idempotency_key": uuid.uuid4().hex,
                        },
                        HTTP_AUTHORIZATION=f"Bearer {tokens[n % len(tokens)]}",
                    )
                    ok = r.status_code == 201
                if not ok:
                    with lock:
                        errors.append(f"{n}: {r.status_code} {r.content[:200]!r}")
                if n % args.every == 0:
                    with lock:
                        sample(n)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sample(args.requests)
    first = next((s for s in samples if s["requests"] >= args.requests // 4), samples[0])
    last = samples[-1]
    result = {
        "args": {**vars(args), "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX")},
        "errors": errors[:5],
        "error_count": len(errors),
        "growth_after_first_quarter_mb": {
            k: round(last[k] - first[k], 2)
            for k in ("rss_mb", "anon_mb", "sqlite_heap_mb", "malloc_in_use_mb", "malloc_free_mb", "db_mb")
        },
        "py_blocks_growth": last["py_blocks"] - first["py_blocks"],
        "samples": samples,
    }
    cache = args.cache_kb if args.cache_kb is not None else "default"
    arenas = os.environ.get("MALLOC_ARENA_MAX", "")
    name = f"sqlite-memory-{cache}kb-{args.threads}t-{args.mix}{'-arenas' + arenas if arenas else ''}"
    out = ROOT / "var" / "bench" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    sys.exit(main())
