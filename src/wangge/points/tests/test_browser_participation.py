"""In chromium on a phone: a resident votes on a topic (and cannot vote
twice), sees the points the vote earned, redeems an item in the community's
points shop and shows the one-time code; the shop keeper checks it once."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from wangge.deliberation.models import Vote
from wangge.points.models import Redemption, Shop, ShopItem

from .people import fund, household_with, open_topic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-Wangge-2026"


def test_resident_votes_then_redeems_and_the_keeper_checks_the_code(
    live_server, page, tree, make_staff, client
):
    base = live_server.url
    father, mother = household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("吴建国", "吴秀英"))
    leader = make_staff("grid_leader", tree.grid_a1a_1)
    topic = open_topic(
        tree.grid_a1a_1,
        leader,
        title="小区增设电动车充电桩",
        body="拟在3幢东侧增设充电桩10个，请每户表决。",
    )
    shop = Shop.objects.create(
        community=tree.community_a1a, name="芦席汇积分超市", address="社区服务中心一楼"
    )
    item = ShopItem.objects.create(shop=shop, name="洗衣液", price=30, stock=3)
    fund(father, 30, reason="志愿服务 3 小时：垃圾分类督导")

    page.goto(f"{base}/m/login/")
    page.get_by_label("手机号").fill(father.user.username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/m/")

    page.get_by_role("navigation", name="服务").get_by_role("link", name="议事").click()
    page.get_by_role("link", name="小区增设电动车充电桩").click()
    expect(page.get_by_test_id("vote-form")).to_be_visible()
    page.get_by_role("button", name="赞成").click()
    expect(page.get_by_test_id("my-vote")).to_contain_text("已投票：赞成")
    expect(page.get_by_test_id("vote-form")).to_have_count(0)
    assert Vote.objects.filter(topic=topic).count() == 1

    page.goto(f"{base}/m/")
    page.get_by_test_id("points-link").click()
    expect(page.get_by_test_id("balance")).to_have_text("32 分")  # 30 + 2 for the vote
    expect(page.get_by_text("参与议事表决：小区增设电动车充电桩")).to_be_visible()
    page.get_by_test_id("shop").get_by_role("button", name="兑换").click()
    expect(page.get_by_test_id("balance")).to_have_text("2 分")
    code = page.get_by_test_id("code").inner_text().strip()
    assert code == Redemption.objects.get().code and len(code) == 8
    # Not enough points left: a clear answer, nothing written.
    page.get_by_test_id("shop").get_by_role("button", name="兑换").click()
    expect(page.get_by_role("alert")).to_contain_text("积分不足")
    assert Redemption.objects.count() == 1 and ShopItem.objects.get(pk=item.pk).stock == 2

    # The other member of the household: the vote is the household's.
    page.context.clear_cookies()
    page.goto(f"{base}/m/login/")
    page.get_by_label("手机号").fill(mother.user.username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/m/")
    page.goto(f"{base}/m/discuss/{topic.pk}/")
    expect(page.get_by_test_id("my-vote")).to_contain_text("（本户）已投票")

    # The keeper checks the code once (through the API, as the worker app does).
    keeper = make_staff("community_cadre", tree.community_a1a)
    client.force_login(keeper)
    url = "/api/v1/points/redemptions/check"
    ok = client.post(url, json.dumps({"code": code}), content_type="application/json")
    again = client.post(url, json.dumps({"code": code}), content_type="application/json")
    assert ok.status_code == 200 and again.status_code == 409
    assert again.json()["code"] == "code_used"
