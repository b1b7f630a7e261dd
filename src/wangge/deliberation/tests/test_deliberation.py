"""议事: raise → accept → comment/moderate → vote → decide → report; 两评."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from wangge.core.errors import DomainError
from wangge.deliberation import selectors, services
from wangge.deliberation.models import Comment, Estate, Rating, Topic, Vote
from wangge.points.models import PointsEntry, RuleKind
from wangge.points.tests.people import CHILD_BIRTH, household_with, person

NOW = timezone.now()


def vote_settings(**kw) -> dict:
    return {"opens_at": NOW - dt.timedelta(hours=1), "closes_at": NOW + dt.timedelta(days=3), **kw}


@pytest.fixture
def leader(tree, make_staff):
    return make_staff("grid_leader", tree.grid_a1a_1)


@pytest.fixture
def family(tree):
    return household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("陈父", "陈母"))


def test_a_residents_topic_goes_through_both_deliberations_and_publications(tree, leader, family):
    father, mother = family
    topic = services.topic_raise(
        actor=father.user,
        area_id=tree.grid_a1a_1.pk,
        title="加装电梯",
        body="3幢老人多，申请加装电梯",
    )
    assert topic.status == Topic.Status.PROPOSED
    # Not public until accepted; the proposer sees it.
    assert topic not in selectors.topic_list(actor=mother.user)
    assert topic in selectors.topic_list(actor=father.user)
    topic = services.topic_accept(actor=leader, topic=topic, vote=vote_settings(quorum_percent=50))
    assert topic.status == Topic.Status.OPEN and topic.eligible == 1  # one household
    # Comments wait for the grid leader.
    c = services.comment_add(actor=mother.user, topic=topic, body="支持，费用怎么分摊？")
    assert c.status == Comment.Status.PENDING
    assert c not in selectors.comments_of(actor=father.user, topic=topic)
    assert c in selectors.comments_of(actor=mother.user, topic=topic)
    assert c in selectors.pending_comments(actor=leader)
    services.comment_moderate(actor=leader, comment=c, approve=True)
    assert c in selectors.comments_of(actor=father.user, topic=topic)
    # One vote per household: the mother's is refused after the father's.
    vote = services.vote_cast(actor=father.user, topic=topic, choice="yes", now=NOW)
    assert vote.voter_key == f"h{father.household.pk}"
    with pytest.raises(DomainError) as err:
        services.vote_cast(actor=mother.user, topic=topic, choice="no", now=NOW)
    assert err.value.code == "already_voted" and "每户只能投一票" in err.value.message
    assert Vote.objects.count() == 1
    assert PointsEntry.objects.filter(resident=father.resident, rule=RuleKind.VOTE).count() == 1
    # Decision only after the vote closes, with the tally.
    with pytest.raises(DomainError) as err:
        services.topic_decide(actor=leader, topic=topic, decision="同意加装", now=NOW)
    assert err.value.code == "vote_running"
    later = NOW + dt.timedelta(days=4)
    topic = services.topic_decide(actor=leader, topic=topic, decision="同意加装", now=later)
    assert topic.result["counts"] == {"赞成": 1, "反对": 0}
    assert topic.quorum_met is True and topic.result["turnout_percent"] == 100.0
    with pytest.raises(DomainError) as err:
        services.vote_cast(actor=mother.user, topic=topic, choice="no", now=later)
    assert err.value.code == "vote_closed"
    topic = services.topic_report(actor=leader, topic=topic, text="电梯已于12月完工")
    assert topic.status == Topic.Status.IMPLEMENTED


def test_vote_after_closing_and_second_vote_change_nothing(tree, leader, family):
    father, mother = family
    topic = services.topic_raise(
        actor=leader,
        area_id=tree.grid_a1a_1.pk,
        title="停车位划线",
        body="方案二选一",
        vote=vote_settings(unit="adult", kind="options", options=["方案一", "方案二"]),
    )
    one, two = topic.options.all()
    services.vote_cast(actor=father.user, topic=topic, option_id=one.pk, now=NOW)
    # Per adult: the mother votes too, but only once.
    services.vote_cast(actor=mother.user, topic=topic, option_id=two.pk, now=NOW)
    with pytest.raises(DomainError) as err:
        services.vote_cast(actor=mother.user, topic=topic, option_id=one.pk, now=NOW)
    assert err.value.code == "already_voted" and err.value.message == "您已经投过票，每人只能投一票"
    with pytest.raises(DomainError) as err:
        services.vote_cast(
            actor=father.user, topic=topic, option_id=one.pk, now=NOW + dt.timedelta(days=5)
        )
    assert err.value.code == "vote_closed" and "截止" in err.value.message
    assert Vote.objects.count() == 2
    assert PointsEntry.objects.filter(rule=RuleKind.VOTE).count() == 2
    result = services.tally(topic)
    assert result["counts"] == {"方案一": 1, "方案二": 1} and result["total"] == 2


def test_who_may_vote(tree, leader):
    topic = services.topic_raise(
        actor=leader,
        area_id=tree.grid_a1a_1.pk,
        title="议题",
        body="内容",
        vote=vote_settings(unit="adult"),
    )
    child = household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("小明",), birth=CHILD_BIRTH)[0]
    with pytest.raises(DomainError) as err:
        services.vote_cast(actor=child.user, topic=topic, choice="yes", now=NOW)
    assert err.value.code == "not_adult"
    # Another grid's resident does not see the topic at all.
    far = person(tree.grid_a1b_1, tree.mg_a1b_1_1)
    with pytest.raises(Http404):
        services.access_topic(actor=far.user, topic_id=topic.pk)
    with pytest.raises(DomainError) as err:
        services.vote_cast(actor=leader, topic=topic, choice="yes", now=NOW)
    assert err.value.code == "residents_only"
    assert Vote.objects.count() == 0


def test_bad_topics_are_refused(tree, make_staff, leader, family):
    worker_b = make_staff("grid_worker", tree.grid_b1a_1)
    with pytest.raises(Http404):
        services.topic_raise(
            actor=worker_b, area_id=tree.grid_a1a_1.pk, title="t", body="b", vote={}
        )
    cases = [
        ({"closes_at": None}, "bad_vote_window"),
        (vote_settings(kind="options", options=["仅一个"]), "bad_options"),
        (vote_settings(quorum_percent=120), "bad_quorum"),
        (vote_settings(unit="everyone"), "bad_vote_unit"),
    ]
    for vote, code in cases:
        with pytest.raises(DomainError) as err:
            services.topic_raise(
                actor=leader, area_id=tree.grid_a1a_1.pk, title="t", body="b", vote=vote
            )
        assert err.value.code == code
    micro_leader = make_staff("micro_grid_leader", tree.mg_a1a_1_1)
    with pytest.raises(DomainError) as err:
        services.topic_raise(actor=micro_leader, area_id=tree.mg_a1a_1_1.pk, title="t", body="b")
    assert err.value.code in ("not_allowed", "bad_area")
    assert Topic.objects.count() == 0


def test_estate_topics_and_two_ratings(tree, make_staff):
    cadre = make_staff("community_cadre", tree.community_a1a)
    inside = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="住户甲")
    outside = person(tree.grid_a1a_1, tree.mg_a1a_1_2, name="住户乙")
    estate = Estate.objects.create(
        community=tree.community_a1a, name="芦席汇小区", property_company="绿城物业"
    )
    estate.buildings.add(inside.household.building)
    topic = services.topic_raise(
        actor=cadre,
        area_id=0,
        estate_id=estate.pk,
        title="更换物业",
        body="是否续聘",
        vote=vote_settings(),
    )
    assert topic.eligible == 1
    with pytest.raises(DomainError) as err:
        services.vote_cast(actor=outside.user, topic=topic, choice="yes", now=NOW)
    assert err.value.code == "not_eligible"
    services.vote_cast(actor=inside.user, topic=topic, choice="no", now=NOW)

    campaign = services.campaign_create(
        actor=cadre,
        estate=estate,
        title="2026年第四季度两评",
        opens_at=NOW - dt.timedelta(days=1),
        closes_at=NOW + dt.timedelta(days=7),
        partners=["芦席汇派出所"],
    )
    prop, partner = campaign.targets.all()
    scores = dict.fromkeys(campaign.criteria, 4)
    services.rating_submit(actor=inside.user, campaign=campaign, target_id=prop.pk, scores=scores)
    with pytest.raises(DomainError) as err:
        services.rating_submit(
            actor=inside.user, campaign=campaign, target_id=prop.pk, scores=scores
        )
    assert err.value.code == "already_rated"
    with pytest.raises(DomainError) as err:
        services.rating_submit(
            actor=outside.user, campaign=campaign, target_id=prop.pk, scores=scores
        )
    assert err.value.code == "not_eligible"
    with pytest.raises(DomainError) as err:
        services.rating_submit(
            actor=inside.user, campaign=campaign, target_id=partner.pk, scores={"服务态度": 9}
        )
    assert err.value.code == "bad_score"
    assert Rating.objects.count() == 1
    results = selectors.campaign_results(campaign)
    assert results[0]["name"] == "绿城物业" and results[0]["overall"] == 4.0
    assert results[1]["ratings"] == 0 and results[1]["overall"] is None
