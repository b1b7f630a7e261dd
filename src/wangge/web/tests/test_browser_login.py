import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_member_logs_in_and_sees_their_name(live_server, page, tree, make_staff):
    make_staff(
        "grid_worker",
        tree.grid_a1a_1,
        username="wangxm",
        name="王小明",
        password="Grid-Worker-2026",
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名或手机号").fill("wangxm")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名/手机号或密码错误")).to_be_visible()

    page.get_by_label("用户名或手机号").fill("wangxm")
    page.get_by_label("密码").fill("Grid-Worker-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_text("王小明")).to_be_visible()
    expect(page.get_by_role("heading", name="网格化管理、组团式服务")).to_be_visible()
