"""Two dispatchers move the same case at the same instant, each on their own
database connection (threads): exactly one wins, the other is told clearly
that someone else got there first (409, zh-Hans). PostgreSQL only: it is
where row locks and concurrent transactions are real (SQLite serialises
writers: the same test would measure nothing)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from wangge.core.errors import Conflict

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL only"
    ),
]


def _race(fns):
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i, fn):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - the outcome is the test
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("with_version", [True, False])
def test_two_dispatchers_accept_the_same_case(tree, make_staff, with_version):
    from wangge.cases.models import Case, CaseEvent
    from wangge.cases.services import case_move, case_report

    a = make_staff("dispatcher", tree.city, username="disp-a")
    b = make_staff("dispatcher", tree.city, username="disp-b")
    case, _ = case_report(actor=a, description="井盖缺失", area=tree.mg_a1a_1_1,
                          check_scope=False)
    version = case.version if with_version else None
    results = _race([
        lambda: case_move(case_id=case.pk, move="accept", actor=a, version=version),
        lambda: case_move(case_id=case.pk, move="accept", actor=b, version=version),
    ])
    wins = [r for r in results if r[0] == "ok"]
    losses = [r[1] for r in results if r[0] == "error"]
    assert len(wins) == 1, results
    assert len(losses) == 1 and isinstance(losses[0], Conflict), results
    assert losses[0].status == 409
    assert losses[0].code in {"stale", "invalid_transition"}
    assert "工单" in losses[0].message
    case.refresh_from_db()
    assert case.status == "accepted"
    assert CaseEvent.objects.filter(case=case, kind="accept").count() == 1
    assert Case.objects.filter(pk=case.pk).count() == 1
