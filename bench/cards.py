"""民情联系卡 (contact cards): one PDF with every grid of one street of the
benchmark city. Goal (issue 5): < 30 s for the street's batch.

    createdb -h 127.0.0.1 -U postgres -T wangge_bench party_bench
    DATABASE_URL=postgres://127.0.0.1:5432/party_bench .venv/bin/python manage.py migrate serviceteams
    .venv/bin/python bench/cards.py --database-url postgres://127.0.0.1:5432/party_bench
    .venv/bin/python bench/cards.py --database-url sqlite:///var/bench/party.sqlite3 --backend sqlite

Measures, as a street cadre of the street with the most grids (or --street CODE):
- collecting what every card prints (team, service teams, promises, hotline);
- the batch PDF cold (empty card cache: render + store), then warm (cache hit);
- one grid's card cold.
The card cache goes to a temporary directory (WANGGE_VAR_DIR). Load average is
recorded: other jobs share the CPU; the process's CPU seconds (`*_cpu_s`, this
process only, not the database server) say what the wall time would be on an
idle core. Results: bench/results/cards-<backend>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--backend", default="postgres")
    parser.add_argument(
        "--street", default="", help="street code (default: the one with most grids)"
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["WANGGE_VAR_DIR"] = tempfile.mkdtemp(prefix="wangge-cards-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings.demo")
    import django

    django.setup()
    from django.db.models import Count

    from wangge.areas.models import Area, Level
    from wangge.serviceteams import cards
    from wangge.teams.models import RoleAssignment

    if args.street:
        street = Area.objects.get(code=args.street, level=Level.STREET)
    else:
        by_street = (
            Area.objects.filter(level=Level.GRID)
            .values("parent__parent_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        street = Area.objects.get(pk=by_street["parent__parent_id"])
    cadre = RoleAssignment.objects.filter(area=street, role="street_cadre", is_active=True).first()
    if cadre is None:
        # The generated city has no street cadres: make one on this copy.
        from wangge.accounts.models import User

        user, _ = User.objects.get_or_create(
            username=f"bench-cards-{street.code}", defaults={"kind": "staff", "name": "街道干部"}
        )
        cadre, _ = RoleAssignment.objects.get_or_create(
            user=user, role="street_cadre", area=street, defaults={"area_path": street.path}
        )
    actor = cadre.user
    load_before = os.getloadavg()

    t, c = time.perf_counter(), time.process_time()
    grids = list(Area.objects.filter(parent__parent=street, level=Level.GRID, is_active=True))
    data = [cards.card_data(actor=actor, grid=g) for g in grids]
    collect_s, collect_cpu = time.perf_counter() - t, time.process_time() - c

    t, c, q = time.perf_counter(), time.process_time(), _runqueue_wait()
    pdf, batch = cards.street_cards_pdf(actor=actor, area=street)
    cold_s, cold_cpu = time.perf_counter() - t, time.process_time() - c
    cold_wait = _runqueue_wait() - q
    t, c = time.perf_counter(), time.process_time()
    pdf2, _ = cards.street_cards_pdf(actor=actor, area=street)
    warm_s, warm_cpu = time.perf_counter() - t, time.process_time() - c
    assert pdf2 == pdf
    t = time.perf_counter()
    one, _ = cards.grid_card_pdf(actor=actor, grid=grids[0])
    one_s = time.perf_counter() - t

    # Where a cold batch's time goes, phase by phase (a second cold render of
    # the same cards, not stored): wall and CPU seconds of this process.
    from django.template.loader import render_to_string
    from weasyprint import HTML

    phases = {}

    def phase(name, fn):
        t, c, q = time.perf_counter(), time.process_time(), _runqueue_wait()
        value = fn()
        phases[name] = {
            "wall_s": round(time.perf_counter() - t, 2),
            "cpu_s": round(time.process_time() - c, 2),
            # Seconds this process was runnable but waited for a CPU (other
            # jobs' load): wall ≈ CPU + this wait + I/O.
            "runqueue_wait_s": round(_runqueue_wait() - q, 2),
        }
        return value

    html = phase(
        "template_and_qr",
        lambda: render_to_string(
            "serviceteams/card.html",
            {"cards": [(c, cards._qr_png(c.qr_url), cards._pairs(c.members)) for c in batch]},
        ),
    )
    document = phase("weasyprint_style_and_layout", lambda: HTML(string=html).render())
    phase("weasyprint_pdf_and_font_subset", lambda: document.write_pdf())

    from io import BytesIO

    from pypdf import PdfReader

    pages = len(PdfReader(BytesIO(pdf)).pages)
    result = {
        "what": "contact cards of one street: one PDF, one A6 page per grid",
        "backend": args.backend,
        "street": {"code": street.code, "name": street.name, "grids": len(grids)},
        "actor": "street_cadre",
        "team_rows_printed": sum(len(c.team) for c in data),
        "collect_card_data_s": round(collect_s, 2),
        "collect_card_data_cpu_s": round(collect_cpu, 2),
        "batch_pdf_cold_s": round(cold_s, 2),
        "batch_pdf_cold_cpu_s": round(cold_cpu, 2),
        "batch_pdf_cold_runqueue_wait_s": round(cold_wait, 2),
        "batch_pdf_warm_cached_s": round(warm_s, 3),
        "batch_pdf_warm_cached_cpu_s": round(warm_cpu, 3),
        "one_card_cold_s": round(one_s, 2),
        "cold_phases": phases,
        "batch_pages": pages,
        "batch_bytes": len(pdf),
        "one_card_bytes": len(one),
        "goal_s": 30,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"cards-{args.backend}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    for k, v in result.items():
        print(f"{k:28} {v}")
    print(f"-> {out.relative_to(ROOT)}")


def _runqueue_wait() -> float:
    """Seconds all threads of this process spent waiting on a run queue
    (/proc/<pid>/task/*/schedstat, 2nd field, ns); 0 where unavailable."""
    total = 0
    for task in Path("/proc/self/task").glob("*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


if __name__ == "__main__":
    main()
