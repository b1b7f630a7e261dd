"""The console in chromium on a desktop screen: drill down the map from the
district to a grid, filter, open a case from a point on the map, read the
charts, download the Excel export, and watch live refresh pause when nobody
is at the desk. (The whole dispatch flow across the three front-ends is
tests/e2e/test_case_flow.py.)"""

from __future__ import annotations

import importlib
import re

import pytest
from django.conf import settings
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import move, report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"
PASSWORD = "pass-Wangge-2026"  # make_staff's default


@pytest.fixture
def catalogue(transactional_db):
    """The catalogue comes from a data migration that a transactional
    test's flush empties: load it again (idempotent)."""
    from django.apps import apps

    importlib.import_module("wangge.cases.migrations.0002_default_catalogue").load(apps, None)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


def click_area(page, area_id: int) -> None:
    p = page.evaluate(f"wgConsole.areaPoint({area_id})")
    page.mouse.click(p["x"], p["y"])


def test_drill_down_filter_open_from_the_map_chart_and_export(
    serial_live_server, browser, catalogue, world, settings, tmp_path
):
    live_server = serial_live_server
    w = world
    t = w.tree
    settings.WANGGE_CONSOLE_POLL_SECONDS = 1
    settings.WANGGE_CONSOLE_IDLE_PAUSE_SECONDS = 3
    lamp = report(w, category="0602", description="2幢路灯不亮", point=(120.06, 30.25))
    trash = report(w, category="0101", description="河边垃圾", point=(120.20, 30.25))
    report(w, category="0101", description="村口垃圾", point=(120.30, 30.30))
    move(trash, "accept", w.dispatcher)

    ctx = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1600, "height": 1000}
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/console/")
    page.get_by_label("用户名或手机号").fill(w.district_dispatcher.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/console/")

    # District → street → community → grid, each by a click on the map.
    page.wait_for_selector("#map[data-ready='1']")
    expect(page.get_by_test_id("map-area")).to_have_text("南湖区")
    expect(page.locator("[data-map-sum]")).to_have_text("在办 3 件")
    page.wait_for_selector(".c-charts[data-ready='1']")
    expect(page.locator("[data-rate='on_time_rate']")).to_have_text("—")
    expect(page.locator("[data-chart='per_day'] canvas")).to_have_count(1)
    shot(page, "district")
    for area, name in (
        (t.street_a1, "解放街道"),
        (t.community_a1a, "芦席汇社区"),
        (t.grid_a1a_1, "芦席汇社区第一网格"),
    ):
        click_area(page, area.pk)
        expect(page.get_by_test_id("map-area")).to_have_text(name)
        page.wait_for_selector(f"#map[data-ready='1'][data-area='{area.pk}']")
    expect(page.locator("#map")).to_have_attribute("data-level", "micro_grid")
    expect(page.locator("[data-map-sum]")).to_have_text("在办 2 件")
    # The queue follows the map: only the grid's cases.
    expect(page.get_by_test_id("tab-all")).to_contain_text("2")
    expect(page.get_by_test_id("tab-new")).to_contain_text("1")
    expect(page.get_by_test_id("tab-dispatch")).to_contain_text("1")

    # A filter narrows the queue and the map at once.
    page.get_by_label("事项类别").select_option("0602")
    expect(page.get_by_test_id("tab-all")).to_contain_text("1")
    expect(page.locator("[data-map-sum]")).to_have_text("在办 1 件")
    assert page.evaluate("wgConsole.map.points.getLayers().length") == 1

    # Open the case from its point on the map.
    p = page.evaluate(f"wgConsole.pagePoint({lamp.lng}, {lamp.lat})")
    page.mouse.click(p["x"], p["y"])
    expect(page.get_by_test_id("panel-number")).to_have_text(lamp.number)
    shot(page, "grid")

    # Export what is shown.
    page.get_by_test_id("tab-all").click()
    expect(page.get_by_test_id("tab-all")).to_have_attribute("aria-selected", "true")
    with page.expect_download() as dl:
        page.get_by_role("link", name="导出 Excel").click()
    path = tmp_path / "export.xlsx"
    dl.value.save_as(path)
    assert re.match(r"工单-全部-\d{8}-\d{4}\.xlsx", dl.value.suggested_filename)
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [lamp.number]
    assert "上报人" not in rows[0]

    # Back up by the breadcrumb.
    page.locator("[data-crumbs]").get_by_role("button", name="南湖区").click()
    expect(page.get_by_test_id("map-area")).to_have_text("南湖区")

    # Nobody at the desk: live refresh pauses (the session can time out);
    # a key press brings it back.
    page.wait_for_timeout(3500)
    expect(page.get_by_text("实时刷新已暂停")).to_be_visible()
    page.keyboard.press("Shift")
    expect(page.get_by_test_id("live")).to_be_visible()
    ctx.close()
