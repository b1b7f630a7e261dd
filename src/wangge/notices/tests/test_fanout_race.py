"""Two runs of one fan-out at once (the queued task and the consumer's
start-up recovery) on PostgreSQL, each in its own thread and connection:
they share the household ranges through the cursor read under the notice's
row lock, so every household gets one delivery, with a plain INSERT."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from wangge.notices import services
from wangge.notices.models import Delivery, GridProgress, Notice, NoticeStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="parallel transactions need PostgreSQL"
    ),
]


def test_two_runs_at_once_write_each_household_once(
    town, make_staff, django_capture_on_commit_callbacks
):
    admin = make_staff("city_admin", town.tree.city)
    with django_capture_on_commit_callbacks(execute=False):
        notice = services.notice_send(actor=admin, area=town.tree.city, title="停水", body="停水")
    barrier = threading.Barrier(3)
    errors: list = []

    def run() -> None:
        try:
            barrier.wait()
            services.notice_fan_out(notice_id=notice.pk, chunk=1)  # one household id a chunk
        except Exception as exc:  # the assertion below shows it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    households = list(Delivery.objects.filter(notice=notice).values_list("household_id", flat=True))
    assert len(households) == len(set(households)) == 7
    notice = Notice.objects.get(pk=notice.pk)
    assert (notice.status, notice.households) == (NoticeStatus.SENT, 7)
    assert sum(GridProgress.objects.filter(notice=notice).values_list("total", flat=True)) == 7
