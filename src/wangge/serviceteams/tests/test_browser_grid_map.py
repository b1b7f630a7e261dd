import pytest
from playwright.sync_api import expect

from .helpers import make_place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_leader_opens_and_prints_the_grid_map(live_server, page, tree, make_staff):
    make_place(
        tree,
        name="芦席汇党群服务站",
        kind="social",
        uscc="91330402MA0000001X",
        address="中山路1号",
        lng=120.1,
        lat=30.2,
    )
    make_staff("grid_leader", tree.grid_a1a_1, username="chen", password="Grid-Leader-2026")
    page.set_default_timeout(60000)  # the shared test machine can be slow
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名或手机号").fill("chen")
    page.get_by_label("密码").fill("Grid-Leader-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/grids/{tree.grid_a1a_1.id}/map/")
    expect(page.get_by_role("heading", name="芦席汇社区第一网格 网格示意图")).to_be_visible()
    page.wait_for_function("window.gridMapReady === true")
    # The outline, two micro-grids and the service point are drawn; micro-grid names are labels.
    page.wait_for_function(
        "document.querySelectorAll('#grid-map path.leaflet-interactive').length >= 4"
    )
    expect(page.locator("#grid-map .leaflet-tooltip", has_text="1号微网格")).to_be_visible()
    # Printed: the map stays, the page chrome and zoom buttons go.
    page.emulate_media(media="print")
    expect(page.get_by_test_id("grid-map")).to_be_visible()
    expect(page.locator(".leaflet-control-zoom")).to_be_hidden()
    expect(page.get_by_test_id("service-points")).to_contain_text("芦席汇党群服务站")
