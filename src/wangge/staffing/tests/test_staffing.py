"""Grid workers as staff: recruitment, training and certificate records,
scoped to the worker's team areas; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError
from wangge.staffing import selectors, services
from wangge.staffing.models import Certificate, Recruitment, Training


@pytest.fixture
def sw(tree, make_staff):
    class W:
        worker = make_staff("grid_worker", tree.grid_a1a_1, name="王网格", phone="13900000001")
        part_time = make_staff("part_time_worker", tree.grid_a1b_1, name="兼职李")
        other = make_staff("grid_worker", tree.grid_b1a_1, name="外区网格员")
        street = make_staff("street_cadre", tree.street_a1, name="街道干部")
        street_b = make_staff("street_cadre", tree.street_b1, name="外区街道干部")
        community = make_staff("community_cadre", tree.community_a1a, name="社区干部")
        leader = make_staff("grid_leader", tree.grid_a1a_1, name="网格长")

    return W


def _w(actor, user):
    return selectors.access_worker(actor=actor, worker_id=user.pk)


def test_street_cadre_sees_its_streets_workers_only(sw):
    names = {r.worker.name for r in selectors.worker_list(actor=sw.street)}
    assert names == {"王网格", "兼职李", "网格长"}
    assert {r.worker.name for r in selectors.worker_list(actor=sw.street_b)} == {"外区网格员"}
    with pytest.raises(DomainError) as e:
        _w(sw.street, sw.other)
    assert e.value.status == 404
    # a community cadre: the community's grid only
    assert {r.worker.name for r in selectors.worker_list(actor=sw.community)} == {
        "王网格",
        "网格长",
    }
    # the worker sees their own record
    assert _w(sw.worker, sw.worker).name == "王网格"


def test_records_and_expiring_list(sw):
    today = timezone.localdate()
    w = _w(sw.street, sw.worker)
    services.recruitment_set(
        actor=sw.street,
        worker=w,
        recruited_on=dt.date(2024, 3, 1),
        channel="public",
        exam_score="86.5",
        interview_result="passed",
        contract_start="2024-04-01",
        contract_end="2027-03-31",
    )
    services.training_add(
        actor=sw.community, worker=w, course="矛盾纠纷调解", held_on=today, hours="6"
    )
    services.training_add(
        actor=sw.community, worker=w, course="消防安全", held_on=today, hours=Decimal("2.5")
    )
    soon = services.certificate_add(
        actor=sw.street,
        worker=w,
        name="消防设施操作员",
        number="XF-001",
        issuer="应急管理局",
        issued_on=dt.date(2023, 1, 1),
        expires_on=today + dt.timedelta(days=30),
    )
    services.certificate_add(
        actor=sw.street,
        worker=w,
        name="社会工作者",
        number="SG-1",
        issuer="人社局",
        issued_on=dt.date(2023, 1, 1),
        expires_on=today + dt.timedelta(days=61),
    )
    rec = selectors.worker_record(worker=w)
    assert rec.hours_year == Decimal("8.5")
    assert rec.recruitment.exam_score == Decimal("86.5")
    assert rec.expiring_ids == {soon.pk}
    row = next(r for r in selectors.worker_list(actor=sw.street) if r.worker.id == sw.worker.pk)
    assert (row.training_hours, row.certificates, row.expiring) == (Decimal("8.5"), 2, 1)
    assert [r.worker.id for r in selectors.worker_list(actor=sw.street, expiring=True)] == [
        sw.worker.pk
    ]
    assert [c.pk for c, _ in selectors.expiring_certificates(actor=sw.street)] == [soon.pk]
    assert selectors.expiring_certificates(actor=sw.street_b) == []
    # correcting the recruitment keeps one record
    services.recruitment_set(
        actor=sw.street, worker=w, recruited_on="2024-03-02", channel="community"
    )
    assert Recruitment.objects.get(worker=sw.worker).channel == "community"


@pytest.mark.parametrize(
    ("kind", "data", "code", "field"),
    [
        ("recruitment", {"recruited_on": "", "channel": "public"}, "required", "recruited_on"),
        ("recruitment", {"recruited_on": "2024-13-01", "channel": "public"}, "invalid_date", None),
        ("recruitment", {"recruited_on": "2024-01-01", "channel": "x"}, "invalid_choice", None),
        (
            "recruitment",
            {"recruited_on": "2024-01-01", "channel": "public", "exam_score": "101"},
            "out_of_range",
            None,
        ),
        (
            "recruitment",
            {
                "recruited_on": "2024-01-01",
                "channel": "public",
                "contract_start": "2024-02-01",
                "contract_end": "2024-01-15",
            },
            "contract_dates",
            "contract_end",
        ),
        ("training", {"course": "", "held_on": "2026-01-01", "hours": "2"}, "required", "course"),
        (
            "training",
            {"course": "调解", "held_on": "2026-01-01", "hours": "0"},
            "out_of_range",
            None,
        ),
        (
            "training",
            {"course": "调解", "held_on": "2099-01-01", "hours": "2"},
            "future_date",
            None,
        ),
        (
            "training",
            {"course": "调解", "held_on": "2026-01-01", "hours": "abc"},
            "invalid_number",
            None,
        ),
        (
            "certificate",
            {
                "name": "证",
                "number": "1",
                "issuer": "局",
                "issued_on": "2025-01-01",
                "expires_on": "2024-01-01",
            },
            "expiry_before_issue",
            "expires_on",
        ),
    ],
)
def test_bad_input_changes_nothing(sw, kind, data, code, field):
    fn = {
        "recruitment": services.recruitment_set,
        "training": services.training_add,
        "certificate": services.certificate_add,
    }[kind]
    with pytest.raises(DomainError) as e:
        fn(actor=sw.street, worker=_w(sw.street, sw.worker), **data)
    assert e.value.code == code and e.value.status == 422
    assert any("\u4e00" <= ch <= "\u9fff" for ch in e.value.message)
    if field:
        assert field in e.value.details
    assert not Recruitment.objects.exists()
    assert not Training.objects.exists()
    assert not Certificate.objects.exists()


def test_who_may_write(sw):
    w = _w(sw.leader, sw.worker)
    with pytest.raises(DomainError) as e:
        services.training_add(actor=sw.leader, worker=w, course="x", held_on="2026-01-01", hours=1)
    assert e.value.status == 403
    args = {"name": "证", "number": "N1", "issuer": "局", "issued_on": "2025-01-01"}
    services.certificate_add(actor=sw.community, worker=w, **args)
    with pytest.raises(DomainError) as e:
        services.certificate_add(actor=sw.street, worker=w, **args)
    assert e.value.status == 409 and Certificate.objects.count() == 1


def test_api(sw, client):
    client.force_login(sw.street)
    url = f"/api/v1/staffing/workers/{sw.worker.pk}"
    r = client.post(
        f"{url}/trainings",
        {"course": "网格化管理实务", "held_on": "2026-01-05", "hours": 3},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r = client.post(
        f"{url}/trainings",
        {"course": "网格化管理实务", "held_on": "2026-01-05", "hours": -1},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["code"] == "out_of_range"
    body = client.get(url).json()
    assert body["name"] == "王网格" and body["trainings"][0]["hours"] == "3.0"
    assert client.get(f"/api/v1/staffing/workers/{sw.other.pk}").status_code == 404
    listed = client.get("/api/v1/staffing/workers", {"q": "兼职"}).json()
    assert [w["name"] for w in listed] == ["兼职李"]


def test_console_pages(sw, client):
    client.force_login(sw.street)
    html = client.get("/console/staffing/").content.decode()
    assert "王网格" in html and "兼职李" in html and "外区网格员" not in html
    url = f"/console/staffing/workers/{sw.worker.pk}/"
    r = client.post(
        url, {"form": "training", "course": "调解", "held_on": "2026-01-01", "hours": ""}
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "请填写学时" in html and 'value="调解"' in html
    assert not Training.objects.exists()
    r = client.post(
        url, {"form": "training", "course": "调解", "held_on": "2026-01-01", "hours": "4"}
    )
    assert r.status_code == 302
    html = client.get(url).content.decode()
    assert "已登记培训" in html and "调解" in html
    today = timezone.localdate()
    r = client.post(
        url,
        {
            "form": "certificate",
            "name": "网格员上岗证",
            "number": "WG-9",
            "issuer": "政法委",
            "issued_on": "2025-01-01",
            "expires_on": (today + dt.timedelta(days=10)).isoformat(),
        },
    )
    assert r.status_code == 302
    html = client.get("/console/staffing/?expiring=1").content.decode()
    assert "网格员上岗证" in html and "兼职李" not in html
    assert client.get(f"/console/staffing/workers/{sw.other.pk}/").status_code == 404
    # the worker's own page in the worker app
    client.force_login(sw.worker)
    html = client.get("/w/staffing/").content.decode()
    assert "4.0" in html and "网格员上岗证" in html and "即将到期" in html
    assert "登记培训" not in client.get(url).content.decode()  # no forms for the worker
