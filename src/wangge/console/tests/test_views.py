"""The console's page, fragments and JSON through Django's test client:
who may open it, the dispatch queue, the filters, the side panel and its
moves, the live feed, the map, the charts and the Excel export — each
scoped, each foreign id a 404."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from wangge.audit.models import PersonalDataAccess
from wangge.cases.deadlines import sweep
from wangge.cases.models import Case, CaseEvent

from .conftest import IN_MG_B1A_1_1, move, photo, report, walk_to

pytestmark = pytest.mark.django_db


def pt(i: int) -> tuple[float, float]:
    """Points inside grid A1a-1 (120.0–120.25 × 30.0–30.5), about 1 km
    apart, so no two reports are taken for duplicates by accident."""
    return (120.005 + 0.01 * (i % 11), 30.05 + 0.04 * (i // 11))


@dataclass
class Cases:
    new: Case
    first: Case
    dup: Case
    accepted: Case
    late: Case
    dispatched: Case
    handled: Case
    other_community: Case
    foreign: Case


@pytest.fixture
def cases(world) -> Cases:
    w = world
    new = report(w, category="0602", description="3幢路灯不亮，电话13812345678", point=pt(0))
    first = report(w, category="0101", description="北门垃圾堆放", point=pt(1))
    dup = report(w, actor=w.resident2, category="0101", description="北门一堆垃圾", point=pt(1))
    accepted = walk_to(
        w, report(w, category="0602", description="路灯闪烁", point=pt(2)), "accepted"
    )
    late = walk_to(
        w, report(w, category="0101", description="绿化带垃圾", point=pt(3)), "dispatched"
    )
    dispatched = walk_to(
        w, report(w, category="0602", description="路灯杆倾斜", point=pt(4)), "dispatched"
    )
    handled = walk_to(w, report(w, category="0102", description="渣土堆积", point=pt(5)), "handled")
    other = report(w, category="0602", description="村口路灯不亮", point=(120.3, 30.3))
    foreign = report(w, category="0602", description="外区路灯不亮", point=IN_MG_B1A_1_1)
    sweep(now=late.due_at + timedelta(minutes=1))  # `late` turns red (and escalates)
    late.refresh_from_db()
    assert late.alert == "red" and dup.duplicate_of_id == first.pk
    return Cases(new, first, dup, accepted, late, dispatched, handled, other, foreign)


def ids(rows) -> set[int]:
    return {c.pk for c in rows}


# ---------------------------------------------------------------- who may open it
def test_the_console_is_for_dispatchers_cadres_departments_and_leaders(client, world):
    w = world
    r = client.get("/console/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=/console/")
    for user in (w.dispatcher, w.district_dispatcher, w.community_cadre, w.zf_staff, w.leader):
        client.force_login(user)
        assert client.get("/console/").status_code == 200, user
    for user, app in ((w.grid_worker, "/w/"), (w.resident, "/m/")):
        client.force_login(user)
        r = client.get("/console/")
        assert r.status_code == 403 and app in r.content.decode()
        assert client.get("/console/queue/").status_code == 403


def test_fragments_answer_401_with_a_redirect_for_htmx_when_logged_out(client, world):
    for url in ("/console/queue/", "/console/feed/", "/console/charts/", "/console/export/"):
        r = client.get(url, HTTP_HX_REQUEST="true")
        assert r.status_code == 401
        assert r["HX-Redirect"] == "/accounts/login/?next=/console/"


def test_the_page_opens_on_the_actors_area_with_the_queue_and_feed(client, world, cases):
    w = world
    client.force_login(w.dispatcher)
    r = client.get("/console/")
    html = r.content.decode()
    assert r.context["area"] == w.tree.street_a1
    assert cases.new.number in html and cases.foreign.number not in html
    assert "实时动态" in html and 'hx-trigger="every 5s [wgLive()]"' in html
    # A foreign area in the address is a 404, like a missing one.
    assert client.get(f"/console/?area={w.tree.district_b.pk}").status_code == 404
    assert client.get("/console/?area=999999").status_code == 404


# ---------------------------------------------------------------- the queue
def test_each_queue_tab_holds_its_cases_and_counts_them(client, world, cases):
    c = cases
    client.force_login(world.dispatcher)
    expected = {
        "new": {c.new.pk, c.first.pk, c.other_community.pk},
        "duplicates": {c.dup.pk},
        "dispatch": {c.accepted.pk},
        "handling": {c.late.pk, c.dispatched.pk},
        "overdue": {c.late.pk},
        # walk_to whistles the police in at registration; nobody answered.
        "whistles": {c.late.pk, c.dispatched.pk, c.handled.pk},
        "verify": {c.handled.pk},
    }
    for tab, want in expected.items():
        r = client.get("/console/queue/", {"tab": tab})
        assert ids(r.context["queue"]["rows"]) == want, tab
        assert r.context["queue"]["counts"][tab] == len(want), tab
    r = client.get("/console/queue/", {"tab": "all"})
    assert c.foreign.pk not in ids(r.context["queue"]["rows"])
    assert r.context["queue"]["counts"]["all"] == 9 - 1  # all but the foreign one
    # The answer also updates the filter form's tab (out of band).
    assert 'id="f-tab" value="all" hx-swap-oob="true"' in r.content.decode()


def test_quick_buttons_follow_status_and_role(client, world, cases):
    c = cases
    client.force_login(world.dispatcher)
    rows = {
        x.pk: [m for m, _, _ in x.quick]
        for tab in ("new", "duplicates", "dispatch", "handling", "verify")
        for x in client.get("/console/queue/", {"tab": tab}).context["queue"]["rows"]
    }
    assert rows[c.new.pk] == ["accept"]
    assert rows[c.dup.pk] == ["accept", "merge"]
    assert rows[c.accepted.pk] == ["dispatch", "escalate", "supervise"]
    assert rows[c.dispatched.pk] == ["dispatch", "whistle", "escalate", "supervise"]
    assert rows[c.handled.pk] == ["supervise", "verify_pass"]
    # Department staff and leaders get no quick buttons: they open the case.
    for user in (world.zf_staff, world.leader):
        client.force_login(user)
        r = client.get("/console/queue/", {"tab": "all"})
        assert all(x.quick == [] for x in r.context["queue"]["rows"])
        assert "查看" in r.content.decode()


def test_department_staff_see_only_their_departments_cases(client, world, cases):
    c = cases
    client.force_login(world.zf_staff)  # late and handled were dispatched to 执法局
    r = client.get("/console/queue/", {"tab": "all"})
    assert ids(r.context["queue"]["rows"]) == {c.late.pk, c.handled.pk, c.dispatched.pk}
    assert client.get(f"/console/cases/{c.new.pk}/").status_code == 404
    client.force_login(world.zj_staff)  # 住建局: the streetlight cases routed to it
    r = client.get("/console/queue/", {"tab": "all"})
    assert c.late.pk not in ids(r.context["queue"]["rows"])


def test_filters_narrow_the_queue(client, world, cases):
    c = cases
    w = world
    client.force_login(w.dispatcher)

    def rows(**params):
        r = client.get("/console/queue/", {"tab": "all", **params})
        assert r.status_code == 200
        return ids(r.context["queue"]["rows"])

    lamps = {c.new.pk, c.accepted.pk, c.dispatched.pk, c.other_community.pk}
    assert rows(category="0602") == lamps
    assert rows(category="01") == {c.first.pk, c.dup.pk, c.late.pk, c.handled.pk}
    assert rows(handling="immediate") == {c.first.pk, c.dup.pk, c.late.pk}
    assert rows(status="handled") == {c.handled.pk}
    assert rows(light="red") == {c.late.pk}
    assert c.late.pk not in rows(light="green") and c.new.pk in rows(light="green")
    assert rows(area=w.tree.community_a1b.pk) == {c.other_community.pk}
    # walk_to dispatched `dispatched` to 执法局; the rest still carry 住建局 from routing.
    assert rows(department=w.dept_zj.pk) == lamps - {c.dispatched.pk}
    assert rows(q="渣土") == {c.handled.pk}
    # Unknown values mean "any"; a foreign area is a 404.
    assert rows(status="nonsense", handling="x", light="blue") == rows()
    r = client.get("/console/queue/", {"area": w.tree.district_b.pk})
    assert r.status_code == 404


def test_the_queue_and_its_counts_take_a_fixed_number_of_queries(
    client, world, cases, django_assert_max_num_queries
):
    client.force_login(world.dispatcher)
    client.get("/console/queue/", {"tab": "all"})
    # session, user, grants, rows, tab counts, capped total count
    with django_assert_max_num_queries(7):
        r = client.get("/console/queue/", {"tab": "all"})
    assert len(r.context["queue"]["rows"]) == 8


# ---------------------------------------------------------------- the panel
def test_the_panel_shows_the_case_timeline_photos_and_allowed_moves(client, world, cases):
    c = cases
    client.force_login(world.dispatcher)
    r = client.get(f"/console/cases/{c.handled.pk}/")
    html = r.content.decode()
    assert r.status_code == 200 and c.handled.number in html
    moves = [m["move"] for m in r.context["moves"]]
    assert moves[:1] == ["supervise"] and {"verify_pass", "verify_fail"} <= set(moves)
    labels = [e.label for e in r.context["events"]]
    assert labels[:4] == ["上报", "受理", "立案", "吹哨"] and "处置反馈" in labels
    att = c.handled.attachments.get()
    assert f'src="/api/v1/cases/attachments/{att.pk}"' in html
    # Reporter masked.
    assert world.resident.name not in html and world.resident.name[0] + "*" in html
    # ?move= opens that move's form.
    r = client.get(f"/console/cases/{c.dispatched.pk}/", {"move": "whistle"})
    assert [m["move"] for m in r.context["moves"] if m["open"]] == ["whistle"]
    assert 'name="department_ids"' in r.content.decode()


def test_foreign_cases_are_404_in_the_panel_and_for_moves(client, world, cases):
    c = cases
    client.force_login(world.dispatcher)
    assert client.get(f"/console/cases/{c.foreign.pk}/").status_code == 404
    r = client.post(f"/console/cases/{c.foreign.pk}/moves/accept/", {})
    assert r.status_code == 404
    c.foreign.refresh_from_db()
    assert c.foreign.status == "reported"
    assert client.get("/console/cases/99999999/").status_code == 404


def test_a_leader_reads_but_has_no_moves(client, world, cases):
    client.force_login(world.leader)
    r = client.get(f"/console/cases/{cases.new.pk}/")
    assert r.status_code == 200 and r.context["moves"] == []
    r = client.post(f"/console/cases/{cases.new.pk}/moves/accept/", {})
    assert r.status_code == 403 and "无权" in r.content.decode()
    cases.new.refresh_from_db()
    assert cases.new.status == "reported"


def test_accept_then_dispatch_registers_and_dispatches_in_one_click(client, world, cases):
    c = cases
    client.force_login(world.dispatcher)
    r = client.post(f"/console/cases/{c.new.pk}/moves/accept/", {"version": c.new.version})
    assert r.status_code == 200 and r["HX-Trigger"] == "cases-changed"
    assert "已受理" in r.content.decode()
    case = Case.objects.get(pk=c.new.pk)
    r = client.post(
        f"/console/cases/{case.pk}/moves/dispatch/",
        {"version": case.version, "team": "grid", "note": "请网格先行处置"},
    )
    assert r.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.team) == ("dispatched", "grid")
    kinds = list(case.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["report", "accept", "register", "dispatch"]


def test_a_refused_dispatch_leaves_the_case_as_it_was(client, world, cases):
    c = cases
    client.force_login(world.dispatcher)
    case = c.accepted
    # 特办件 needs a deadline from the dispatcher: register must roll back too.
    r = client.post(
        f"/console/cases/{case.pk}/moves/dispatch/",
        {"version": case.version, "team": "grid", "handling": "special"},
    )
    assert r.status_code == 422 and "特办件须由调度员确定办理时限" in r.content.decode()
    case.refresh_from_db()
    assert case.status == "accepted" and case.handling != "special"
    assert not case.events.filter(kind="register").exists()


def test_a_stale_version_is_refused_with_a_message(client, world, cases):
    c = cases
    client.force_login(world.dispatcher)
    r = client.post(f"/console/cases/{c.new.pk}/moves/accept/", {"version": c.new.version + 5})
    assert r.status_code == 409 and "工单已被他人更新" in r.content.decode()
    c.new.refresh_from_db()
    assert c.new.status == "reported"


def test_whistle_supervise_and_merge_from_the_panel(client, world, cases):
    c = cases
    w = world
    client.force_login(w.dispatcher)
    r = client.post(
        f"/console/cases/{c.dispatched.pk}/moves/whistle/",
        {"department_ids": [w.dept_zf.pk, w.dept_zj.pk], "note": "联合处置"},
    )
    assert r.status_code == 200
    assert set(
        c.dispatched.departments.filter(role="whistled").values_list("department_id", flat=True)
    ) == {w.dept_ga.pk, w.dept_zf.pk, w.dept_zj.pk}
    # A department of the other district does not serve the case.
    r = client.post(
        f"/console/cases/{c.dispatched.pk}/moves/whistle/", {"department_ids": [w.dept_b.pk]}
    )
    assert r.status_code == 422
    r = client.post(f"/console/cases/{c.dispatched.pk}/moves/supervise/", {"note": "加快办理"})
    c.dispatched.refresh_from_db()
    assert r.status_code == 200 and c.dispatched.supervised
    r = client.get(f"/console/cases/{c.dup.pk}/", {"move": "merge"})
    assert r.context["duplicate_of"] == c.first and c.first.number in r.content.decode()
    assert f'name="target_id" min="1" value="{c.first.pk}"' in r.content.decode()
    r = client.post(f"/console/cases/{c.dup.pk}/moves/merge/", {"target_id": c.first.pk})
    c.dup.refresh_from_db()
    assert r.status_code == 200 and (c.dup.status, c.dup.merged_into_id) == ("merged", c.first.pk)
    assert c.first.reporters.filter(user=w.resident2).exists()


def test_a_department_reports_back_with_a_photo_from_the_panel(client, world, cases):
    c = cases
    w = world
    move(c.dispatched, "dispatch", w.dispatcher, team="department", department_id=w.dept_zj.pk)
    client.force_login(w.zj_staff)
    r = client.post(f"/console/cases/{c.dispatched.pk}/moves/handle/", {})
    assert r.status_code == 200
    r = client.post(
        f"/console/cases/{c.dispatched.pk}/moves/report_back/",
        {"note": "已扶正路灯杆", "photos": [photo()]},
    )
    assert r.status_code == 200
    c.dispatched.refresh_from_db()
    assert c.dispatched.status == "handled"
    assert c.dispatched.attachments.filter(kind="report_back").count() == 1


# ---------------------------------------------------------------- live feed
def test_the_feed_brings_only_newer_events_in_scope(client, world, cases):
    c = cases
    w = world
    client.force_login(w.dispatcher)
    r = client.get("/console/feed/")
    events = r.context["events"]
    assert len(events) == 20 and events[0].pk > events[-1].pk
    visible = set(Case.objects.exclude(pk=c.foreign.pk).values_list("pk", flat=True))
    assert all(e.case_id in visible for e in events)
    last = CaseEvent.objects.order_by("-pk").first().pk
    r = client.get("/console/feed/", {"after": last})
    assert r.context["events"] == [] and "HX-Trigger" not in r
    report(w, category="0602", description="外区新报", point=IN_MG_B1A_1_1)  # not ours
    move(c.new, "accept", w.dispatcher)
    r = client.get("/console/feed/", {"after": last})
    assert [e.kind for e in r.context["events"]] == ["accept"]
    assert r["HX-Trigger"] == "cases-changed"
    assert c.new.number in r.content.decode()


# ---------------------------------------------------------------- map
def test_map_shapes_and_counts_per_area(client, world, cases, django_assert_max_num_queries):
    w = world
    t = w.tree
    client.force_login(w.dispatcher)
    r = client.get(f"/console/map/{t.street_a1.pk}/shapes/")
    data = r.json()
    assert data["level"] == "community"
    assert [f["properties"]["name"] for f in data["features"]] == ["芦席汇社区", "新塍村"]
    assert [lv["value"] for lv in data["levels"]] == ["community", "grid", "micro_grid"]
    assert data["outline"]["properties"]["id"] == t.street_a1.pk
    # The crumbs above the dispatcher's street are names only.
    assert [(a["name"], a["visible"]) for a in data["breadcrumb"]] == [
        ("嘉兴市", False),
        ("南湖区", False),
    ]
    r = client.get(f"/console/map/{t.street_a1.pk}/shapes/", {"level": "grid"})
    assert {f["properties"]["level"] for f in r.json()["features"]} == {"grid"}

    with django_assert_max_num_queries(6):
        r = client.get(f"/console/map/{t.street_a1.pk}/counts/")
    counts = r.json()
    # [open, yellow, red] per community; `dup` and `first` are both open.
    assert counts["counts"] == {
        str(t.community_a1a.pk): [7, 0, 1],
        str(t.community_a1b.pk): [1, 0, 0],
    }
    assert counts["open"] == 8 and counts["red"] == 1 and counts["points"] == []
    r = client.get(f"/console/map/{t.grid_a1a_1.pk}/counts/", {"category": "0602"})
    data = r.json()
    assert data["level"] == "micro_grid" and data["open"] == 3 and len(data["points"]) == 3
    for url in (
        f"/console/map/{t.district_b.pk}/shapes/",
        f"/console/map/{t.street_b1.pk}/counts/",
    ):
        assert client.get(url).status_code == 404


# ---------------------------------------------------------------- charts
def test_charts_count_the_filtered_cases_of_the_area(client, world, cases):
    c = cases
    w = world
    walk_to(w, report(w, category="0602", description="路灯已修", point=pt(8)), "rated")
    client.force_login(w.dispatcher)
    r = client.get("/console/charts/", {"days": 7})
    d = r.json()
    assert d["area"]["name"] == "解放街道" and len(d["per_day"]["days"]) == 7
    assert sum(d["per_day"]["reported"]) == 9  # 8 + the rated one, not the foreign one
    assert sum(d["per_day"]["closed"]) == 1
    assert {x["name"]: x["n"] for x in d["by_category"]} == {"公用设施": 5, "市容环境": 4}
    assert {x["name"]: (x["n"], x["open"], x["closed"]) for x in d["by_area"]} == {
        "芦席汇社区": (8, 7, 1),
        "新塍村": (1, 1, 0),
    }
    assert d["ratings"] == [0, 0, 0, 0, 1]
    assert d["metrics"]["cases"] == 9 and d["metrics"]["satisfaction_rate"] == 1.0
    rates = {x["name"]: x for x in d["rates_by_area"]}
    assert rates["芦席汇社区"]["closed"] == 1 and rates["新塍村"]["on_time_rate"] is None
    # Filters apply: streetlights only.
    d = client.get("/console/charts/", {"days": 7, "category": "0602"}).json()
    assert sum(d["per_day"]["reported"]) == 5
    assert client.get("/console/charts/", {"area": w.tree.street_b1.pk}).status_code == 404
    assert c.foreign.pk  # (foreign case counted nowhere above)


# ---------------------------------------------------------------- export
def _sheet(resp):
    data = b"".join(resp.streaming_content)
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def test_a_dispatchers_export_has_no_personal_data(client, world, cases):
    client.force_login(world.dispatcher)
    r = client.get("/console/export/", {"tab": "all", "category": "0602"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r["Content-Disposition"] and ".xlsx" in r["Content-Disposition"]
    header, rows = _sheet(r)
    assert "上报人" not in header and "联系电话" not in header
    numbers = {row[0] for row in rows}
    assert numbers == {
        c.number for c in (cases.new, cases.accepted, cases.dispatched, cases.other_community)
    }
    desc = {row[0]: row[header.index("问题描述")] for row in rows}
    assert desc[cases.new.number] == "3幢路灯不亮，电话138****5678"
    assert PersonalDataAccess.objects.count() == 0
    # Clear export is not for dispatchers.
    r = client.post("/console/export/", {"clear": "1", "reason": "核实"})
    assert r.status_code == 403


def test_a_community_cadre_exports_masked_or_in_clear_with_a_reason(client, world, cases):
    w = world
    client.force_login(w.community_cadre)
    header, rows = _sheet(client.get("/console/export/", {"tab": "new"}))
    assert header[-3:] == ["上报人", "联系电话", "详细地址"]
    by_number = {row[0]: row for row in rows}
    assert set(by_number) == {cases.new.number, cases.first.number}  # A1a only
    assert by_number[cases.new.number][-3] == w.resident.name[0] + "*" * (len(w.resident.name) - 1)
    assert by_number[cases.new.number][-2] == w.resident.phone[:3] + "****" + w.resident.phone[-4:]

    r = client.post("/console/export/", {"clear": "1", "tab": "new"})
    assert r.status_code == 422  # a reason is required
    r = client.post("/console/export/", {"clear": "1", "tab": "new", "reason": "回访核实"})
    header, rows = _sheet(r)
    by_number = {row[0]: row for row in rows}
    assert by_number[cases.new.number][-3:-1] == [w.resident.name, w.resident.phone]
    assert "13812345678" in by_number[cases.new.number][header.index("问题描述")]
    log = PersonalDataAccess.objects.get()
    assert (log.actor, log.action, log.subject_type, log.row_count, log.reason) == (
        w.community_cadre,
        "export",
        "case",
        2,
        "回访核实",
    )
