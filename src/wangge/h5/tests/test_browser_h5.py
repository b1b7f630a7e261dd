"""The resident H5 in chromium on a phone-sized screen: log in, report with a
photo and a point on the map, follow the case, rate it once closed; 360 px
without horizontal scroll, the large-text switch, the lockout, sign-up and
SMS-code login. Screenshots of each page go to var/screenshots/."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from wangge.cases.models import Case, SmsLog

from .conftest import PASSWORD, PHONE, close_case, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"

# Elements wider than the screen, outside the map (Leaflet's panes may overflow
# its clipped container by design).
OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth;
  const bad = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('.leaflet-container') && !e.classList.contains('leaflet-container')) continue;
    const r = e.getBoundingClientRect();
    if (r.width && (r.right > w + 0.5 || r.left < -0.5)) bad.push(e.tagName + '.' + e.className);
  }
  if (document.documentElement.scrollWidth > w) bad.push('document ' + document.documentElement.scrollWidth);
  return bad;
}"""


@pytest.fixture
def phone(browser):
    def open_phone(width=375, height=812):
        context = browser.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": width, "height": height},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        contexts.append(context)
        p = context.new_page()
        p.set_default_timeout(15000)
        return p

    contexts = []
    yield open_phone
    for c in contexts:
        c.close()


def noise_png(width: int, height: int) -> bytes:
    import io
    import os

    from PIL import Image

    buf = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buf, "PNG")
    return buf.getvalue()


def shot(page, name: str) -> None:
    """The whole page as the phone shows it: the viewport grown to the page's
    height, so the sticky header and the bottom bar sit where they belong."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def fits(page) -> None:
    assert page.evaluate(OVERFLOW_JS) == [], page.url


def log_in(page, base, phone_number=PHONE, password=PASSWORD, expect_home=True):
    page.goto(f"{base}/m/")
    page.get_by_label("手机号").fill(phone_number)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    if expect_home:
        page.wait_for_url(f"{base}/m/")


def test_resident_reports_with_a_photo_follows_the_case_and_rates_it(live_server, phone, place):
    base = live_server.url
    page = phone(375, 812)
    page.goto(f"{base}/m/")
    expect(page).to_have_url(re.compile(r"/m/login/"))
    shot(page, "h5-login")
    log_in(page, base)

    expect(page.get_by_role("heading", name="芦席汇社区第一网格")).to_be_visible()
    call = page.get_by_role("link", name=re.compile("拨打张网格长的电话"))
    expect(call).to_have_attribute("href", "tel:13700000001")
    expect(page.get_by_role("link", name=re.compile("拨打李专职的电话"))).to_be_visible()
    expect(page.get_by_test_id("pending")).to_be_visible()
    page.wait_for_selector("[data-testid=grid-map][data-ready='1'] canvas")
    fits(page)
    shot(page, "h5-home")

    page.get_by_role("navigation", name="服务").get_by_role("link", name="报事").click()
    page.get_by_label("问题描述").fill("3幢楼下路灯不亮了，晚上很黑")
    chip = page.locator(".h5-chip").first
    expect(chip).to_be_visible()
    chip.click()
    assert page.get_by_label("事项类别").input_value() != ""
    page.get_by_test_id("album").set_input_files(
        [
            {"name": "路灯.png", "mimeType": "image/png", "buffer": png_bytes(64, 48)},
            # a phone-sized photo: shrunk on the phone before it is sent
            {"name": "全景.png", "mimeType": "image/png", "buffer": noise_png(1800, 1400)},
        ]
    )
    expect(page.locator(".h5-thumbs img")).to_have_count(2)
    pick = page.get_by_test_id("pick-map")
    page.wait_for_selector("[data-testid=pick-map][data-ready='1']")
    box = pick.bounding_box()
    pick.click(position={"x": box["width"] * 0.45, "y": box["height"] * 0.5})  # inside the grid
    expect(page.get_by_text("已在地图上选定位置")).to_be_visible()
    expect(page.get_by_label("在地图上点选")).to_be_checked()
    fits(page)
    shot(page, "h5-report")
    # a double tap sends the report once
    page.get_by_role("button", name="提交").dblclick()
    page.wait_for_url(re.compile(r"/m/cases/\d+/\?new=1"))

    case = Case.objects.get()
    small, big = case.attachments.order_by("pk")
    assert (small.content_type, small.width, small.height) == ("image/png", 64, 48)
    assert (big.content_type, big.width, big.height) == ("image/jpeg", 1600, 1244)
    assert case.lng is not None and case.area.path.startswith(place.tree.grid_a1a_1.path)
    expect(page.get_by_text(f"已提交，工单号 {case.number}")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("已上报")
    expect(page.get_by_test_id("timeline")).to_contain_text("上报")
    shot(page, "h5-case-new")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的工单").click()
    expect(page.get_by_test_id("my-cases")).to_contain_text(case.number)
    fits(page)
    shot(page, "h5-my-cases")

    close_case(place, case.pk)
    page.get_by_test_id("my-cases").get_by_role("link").first.click()
    expect(page.get_by_test_id("status")).to_have_text("已结案")
    timeline = page.get_by_test_id("timeline")
    for step in ("受理", "派遣", "开始处置", "处置反馈", "结案"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("已修好路灯")
    page.wait_for_function(
        "[...document.querySelectorAll('.h5-photos img')].some(i => i.complete && i.naturalWidth > 0)"
    )
    shot(page, "h5-case-closed")
    page.get_by_label("5 星 非常满意").check()
    page.get_by_label("评价内容").fill("修得很快，谢谢网格员")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_test_id("status")).to_have_text("已评价")
    expect(page.get_by_text("★★★★★")).to_be_visible()
    expect(page.get_by_test_id("rate-form")).to_have_count(0)
    shot(page, "h5-case-rated")
    case.refresh_from_db()
    assert (case.status, case.rating) == ("rated", 5)
    assert Case.objects.count() == 1


def test_360px_wide_pages_fit_and_the_large_text_switch_is_remembered(live_server, phone, place):
    base = live_server.url
    page = phone(360, 740)
    page.goto(f"{base}/m/register/")
    expect(page.get_by_label("区县")).to_be_enabled()
    fits(page)
    log_in(page, base)
    for path in (
        "/m/",
        "/m/report/",
        "/m/cases/",
        "/m/discuss/",
        "/m/notices/",
        "/m/services/",
        "/m/ratings/",
    ):
        page.goto(base + path)
        fits(page)
    expect(page.get_by_text("暂无待评价的工单")).to_be_visible()
    page.goto(f"{base}/m/discuss/")
    expect(page.get_by_role("heading", name="暂无议事")).to_be_visible()
    shot(page, "h5-discuss")
    page.goto(f"{base}/m/notices/")
    expect(page.get_by_text("在办工单已清零")).to_be_visible()
    shot(page, "h5-notices")

    page.goto(f"{base}/m/")
    size = "() => getComputedStyle(document.querySelector('.h5-grid-name')).fontSize"
    normal = float(page.evaluate(size).rstrip("px"))
    toggle = page.get_by_role("button", name="大字")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert float(page.evaluate(size).rstrip("px")) >= normal * 1.2
    page.reload()  # remembered
    expect(page.locator("body")).to_have_class(re.compile("large-text"))
    assert float(page.evaluate(size).rstrip("px")) >= normal * 1.2
    page.wait_for_selector("[data-testid=grid-map][data-ready='1']")
    fits(page)
    shot(page, "h5-home-large-text")
    page.goto(f"{base}/m/report/")
    fits(page)
    page.get_by_role("button", name="大字").click()
    expect(page.locator("body")).not_to_have_class(re.compile("large-text"))


def test_five_bad_passwords_lock_the_account(live_server, phone, place):
    base = live_server.url
    page = phone()
    for _ in range(4):
        log_in(page, base, password="Wrong-Pass-1", expect_home=False)
        expect(page.get_by_text("手机号或密码错误")).to_be_visible()
    log_in(page, base, password="Wrong-Pass-1", expect_home=False)
    expect(page.get_by_text("账号已临时锁定")).to_be_visible()
    log_in(page, base, expect_home=False)  # the right password no longer helps
    expect(page.get_by_text("账号已临时锁定")).to_be_visible()
    shot(page, "h5-locked")
    assert "/m/login/" in page.url


def test_sign_up_waits_for_the_check_then_log_in_with_an_sms_code(live_server, phone, tree):
    base = live_server.url
    page = phone()
    page.goto(f"{base}/m/register/")
    page.get_by_label("姓名").fill("孙大爷")
    page.get_by_label("手机号").fill("13655556666")
    page.get_by_label("密码（至少 8 位").fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_label("区县").select_option(label="南湖区")
    page.get_by_label("镇街").select_option(label="解放街道")
    page.get_by_label("村社区").select_option(label="芦席汇社区")
    page.get_by_label("网格").select_option(label="芦席汇社区第一网格")
    shot(page, "h5-register")
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(f"{base}/m/")
    expect(page.get_by_test_id("pending")).to_contain_text("等待网格员核实")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/m/login/"))

    page.get_by_role("tab", name="验证码登录").click()
    page.get_by_label("手机号").fill("13655556666")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text("验证码已通过短信发送")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("秒后重发"))).to_be_disabled()
    text = SmsLog.objects.latest("pk").text
    code = re.search(r"验证码为 (\d{6})", text).group(1)
    page.get_by_label("短信验证码").fill(code)
    shot(page, "h5-code-login")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/m/")
    expect(page.get_by_role("heading", name="芦席汇社区第一网格")).to_be_visible()
