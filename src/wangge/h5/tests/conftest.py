"""Fixtures for the resident H5: a grid with its team, a registered resident
(verified or pending), and a helper that takes a case to closed through the
real moves."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image

PASSWORD = "Jumin-Mima-2026"
PHONE = "13912345678"


def png_bytes(width: int = 40, height: int = 30, color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Place:
    tree: object
    leader: object
    worker: object
    dispatcher: object
    resident: object


@pytest.fixture
def place(tree, make_staff) -> Place:
    from wangge.accounts.services import resident_register

    grid = tree.grid_a1a_1
    leader = make_staff("grid_leader", grid, name="张网格长", phone="13700000001")
    worker = make_staff("grid_worker", grid, name="李专职", phone="13700000002")
    dispatcher = make_staff("dispatcher", tree.street_a1, name="王调度")
    resident = resident_register(phone=PHONE, password=PASSWORD, name="赵阿姨", grid=grid)
    return Place(tree, leader, worker, dispatcher, resident)


def close_case(place: Place, case_id: int, *, with_photo: bool = True):
    """reported → … → closed, each step by the person who does it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wangge.cases.services import case_move

    def mv(name, actor, **kw):
        return case_move(case_id=case_id, move=name, actor=actor, **kw)

    mv("accept", place.dispatcher)
    mv("register", place.dispatcher)
    mv("dispatch", place.dispatcher, team="grid")
    mv("handle", place.worker)
    photos = [SimpleUploadedFile("处置后.png", png_bytes(color=(30, 160, 60)), "image/png")]
    mv("report_back", place.worker, note="已修好路灯", photos=photos if with_photo else [])
    mv("verify_pass", place.worker, note="现场核查已修复")
    return mv("close", place.dispatcher)
