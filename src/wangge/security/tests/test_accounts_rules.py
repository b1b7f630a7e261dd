"""Password rules and the session timeout, as a resident or official meets them."""

from __future__ import annotations

import json

import pytest
from django.conf import settings


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "reason"),
    [("12345678", "只包含数字"), ("xq7#v", "太短"), ("password123", "太常见")],
)
def test_weak_passwords_are_refused_in_chinese(client, tree, password, reason):
    response = client.post(
        "/api/v1/auth/residents/register",
        data=json.dumps({"phone": "13900001111", "password": password, "name": "王五",
                         "grid_id": tree.grid_a1a_1.pk}),
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "weak_password"
    assert body["message"].startswith("密码不符合要求：") and reason in body["message"]


def test_sessions_time_out_after_thirty_idle_minutes():
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert "wangge.accounts.safety.IdleTimeoutMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_COOKIE_HTTPONLY
