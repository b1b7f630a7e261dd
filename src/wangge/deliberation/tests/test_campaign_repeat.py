"""两评 is periodic: a repeating campaign opens its next period by itself
when it closes, with the same criteria and targets, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError
from wangge.deliberation import services
from wangge.deliberation.models import Estate, RatingCampaign

OPENS = timezone.make_aware(dt.datetime(2026, 1, 31, 9, 0))


@pytest.fixture
def estate(tree):
    return Estate.objects.create(
        community=tree.community_a1a, name="芦席汇小区", property_company="绿城物业"
    )


def test_a_quarterly_campaign_opens_its_next_period_once(tree, make_staff, estate):
    cadre = make_staff("community_cadre", tree.community_a1a)
    first = services.campaign_create(
        actor=cadre,
        estate=estate,
        title="芦席汇小区两评（2026年1月）",
        opens_at=OPENS,
        closes_at=OPENS + dt.timedelta(days=20),
        partners=["芦席汇派出所"],
        criteria=["服务态度", "维修及时"],
        repeat_months=3,
    )
    # Still open: nothing yet.
    assert services.campaigns_repeat(now=OPENS + dt.timedelta(days=10)) == 0
    after_close = OPENS + dt.timedelta(days=21)
    assert services.campaigns_repeat(now=after_close) == 1
    assert services.campaigns_repeat(now=after_close) == 0  # a second run: no duplicate
    second = RatingCampaign.objects.get(previous=first)
    assert timezone.localtime(second.opens_at).date() == dt.date(2026, 4, 30)  # 31 → 30 April
    assert second.closes_at - second.opens_at == dt.timedelta(days=20)
    assert second.title == "芦席汇小区两评（2026年4月）"
    assert second.criteria == ["服务态度", "维修及时"] and second.repeat_months == 3
    assert [(t.kind, t.name) for t in second.targets.all()] == [
        (t.kind, t.name) for t in first.targets.all()
    ]
    # The next one comes only when the second closes.
    assert services.campaigns_repeat(now=second.closes_at - dt.timedelta(minutes=1)) == 0
    assert services.campaigns_repeat(now=second.closes_at) == 1
    assert RatingCampaign.objects.count() == 3


def test_one_off_campaigns_do_not_repeat_and_bad_periods_are_refused(tree, make_staff, estate):
    cadre = make_staff("community_cadre", tree.community_a1a)
    services.campaign_create(
        actor=cadre,
        estate=estate,
        title="一次性两评",
        opens_at=OPENS,
        closes_at=OPENS + dt.timedelta(days=7),
    )
    assert services.campaigns_repeat(now=OPENS + dt.timedelta(days=60)) == 0
    with pytest.raises(DomainError) as err:
        services.campaign_create(
            actor=cadre,
            estate=estate,
            title="t",
            opens_at=OPENS,
            closes_at=OPENS + dt.timedelta(days=7),
            repeat_months=13,
        )
    assert err.value.code == "bad_repeat" and "0–12" in err.value.message
    assert RatingCampaign.objects.count() == 1
