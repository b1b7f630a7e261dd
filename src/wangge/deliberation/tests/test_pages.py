"""The resident H5 pages of 议事, 积分 and 办事 through the test client:
what a resident sees and what a bad POST answers (zh-Hans, nothing written)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from wangge.civic.models import Booking, Venue
from wangge.deliberation.models import Comment, Topic, Vote
from wangge.points.models import Redemption, Shop, ShopItem
from wangge.points.tests.people import fund, household_with, open_topic


@pytest.fixture
def family(tree):
    return household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("林父", "林母"))


@pytest.fixture
def topic(tree, make_staff):
    return open_topic(
        tree.grid_a1a_1,
        make_staff("grid_leader", tree.grid_a1a_1),
        title="小区增设充电桩",
        body="是否同意在3幢旁增设电动车充电桩",
        days=2,
    )


def test_vote_and_a_second_vote_on_the_page(client, family, topic):
    father, mother = family
    client.force_login(father.user)
    page = client.get("/m/discuss/").content.decode()
    assert "小区增设充电桩" in page
    assert 'data-testid="vote-form"' in client.get(f"/m/discuss/{topic.pk}/").content.decode()
    r = client.post(f"/m/discuss/{topic.pk}/vote/", {"choice": "yes"})
    assert r.status_code == 302
    assert "已投票：赞成" in client.get(f"/m/discuss/{topic.pk}/").content.decode()
    client.force_login(mother.user)
    page = client.get(f"/m/discuss/{topic.pk}/").content.decode()
    assert 'data-testid="vote-form"' not in page and "（本户）已投票" in page
    # A forged second vote of the household: refused in Chinese, nothing written.
    r = client.post(f"/m/discuss/{topic.pk}/vote/", {"choice": "no"})
    assert r.status_code == 409 and "本户已经投过票" in r.content.decode()
    assert Vote.objects.count() == 1


def test_raise_and_comment(client, family, topic):
    father, _ = family
    client.force_login(father.user)
    r = client.post("/m/discuss/", {"title": "", "body": "内容"})
    assert r.status_code == 422 and "请填写议题" in r.content.decode()
    r = client.post("/m/discuss/", {"title": "垃圾分类亭搬迁", "body": "离窗户太近"})
    assert r.status_code == 302 and Topic.objects.filter(status="proposed").count() == 1
    client.post(f"/m/discuss/{topic.pk}/comment/", {"body": "同意，晚上要有照明"})
    page = client.get(f"/m/discuss/{topic.pk}/").content.decode()
    assert "待网格长审核" in page and Comment.objects.get().status == "pending"


def test_points_page_redeem_and_code(client, tree, family):
    father, _ = family
    shop = Shop.objects.create(
        community=tree.community_a1a, name="芦席汇积分超市", exchange_days="6,7"
    )
    item = ShopItem.objects.create(shop=shop, name="洗衣液", price=30, stock=2)
    client.force_login(father.user)
    r = client.post("/m/points/redeem/", {"item_id": item.pk})
    assert r.status_code == 409 and "积分不足" in r.content.decode()
    fund(father, 50)
    assert client.post("/m/points/redeem/", {"item_id": item.pk}).status_code == 302
    page = client.get("/m/points/").content.decode()
    code = Redemption.objects.get().code
    assert "20 分" in page and code in page and "周六、周日" in page


def test_services_page_and_booking(client, tree, family):
    importlib.import_module("wangge.civic.migrations.0002_hotlines").add(apps, None)
    venue = Venue.objects.create(area=tree.community_a1a, name="党群服务中心多功能厅")
    father, mother = family
    client.force_login(father.user)
    page = client.get("/m/services/").content.decode()
    assert "tel:12345" in page and "tel:96345" in page and "党群服务中心多功能厅" in page
    day = timezone.localdate() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(9, 30), tzinfo=timezone.get_current_timezone())
    data = {"starts_at": start.isoformat(), "slots": "2", "purpose": "楼组议事会", "people": "12"}
    url = f"/m/services/venues/{venue.pk}/?date={day:%Y-%m-%d}"
    assert client.post(url, data).status_code == 302
    client.force_login(mother.user)
    r = client.post(url, {**data, "slots": "1"})
    assert r.status_code == 409 and "已被他人预约" in r.content.decode()
    assert Booking.objects.count() == 1
    assert "已约满" in client.get(url).content.decode()
