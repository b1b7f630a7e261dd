"""Resident H5 page weight and time to interactive, in Debian's chromium.

    .venv/bin/python bench/pages.py                      # demo street in /tmp/wangge-pages
    .venv/bin/python bench/pages.py --var /tmp/x --runs 20 --scale street

Steps:
1. `wangge demo` into a scratch directory (WANGGE_VAR_DIR; SQLite): the real
   divisions of Jiaxing, one generated street (or `--scale district|city`),
   the demo accounts, among them the verified demo resident 13900009999;
2. `wangge serve` (granian, WSGI, collectstatic with whitenoise's compressed
   files) on a free loopback port;
3. chromium (Playwright, `/usr/bin/chromium`) on a 375×812 phone viewport logs
   in as the demo resident, then loads each page `--runs` times:
   - cold: browser cache cleared and disabled before each load,
   - warm: cache on (the second visit of a returning resident);
   for each load it records the bytes transferred (Chrome's encoded data
   length of every response, headers included), the number of requests,
   time to first byte, DOMContentLoaded, load, and "interactive": the moment
   the page's scripts have run, Alpine has started and the grid map is drawn
   (for pages with a map), whichever comes last, measured from navigation
   start;
4. screenshots of the home and report pages on this data go to
   var/screenshots/h5-demo-*.png; the server is stopped.

Goal (issue 4): resident home < 300 KB and < 1 s on loopback.
Results: bench/results/pages-<sqlite|postgres>.json and a table on stdout."""

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

RESIDENT = ("13900009999", "Wangge-demo-2026")
PAGES = [
    ("home", "/m/", "[data-map][data-ready='1']"),
    ("report", "/m/report/", "[data-map][data-ready='1']"),
    ("my_cases", "/m/cases/", None),
    ("login", "/m/login/", None),
]
READY_JS = """(sel) => {
  const comp = document.querySelector('[x-data]');
  const alpine = !!window.Alpine && (!comp || !!comp._x_dataStack);
  const ready = document.readyState === 'complete' && alpine && (!sel || !!document.querySelector(sel));
  if (ready && !window.__wgInteractive) window.__wgInteractive = performance.now();
  return ready;
}"""


def measure(page, cdp, url: str, ready_sel: str | None, cold: bool) -> dict:
    sizes: dict[str, int] = {}

    def finished(ev):
        sizes[ev["requestId"]] = ev.get("encodedDataLength", 0)

    cdp.on("Network.loadingFinished", finished)
    if cold:
        cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": cold})
    page.goto(url, wait_until="commit")
    page.wait_for_function(READY_JS, arg=ready_sel, polling=10, timeout=30000)
    page.wait_for_load_state("networkidle")
    timing = page.evaluate(
        """() => { const n = performance.getEntriesByType('navigation')[0];
        return { ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                 interactive: window.__wgInteractive, html_bytes: n.transferSize }; }"""
    )
    cdp.remove_listener("Network.loadingFinished", finished)
    timing["interactive"] = max(timing["interactive"], timing["load"])
    return {
        "kb": sum(sizes.values()) / 1024,
        "requests": len(sizes),
        **{k: round(v, 1) for k, v in timing.items()},
    }


def summarize(rows: list[dict]) -> dict:
    out = {}
    for key in ("kb", "requests", "ttfb", "dcl", "load", "interactive"):
        vals = [r[key] for r in rows]
        out[key] = {
            "median": round(statistics.median(vals), 1),
            "max": round(max(vals), 1),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--var", default="/tmp/wangge-pages", help="scratch WANGGE_VAR_DIR")
    ap.add_argument("--scale", default="street", choices=["street", "district", "city"])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument(
        "--database-url",
        default="",
        help="use this database instead of SQLite under --var (e.g. a city-scale PostgreSQL one;\n"
        "`wangge demo` adds its demo accounts there)",
    )
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
    try:
        t_start = time.time()
        # The first start in a fresh directory collects and compresses the static
        # files (~70 s on the 2-core machine): waited for, reported, not timed as a page.
        wait_http(base + "/m/login/")
        server_start_s = round(time.time() - t_start, 1)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            ctx = browser.new_context(
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                viewport={"width": 375, "height": 812},
                is_mobile=True,
                has_touch=True,
            )
            page = ctx.new_page()
            page.goto(base + "/m/login/")
            page.fill("#id_username", RESIDENT[0])
            page.fill("#id_password", RESIDENT[1])
            page.click("button[type=submit]")
            page.wait_for_url(base + "/m/")
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")
            for name, path, ready in PAGES:
                if name == "login":  # measured logged out, in its own context
                    ctx2 = browser.new_context(
                        viewport={"width": 375, "height": 812}, is_mobile=True
                    )
                    p2 = ctx2.new_page()
                    cdp2 = ctx2.new_cdp_session(p2)
                    cdp2.send("Network.enable")
                    page_, cdp_ = p2, cdp2
                else:
                    page_, cdp_ = page, cdp
                entry = {}
                for cold in (True, False):
                    measure(page_, cdp_, base + path, ready, cold)  # warm-up
                    rows = [
                        measure(page_, cdp_, base + path, ready, cold) for _ in range(args.runs)
                    ]
                    entry["cold" if cold else "warm"] = summarize(rows)
                results[name] = entry
            # Screenshots on real (generated) data, for the README.
            shots = ROOT / "var" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
            for name, path, ready in PAGES[:2]:
                page.goto(base + path)
                page.wait_for_function(READY_JS, arg=ready, polling=50)
                height = page.evaluate("document.documentElement.scrollHeight")
                page.set_viewport_size({"width": 375, "height": max(812, height)})
                page.screenshot(path=str(shots / f"h5-demo-{name}.png"))
                page.set_viewport_size({"width": 375, "height": 812})
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    out = {
        "benchmark": "pages",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "database": db,
        "scale": args.scale,
        "server": "granian WSGI, 1 worker, whitenoise (gzip/brotli static)",
        "browser": "Debian chromium, 375x812 mobile viewport, loopback, no throttling",
        "runs": args.runs,
        "setup_seconds": round(setup_s, 1),
        "server_start_seconds": server_start_s,
        "pages": results,
    }
    dest = ROOT / "bench" / "results" / f"pages-{db}.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    print(
        f"{'page':<10} {'cache':<5} {'KB':>7} {'req':>4} {'TTFB':>6} {'DCL':>6} {'load':>6} {'TTI':>6}  (ms, medians; max TTI)"
    )
    for name, entry in results.items():
        for cache, s in entry.items():
            print(
                f"{name:<10} {cache:<5} {s['kb']['median']:>7.1f} {s['requests']['median']:>4.0f} "
                f"{s['ttfb']['median']:>6.1f} {s['dcl']['median']:>6.1f} {s['load']['median']:>6.1f} "
                f"{s['interactive']['median']:>6.1f}  max {s['interactive']['max']:.1f}"
            )
    print(f"→ {dest}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
