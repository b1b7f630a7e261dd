"""Rate limits: sign-in, one-time codes and public reporting answer 429 with a
zh-Hans message once a client address or an account asks too often."""

from __future__ import annotations

import json
import re

import pytest
from django.test import override_settings

from wangge.accounts.models import User
from wangge.security.ratelimit import DEFAULT_RULES, Rule, _paths

PASSWORD = "pass-Wangge-2026"
HOUR = 3600


def _rules(**limits):
    """The default rules with smaller numbers (same paths)."""
    out = []
    for rule in DEFAULT_RULES:
        per_ip, per_account = limits.get(rule.name, (rule.per_ip, rule.per_account))
        out.append(Rule(rule.name, rule.paths, per_ip, per_account, rule.staff_exempt))
    return tuple(out)


def _token(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_every_door_has_a_rule():
    doors = {
        "/accounts/login/": "login",
        "/m/login/": "login",
        "/admin/login/": "login",
        "/api/v1/auth/token": "login",
        "/m/login/code/": "otp",
        "/m/register/": "register",
        "/api/v1/auth/residents/register": "register",
        "/m/report/": "report",
        "/api/v1/cases/": "report",
        "/open311/v2/requests.json": "report",
    }
    for path, name in doors.items():
        assert [r.name for r in DEFAULT_RULES if r.paths.match(path)] == [name], path
    assert not _paths(r"/api/v1/cases/").match("/api/v1/cases/12/moves/accept")


@pytest.mark.django_db
def test_login_is_limited_per_account_with_a_clear_answer(client, tree, make_staff):
    make_staff("grid_worker", tree.grid_a1a_1, username="gw", password=PASSWORD)
    with override_settings(WANGGE_RATE_LIMIT_RULES=_rules(login=((100, HOUR), (3, HOUR)))):
        # Successful sign-ins count too: a stolen password cannot be replayed fast.
        for i in range(3):
            assert _token(client, "gw", ip=f"10.0.0.{i}").status_code == 200
        response = _token(client, "GW", ip="10.0.0.9")  # another address, same account
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited"
    # "请 N 分钟后再试", or "请 N 秒后再试" when under a minute of the window is left
    assert re.fullmatch(r"请求过于频繁，请 \d+ (分钟|秒)后再试", body["message"]), body["message"]
    assert 0 < int(response["Retry-After"]) <= HOUR
    assert body["details"]["retry_after"] == int(response["Retry-After"])


@pytest.mark.django_db
def test_login_is_limited_per_address_across_accounts(client, tree):
    with override_settings(WANGGE_RATE_LIMIT_RULES=_rules(login=((4, HOUR), (100, HOUR)))):
        statuses = [_token(client, f"nobody{i}", ip="10.0.0.5").status_code for i in range(5)]
        other = _token(client, "nobody9", ip="10.0.0.6").status_code
    assert statuses == [401, 401, 401, 401, 429]
    assert other == 401


@pytest.mark.django_db
def test_the_login_page_answers_with_a_page(client, tree):
    with override_settings(WANGGE_RATE_LIMIT_RULES=_rules(login=((1, HOUR), None))):
        client.post("/m/login/", {"username": "13800000000", "password": "x"})
        response = client.post("/m/login/", {"username": "13800000000", "password": "x"})
    assert response.status_code == 429
    assert "text/html" in response["Content-Type"]
    assert "请求过于频繁" in response.content.decode()


@pytest.mark.django_db
def test_one_time_codes_are_limited_per_phone(client, tree):
    with override_settings(WANGGE_RATE_LIMIT_RULES=_rules(otp=((100, HOUR), (2, HOUR)))):
        statuses = [
            client.post("/m/login/code/", {"username": "13800000001"},
                        REMOTE_ADDR=f"10.1.0.{i}").status_code
            for i in range(3)
        ]
    assert statuses[-1] == 429 and 429 not in statuses[:2]


def _resident(tree, phone="13800000002"):
    return User.objects.create_user(
        username=phone, phone=phone, password=PASSWORD, kind="resident", name="居民",
        home_grid=tree.grid_a1a_1, resident_status="pending",
    )


@pytest.mark.django_db
def test_public_reporting_is_limited_per_resident_and_not_for_staff(client, tree, make_staff):
    resident = _resident(tree)
    staff = make_staff("dispatcher", tree.city, username="disp", password=PASSWORD)
    with override_settings(WANGGE_RATE_LIMIT_RULES=_rules(report=((100, HOUR), (2, HOUR)))):
        client.force_login(resident)
        statuses = [
            client.post("/api/v1/cases/", {"description": ""}, REMOTE_ADDR=f"10.2.0.{i}").status_code
            for i in range(3)
        ]
        assert statuses[-1] == 429 and 429 not in statuses[:2]
        # A bearer token is the same account.
        from wangge.accounts.services import token_issue

        raw = token_issue(user=resident, label="测试")
        client.logout()
        response = client.post("/api/v1/cases/", {"description": ""},
                               HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 429
        client.force_login(staff)
        assert all(
            client.post("/api/v1/cases/", {"description": ""}).status_code != 429
            for _ in range(4)
        )


@pytest.mark.django_db
def test_anonymous_open311_reports_are_limited_per_address(client, tree):
    with override_settings(WANGGE_RATE_LIMIT_RULES=_rules(report=((2, HOUR), None))):
        statuses = [client.post("/open311/v2/requests.json", {}).status_code for _ in range(3)]
        response = client.post("/open311/v2/requests.json", {})
    assert statuses[-1] == 429 and 429 not in statuses[:2]
    assert response.json()[0]["code"] == 429
    assert "请求过于频繁" in response.json()[0]["description"]


@pytest.mark.django_db(transaction=True)
def test_the_first_refusal_of_a_window_is_audited(client, tree):
    from wangge.audit.models import AuditEvent

    with override_settings(WANGGE_RATE_LIMIT_RULES=_rules(login=((1, HOUR), None))):
        for _ in range(4):
            _token(client, "someone", ip="10.3.0.1")
    events = AuditEvent.objects.filter(kind="rate_limited")
    assert [(e.ip, e.actor_label, e.changes["rule"]) for e in events] == [
        ("10.3.0.1", "someone", "login")
    ]
