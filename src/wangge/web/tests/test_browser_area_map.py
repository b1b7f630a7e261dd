import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_street_cadre_browses_their_street_on_the_map(live_server, page, tree, make_staff):
    make_staff("street_cadre", tree.street_a1, username="lijie", password="Street-Cadre-2026")
    login(page, live_server.url, "lijie", "Street-Cadre-2026")

    page.get_by_role("link", name="解放街道").click()
    expect(page.get_by_role("heading", name="解放街道")).to_be_visible()
    expect(page.get_by_test_id("count-children")).to_have_text("2")
    # Leaflet drew the street outline and its two communities on a canvas-free SVG/canvas layer
    page.wait_for_function(
        "document.querySelectorAll('#map .leaflet-interactive, #map canvas').length > 0"
    )
    page.get_by_role("link", name="芦席汇社区").click()
    expect(page.get_by_role("heading", name="芦席汇社区")).to_be_visible()
    expect(page.get_by_test_id("count-children")).to_have_text("2")


def test_foreign_area_page_is_not_found(live_server, page, tree, make_staff):
    make_staff("street_cadre", tree.street_a1, username="lijie2", password="Street-Cadre-2026")
    login(page, live_server.url, "lijie2", "Street-Cadre-2026")
    response = page.goto(f"{live_server.url}/map/{tree.district_b.id}/")
    assert response.status == 404
    assert "秀洲区" not in page.content()
