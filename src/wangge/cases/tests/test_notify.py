"""Case notifications are not lost and not doubled (issue 9): `notify` writes
an outbox row in the move's transaction; the delivery task, the resume at
consumer start and the periodic resume may all run for the same row, and
each recipient still gets one in-app notification (and one SMS)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from wangge.cases.models import Notification, NotificationOutbox, SmsLog
from wangge.cases.notify import (
    CLAIM_STALE,
    deliver,
    encrypt_phone,
    notifications_resume,
    notify,
)
from wangge.cases.tasks import deliver_notifications

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    return [
        django_user_model.objects.create_user(username=f"n{i}", password="pass-Wangge-2026").pk
        for i in range(3)
    ]


def _counts():
    return (
        sorted(Notification.objects.values_list("user_id", "case_id", "kind")),
        SmsLog.objects.count(),
        NotificationOutbox.objects.count(),
    )


def test_a_rolled_back_move_leaves_nothing_to_deliver(people, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(case_id=7, kind="accept", text="已受理", user_ids=people)
        raise RuntimeError("the move failed")
    assert callbacks == []
    assert _counts() == ([], 0, 0)


def test_the_task_delivers_once_and_empties_the_outbox(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(
            case_id=7,
            kind="accept",
            text="您反映的问题已受理",
            user_ids=[*people, people[0], None],
            phones_enc=[encrypt_phone("13900000001")],
        )
        # Written with the move, delivered only after its commit.
        assert NotificationOutbox.objects.count() == 1
        assert not Notification.objects.exists()
    assert _counts() == ([(u, 7, "accept") for u in people], 1, 0)
    assert SmsLog.objects.get().phone_masked == "139****0001"


def test_a_lost_task_is_delivered_by_the_resume_exactly_once(
    people, django_capture_on_commit_callbacks
):
    # The web process dies after the commit: the enqueue never runs.
    with django_capture_on_commit_callbacks(execute=False) as lost, transaction.atomic():
        notify(
            case_id=8,
            kind="dispatch",
            text="工单已派遣",
            user_ids=people,
            phones_enc=[encrypt_phone("13900000002")],
        )
    assert len(lost) == 1
    assert _counts() == ([], 0, 1)
    # The periodic resume leaves a row younger than five minutes to its task.
    assert notifications_resume(older_than=timedelta(minutes=5)) == []
    # The consumer's start-up resume delivers it (tasks run at once in tests).
    (row_id,) = notifications_resume()
    delivered = _counts()
    assert delivered == ([(u, 8, "dispatch") for u in people], 1, 0)
    # Run again — by the resume, by the lost task turning up, by hand: nothing more.
    assert notifications_resume() == []
    lost[0]()
    assert deliver(outbox_id=row_id) == 0
    assert _counts() == delivered


def test_a_claimed_row_waits_until_its_claim_is_stale(people):
    row = NotificationOutbox.objects.create(
        case_id=9,
        kind="close",
        text="已办结",
        phones_enc=[encrypt_phone("13900000003")],
        claimed_at=timezone.now(),
    )
    # Another delivery is sending its SMS: neither a run nor the resume sends them again.
    assert deliver(outbox_id=row.pk) == 0
    assert notifications_resume() == []
    # That delivery was killed: after CLAIM_STALE the resume sends them.
    NotificationOutbox.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - CLAIM_STALE - timedelta(seconds=1)
    )
    assert notifications_resume() == [row.pk]
    assert _counts() == ([], 1, 0)


def test_a_task_queued_before_the_outbox_still_delivers(people):
    deliver_notifications.enqueue(
        case_id=10, kind="red", text="红灯", user_ids=people[:2], phones_enc=[]
    )
    assert _counts() == ([(u, 10, "red") for u in people[:2]], 0, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel transactions: PostgreSQL")
def test_two_deliveries_at_once_write_each_notification_once(people):
    rows = [
        NotificationOutbox.objects.create(
            case_id=100 + i,
            kind="dispatch",
            text=f"工单{i}已派遣",
            user_ids=people,
            phones_enc=[encrypt_phone(f"1390000{i:04d}")] if i % 2 else [],
        ).pk
        for i in range(12)
    ]
    barrier = threading.Barrier(2)
    sent: list[list[int]] = [[], []]

    def run(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            # One run forwards, the other backwards: they meet on every row.
            for pk in rows if k == 0 else reversed(rows):
                sent[k].append(deliver(outbox_id=pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(len(s) == len(rows) for s in sent), sent
    notes, sms, left = _counts()
    assert notes == sorted((u, 100 + i, "dispatch") for i in range(12) for u in people)
    assert (sms, left) == (6, 0)
    # Each row was delivered by exactly one of the two runs.
    assert sum(sent[0]) + sum(sent[1]) == 12 * len(people) + 6
    assert all(sorted([a, b])[0] == 0 for a, b in zip(sent[0], reversed(sent[1]), strict=True))


def test_intake_writes_no_outbox_row_and_a_public_move_one(world):
    from .conftest import move, report

    case = report(world)
    assert not NotificationOutbox.objects.exists()  # intake's cost is unchanged
    move(case, "accept", world.dispatcher)
    row = NotificationOutbox.objects.get()
    assert (row.case_id, row.kind, row.user_ids) == (case.pk, "accept", [world.resident.pk])
