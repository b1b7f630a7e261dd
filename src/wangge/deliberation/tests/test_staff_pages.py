"""The staff pages: the grid leader moderates in the worker app; a community
cadre accepts a resident's topic, publishes the decision and the
implementation in the console, and checks a redemption code."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wangge.deliberation import services
from wangge.deliberation.models import Comment, Topic
from wangge.points.models import Redemption, Shop, ShopItem
from wangge.points.services import redemption_create
from wangge.points.tests.people import fund, person


def test_worker_moderates_and_console_runs_a_topic_to_its_report(client, tree, make_staff):
    alice = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="议事居民")
    leader = make_staff("grid_leader", tree.grid_a1a_1)
    cadre = make_staff("community_cadre", tree.community_a1a)
    topic = services.topic_raise(
        actor=alice.user, area_id=tree.grid_a1a_1.pk, title="楼道堆物清理", body="请统一清理"
    )
    client.force_login(cadre)
    page = client.get("/console/participation/").content.decode()
    assert "楼道堆物清理" in page
    closes = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(
        f"/participation/topics/{topic.pk}/accept/",
        {
            "unit": "household",
            "kind": "yes_no",
            "quorum_percent": "50",
            "closes_at": closes,
            "next": "/console/participation/",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/console/participation/"
    topic.refresh_from_db()
    assert topic.status == Topic.Status.OPEN

    comment = services.comment_add(actor=alice.user, topic=topic, body="支持清理")
    client.force_login(leader)
    assert "支持清理" in client.get("/w/participation/").content.decode()
    client.post(f"/participation/comments/{comment.pk}/moderate/", {"approve": "1"})
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED

    # Deciding before the vote closes is refused with the reason shown.
    client.force_login(cadre)
    r = client.post(
        f"/participation/topics/{topic.pk}/decide/",
        {"text": "同意", "next": "/console/participation/"},
        follow=True,
    )
    assert "表决尚未截止" in r.content.decode()
    Topic.objects.filter(pk=topic.pk).update(
        vote_closes_at=timezone.now() - dt.timedelta(minutes=1)
    )
    client.post(f"/participation/topics/{topic.pk}/decide/", {"text": "本周六统一清理"})
    client.post(f"/participation/topics/{topic.pk}/implementation/", {"text": "已清理完毕"})
    topic.refresh_from_db()
    assert topic.status == Topic.Status.IMPLEMENTED and topic.implementation == "已清理完毕"


def test_keeper_checks_a_code_on_the_page(client, tree, make_staff):
    alice = person(tree.grid_a1a_1, tree.mg_a1a_1_1)
    shop = Shop.objects.create(community=tree.community_a1a, name="积分超市")
    item = ShopItem.objects.create(shop=shop, name="毛巾", price=5, stock=3)
    fund(alice, 10)
    r = redemption_create(actor=alice.user, item_id=item.pk)
    cadre = make_staff("community_cadre", tree.community_a1a)
    client.force_login(cadre)
    page = client.post(
        "/participation/codes/check/", {"code": r.code, "next": "/w/participation/"}, follow=True
    )
    assert "核验通过：请发放 毛巾 ×1" in page.content.decode()
    page = client.post(
        "/participation/codes/check/", {"code": r.code, "next": "/w/participation/"}, follow=True
    )
    assert "不能重复领取" in page.content.decode()
    assert Redemption.objects.get().status == "fulfilled"
    # A grid worker is no keeper: the code does not exist for them.
    worker = make_staff("grid_worker", tree.grid_a1a_1)
    client.force_login(worker)
    page = client.post("/participation/codes/check/", {"code": r.code}, follow=True)
    assert "兑换码不存在" in page.content.decode()


def test_demo_data_for_the_demo_grid(tree, make_staff):
    from wangge.civic.models import Venue
    from wangge.deliberation.demo import participation_demo
    from wangge.deliberation.models import RatingCampaign

    leader = make_staff("grid_leader", tree.grid_a1a_1)
    cadre = make_staff("community_cadre", tree.community_a1a)
    assert participation_demo(grid=tree.grid_a1a_1, leader=leader, cadre=cadre) is True
    assert participation_demo(grid=tree.grid_a1a_1, leader=leader, cadre=cadre) is False
    assert Topic.objects.get().status == Topic.Status.OPEN
    assert ShopItem.objects.count() == 4 and Venue.objects.count() == 1
    assert RatingCampaign.objects.get().targets.count() == 2


def test_volunteer_hours_by_id_number_or_for_a_part_time_worker(client, tree, make_staff):
    from wangge.core import crypto
    from wangge.points.services import balance, holder_of

    alice = person(tree.grid_a1a_1, tree.mg_a1a_1_1)
    id_number = crypto.decrypt(alice.resident.id_number_enc)
    worker = make_staff("grid_worker", tree.grid_a1a_1)
    part_timer = make_staff("part_time_worker", tree.grid_a1a_1, name="兼职小周")
    client.force_login(worker)
    page = client.get("/w/participation/").content.decode()
    assert "兼职小周" in page
    data = {"id_number": id_number, "hours": "2", "note": "垃圾分类督导"}
    page = client.post("/participation/awards/", data, follow=True).content.decode()
    assert "登记志愿服务 2 小时" in page and balance(holder_of(alice.user)) == 20
    page = client.post("/participation/awards/", {**data, "id_number": "123"}, follow=True)
    assert "身份证号应为18位" in page.content.decode()
    client.post(
        "/participation/awards/", {"worker_id": part_timer.pk, "hours": "1", "note": "巡查"}
    )
    assert balance(holder_of(part_timer)) == 10
    # Someone from another district is not found, and nothing is written.
    outsider = make_staff("grid_worker", tree.grid_b1a_1)
    client.force_login(outsider)
    page = client.post("/participation/awards/", data, follow=True).content.decode()
    assert "没有这位居民" in page and balance(holder_of(alice.user)) == 20
