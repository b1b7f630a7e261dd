from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _age_session(client, minutes_left: int) -> str:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    s = client.session
    s["_wg_seen"] = 0  # last activity long ago
    s.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=minutes_left))
    return key


def test_heartbeats_do_not_keep_an_idle_session_alive(client, tree, make_staff):
    make_staff("grid_worker", tree.grid_a1a_1, username="hb", password="Heart-Beat-2026")
    assert client.post("/accounts/login/", {"username": "hb", "password": "Heart-Beat-2026"}).status_code == 302

    key = _age_session(client, 3)
    assert client.post("/w/presence/").status_code == 204
    assert Session.objects.get(pk=key).expire_date - timezone.now() < timedelta(minutes=4)

    # a real page view is activity
    client.get("/w/")
    assert Session.objects.get(pk=key).expire_date - timezone.now() > timedelta(minutes=29)


def test_background_polls_do_not_keep_an_idle_session_alive(client, tree, make_staff):
    make_staff("dispatcher", tree.district_a, username="poll", password="Poll-Feed-2026")
    assert client.post("/accounts/login/", {"username": "poll", "password": "Poll-Feed-2026"}).status_code == 302

    key = _age_session(client, 3)
    client.get("/", HTTP_X_WANGGE_BACKGROUND="1")
    assert Session.objects.get(pk=key).expire_date - timezone.now() < timedelta(minutes=4)
    client.get("/")
    assert Session.objects.get(pk=key).expire_date - timezone.now() > timedelta(minutes=29)
