"""议事 notifications: residents of the topic's area hear when it opens for
voting, when its decision and its implementation report are published; the
fan-out is a background task after commit, once per kind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.cases.models import Notification
from wangge.core.errors import DomainError
from wangge.deliberation import notify, services
from wangge.deliberation.models import Estate, Topic
from wangge.points.tests.people import household_with, person

NOW = timezone.now()
API = "/api/v1/cases/notifications"


def vote_settings(**kw) -> dict:
    return {"opens_at": NOW - dt.timedelta(hours=1), "closes_at": NOW + dt.timedelta(days=3), **kw}


def notified(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


@pytest.fixture
def leader(tree, make_staff):
    return make_staff("grid_leader", tree.grid_a1a_1)


def test_residents_hear_of_opening_decision_and_report(
    tree, leader, client, django_capture_on_commit_callbacks
):
    family = household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("陈父", "陈母"))
    neighbour = person(tree.grid_a1a_1, tree.mg_a1a_1_2, name="邻居")
    far = person(tree.grid_a1b_1, tree.mg_a1b_1_1, name="外网格")
    pending = household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("未核实",))[0]
    pending.user.resident_status = "pending"
    pending.user.save(update_fields=["resident_status"])
    ours = {family[0].user.pk, family[1].user.pk, neighbour.user.pk}

    proposal = services.topic_raise(
        actor=family[0].user, area_id=tree.grid_a1a_1.pk, title="加装电梯", body="3幢老人多"
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        topic = services.topic_accept(actor=leader, topic=proposal, vote=vote_settings())
    assert len(callbacks) == 1  # the fan-out is queued, not run in the request
    assert notified("topic_open") == ours  # not the other grid's, not the unverified account
    text = Notification.objects.filter(kind="topic_open").first().text
    assert "加装电梯" in text and "开始表决" in text and "每户一票" in text

    # A refused decision (the vote is still running) notifies nobody.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        services.topic_decide(actor=leader, topic=topic, decision="同意加装", now=NOW)
    assert notified("topic_decided") == set()

    later = NOW + dt.timedelta(days=4)
    with django_capture_on_commit_callbacks(execute=True):
        topic = services.topic_decide(actor=leader, topic=topic, decision="同意加装", now=later)
    assert notified("topic_decided") == ours
    assert "同意加装" in Notification.objects.filter(kind="topic_decided").first().text

    with django_capture_on_commit_callbacks(execute=True):
        services.topic_report(actor=leader, topic=topic, text="电梯已于12月完工")
    assert notified("topic_implemented") == ours
    assert far.user.pk not in set(Notification.objects.values_list("user_id", flat=True))

    # The resident reads them through the in-app notification route.
    client.force_login(neighbour.user)
    items = client.get(API, {"unread": "true"}).json()
    kinds = [i["text"][:20] for i in items]
    assert len(items) == 3, kinds
    assert Topic.objects.get(pk=topic.pk).notified == ["open", "decided", "implemented"]


def test_the_task_run_twice_notifies_once(tree, leader):
    household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("甲", "乙"))
    topic = services.topic_raise(
        actor=leader, area_id=tree.grid_a1a_1.pk, title="停车", body="划线", vote=vote_settings()
    )
    assert notify.topic_notify(topic_id=topic.pk, kind="open") == 2
    assert notify.topic_notify(topic_id=topic.pk, kind="open") == 0
    assert Notification.objects.filter(kind="topic_open").count() == 2
    assert notify.topic_notify(topic_id=999_999, kind="open") == 0


def test_an_estate_topic_notifies_the_estate_only(
    tree, make_staff, django_capture_on_commit_callbacks
):
    cadre = make_staff("community_cadre", tree.community_a1a)
    inside = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="住户甲")
    outside = person(tree.grid_a1a_1, tree.mg_a1a_1_2, name="住户乙")
    estate = Estate.objects.create(community=tree.community_a1a, name="芦席汇小区")
    estate.buildings.add(inside.household.building)
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_raise(
            actor=cadre,
            area_id=0,
            estate_id=estate.pk,
            title="更换物业",
            body="是否续聘",
            vote=vote_settings(unit="adult"),
        )
    assert notified("topic_open") == {inside.user.pk}
    assert outside.user.pk not in notified("topic_open")
    assert "每位成年居民一票" in Notification.objects.get(kind="topic_open").text


def test_the_h5_list_shows_new_messages_once(
    tree, leader, client, django_capture_on_commit_callbacks
):
    resident = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="居民")
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_raise(
            actor=leader,
            area_id=tree.grid_a1a_1.pk,
            title="楼道堆物清理",
            body="统一清理",
            vote=vote_settings(),
        )
    client.force_login(resident.user)
    page = client.get("/m/discuss/").content.decode()
    assert "新消息" in page and "楼道堆物清理" in page and "开始表决" in page
    assert client.get(API, {"unread": "true"}).json() == []  # seen
    assert "新消息" not in client.get("/m/discuss/").content.decode()
