"""Demo data for 议事, 积分 and 办事 on the demo grid (`wangge demo`):
a topic open for a household vote, an estate with a 两评 campaign, a points
shop with items, a bookable room. Idempotent: skipped when the community
already has a shop."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.civic.models import Service, Venue
from wangge.people.models import Building
from wangge.points.models import Shop, ShopItem

from . import services
from .models import Estate


@transaction.atomic
def participation_demo(*, grid: Area, leader: User, cadre: User) -> bool:
    community = grid.parent
    if Shop.objects.filter(community=community).exists():
        return False
    now = timezone.now()
    shop = Shop.objects.create(
        community=community,
        name=f"{community.name}积分超市",
        address=f"{community.name}党群服务中心一楼",
        exchange_days="3,6",
        hours="9:00–11:30",
    )
    for i, (name, price, stock) in enumerate(
        [("洗衣液", 30, 20), ("食用油 1.8L", 80, 10), ("抽纸 6 包", 20, 40), ("理发券", 15, 30)]
    ):
        ShopItem.objects.create(shop=shop, name=name, price=price, stock=stock, sort=i)
    Venue.objects.create(
        area=community,
        name=f"{community.name}党群服务中心多功能厅",
        address=f"{community.name}党群服务中心二楼",
        capacity=40,
        description="可用于居民议事会、志愿者培训、文体活动，请爱护设施。",
    )
    Service.objects.create(
        area=community,
        name="居住证明开具",
        category="证明",
        location=f"{community.name}党群服务中心一楼服务窗口",
        hours="工作日 8:30–11:30，13:30–17:00",
        documents="身份证原件；租住的另需租赁合同",
    )
    services.topic_raise(
        actor=leader,
        area_id=grid.pk,
        title="小区增设电动车充电桩",
        body="为减少电动车进楼道充电的火灾隐患，拟在小区东侧空地增设充电桩 20 个，费用由街道承担。请各户表决。",
        vote={
            "unit": "household",
            "kind": "yes_no",
            "quorum_percent": 50,
            "closes_at": now + dt.timedelta(days=7),
        },
        now=now,
    )
    estate = Estate.objects.create(
        community=community, name=f"{grid.name}小区", property_company="嘉禾物业服务有限公司"
    )
    estate.buildings.set(Building.objects.filter(grid=grid)[:20])
    services.campaign_create(
        actor=cadre,
        estate=estate,
        title=f"{now.year}年第四季度两评",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=14),
        partners=[f"{community.name}社区卫生服务站"],
    )
    return True
