"""A generator run writes millions of rows in bulk, with no row-by-row audit:
one `batch` audit event per run says that it happened, who ran it, with
which parameters and how many rows went into each table."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.audit.models import AuditEvent
from wangge.generator.run import SYSTEM_ACTOR, generate
from wangge.people.models import Household, Resident

from .conftest import small_community

pytestmark = pytest.mark.django_db


def test_one_batch_event_per_run_with_counts_per_table_and_parameters(jiaxing, jiaxing_plan):
    plan = small_community(jiaxing_plan)
    area = Area.objects.get(code=plan.code)
    before = AuditEvent.objects.count()
    call_command("generate", "--scale", "community", "--community", area.code, "--seed", "3",
                 "--no-progress", stdout=open("/dev/null", "w"))  # noqa: SIM115
    events = list(AuditEvent.objects.order_by("pk")[before:])
    # the users the run creates through the services are not audited one by one
    assert [e.kind for e in events] == ["batch"]
    event = events[0]
    assert (event.actor_id, event.actor_label) == (None, SYSTEM_ACTOR)
    assert event.model == "generator.run" and event.area_path == area.path
    what, counts = event.changes["what"], event.changes["counts"]
    assert area.name in what
    assert counts["params"] == {"scale": "community", "seed": 3, "city": area.code[:4] + "00000000",
                                "scope": area.code, "replace": False}
    tables = counts["tables"]
    assert tables["people.resident"] == Resident.objects.filter(
        area_path__startswith=area.path).count() > 1000
    assert tables["people.household"] == Household.objects.filter(
        area_path__startswith=area.path).count()
    assert tables["accounts.user"] > 0 and counts["replaced"] == {}

    # A replace run by a user: that user is named, and what was wiped is counted.
    admin = User.objects.create_user(username="city_admin", password="!", kind="staff")
    generate(scale="community", code=area.code, seed=3, replace=True, actor=admin)
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.kind, event.actor_id, event.actor_label) == ("batch", admin.pk, "city_admin")
    assert event.changes["counts"]["replaced"]["residents"] == tables["people.resident"]
    assert event.changes["counts"]["params"]["replace"] is True


def test_a_failed_run_leaves_no_batch_event(jiaxing, jiaxing_plan):
    from wangge.core.errors import DomainError

    plan = small_community(jiaxing_plan)
    area = Area.objects.get(code=plan.code)
    generate(scale="community", code=area.code, seed=1)
    n = AuditEvent.objects.filter(kind="batch").count()
    with pytest.raises(DomainError):
        generate(scale="community", code=area.code, seed=1)  # not empty, no --replace
    assert AuditEvent.objects.filter(kind="batch").count() == n


def test_party_generation_is_one_batch_event(jiaxing, jiaxing_plan):
    from wangge.party.generate import generate_party
    from wangge.party.models import PartyMember

    plan = small_community(jiaxing_plan)
    area = Area.objects.get(code=plan.code)
    generate(scale="community", code=area.code, seed=1)
    before = AuditEvent.objects.count()
    counts = generate_party(area=area, links=2)
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.kind for e in events] == ["batch"]
    assert events[0].actor_label == "系统（wangge party_generate）"
    assert events[0].changes["counts"]["tables"] == counts
    assert counts["members"] == PartyMember.objects.count() > 0
    assert events[0].changes["counts"]["params"] == {"area": area.code, "links": 2,
                                                     "groups": False}
