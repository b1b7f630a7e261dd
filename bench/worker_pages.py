"""Grid worker's app (平安通, /w/): page weight and time to interactive, in
Debian's chromium.

    .venv/bin/python bench/worker_pages.py                  # demo street in /tmp/wangge-worker-pages
    .venv/bin/python bench/worker_pages.py --var /tmp/x --runs 20 --scale street
    .venv/bin/python bench/worker_pages.py --database-url postgres://127.0.0.1:5432/wangge_city

Steps:
1. `wangge demo` into a scratch directory (WANGGE_VAR_DIR; SQLite unless
   --database-url): Jiaxing's real divisions, one generated street (or
   `--scale district|city`) and the demo accounts, among them
   demo_grid_worker (专职网格员 of the demo grid);
2. seeds real work for that grid through the case engine's services (once;
   cases keyed `bench-worker-*`): cases reported in the grid, dispatched to
   the grid team, and handled (reported back with a photo), so Today's counts
   and lists are not empty;
3. `wangge serve` (granian, WSGI, whitenoise's compressed static files) on a
   free loopback port;
4. chromium (Playwright, /usr/bin/chromium) on a 375×812 phone viewport logs
   in as demo_grid_worker and loads each page `--runs` times:
   - cold: a first visit — service workers blocked, browser cache cleared
     and disabled before every load;
   - warm: the installed app — service worker active and controlling the
     page, browser cache on (a worker opening the app again);
   per load: bytes transferred over the network (Chrome's encoded data length
   of every response that did not come from the service worker or the
   memory/disk cache, headers included; warm, plus the page's HTML, which
   the service worker fetches network-first, at its cold size), requests,
   time to first byte,
   DOMContentLoaded, load, and "interactive": the moment the page's scripts
   have run, Alpine has started and the outbox is open (the page can take a
   report), whichever comes last, from navigation start;
5. screenshots of Today and the task list on this data go to
   var/screenshots/worker-demo-*.png; the server is stopped.

Goal (issue 4): Today < 300 KB and < 1 s on loopback.
Results: bench/results/worker-pages-<sqlite|postgres>.json and a table on stdout."""

from __future__ import annotations

import argparse
import json
import os
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

WORKER = ("demo_grid_worker", "Wangge-demo-2026")
PAGES = [
    ("today", "/w/"),
    ("tasks", "/w/cases/?tab=handle"),
    ("case", None),  # the first case to handle, found at run time
    ("report", "/w/report/"),
    ("people", "/w/people/?q=%E7%8E%8B"),  # 王
]
READY_JS = """() => {
  const comp = document.querySelector('[x-data]');
  const alpine = !!window.Alpine && (!comp || !!comp._x_dataStack);
  const ready = document.readyState === 'complete' && alpine
    && document.documentElement.dataset.appReady === '1';
  if (ready && !window.__wgInteractive) window.__wgInteractive = performance.now();
  return ready;
}"""

SEED = r"""
import io
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from wangge.accounts.models import User
from wangge.cases.models import Case
from wangge.cases.services import case_move, case_report
from wangge.worker.selectors import worker_places

worker = User.objects.get(username="demo_grid_worker")
dispatcher = User.objects.get(username="demo_dispatcher")
if not Case.objects.filter(created_by=worker, idempotency_key__startswith="bench-worker-").exists():
    grid = worker_places(actor=worker)[0]
    micro = list(grid.children.filter(is_active=True).order_by("path")[:4]) or [grid]

    def photo():
        buf = io.BytesIO()
        Image.new("RGB", (640, 480), (40, 120, 200)).save(buf, format="JPEG")
        return SimpleUploadedFile("现场.jpg", buf.getvalue(), content_type="image/jpeg")

    texts = ["楼道堆放杂物堵塞消防通道", "路灯不亮", "小区门口暴露垃圾", "共享单车乱停放",
             "绿化带内有建筑垃圾", "井盖松动有异响"]
    for i in range(18):
        case, _ = case_report(actor=worker, description=f"{texts[i % 6]}（{i + 1}）",
                              area=micro[i % len(micro)], idempotency_key=f"bench-worker-{i}",
                              photos=[photo()] if i % 3 == 0 else [])
        if i % 3 == 0:
            continue  # stays reported: awaiting acceptance
        for move, actor, kw in (("accept", dispatcher, {}), ("register", dispatcher, {}),
                                ("dispatch", dispatcher, {"team": "grid"})):
            case = case_move(case_id=case.pk, move=move, actor=actor, **kw)
        if i % 3 == 2:
            case_move(case_id=case.pk, move="handle", actor=worker)
            case_move(case_id=case.pk, move="report_back", actor=worker, note="已处置",
                      photos=[photo()])
print(Case.objects.filter(created_by=worker).count())
"""


def measure(page, cdp, url: str, cold: bool) -> dict:
    sizes: dict[str, int] = {}
    cached: set[str] = set()
    document: list[str] = []

    def sent(ev):
        if ev.get("type") == "Document":
            document.append(ev["requestId"])

    def received(ev):
        r = ev["response"]
        if r.get("fromServiceWorker") or r.get("fromDiskCache") or r.get("fromPrefetchCache"):
            cached.add(ev["requestId"])

    def from_memory(ev):
        cached.add(ev["requestId"])

    def finished(ev):
        sizes[ev["requestId"]] = ev.get("encodedDataLength", 0)

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.requestServedFromCache", from_memory)
    cdp.on("Network.loadingFinished", finished)
    if cold:
        cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": cold})
    page.goto(url, wait_until="commit")
    page.wait_for_function(READY_JS, polling=10, timeout=30000)
    page.wait_for_load_state("networkidle")
    timing = page.evaluate(
        """() => { const n = performance.getEntriesByType('navigation')[0];
        return { ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                 interactive: window.__wgInteractive }; }"""
    )
    for name, fn in (
        ("Network.requestWillBeSent", sent),
        ("Network.responseReceived", received),
        ("Network.requestServedFromCache", from_memory),
        ("Network.loadingFinished", finished),
    ):
        cdp.remove_listener(name, fn)
    timing["interactive"] = max(timing["interactive"], timing["load"])
    network = {k: v for k, v in sizes.items() if k not in cached}
    return {
        "kb": sum(network.values()) / 1024,
        "document_kb": sum(sizes.get(k, 0) for k in document) / 1024,
        "requests": len(sizes),
        "network_requests": len(network),
        **{k: round(v, 1) for k, v in timing.items()},
    }


def summarize(rows: list[dict]) -> dict:
    out = {}
    for key in (
        "kb",
        "document_kb",
        "requests",
        "network_requests",
        "ttfb",
        "dcl",
        "load",
        "interactive",
    ):
        vals = [r[key] for r in rows]
        out[key] = {"median": round(statistics.median(vals), 1), "max": round(max(vals), 1)}
    return out


def login(page, base: str) -> None:
    page.goto(base + "/w/")
    page.fill("#id_username", WORKER[0])
    page.fill("#id_password", WORKER[1])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/w/")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--var", default="/tmp/wangge-worker-pages", help="scratch WANGGE_VAR_DIR")
    ap.add_argument("--scale", default="street", choices=["street", "district", "city"])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--database-url", default="", help="use this database instead of SQLite")
    args = ap.parse_args()

    var = Path(args.var)
    var.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, WANGGE_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="wangge.settings.demo")
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    db = "postgres" if args.database_url.startswith("postgres") else "sqlite"
    t0 = time.time()
    subprocess.run(
        [str(BIN / "wangge"), "demo", "--scale", args.scale],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seeded = subprocess.run(
        [str(BIN / "python"), "-c", SEED],
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
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
    results: dict = {}
    counts: dict = {}
    try:
        t_start = time.time()
        # The first start in a fresh directory collects and compresses the static
        # files (~70 s on the 2-core machine): waited for, reported, not timed as a page.
        wait_http(base + "/accounts/login/")
        server_start_s = round(time.time() - t_start, 1)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            phone = {
                "locale": "zh-CN",
                "timezone_id": "Asia/Shanghai",
                "viewport": {"width": 375, "height": 812},
                "is_mobile": True,
                "has_touch": True,
            }
            # cold: first visits, no service worker; warm: the installed app.
            contexts = {
                True: browser.new_context(**phone, service_workers="block"),
                False: browser.new_context(**phone),
            }
            pages = {}
            for cold, ctx in contexts.items():
                page = ctx.new_page()
                login(page, base)
                if not cold:
                    page.wait_for_function("navigator.serviceWorker.controller", timeout=30000)
                cdp = ctx.new_cdp_session(page)
                cdp.send("Network.enable")
                pages[cold] = (page, cdp)
            page = pages[True][0]
            counts = {
                k: int(page.get_by_test_id(f"count-{k}").locator("b").inner_text())
                for k in ("handle", "verify", "accept")
            }
            page.goto(base + "/w/cases/?tab=handle")
            case_path = page.locator("[data-testid=case-list] a").first.get_attribute("href")
            for name, path in PAGES:
                url = base + (path or case_path)
                entry = {}
                for cold in (True, False):
                    page_, cdp_ = pages[cold]
                    measure(page_, cdp_, url, cold)  # warm-up (and, warm, the SW's copy)
                    rows = [measure(page_, cdp_, url, cold) for _ in range(args.runs)]
                    if not cold:
                        # The service worker fetched the page itself from the
                        # network (network-first); the page's own CDP session
                        # sees it as served by the worker. Count its bytes, as
                        # measured on the cold loads of the same page.
                        doc = entry["cold"]["document_kb"]["median"]
                        for r in rows:
                            r["kb"] += doc
                            r["document_kb"] = doc
                    entry["cold" if cold else "warm"] = summarize(rows)
                results[name] = entry
            # Screenshots on generated data, for the README.
            shots = ROOT / "var" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            page, cdp = pages[False]
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
            for name, path in PAGES[:2]:
                page.goto(base + path)
                page.wait_for_function(READY_JS, polling=50)
                page.screenshot(path=str(shots / f"worker-demo-{name}.png"), full_page=True)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    out = {
        "benchmark": "worker_pages",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "database": db,
        "scale": args.scale,
        "server": "granian WSGI, 1 worker, whitenoise (gzip/brotli static)",
        "browser": "Debian chromium, 375x812 mobile viewport, loopback, no throttling",
        "runs": args.runs,
        "setup_seconds": round(setup_s, 1),
        "server_start_seconds": server_start_s,
        "worker_cases": int(seeded or 0),
        "today_counts": counts,
        "pages": results,
    }
    dest = ROOT / "bench" / "results" / f"worker-pages-{db}.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    print(f"Today's counts for {WORKER[0]}: {counts}")
    print(
        f"{'page':<8} {'cache':<5} {'KB':>7} {'req':>4} {'net':>4} {'TTFB':>6} {'DCL':>6} "
        f"{'load':>6} {'TTI':>6}  (ms, medians; max TTI)"
    )
    for name, entry in results.items():
        for cache, s in entry.items():
            print(
                f"{name:<8} {cache:<5} {s['kb']['median']:>7.1f} {s['requests']['median']:>4.0f} "
                f"{s['network_requests']['median']:>4.0f} {s['ttfb']['median']:>6.1f} "
                f"{s['dcl']['median']:>6.1f} {s['load']['median']:>6.1f} "
                f"{s['interactive']['median']:>6.1f}  max {s['interactive']['max']:.1f}"
            )
    print(f"→ {dest}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
