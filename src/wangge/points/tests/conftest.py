from __future__ import annotations

import pytest

from wangge.points.models import Shop, ShopItem

from .people import person


@pytest.fixture
def shop(tree):
    return Shop.objects.create(
        community=tree.community_a1a, name="芦席汇积分超市", exchange_days="1,2,3,4,5,6,7"
    )


@pytest.fixture
def item(shop):
    return ShopItem.objects.create(shop=shop, name="洗衣液", price=30, stock=5)


@pytest.fixture
def alice(tree):
    return person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="王丽")
