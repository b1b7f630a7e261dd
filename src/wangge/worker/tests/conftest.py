"""A small world for the worker app's tests: the shared `tree`, a grid team
in grid A1a-1, a worker in district B (the foreign side), households and
residents on both sides, and cases walked to each status through the real
case moves."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.cases.services import case_move, case_report
from wangge.people.models import CareGroup
from wangge.people.tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from wangge.testing.trees import Tree


def png(width: int = 8, height: int = 6, color=(30, 120, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


def photo(name: str = "现场.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png(), content_type="image/png")


@dataclass
class World:
    tree: Tree
    worker: object  # 专职网格员, grid A1a-1
    part_time: object  # 兼职网格员, grid A1a-1 (may not unmask, may not verify)
    leader: object  # 网格长, grid A1a-1
    dispatcher: object  # street A1
    outsider: object  # 专职网格员, grid B1a-1 (district B)
    household: object
    household_x: object
    resident: object  # in grid A1a-1, elderly living alone
    resident_x: object  # district B
    reported: object
    dispatched: object
    handled: object
    foreign: object


def walk(case, dispatcher, worker, to: str):
    steps = [
        ("accept", dispatcher, {}),
        ("register", dispatcher, {}),
        ("dispatch", dispatcher, {"team": "grid"}),
        ("handle", worker, {}),
        ("report_back", worker, {"note": "已清理", "photos": [photo()]}),
    ]
    order = ["accepted", "registered", "dispatched", "handling", "handled"]
    for (name, actor, kw), status in zip(steps, order, strict=True):
        case = case_move(case_id=case.pk, move=name, actor=actor, **kw)
        if status == to:
            break
    assert case.status == to
    return case


@pytest.fixture
def wworld(tree, make_staff) -> World:
    t = tree
    worker = make_staff("grid_worker", t.grid_a1a_1, username="wang", name="王网格")
    part_time = make_staff("part_time_worker", t.grid_a1a_1, name="兼职李")
    leader = make_staff("grid_leader", t.grid_a1a_1, name="网格长赵")
    dispatcher = make_staff("dispatcher", t.street_a1, name="调度员")
    outsider = make_staff("grid_worker", t.grid_b1a_1, username="outsider", name="外区网格员")
    dispatcher_b = make_staff("dispatcher", t.street_b1)
    b = BuildingFactory(grid=t.grid_a1a_1, micro_grid=t.mg_a1a_1_1, code="00001", name="1幢")
    bx = BuildingFactory(grid=t.grid_b1a_1, micro_grid=t.mg_b1a_1_1, code="00001", name="9幢")
    h, hx = HouseholdFactory(building=b), HouseholdFactory(building=bx)
    resident = ResidentFactory(household=h, name="张秀英", phone="13812345678")
    resident.care_links.create(group=CareGroup.objects.get(code="elderly_alone"))
    resident_x = ResidentFactory(household=hx, name="陈外区", phone="13987654321")

    def new(desc, area, actor):
        return case_report(actor=actor, description=desc, category="0101", area=area)[0]

    reported = new("3幢门口堆放垃圾", t.mg_a1a_1_1, worker)
    dispatched = walk(new("路边暴露垃圾", t.mg_a1a_1_2, worker), dispatcher, worker, "dispatched")
    handled = walk(new("绿化带垃圾", t.mg_a1a_1_1, leader), dispatcher, leader, "handled")
    foreign = walk(new("外区垃圾", t.mg_b1a_1_1, outsider), dispatcher_b, outsider, "dispatched")
    return World(t, worker, part_time, leader, dispatcher, outsider, h, hx, resident,
                 resident_x, reported, dispatched, handled, foreign)  # fmt: skip
