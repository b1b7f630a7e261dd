"""A phone app authenticates with a bearer token and has no CSRF cookie."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_bearer_token_post_needs_no_csrf_cookie(tree, make_staff):
    from wangge.accounts.services import token_issue

    user = make_staff("grid_worker", tree.grid_a1a_1)
    token = token_issue(user=user, label="phone")
    client = Client(enforce_csrf_checks=True)
    response = client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (200, 204), response.content
    # the token is revoked: the next call is unauthenticated
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_session_post_still_needs_csrf(tree, make_staff):
    user = make_staff("grid_worker", tree.grid_a1a_1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.delete("/api/v1/auth/token").status_code == 403
