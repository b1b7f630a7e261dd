"""Fixtures for the case tests: the `tree` areas, departments at street and
district level, one user per role, and helpers to make photos and walk a case
through real moves."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.testing.trees import Tree

# Points inside the tree's rectangles (see wangge/testing/trees.py).
IN_MG_A1A_1_1 = (120.06, 30.25)
IN_MG_A1A_1_2 = (120.20, 30.25)
IN_GRID_A1A_2 = (120.10, 30.75)  # the dedicated school grid: no micro-grids
IN_MG_B1A_1_1 = (120.75, 30.50)
OUTSIDE_CITY = (119.50, 30.50)

_seq = itertools.count(1)


def png(width: int = 8, height: int = 6, color=(200, 30, 30), fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format=fmt)
    return buf.getvalue()


def photo(name: str = "现场.png", data: bytes | None = None, content_type="image/png"):
    return SimpleUploadedFile(name, data if data is not None else png(), content_type=content_type)


@dataclass
class World:
    tree: Tree
    dept_zf: object  # 综合行政执法局 (district A)
    dept_zfp: object  # 综合执法平台 (street A1)
    dept_ga: object  # 公安分局 (district A)
    dept_zj: object  # 住房和城乡建设局 (district A)
    dept_b: object  # 综合行政执法局 (district B)
    dispatcher: object
    district_dispatcher: object
    grid_leader: object
    grid_worker: object
    part_time: object
    micro_leader: object
    community_cadre: object
    zf_staff: object
    ga_staff: object
    zj_staff: object
    outsider: object
    outsider_dispatcher: object
    leader: object
    resident: object
    resident2: object


def make_resident_user(grid, *, phone: str | None = None):
    from wangge.accounts.models import User

    n = next(_seq)
    return User.objects.create_user(
        username=f"resident{n}",
        password="pass-Wangge-2026",
        kind="resident",
        name=f"居民{n}",
        phone=phone or f"1390000{n:04d}",
        home_grid=grid,
    )


def make_department(name: str, area, level: str = "district"):
    from wangge.teams.models import Department

    return Department.objects.create(name=name, level=level, area=area, area_path=area.path)


@pytest.fixture
def world(tree, make_staff) -> World:
    t = tree
    zf = make_department("综合行政执法局", t.district_a)
    zfp = make_department("综合执法平台", t.street_a1, "street")
    ga = make_department("公安分局", t.district_a)
    zj = make_department("住房和城乡建设局", t.district_a)
    zf_b = make_department("综合行政执法局", t.district_b)
    return World(
        tree=t,
        dept_zf=zf,
        dept_zfp=zfp,
        dept_ga=ga,
        dept_zj=zj,
        dept_b=zf_b,
        dispatcher=make_staff("dispatcher", t.street_a1),
        district_dispatcher=make_staff("dispatcher", t.district_a),
        grid_leader=make_staff("grid_leader", t.grid_a1a_1),
        grid_worker=make_staff("grid_worker", t.grid_a1a_1),
        part_time=make_staff("part_time_worker", t.grid_a1a_1),
        micro_leader=make_staff("micro_grid_leader", t.mg_a1a_1_1),
        community_cadre=make_staff("community_cadre", t.community_a1a),
        zf_staff=make_staff("department_staff", t.district_a, department=zf),
        ga_staff=make_staff("department_staff", t.district_a, department=ga),
        zj_staff=make_staff("department_staff", t.district_a, department=zj),
        outsider=make_staff("grid_worker", t.grid_b1a_1),
        outsider_dispatcher=make_staff("dispatcher", t.street_b1),
        leader=make_staff("leader", t.district_a),
        resident=make_resident_user(t.grid_a1a_1),
        resident2=make_resident_user(t.grid_a1a_1),
    )


def report(world: World, *, actor=None, category="0101", point=IN_MG_A1A_1_1, **kw):
    from wangge.cases.services import case_report

    lng, lat = point if point else (None, None)
    case, _ = case_report(
        actor=actor or world.resident,
        description=kw.pop("description", "小区门口有暴露垃圾，无人清理"),
        category=category,
        lng=lng,
        lat=lat,
        **kw,
    )
    return case


def move(case, name, actor, **kw):
    from wangge.cases.services import case_move

    return case_move(case_id=case.pk, move=name, actor=actor, **kw)


def walk_to(world: World, case, status: str, *, team: str = "department"):
    """Take a reported case to `status` through the real moves."""
    w = world
    order = ["accepted", "registered", "dispatched", "handling", "handled", "verified", "closed"]
    side = {"voided", "merged", "parked", "rated", "archived"}
    if status == "reported":
        return case
    if status == "voided":
        return move(case, "void", w.dispatcher, reason="重复上报")
    if status == "merged":
        target = report(w, actor=w.resident2, description="同一处暴露垃圾")
        return move(case, "merge", w.dispatcher, target_id=target.pk)
    steps = {
        "accepted": lambda c: move(c, "accept", w.dispatcher),
        "registered": lambda c: move(c, "register", w.dispatcher),
        "dispatched": lambda c: move(
            c,
            "dispatch",
            w.dispatcher,
            team=team,
            department_id=w.dept_zf.pk if team == "department" else None,
        ),
        "handling": lambda c: move(
            c, "handle", w.zf_staff if team == "department" else w.grid_worker
        ),
        "handled": lambda c: move(
            c,
            "report_back",
            w.zf_staff if team == "department" else w.grid_worker,
            note="已清理完毕",
            photos=[photo()],
        ),
        "verified": lambda c: move(c, "verify_pass", w.grid_worker, note="现场核查已清理"),
        "closed": lambda c: move(c, "close", w.dispatcher),
    }
    target = {"parked": "handling", "rated": "closed", "archived": "closed"}.get(status, status)
    assert target in order or status in side
    for s in order[: order.index(target) + 1]:
        case = steps[s](case)
        if s == "registered":
            case = move(case, "whistle", w.dispatcher, department_ids=[w.dept_ga.pk])
    if status == "parked":
        case = move(case, "park", w.dispatcher, reason="等待上级协调")
    if status == "rated":
        case = move(case, "rate", w.resident, rating=5, note="很满意")
    if status == "archived":
        import datetime as dt

        case = move(case, "archive", None, at=case.closed_at + dt.timedelta(days=8))
    assert case.status == status
    return case
