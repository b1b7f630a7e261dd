import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.models import ApiToken, User
from wangge.accounts.services import token_issue
from wangge.people.models import Household
from wangge.teams.roles import Role
from wangge.teams.scope import scoped
from wangge.teams.tests.world import make_building, make_household, make_resident, make_user

PASSWORD = "pass-Wangge-2026"


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=user, label='test')}"}


@pytest.fixture
def worker(tree):
    return make_user(
        Role.GRID_WORKER, tree.grid_a1a_1, name="网格员甲", username="wgy", phone="13900000001"
    )


@pytest.mark.parametrize("login", ["wgy", "13900000001", "139 0000 0001"])
def test_token_by_username_or_phone_then_me_then_revoke(client, worker, login):
    r = client.post(
        "/api/v1/auth/token",
        {"username": login, "password": PASSWORD, "label": "网格通"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["token_type"] == "Bearer" and body["user_id"] == worker.pk
    headers = {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}

    me = client.get("/api/v1/auth/me", **headers).json()
    assert me["username"] == "wgy" and me["kind"] == "staff"
    assert [(x["role"], x["area"]["code"]) for x in me["roles"]] == [
        ("grid_worker", "330402001001001")
    ]
    assert me["scope_paths"] and not me["unrestricted"]
    assert ApiToken.objects.get(user=worker).last_used_at is not None

    assert client.delete("/api/v1/auth/token", **headers).status_code == 204
    r = client.get("/api/v1/auth/me", **headers)
    assert r.status_code == 401 and r.json()["message"] == "请先登录"


@pytest.mark.parametrize(
    ("username", "password"),
    [("wgy", "wrong-password"), ("nobody", PASSWORD), ("13900000009", PASSWORD)],
)
def test_bad_credentials_get_401_in_chinese(client, worker, username, password):
    r = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert r.status_code == 401
    assert r.json() == {"code": "bad_credentials", "message": "用户名/手机号或密码错误"}
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token(client, worker):
    User.objects.filter(pk=worker.pk).update(is_active=False)
    r = client.post(
        "/api/v1/auth/token",
        {"username": "wgy", "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 401


def test_expired_and_unknown_tokens_are_refused(client, worker):
    headers = bearer(worker)
    assert client.get("/api/v1/auth/me", **headers).status_code == 200
    ApiToken.objects.filter(user=worker).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/auth/me", **headers).status_code == 401
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer wg_forged").status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401


def test_session_login_works_and_delete_token_needs_a_token(client, worker):
    client.force_login(worker)
    assert client.get("/api/v1/auth/me").json()["id"] == worker.pk
    r = client.delete("/api/v1/auth/token")
    assert r.status_code == 400 and r.json()["code"] == "no_token"


def test_register_rejects_bad_input(client, tree):
    def register(**fields):
        payload = {
            "phone": "13700001111",
            "password": PASSWORD,
            "name": "居民甲",
            "grid_id": tree.grid_a1a_1.pk,
        }
        return client.post(
            "/api/v1/auth/residents/register",
            {**payload, **fields},
            content_type="application/json",
        )

    assert register(grid_id=tree.community_a1a.pk).status_code == 422
    assert register(password="123").json()["code"] == "weak_password"
    assert register(phone="not-a-phone").json()["code"] == "invalid_phone"
    assert register().status_code == 201
    assert register().status_code == 409


def test_resident_registers_is_verified_and_sees_only_their_household(client, tree, worker):
    own = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1), room="101")
    me_record = make_resident(own, name="居民甲")
    neighbour = make_household(Household.objects.get(pk=own.pk).building, room="102")
    make_resident(neighbour, name="邻居")
    foreign_worker = make_user(Role.GRID_WORKER, tree.grid_b1a_1, name="外区网格员")

    r = client.post(
        "/api/v1/auth/residents/register",
        {
            "phone": "13700001111",
            "password": PASSWORD,
            "name": "居民甲",
            "grid_id": tree.grid_a1a_1.pk,
        },
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["resident_status"] == "pending"
    user_id = r.json()["id"]
    token = client.post(
        "/api/v1/auth/token",
        {"username": "13700001111", "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    resident_headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    me = client.get("/api/v1/auth/me", **resident_headers).json()
    assert me["resident_status"] == "pending" and me["household"] is None
    assert me["home_grid"]["id"] == tree.grid_a1a_1.pk

    # The grid worker of the grid sees it; one of another district does not.
    pending = client.get("/api/v1/auth/residents/pending", **bearer(worker)).json()
    assert [p["id"] for p in pending] == [user_id] and pending[0]["phone_masked"] == "137****1111"
    assert client.get("/api/v1/auth/residents/pending", **bearer(foreign_worker)).json() == []
    r = client.post(
        f"/api/v1/auth/residents/{user_id}/verify",
        {"resident_id": me_record.pk},
        content_type="application/json",
        **bearer(foreign_worker),
    )
    assert r.status_code == 404
    # A resident may not look at the queue.
    assert client.get("/api/v1/auth/residents/pending", **resident_headers).status_code == 403

    r = client.post(
        f"/api/v1/auth/residents/{user_id}/verify",
        {"resident_id": me_record.pk},
        content_type="application/json",
        **bearer(worker),
    )
    assert r.status_code == 200 and r.json()["resident_status"] == "verified"
    assert client.get("/api/v1/auth/residents/pending", **bearer(worker)).json() == []

    me = client.get("/api/v1/auth/me", **resident_headers).json()
    assert me["resident_status"] == "verified" and me["household"]["id"] == own.pk
    user = User.objects.get(pk=user_id)
    assert list(scoped(Household.objects.all(), user)) == [own]
    assert list(scoped(Household.objects.all(), worker).order_by("pk")) == [own, neighbour]


def test_reject_by_api(client, tree, worker):
    user = User.objects.create_user(
        username="13700002222",
        phone="13700002222",
        kind="resident",
        resident_status="pending",
        home_grid=tree.grid_a1a_1,
        password=PASSWORD,
    )
    r = client.post(
        f"/api/v1/auth/residents/{user.pk}/reject",
        {"reason": "查无此人"},
        content_type="application/json",
        **bearer(worker),
    )
    assert r.status_code == 200 and r.json()["resident_status"] == "rejected"
