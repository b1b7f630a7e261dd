"""`wangge demo`'s leaders' screen in chromium: the demo city's screen
shows non-zero headline numbers (from the demo street's six months of
history), every index card, and the map of the districts."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from wangge.testing.browser import staff_login
from wangge.testing.fixtures import ensure_seed_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = settings.BASE_DIR / "var" / "screenshots"


def _number(text: str) -> float:
    m = re.search(r"-?\d+(?:\.\d+)?", text.replace(",", ""))
    return float(m.group()) if m else 0.0


def test_demo_screen_has_numbers_and_map(live_server, browser):
    from wangge.accounts.models import User
    from wangge.core.management.commands.demo import DEMO_PASSWORD

    # A transactional test before this one on the worker flushed what the
    # data migrations put in (catalogue, care groups, …); `demo` needs it.
    ensure_seed_data()
    call_command("demo", stdout=io.StringIO())
    leader = User.objects.get(username="demo_leader")
    city = leader.assignments.get(role="leader").area
    ctx = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1920, "height": 1080}
    )
    page = ctx.new_page()
    page.set_default_timeout(20000)
    staff_login(page, live_server.url, f"/screen/{city.pk}/", "demo_leader", DEMO_PASSWORD)
    page.wait_for_selector("body[data-loaded='1']")
    # Live numbers: open cases and this period's reports are not zero.
    live = {
        el.inner_text().split("\n")[-1].strip(): _number(el.inner_text())
        for el in page.locator("#s-live > div").all()
    }
    assert live["在办工单"] > 0, live
    assert live["本期上报"] > 0, live
    # Every index card has a number (no "—"), and the case indices are > 0.
    for code in (
        "closure",
        "on_time",
        "satisfaction",
        "visit_coverage",
        "awareness",
        "online",
        "points",
        "bastion",
        "composite",
    ):
        text = page.locator(f".s-card[data-code='{code}'] b").inner_text()
        assert _number(text) > 0, (code, text)
    # The map of the city's districts, shaded.
    shapes = page.request.get(f"{live_server.url}/console/map/{city.pk}/shapes/").json()
    assert len(shapes["features"]) == 7  # Jiaxing's districts
    # Leaflet draws them on a canvas: some of its pixels are painted.
    page.wait_for_function(
        """() => {
          const c = document.querySelector('#s-map canvas');
          if (!c || !c.width) return false;
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 40) if (d[i] > 0) return true;
          return false;
        }"""
    )
    expect(page.locator("#s-ranking li").first).to_contain_text("南湖区")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "screen-demo-city.png"))
    ctx.close()
