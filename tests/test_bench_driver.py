"""bench/run.py (`make bench`): the declaration convention, the figures it
keeps and the regression check. (The benchmarks themselves are not tests.)"""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)


def test_every_benchmark_script_is_declared():
    found, undeclared = run.scripts()
    assert undeclared == [], f"bench scripts without a BENCH declaration: {undeclared}"
    assert {"generate", "locate", "import", "cases", "pages"} <= set(found)
    assert list(found)[0] == "generate"  # the city first
    assert "run" not in found and "cases_settings" not in found  # driver, helper module


def test_a_script_declares_itself(tmp_path):
    script = tmp_path / "widgets.py"
    script.write_text(
        '"""Widgets."""\nBENCH = {"backends": ["postgres"], "args": ["--db", "{backend}"],\n'
        '         "quick": ["--n", "10"], "result": "widgets-{backend}.json"}\n'
        'if __name__ == "__main__":\n    pass\n'
    )
    decl = run.declaration(script)
    assert decl["backends"] == ["postgres"] and decl["order"] == 100
    assert run.plan("widgets", decl, "postgres", quick=True) == ("", [["--db", "postgres", "--n", "10"]])
    assert run.plan("widgets", decl, "sqlite", quick=True)[0] == "sqlite: not supported by the script"
    helper = tmp_path / "helpers.py"
    helper.write_text("X = 1\n")
    assert run.declaration(helper) is None


def test_figures_keep_times_and_rates_not_sizes_of_the_run():
    result = {
        "db": "postgres",
        "args": {"seconds": 15, "history": 2000},
        "raw_insert_cases_per_s": 900.5,
        "http_intake": {"cases_per_s": 120.0, "p50_ms": 30.1, "p99_ms": 95.0, "errors": 0},
        "steps": [{"label": "first import", "seconds": 41.2, "rows": 100000}],
        "load_average": [3.1, 2.0, 1.5],
        "cases_total": 22000,
    }
    assert run.figures(result) == {
        "raw_insert_cases_per_s": 900.5,
        "http_intake.cases_per_s": 120.0,
        "http_intake.p50_ms": 30.1,
        "http_intake.p99_ms": 95.0,
        "steps[first import].seconds": 41.2,
    }


def test_regressions_over_30_percent_either_way_round():
    old = {"a.p50_ms": 10.0, "b.cases_per_s": 100.0, "c.seconds": 50.0, "d.p99_ms": 20.0}
    new = {"a.p50_ms": 13.5, "b.cases_per_s": 70.0, "c.seconds": 64.0, "d.p99_ms": 10.0, "e.p50_ms": 99}
    worse = {w["figure"]: w["change_pct"] for w in run.compare(old, new)}
    # 35% slower; a rate down to 70% (the same run at 1/1.43 the speed); 28% slower is noise;
    # faster is fine; a figure without a baseline is not compared.
    assert worse == {"a.p50_ms": 35.0, "b.cases_per_s": -30.0}
    assert run.compare(old, {"b.cases_per_s": 78.0}) == []


def test_table_prints_regressions_loudly(capsys):
    run.table("postgres", {
        "cases": {"status": "ok", "seconds": 12.0, "load_before": [2.0], "load_after": [3.0],
                  "figures": {"board.p95_ms": 60.0},
                  "regressions": [{"figure": "board.p95_ms", "before": 30.0, "after": 60.0, "change_pct": 100.0}]},
        "pages": {"status": "skipped", "why": "postgres: not supported by the script"},
    })
    out = capsys.readouterr().out
    assert "!!! 1 FIGURE(S) MORE THAN 30% WORSE" in out
    assert "cases: board.p95_ms: 30.00 → 60.00 (+100.0%)" in out
    assert "skipped: postgres: not supported" in out


def test_runs_of_one_day_add_up(tmp_path):
    import json

    out = tmp_path / "2026-11-26-postgres.json"
    out.write_text(json.dumps({"started": "2026-11-26T01:00:00+00:00", "scripts": {
        "generate": {"status": "ok", "seconds": 216.7},
        "locate": {"status": "ok", "seconds": 40.0},
    }}))
    later = {"started": "2026-11-26T02:00:00+00:00", "scripts": {
        "generate": {"status": "skipped", "why": "the benchmark city is there: reused"},
        "locate": {"status": "ok", "seconds": 38.0},
        "cases": {"status": "ok", "seconds": 900.0},
    }}
    run.merge_earlier(later, out)
    assert later["scripts"]["generate"] == {"status": "ok", "seconds": 216.7}  # not the skip
    assert later["scripts"]["locate"]["seconds"] == 38.0  # the newer run wins
    assert set(later["scripts"]) == {"generate", "locate", "cases"}
    assert later["started"] == "2026-11-26T01:00:00+00:00"
