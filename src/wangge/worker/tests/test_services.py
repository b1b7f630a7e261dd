"""Services and selectors of the worker app: presence minutes, the online
rate, and moves made at most once per idempotency key."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from wangge.cases.models import CaseEvent
from wangge.cases.workdays import TZ
from wangge.core.errors import DomainError
from wangge.worker.models import MoveReceipt, PresenceDay
from wangge.worker.selectors import online_rate, presence_minutes, today_counts
from wangge.worker.services import case_move_once, presence_record

from .conftest import photo

pytestmark = pytest.mark.django_db

# Monday 2026-03-02 is a working day; Sunday 2026-03-01 is not.
MONDAY = date(2026, 3, 2)


def at(d: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hh, mm, ss, tzinfo=TZ)


def test_presence_marks_local_minutes_once(make_staff, tree):
    user = make_staff("grid_worker", tree.grid_a1a_1)
    assert presence_record(user=user, at=at(MONDAY, 8, 30, 5)) is True
    assert presence_record(user=user, at=at(MONDAY, 8, 30, 55)) is False  # same minute
    assert presence_record(user=user, at=at(MONDAY, 8, 31)) is True
    # 23:59:30 local is still Monday; 00:00:10 local is Tuesday, though both
    # are the same UTC day.
    assert presence_record(user=user, at=at(MONDAY, 23, 59, 30)) is True
    assert presence_record(user=user, at=at(MONDAY + timedelta(days=1), 0, 0, 10)) is True
    assert presence_minutes(user=user, day=MONDAY) == [510, 511, 1439]
    assert presence_minutes(user=user, day=MONDAY + timedelta(days=1)) == [0]
    row = PresenceDay.objects.get(user=user, day=MONDAY)
    assert row.count == 3 and row.first_seen == at(MONDAY, 8, 30, 5)
    assert row.last_seen == at(MONDAY, 23, 59, 30)


def test_online_rate_counts_minutes_inside_working_hours(make_staff, tree):
    user = make_staff("grid_worker", tree.grid_a1a_1)
    # 08:30–12:00 and 13:30–17:30: 450 working minutes. Online 09:00–09:44
    # (45 minutes) and at lunch 12:30 (not working time).
    for m in range(45):
        presence_record(user=user, at=at(MONDAY, 9, 0) + timedelta(minutes=m))
    presence_record(user=user, at=at(MONDAY, 12, 30))
    assert online_rate(user=user, day=MONDAY) == round(45 / 450, 4)
    assert online_rate(user=user, day=MONDAY + timedelta(days=1)) == 0
    assert online_rate(user=user, day=date(2026, 3, 1)) is None  # Sunday


def test_a_move_is_made_once_per_key(wworld):
    w = wworld
    case = w.dispatched
    moved, created = case_move_once(
        actor=w.worker, key="k1", case_id=case.pk, move="handle", version=case.version
    )
    assert created and moved.status == "handling"
    # The same key again, with the page's now-stale version: the receipt
    # answers before the engine would call it stale.
    again, created = case_move_once(
        actor=w.worker, key="k1", case_id=case.pk, move="handle", version=case.version
    )
    assert not created and again.pk == case.pk and again.status == "handling"
    assert CaseEvent.objects.filter(case=case, kind="handle").count() == 1
    # Keys are per user: another worker's "k1" is their own.
    assert MoveReceipt.objects.filter(key="k1").count() == 1


def test_a_refused_move_leaves_no_receipt(wworld):
    w = wworld
    case = w.dispatched
    case_move_once(actor=w.worker, key="k1", case_id=case.pk, move="handle")
    with pytest.raises(DomainError) as exc:
        case_move_once(actor=w.worker, key="k2", case_id=case.pk, move="report_back", note="好了")
    assert exc.value.code == "photos_required"
    assert not MoveReceipt.objects.filter(key="k2").exists()
    # Corrected and sent again under the same key, it goes through once.
    moved, created = case_move_once(
        actor=w.worker,
        key="k2",
        case_id=case.pk,
        move="report_back",
        note="好了",
        photos=[photo()],
    )
    assert created and moved.status == "handled"
    assert today_counts(actor=w.worker)["verify"] == 2


def test_a_lost_race_answers_with_the_winners_receipt(wworld, monkeypatch):
    """Two copies of one request: the first made the move and wrote its
    receipt; the second, which looked for a receipt before the first
    committed, then fails in the engine (the move is no longer allowed) and
    must answer with the winner's receipt rather than an error."""
    from wangge.cases.services import case_move
    from wangge.worker import services

    w = wworld
    case = w.dispatched
    case_move(case_id=case.pk, move="handle", actor=w.worker)
    MoveReceipt.objects.create(
        user=w.worker, key="race", case_id=case.pk, move="handle", at=at(MONDAY, 9, 0)
    )
    real, calls = services._receipt, []

    def first_look_misses(actor, key):  # the look that came before the winner's commit
        calls.append(key)
        return None if len(calls) == 1 else real(actor, key)

    monkeypatch.setattr(services, "_receipt", first_look_misses)
    moved, created = case_move_once(actor=w.worker, key="race", case_id=case.pk, move="handle")
    assert not created and moved.status == "handling" and len(calls) == 2
    assert CaseEvent.objects.filter(case=case, kind="handle").count() == 1


def test_a_bad_key_is_refused(wworld):
    with pytest.raises(DomainError) as exc:
        case_move_once(actor=wworld.worker, key="", case_id=wworld.dispatched.pk, move="handle")
    assert exc.value.code == "idempotency_key_required"
    with pytest.raises(DomainError):
        case_move_once(
            actor=wworld.worker, key="x" * 81, case_id=wworld.dispatched.pk, move="handle"
        )
