"""End to end, in chromium, across the three front-ends and four people:

1. a resident reports a broken streetlight with a photo on a 375×812 phone
   (`/m/`);
2. the dispatcher, whose console (`/console/`) is already open, sees it
   arrive without reloading (live feed), accepts it and dispatches it to the
   grid team;
3. the grid worker handles it on the phone app (`/w/`) and reports back
   with a photo;
4. the dispatcher sees the report-back arrive, checks the photo, verifies
   and closes the case in the console;
5. the resident sees it closed, with the report-back photo, and rates it.

Screenshots of each page: var/screenshots/e2e-*.png (git-ignored)."""

from __future__ import annotations

import importlib
import io
import re

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from wangge.cases.models import Case
from wangge.testing.browser import phone
from wangge.testing.browser import staff_login as browser_staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"
STAFF_PASSWORD = "pass-Wangge-2026"  # make_staff's default
RESIDENT_PHONE, RESIDENT_PASSWORD = "13912345678", "Jumin-Mima-2026"


def png(width: int, height: int, color) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"e2e-{name}.png"), full_page=True)


@pytest.fixture
def people(tree, make_staff, settings):
    """The catalogue (a transactional test's flush empties data migrations),
    a grid team, the street's dispatcher and a resident of the grid."""
    from django.apps import apps

    from wangge.accounts.services import resident_register

    importlib.import_module("wangge.cases.migrations.0002_default_catalogue").load(apps, None)
    settings.WANGGE_CONSOLE_POLL_SECONDS = 1  # the live feed, quickly
    grid = tree.grid_a1a_1
    return {
        "leader": make_staff("grid_leader", grid, username="zhang", name="张网格长"),
        "worker": make_staff("grid_worker", grid, username="li", name="李专职"),
        "dispatcher": make_staff("dispatcher", tree.street_a1, username="wang", name="王调度"),
        "resident": resident_register(
            phone=RESIDENT_PHONE, password=RESIDENT_PASSWORD, name="赵阿姨", grid=grid
        ),
    }


def staff_login(page, base: str, path: str, username: str) -> None:
    browser_staff_login(page, base, path, username, STAFF_PASSWORD)


def test_a_case_from_report_to_rating_across_the_three_front_ends(
    serial_live_server, contexts, people
):
    base = serial_live_server.url

    # The dispatcher's console is open before anything happens.
    console = contexts(viewport={"width": 1600, "height": 1000})
    staff_login(console, base, "/console/", "wang")
    console.wait_for_selector("#map[data-ready='1']")
    expect(console.get_by_test_id("tab-new")).to_contain_text("0")
    expect(console.get_by_test_id("map-area")).to_have_text("解放街道")

    # 1. The resident reports with a photo on a phone.
    resident = phone(contexts)
    resident.goto(f"{base}/m/login/")
    resident.get_by_label("手机号").fill(RESIDENT_PHONE)
    resident.get_by_label("密码", exact=True).fill(RESIDENT_PASSWORD)
    resident.get_by_role("button", name="登录").click()
    resident.wait_for_url(f"{base}/m/")
    resident.get_by_role("navigation", name="服务").get_by_role("link", name="报事").click()
    resident.get_by_label("问题描述").fill("3幢楼下路灯不亮了，晚上很黑")
    resident.get_by_label("事项类别").select_option(label="路灯不亮")
    resident.get_by_test_id("album").set_input_files(
        [{"name": "路灯.png", "mimeType": "image/png", "buffer": png(64, 48, (40, 40, 40))}]
    )
    expect(resident.locator(".h5-thumbs img")).to_have_count(1)
    shot(resident, "1-resident-report")
    resident.get_by_role("button", name="提交").click()
    resident.wait_for_url(re.compile(r"/m/cases/\d+/\?new=1"))
    case = Case.objects.get()
    case_url = resident.url.split("?")[0]
    expect(resident.get_by_test_id("status")).to_have_text("已上报")
    shot(resident, "2-resident-reported")

    # 2. It arrives in the console without a reload: feed, queue, map.
    expect(console.get_by_test_id("feed")).to_contain_text(case.number)
    expect(console.get_by_test_id("tab-new")).to_contain_text("1")
    row = console.locator(f"tr[data-case='{case.pk}']")
    expect(row).to_contain_text("路灯不亮")
    expect(console.locator("[data-map-sum]")).to_contain_text("在办 1 件")
    shot(console, "3-console-new-report")

    row.get_by_role("button", name="受理").click()
    panel = console.locator("#panel")
    expect(panel.get_by_test_id("panel-status")).to_have_text("已受理")
    expect(panel.get_by_role("img", name="上报照片")).to_be_visible()
    panel.locator("summary", has_text="派遣").click()
    dispatch = panel.get_by_role("form", name="派遣")
    dispatch.get_by_label("网格团队").check()
    dispatch.get_by_label("派遣说明").fill("请网格员今天处理")
    dispatch.get_by_role("button", name="确认派遣").click()
    expect(panel.get_by_test_id("panel-status")).to_have_text("已派遣")
    expect(panel.get_by_test_id("timeline")).to_contain_text("立案")
    shot(console, "4-console-dispatched")

    # 3. The grid worker handles it and reports back with a photo.
    worker = phone(contexts)
    staff_login(worker, base, "/w/", "li")
    expect(worker.get_by_test_id("count-handle").locator("b")).to_have_text("1")
    worker.get_by_test_id("count-handle").click()
    worker.get_by_role("link", name=re.compile("路灯不亮")).click()
    worker.get_by_role("button", name="开始处置").click()
    expect(worker.get_by_test_id("case-status")).to_have_text("处置中")
    worker.get_by_label("处置情况").fill("已更换灯泡，路灯恢复照明")
    worker.get_by_label("现场照片（1–9 张）").set_input_files(
        files=[
            {"name": "修好后.png", "mimeType": "image/png", "buffer": png(64, 48, (250, 220, 80))}
        ]
    )
    worker.get_by_role("button", name="处置反馈").click()
    expect(worker.get_by_test_id("case-status")).to_have_text("已处置")
    shot(worker, "5-worker-reported-back")

    # 4. The console hears of it; the dispatcher checks the photo, verifies, closes.
    expect(console.get_by_test_id("tab-verify")).to_contain_text("1")
    console.get_by_test_id("tab-verify").click()
    row = console.locator(f"tr[data-case='{case.pk}']")
    row.get_by_role("button", name="核查").click()
    expect(panel.get_by_role("img", name="处置照片")).to_be_visible()
    console.wait_for_function(
        "[...document.querySelectorAll('#panel img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    verify = panel.get_by_role("form", name="核查通过")
    verify.get_by_label("核查意见").fill("现场核实路灯已亮")
    verify.get_by_role("button", name="确认核查通过").click()
    expect(panel.get_by_test_id("panel-status")).to_have_text("已核查")
    panel.locator("summary", has_text="结案").click()
    panel.get_by_role("button", name="确认结案").click()
    expect(panel.get_by_test_id("panel-status")).to_have_text("已结案")
    expect(console.get_by_test_id("tab-verify")).to_contain_text("0")
    shot(console, "6-console-closed")

    # 5. The resident sees it closed, with the photo, and rates it.
    resident.goto(case_url)
    expect(resident.get_by_test_id("status")).to_have_text("已结案")
    timeline = resident.get_by_test_id("timeline")
    for step in ("受理", "派遣", "开始处置", "处置反馈", "结案"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("已更换灯泡")
    resident.wait_for_function(
        "[...document.querySelectorAll('.h5-photos img')].some(i => i.complete && i.naturalWidth > 0)"
    )
    resident.get_by_label("5 星 非常满意").check()
    resident.get_by_label("评价内容").fill("晚上终于亮了，谢谢")
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.get_by_test_id("status")).to_have_text("已评价")
    shot(resident, "7-resident-rated")

    case.refresh_from_db()
    assert (case.status, case.rating, case.team) == ("rated", 5, "grid")
    assert list(case.events.order_by("pk").values_list("kind", flat=True)) == [
        "report",
        "accept",
        "register",
        "dispatch",
        "handle",
        "report_back",
        "verify_pass",
        "close",
        "rate",
    ]
    assert sorted(case.attachments.values_list("kind", flat=True)) == ["intake", "report_back"]
    assert Case.objects.count() == 1
