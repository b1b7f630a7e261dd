"""Login and safety: one-time SMS codes (through the SMS log backend), the
django-axes lockout on every login door, idle sessions, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from wangge.accounts import otp
from wangge.accounts.models import OtpCode
from wangge.cases.models import SmsLog
from wangge.core.errors import DomainError

from .conftest import PASSWORD, PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the SMS sends queued on commit (the test's transaction never commits)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def last_code() -> str:
    return re.search(r"验证码为 (\d{6})", SmsLog.objects.latest("pk").text).group(1)


# ---------------------------------------------------------------- SMS codes
def test_code_login_through_the_pages(client, place, sent):
    r = sent(client.post, "/m/login/code/", {"username": PHONE})
    assert "验证码已通过短信发送" in r.content.decode()
    sms = SmsLog.objects.get()
    assert sms.phone_masked == "139****5678" and sms.case_id is None
    code = last_code()
    row = OtpCode.objects.get()
    assert code not in (row.code_hash, row.phone_hash) and PHONE not in row.phone_hash
    wrong = "000000" if code != "000000" else "111111"
    r = client.post("/m/login/", {"mode": "code", "username": PHONE, "code": wrong})
    assert r.status_code == 422 and "还可尝试 4 次" in r.content.decode()
    r = client.post("/m/login/", {"mode": "code", "username": PHONE, "code": code})
    assert r.status_code == 302 and r["Location"] == "/m/"
    assert "赵阿姨" in client.get("/m/").content.decode()
    # spent: the same code does not log in twice
    other = Client()
    r = other.post("/m/login/", {"mode": "code", "username": PHONE, "code": code})
    assert r.status_code == 422 and "无效或已过期" in r.content.decode()


def test_code_expires_after_five_minutes(place, sent):
    now = timezone.now()
    sent(otp.otp_send, phone=PHONE, now=now)
    code = last_code()
    with pytest.raises(DomainError, match="无效或已过期"):
        otp.otp_verify(phone=PHONE, code=code, now=now + timedelta(minutes=5, seconds=1))
    assert otp.otp_verify(phone=PHONE, code=code, now=now + timedelta(minutes=4)) == place.resident


def test_five_wrong_codes_spend_the_code(place, sent):
    sent(otp.otp_send, phone=PHONE)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(DomainError, match="验证码"):
            otp.otp_verify(phone=PHONE, code=wrong)
    with pytest.raises(DomainError, match="错误次数过多"):
        otp.otp_verify(phone=PHONE, code=code)
    assert OtpCode.objects.get().attempts == 5


def test_sends_are_rate_limited_per_phone_and_per_address(place, tree, sent):
    from wangge.accounts.services import resident_register

    t0 = timezone.now()
    sent(otp.otp_send, phone=PHONE, now=t0)
    with pytest.raises(DomainError, match="秒后再获取") as exc:
        sent(otp.otp_send, phone=PHONE, now=t0 + timedelta(seconds=30))
    assert exc.value.status == 429
    for i in range(1, 5):
        sent(otp.otp_send, phone=PHONE, now=t0 + timedelta(minutes=i))
    with pytest.raises(DomainError, match="1 小时后再试"):
        sent(otp.otp_send, phone=PHONE, now=t0 + timedelta(minutes=10))
    assert SmsLog.objects.count() == 5
    # an hour later the phone may ask again
    sent(otp.otp_send, phone=PHONE, now=t0 + timedelta(minutes=61))
    # one address asking for many phones
    for i in range(20):
        phone = f"136000000{i:02d}"
        resident_register(phone=phone, password=PASSWORD, name="居民", grid=tree.grid_a1a_1)
        sent(otp.otp_send, phone=phone, ip="10.0.0.9")
    with pytest.raises(DomainError, match="过于频繁"):
        sent(otp.otp_send, phone="13600000099", ip="10.0.0.9")


def test_codes_older_than_a_day_are_cleared_on_the_next_send(place, sent):
    t0 = timezone.now()
    sent(otp.otp_send, phone=PHONE, now=t0 - timedelta(days=2))
    sent(otp.otp_send, phone=PHONE, now=t0 - timedelta(hours=2))
    sent(otp.otp_send, phone=PHONE, now=t0)
    assert sorted(OtpCode.objects.values_list("created_at", flat=True)) == [
        t0 - timedelta(hours=2),
        t0,
    ]


def test_unknown_phone_gets_the_same_answer_and_no_sms(client, place):
    r = client.post("/m/login/code/", {"username": "13800001111"})
    assert "验证码已通过短信发送" in r.content.decode()
    assert SmsLog.objects.count() == 0
    r = client.post("/m/login/code/", {"username": "12345"})
    assert "data-error" in r.content.decode()


def test_staff_phone_gets_no_code(place):
    assert otp.otp_send(phone="13700000001") is False
    assert SmsLog.objects.count() == 0


# ---------------------------------------------------------------- lockout
def _fail(client, url, username, n=5):
    """n wrong passwords; the 5th failure is itself answered with the lockout."""
    codes = []
    for _ in range(n):
        r = client.post(url, {"username": username, "password": "Wrong-Pass-1", "mode": "password"})
        codes.append(r.status_code)
    return codes


def test_resident_is_locked_out_after_five_bad_passwords(client, place):
    assert _fail(client, "/m/login/", PHONE, n=4) == [401] * 4
    r = client.post("/m/login/", {"mode": "password", "username": PHONE, "password": PASSWORD})
    assert r.status_code == 302  # the 5th try is right: a success resets the count
    client.post("/m/logout/")
    _fail(client, "/m/login/", PHONE, n=4)
    r = client.post("/m/login/", {"mode": "password", "username": PHONE, "password": "bad-bad-1"})
    assert r.status_code == 429 and "账号已临时锁定" in r.content.decode()
    r = client.post("/m/login/", {"mode": "password", "username": PHONE, "password": PASSWORD})
    assert r.status_code == 429 and "账号已临时锁定" in r.content.decode()
    assert client.get("/m/").status_code == 302  # not logged in


def test_staff_lockout_counts_username_and_phone_as_one_account(client, place):
    assert _fail(client, "/accounts/login/", place.leader.username, n=3) == [200] * 3
    # the same person's phone: the 5th failure of the account locks it
    assert _fail(client, "/accounts/login/", "137 0000 0001", n=2) == [200, 429]
    r = client.post(
        "/accounts/login/", {"username": place.leader.username, "password": "pass-Wangge-2026"}
    )
    assert r.status_code == 429
    assert "账号已临时锁定" in r.content.decode()
    # someone else is not affected
    r = client.post(
        "/accounts/login/", {"username": place.worker.username, "password": "pass-Wangge-2026"}
    )
    assert r.status_code == 302


def test_token_endpoint_locks_out_too(client, place):
    url = "/api/v1/auth/token"
    for _ in range(5):
        r = client.post(
            url, {"username": PHONE, "password": "nope-nope"}, content_type="application/json"
        )
        assert r.status_code in (401, 429)
    r = client.post(url, {"username": PHONE, "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 429
    assert r.json()["code"] == "locked_out"


def test_lockout_ends_after_fifteen_minutes(client, place):
    from axes.models import AccessAttempt

    _fail(client, "/m/login/", PHONE, n=5)
    assert (
        client.post(
            "/m/login/", {"mode": "password", "username": PHONE, "password": PASSWORD}
        ).status_code
        == 429
    )
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=5))
    r = client.post("/m/login/", {"mode": "password", "username": PHONE, "password": PASSWORD})
    assert r.status_code == 302


# ---------------------------------------------------------------- sessions, CSRF
def test_sessions_end_after_thirty_idle_minutes(client, place):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.post("/m/login/", {"mode": "password", "username": PHONE, "password": PASSWORD})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = Session.objects.get(session_key=key)
    left = session.expire_date - timezone.now()
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)
    # activity slides the expiry forward (at most once a minute)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=3))
    s = client.session
    s["_wg_seen"] = 0
    s.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=3))
    assert client.get("/m/").status_code == 200
    assert Session.objects.get(pk=key).expire_date - timezone.now() > timedelta(minutes=29)
    # 30 minutes without a request: gone
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/m/").status_code == 302


def test_bearer_token_requests_get_no_session(client, place):
    from wangge.accounts.services import token_issue

    raw = token_issue(user=place.resident)
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200 and r.json()["kind"] == "resident"
    assert settings.SESSION_COOKIE_NAME not in r.cookies
    assert Session.objects.count() == 0


def test_every_form_needs_the_csrf_token(place):
    c = Client(enforce_csrf_checks=True)
    assert c.post("/m/login/", {"username": PHONE, "password": PASSWORD}).status_code == 403
    assert c.post("/m/login/code/", {"username": PHONE}).status_code == 403
    assert c.post("/accounts/login/", {"username": PHONE, "password": PASSWORD}).status_code == 403
    c.force_login(place.resident)
    assert c.post("/m/report/", {"description": "x", "where": "grid"}).status_code == 403
    page = c.get("/m/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page  # htmx sends it
    assert "csrfmiddlewaretoken" in c.get("/m/report/").content.decode()
