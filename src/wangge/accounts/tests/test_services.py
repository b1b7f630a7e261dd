import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.models import ApiToken, User
from wangge.accounts.services import (
    resident_register,
    resident_reject,
    resident_verify,
    token_issue,
    token_revoke,
    user_create_staff,
    user_update,
)
from wangge.core.errors import DomainError
from wangge.teams.roles import Role
from wangge.teams.tests.world import (
    make_building,
    make_household,
    make_resident,
    make_user,
)

PASSWORD = "pass-Wangge-2026"


def test_user_create_staff_normalizes_phone_and_hashes_password(db):
    user = user_create_staff(
        username="zhang3", name="张三", phone="+86 138-0000-1111", password=PASSWORD
    )
    user.refresh_from_db()
    assert (user.kind, user.is_staff, user.phone) == ("staff", True, "13800001111")
    assert user.check_password(PASSWORD) and user.password != PASSWORD


@pytest.mark.parametrize(
    ("fields", "code", "text"),
    [
        ({"password": "12345678"}, "weak_password", "密码"),
        ({"password": "short"}, "weak_password", "密码"),
        ({"phone": "12345"}, "invalid_phone", "电话"),
        ({"name": " "}, "invalid", "姓名"),
        ({"username": "bad name!"}, "invalid", "用户名"),
    ],
)
def test_user_create_staff_rejects_bad_input_in_chinese(db, fields, code, text):
    values = {"username": "li4", "name": "李四", "phone": "13800002222", "password": PASSWORD}
    with pytest.raises(DomainError) as err:
        user_create_staff(**{**values, **fields})
    assert err.value.code == code and text in err.value.message
    assert not User.objects.exists()


def test_username_and_phone_share_one_namespace(db):
    user_create_staff(username="wang5", name="王五", phone="13800003333", password=PASSWORD)
    with pytest.raises(DomainError, match="用户名"):
        user_create_staff(username="wang5", name="另一个", phone="13800004444", password=PASSWORD)
    with pytest.raises(DomainError, match="手机号"):
        user_create_staff(username="zhao6", name="赵六", phone="13800003333", password=PASSWORD)
    with pytest.raises(DomainError, match="手机号|用户名"):
        user_create_staff(
            username="13800003333", name="赵六", phone="13800005555", password=PASSWORD
        )


def test_only_user_managers_create_staff(tree):
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    with pytest.raises(DomainError) as err:
        user_create_staff(
            username="x1", name="某", phone="13800006666", password=PASSWORD, actor=worker
        )
    assert err.value.status == 403
    made = user_create_staff(
        username="x1", name="某", phone="13800006666", password=PASSWORD, actor=cadre
    )
    assert made.pk


def test_user_update_by_a_manager_of_the_users_area(tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    other_cadre = make_user(Role.COMMUNITY_CADRE, tree.community_b1a, name="外区干部")
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    user_update(actor=cadre, user=worker, name="网格员甲", phone="13911112222")
    worker.refresh_from_db()
    assert (worker.name, worker.phone) == ("网格员甲", "13911112222")
    with pytest.raises(DomainError) as err:
        user_update(actor=other_cadre, user=worker, name="改名")
    assert err.value.status == 404


def test_resident_register_is_pending_in_its_grid(tree):
    user = resident_register(
        phone="13700001111", password=PASSWORD, name="居民甲", grid=tree.grid_a1a_1
    )
    assert user.kind == "resident" and not user.is_staff
    assert user.resident_status == "pending" and user.home_grid == tree.grid_a1a_1
    assert user.username.startswith("resident_") and user.phone == "13700001111"
    assert user.resident is None


def test_resident_register_needs_a_grid_and_a_mobile(tree):
    with pytest.raises(DomainError, match="网格"):
        resident_register(
            phone="13700001111", password=PASSWORD, name="甲", grid=tree.community_a1a
        )
    with pytest.raises(DomainError, match="手机号"):
        resident_register(phone="0573-82345678", password=PASSWORD, name="甲", grid=tree.grid_a1a_1)


@pytest.fixture
def pending(tree):
    household = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    resident = make_resident(household, name="居民甲")
    user = resident_register(
        phone="13700001111", password=PASSWORD, name="居民甲", grid=tree.grid_a1a_1
    )
    return user, resident


def test_grid_worker_verifies_a_resident_of_their_grid(tree, pending):
    user, resident = pending
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    resident_verify(actor=worker, user=user, resident=resident)
    user.refresh_from_db()
    assert user.resident == resident and user.resident_status == "verified"
    assert user.home_grid_id == resident.grid_id


@pytest.mark.parametrize(
    ("role", "where", "status"),
    [
        (Role.GRID_WORKER, "grid_b1a_1", 404),  # another district: not found
        (Role.PART_TIME_WORKER, "grid_a1a_1", 403),  # right grid, wrong role
        (Role.MICRO_GRID_LEADER, "mg_a1a_1_1", 404),  # the grid is above them
    ],
)
def test_only_verifiers_covering_the_grid_verify(tree, pending, role, where, status):
    user, resident = pending
    actor = make_user(role, getattr(tree, where), name="某")
    with pytest.raises(DomainError) as err:
        resident_verify(actor=actor, user=user, resident=resident)
    assert err.value.status == status
    user.refresh_from_db()
    assert user.resident_status == "pending"


def test_community_cadre_verifies_and_a_record_links_once(tree, pending):
    user, resident = pending
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    resident_verify(actor=cadre, user=user, resident=resident)
    second = resident_register(
        phone="13700002222", password=PASSWORD, name="冒名", grid=tree.grid_a1a_1
    )
    with pytest.raises(DomainError) as err:
        resident_verify(actor=cadre, user=second, resident=resident)
    assert err.value.status == 409


def test_resident_record_outside_the_actor_is_not_found(tree, pending):
    user, _ = pending
    foreign = make_resident(
        make_household(make_building(tree.grid_b1a_1)), name="外区居民", region="330411"
    )
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    with pytest.raises(DomainError) as err:
        resident_verify(actor=worker, user=user, resident=foreign)
    assert err.value.status == 404


def test_resident_reject(tree, pending):
    user, _ = pending
    leader = make_user(Role.GRID_LEADER, tree.grid_a1a_1, name="网格长")
    resident_reject(actor=leader, user=user, reason="查无此人")
    user.refresh_from_db()
    assert user.resident_status == "rejected" and user.resident is None


def test_token_issue_stores_only_a_hash(tree):
    user = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    raw = token_issue(user=user, label="网格通", days=7)
    token = ApiToken.objects.get(user=user)
    assert raw.startswith("wg_") and len(raw) > 40
    assert token.key_hash == ApiToken.hash(raw) and raw not in token.key_hash
    assert token.prefix == raw[:8] and token.label == "网格通"
    remaining = token.expires_at - timezone.now()
    assert dt.timedelta(days=6, hours=23) < remaining <= dt.timedelta(days=7)
    with pytest.raises(DomainError):
        token_issue(user=user, label="", days=0)


def test_token_revoke_ends_it(tree):
    user = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    raw = token_issue(user=user, label="")
    token = ApiToken.objects.get(key_hash=ApiToken.hash(raw))
    token_revoke(token=token)
    assert not ApiToken.objects.active().filter(pk=token.pk).exists()
