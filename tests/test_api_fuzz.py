"""schemathesis over the whole OpenAPI document (/api/v1/openapi.json),
signed in with bearer tokens as several roles (a city administrator, a grid
worker, a dispatcher and a verified resident): no answer is a 5xx, and every
answer matches the schema the document gives for its status.

Examples per operation: WANGGE_FUZZ_EXAMPLES (3 in `make test`; `make soak`
runs 40). Generated data goes through the real API into the test database
(rolled back after each operation's test). Rate limits are off here: the
fuzzer reports faster than any person (they have their own tests)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = int(os.environ.get("WANGGE_FUZZ_EXAMPLES", "3"))

# Schema mismatches found and not fixed yet (the owning app is being built in
# parallel): these operations are still checked for 5xx.
KNOWN_SCHEMA_MISMATCHES: dict[str, str] = {}

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def wsgi_keeps_connection():
    """The fuzzer calls the WSGI application directly, not through Django's
    test client, so request_finished would close the database connection the
    test's transaction lives on (PostgreSQL; in-memory SQLite ignores it).
    Do what the test client does: keep it open during the calls."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(tree, make_staff, settings, wsgi_keeps_connection):
    from wangge.accounts.services import resident_register, resident_verify, token_issue
    from wangge.people.models import Building, Household, Resident
    from wangge.people.services import building_create, household_create, resident_create

    settings.WANGGE_RATE_LIMITS_OFF = True
    out = {}
    for role, area in (
        ("city_admin", tree.city),
        ("grid_worker", tree.grid_a1a_1),
        ("dispatcher", tree.city),
    ):
        out[role] = token_issue(user=make_staff(role, area), label="fuzz")
    worker = make_staff("grid_worker", tree.grid_a1a_1)
    building = building_create(actor=worker, grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_1,
                               code="91", name="模糊楼", address="模糊路1号")
    household = household_create(actor=worker, building=Building.objects.get(pk=building.pk),
                                 room="101")
    import datetime as dt

    from wangge.core.idnumbers import make_id_number

    record = resident_create(actor=worker, household=Household.objects.get(pk=household.pk),
                             name="模糊居民", relationship="head",
                             id_number=make_id_number("330402", dt.date(1980, 1, 2), 11, "F"))
    user = resident_register(phone="13712345678", password="pass-Wangge-2026", name="模糊居民",
                             grid=tree.grid_a1a_1)
    resident_verify(actor=worker, user=user, resident=Resident.objects.get(pk=record.pk))
    out["resident"] = token_issue(user=user, label="fuzz")
    return out


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_within_its_schema(case, tokens):
    checks = [not_a_server_error]
    if f"{case.method} {case.path}" not in KNOWN_SCHEMA_MISMATCHES:
        checks.append(response_schema_conformance)
    for _role, token in tokens.items():
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=checks)
