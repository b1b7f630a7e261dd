from wangge.accounts.models import ApiToken, User
from wangge.accounts.services import resident_register, token_issue
from wangge.teams.roles import Role
from wangge.teams.tests.world import make_user


def test_manager_adds_a_staff_user_through_the_service(client, tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    client.force_login(cadre)
    form = {
        "username": "newbie",
        "name": "新同事",
        "phone": "139 1234 5678",
        "password1": "pass-Wangge-2026",
        "password2": "pass-Wangge-2026",
    }
    r = client.post("/admin/accounts/user/add/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    user = User.objects.get(username="newbie")
    assert (user.kind, user.is_staff, user.phone) == ("staff", True, "13912345678")
    assert user.check_password("pass-Wangge-2026")
    # A weak password is refused on the form, in Chinese.
    r = client.post(
        "/admin/accounts/user/add/",
        {
            **form,
            "username": "other",
            "phone": "13912340000",
            "password1": "123",
            "password2": "123",
        },
    )
    assert r.status_code == 200 and "密码" in r.content.decode()
    assert not User.objects.filter(username="other").exists()


def test_grid_worker_may_not_add_users(client, tree):
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    client.force_login(worker)
    assert client.get("/admin/accounts/user/add/").status_code == 403


def test_user_list_is_scoped_and_never_shows_password_hashes(client, tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="本社区网格员")
    make_user(Role.GRID_WORKER, tree.grid_b1a_1, name="外区网格员")
    resident = resident_register(
        phone="13700001111", password="pass-Wangge-2026", name="居民甲", grid=tree.grid_a1a_1
    )
    client.force_login(cadre)
    html = client.get("/admin/accounts/user/").content.decode()
    assert "本社区网格员" in html and "居民甲" in html and "外区网格员" not in html
    assert "137****1111" in html and "13700001111" not in html
    page = client.get(f"/admin/accounts/user/{cadre.pk}/change/").content.decode()
    assert "md5$" not in page and "pbkdf2" not in page and "argon2" not in page
    assert 'name="password"' not in page
    assert client.get(f"/admin/accounts/user/{resident.pk}/change/").status_code == 200


def test_manager_edits_name_and_phone(client, tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    client.force_login(cadre)
    r = client.post(
        f"/admin/accounts/user/{worker.pk}/change/",
        {"name": "网格员乙", "phone": "13955556666", "is_active": "on"},
    )
    assert r.status_code == 302
    worker.refresh_from_db()
    assert (worker.name, worker.phone, worker.is_active) == ("网格员乙", "13955556666", True)


def test_token_admin_is_read_only_and_hides_the_hash(client, tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    raw = token_issue(user=worker, label="网格通")
    token = ApiToken.objects.get(user=worker)
    client.force_login(cadre)
    page = client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert "网格通" in page and token.key_hash not in page and raw not in page
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    client.force_login(worker)
    assert client.get("/admin/accounts/apitoken/").status_code == 403
