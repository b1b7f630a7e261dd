"""Notices: sending, the background fan-out, read receipts, the grid
worker's list of households not reached, and every refusal writing nothing.
Tasks run at once under the test settings (in-memory Huey, immediate)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wangge.core.errors import DomainError
from wangge.notices import selectors, services
from wangge.notices.models import Delivery, GridProgress, Notice, NoticeStatus, StaffDelivery

pytestmark = pytest.mark.django_db(transaction=False)


def send(actor, area, **kw):
    kw.setdefault("title", "停水通知")
    kw.setdefault("body", "明天 9:00–17:00 停水，请提前储水。")
    return services.notice_send(actor=actor, area=area, **kw)


def test_street_notice_reaches_every_household_of_the_street(
    town, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(town.street_cadre, town.tree.street_a1, urgency="urgent")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT
    expected = {h.pk for h in town.households_a1a_1 + town.households_a1b_1}
    got = set(Delivery.objects.filter(notice=notice).values_list("household_id", flat=True))
    assert got == expected  # district B's household is not in it
    assert notice.households == 6
    progress = {p.grid_id: p.total for p in GridProgress.objects.filter(notice=notice)}
    assert progress == {town.tree.grid_a1a_1.pk: 4, town.tree.grid_a1b_1.pk: 2}
    # Staff whose areas lie in the street get it too (not district B's dispatcher).
    staff = set(StaffDelivery.objects.filter(notice=notice).values_list("user_id", flat=True))
    assert {town.street_cadre.pk, town.grid_worker.pk, town.other_worker.pk} <= staff
    assert town.foreign_dispatcher.pk not in staff
    assert notice.reach_by == notice.created_at + timedelta(minutes=60)


def test_city_notice_is_fanned_out_in_chunks_and_resumes_after_a_crash(
    town, make_staff, django_capture_on_commit_callbacks
):
    from wangge.people.models import Household

    admin = make_staff("city_admin", town.tree.city)
    with django_capture_on_commit_callbacks(execute=False):
        notice = send(admin, town.tree.city)
    assert Delivery.objects.filter(notice=notice).count() == 0  # nothing before the task
    ids = sorted(Household.objects.values_list("id", flat=True))
    # Two households per transaction; stop after the first chunk, as a crash would.
    out = services.notice_fan_out(notice_id=notice.pk, chunk=ids[1] - ids[0] + 1, max_chunks=1)
    notice.refresh_from_db()
    assert (notice.status, notice.fanout_cursor) == (NoticeStatus.SENDING, out["interrupted_at"])
    assert Delivery.objects.filter(notice=notice).count() == 2
    services.notice_fan_out(notice_id=notice.pk, chunk=2)
    assert Delivery.objects.filter(notice=notice).count() == 7  # each household once
    notice.refresh_from_db()
    assert (notice.status, notice.households) == (NoticeStatus.SENT, 7)
    totals = dict(GridProgress.objects.filter(notice=notice).values_list("grid_id", "total"))
    assert totals == {
        town.tree.grid_a1a_1.pk: 4,
        town.tree.grid_a1b_1.pk: 2,
        town.tree.grid_b1a_1.pk: 1,
    }
    # Run once more (a retried task): nothing changes.
    services.notice_fan_out(notice_id=notice.pk)
    assert Delivery.objects.filter(notice=notice).count() == 7


def test_care_group_notice_goes_only_to_households_with_someone_in_the_group(
    town, django_capture_on_commit_callbacks
):
    from wangge.people.models import CareGroup

    group = CareGroup.objects.filter(builtin=True).order_by("sort", "id").first()
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(
            town.street_cadre, town.tree.street_a1, audience="care", care_groups=[group.code]
        )
    assert list(Delivery.objects.filter(notice=notice).values_list("household_id", flat=True)) == [
        town.care_household.pk
    ]


def test_staff_only_notice_has_no_household_deliveries(town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(town.street_cadre, town.tree.street_a1, audience="staff", include_staff=False)
    assert not Delivery.objects.filter(notice=notice).exists()
    assert StaffDelivery.objects.filter(notice=notice, user=town.grid_worker).exists()


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"title": " "}, "title_required"),
        ({"title": "长" * 101}, "title_too_long"),
        ({"body": ""}, "body_required"),
        ({"urgency": "panic"}, "bad_urgency"),
        ({"audience": "everyone"}, "bad_audience"),
        ({"audience": "care", "care_groups": []}, "care_groups_required"),
        ({"audience": "care", "care_groups": ["no_such"]}, "bad_care_groups"),
        ({"reach_minutes": 5}, "bad_reach_minutes"),
        ({"reach_minutes": "abc"}, "bad_reach_minutes"),
        ({"attachments": [SimpleUploadedFile("a.exe", b"MZ")]}, "bad_attachment_type"),
        ({"attachments": [SimpleUploadedFile("a.pdf", b"")]}, "attachment_empty"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(town, kw, code):
    with pytest.raises(DomainError) as exc:
        send(town.street_cadre, town.tree.street_a1, **kw)
    assert exc.value.code == code
    assert exc.value.status == 422
    assert Notice.objects.count() == 0


def test_area_outside_scope_is_refused_and_writes_nothing(town):
    with pytest.raises(DomainError) as exc:
        send(town.street_cadre, town.tree.district_b)
    assert (exc.value.code, exc.value.status) == ("outside_scope", 404)
    assert "不在您的管辖范围内" in exc.value.message
    with pytest.raises(DomainError) as exc:
        send(town.grid_worker, town.tree.street_a1)  # above the worker's grid
    assert exc.value.code == "outside_scope"
    with pytest.raises(DomainError) as exc:
        send(town.leader, town.tree.street_a1)  # read-only role
    assert exc.value.code == "not_allowed"
    with pytest.raises(DomainError) as exc:
        send(town.resident_user, town.tree.grid_a1a_1)
    assert exc.value.code == "not_allowed"
    assert Notice.objects.count() == 0


def test_attachment_is_stored(town):
    f = SimpleUploadedFile("停水范围.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    notice = send(town.grid_worker, town.tree.grid_a1a_1, attachments=[f])
    att = notice.attachments.get()
    assert (att.name, att.content_type, att.size) == ("停水范围.pdf", "application/pdf", 13)


def test_resident_reads_notice_once_and_progress_counts_it(
    town, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(town.street_cadre, town.tree.street_a1)
    listed = selectors.resident_notices(actor=town.resident_user)
    assert [(n.pk, n.read_at) for n in listed] == [(notice.pk, None)]
    seen = selectors.access_notice(actor=town.resident_user, notice_id=notice.pk)
    assert services.notice_read(actor=town.resident_user, notice=seen) is True
    assert services.notice_read(actor=town.resident_user, notice=seen) is False
    assert selectors.resident_notices(actor=town.resident_user)[0].read_at is not None
    p = selectors.notice_progress(notice=notice)
    assert (p["totals"]["total"], p["totals"]["read"], p["totals"]["reached"]) == (6, 1, 1)
    grid_row = next(r for r in p["children"] if r["id"] == town.tree.community_a1a.pk)
    assert (grid_row["total"], grid_row["reached"], grid_row["reached_pct"]) == (4, 1, 25.0)
    # Drill down to the grid: its households behind.
    p = selectors.notice_progress(notice=notice, area=town.tree.community_a1b)
    assert [r["id"] for r in p["behind"]] == [town.tree.grid_a1b_1.pk]


def test_resident_cannot_open_a_notice_of_another_area(
    town, make_staff, django_capture_on_commit_callbacks
):
    dispatcher_b = town.foreign_dispatcher
    with django_capture_on_commit_callbacks(execute=True):
        foreign = send(dispatcher_b, town.tree.district_b)
    with pytest.raises(DomainError) as exc:
        selectors.access_notice(actor=town.resident_user, notice_id=foreign.pk)
    assert exc.value.status == 404
    with pytest.raises(DomainError):
        selectors.access_notice(actor=town.street_cadre, notice_id=foreign.pk)
    assert selectors.resident_notices(actor=town.resident_user) == []


def test_unreached_households_show_on_the_workers_list_after_the_reach_time(
    town, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(town.street_cadre, town.tree.street_a1, reach_minutes=30)
    assert selectors.unreached(actor=town.grid_worker)["total"] == 0  # not yet due
    Notice.objects.filter(pk=notice.pk).update(reach_by=timezone.now() - timedelta(minutes=1))
    services.notice_read(actor=town.resident_user, notice=notice)
    mine = selectors.unreached(actor=town.grid_worker)
    assert mine["total"] == 3  # four households in the grid, one read
    assert {r.household_id for r in mine["rows"]} == {h.pk for h in town.households_a1a_1[1:]}
    assert selectors.unreached(actor=town.other_worker)["total"] == 2
    assert selectors.unreached(actor=town.foreign_dispatcher)["total"] == 0

    h = town.households_a1a_1[1]
    assert services.delivery_reach(actor=town.grid_worker, notice=notice, household=h, via="phone")
    # A repeat (the outbox resending) changes nothing.
    assert not services.delivery_reach(
        actor=town.grid_worker, notice=notice, household=h, via="in_person"
    )
    d = Delivery.objects.get(notice=notice, household=h)
    assert (d.reached_via, d.reached_by_id, d.read_at) == ("phone", town.grid_worker.pk, None)
    assert selectors.unreached(actor=town.grid_worker)["total"] == 2
    p = selectors.notice_progress(notice=notice)
    assert (p["totals"]["read"], p["totals"]["reached"]) == (1, 2)


def test_reach_refusals(town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(town.grid_worker, town.tree.grid_a1a_1)
    h = town.households_a1a_1[0]
    with pytest.raises(DomainError) as exc:
        services.delivery_reach(actor=town.grid_worker, notice=notice, household=h, via="pigeon")
    assert exc.value.code == "bad_via"
    with pytest.raises(DomainError) as exc:
        services.delivery_reach(actor=town.leader, notice=notice, household=h, via="phone")
    assert exc.value.code == "not_allowed"
    outside = town.households_a1b_1[0]  # not in this grid notice
    with pytest.raises(DomainError) as exc:
        services.delivery_reach(
            actor=town.street_cadre, notice=notice, household=outside, via="phone"
        )
    assert exc.value.code == "not_delivered"
    assert not Delivery.objects.filter(reached_at__isnull=False).exists()


def test_staff_read_receipt(town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(town.street_cadre, town.tree.street_a1)
    assert [n.pk for n in selectors.staff_notices(actor=town.grid_worker)] == [notice.pk]
    seen = selectors.access_notice(actor=town.grid_worker, notice_id=notice.pk)
    assert services.notice_read(actor=town.grid_worker, notice=seen)
    assert StaffDelivery.objects.get(notice=notice, user=town.grid_worker).read_at is not None
    p = selectors.notice_progress(notice=notice)
    assert p["staff_read"] == 1
