"""Scope-matrix entries for /api/v1/topics and the deliberation admin (see
teams/tests/matrix.py). Each side gets topics on its grid in every stage, a
pending comment, an estate with the side's building and a rating campaign."""

from __future__ import annotations

import datetime as dt

from wangge.points.tests.scope_matrix import side_voter
from wangge.teams.tests.matrix import AdminObject, Principal, Route

CONVENERS = {"grid_leader", "grid_worker", "community_cadre", "street_cadre", "city_admin"}
MODERATORS = {"grid_leader", "community_cadre", "street_cadre", "city_admin"}


def populate(side, matrix) -> None:
    from django.utils import timezone

    from wangge.deliberation.models import Comment, Estate, RatingCampaign, Topic

    now = timezone.now()
    voter = side_voter(side, matrix)

    def topic(key: str, status: str, closes: dt.timedelta) -> None:
        side.extra[key] = Topic.objects.create(
            area=side.grid,
            area_path=side.grid.path,
            title=f"{side.grid.name}议题{key}",
            body="是否在小区内增设电动车充电桩",
            status=status,
            raised_by=side.staff,
            vote_opens_at=now - dt.timedelta(days=5),
            vote_closes_at=now + closes,
            eligible=1,
        )

    topic("topic", Topic.Status.OPEN, dt.timedelta(days=3))
    topic("topic_closed", Topic.Status.OPEN, -dt.timedelta(days=1))
    topic("topic_decided", Topic.Status.DECIDED, -dt.timedelta(days=1))
    topic("topic_proposed", Topic.Status.PROPOSED, dt.timedelta(days=3))
    side.extra["comment"] = Comment.objects.create(
        topic=side.extra["topic"], area_path=side.grid.path, author=voter, body="赞成增设"
    )
    estate = Estate.objects.create(
        community=side.community,
        name=f"{side.community.name}小区",
        property_company=f"{side.community.name}物业",
    )
    estate.buildings.add(side.building)
    side.extra["estate"] = estate
    campaign = RatingCampaign.objects.create(
        estate=estate,
        title=f"{side.community.name}两评",
        criteria=["服务态度", "环境卫生"],
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=7),
        created_by=side.staff,
    )
    side.extra["campaign"] = campaign
    side.extra["target"] = campaign.targets.create(kind="property", name=estate.property_company)


def _seen(p: Principal, m) -> bool:
    return p.kind == "resident" or p.covers(m.world.own.grid)


def _write(roles, ok: int = 200, resident: int = 404):
    def expect(p: Principal, m) -> int:
        if p.kind == "resident":
            return resident
        if not p.covers(m.world.own.grid):
            return 404
        return ok if p.role in roles else 403

    return expect


def read_expect(p: Principal, m) -> int:
    return 200 if _seen(p, m) else 404


def vote_expect(p: Principal, m) -> int:
    if p.kind == "resident":
        return 201
    return 403 if _seen(p, m) else 404


def campaign_expect(ok: int, staff_ok: int):
    def expect(p: Principal, m) -> int:
        if p.kind == "resident":
            return ok
        return staff_ok if p.covers(m.world.own.community) else 404

    return expect


def _closes(s, p, m) -> str:
    from django.utils import timezone

    return (timezone.now() + dt.timedelta(days=3)).isoformat()


PARAMS = {
    "topic_id": lambda s, p, m: s.extra["topic"].pk,
    "comment_id": lambda s, p, m: s.extra["comment"].pk,
    "campaign_id": lambda s, p, m: s.extra["campaign"].pk,
}
TEXT = {"text": "经表决同意增设充电桩，由物业实施"}

ROUTES = {
    "GET /topics/": Route(),
    "POST /topics/": Route(
        body=lambda s, p, m: {
            "area_id": s.grid.pk,
            "title": "楼道照明改造",
            "body": "楼道灯经常不亮",
            "vote": {"closes_at": _closes(s, p, m)},
        },
        objects=True,
        expect=_write(CONVENERS, ok=201, resident=201),
    ),
    "GET /topics/{topic_id}": Route(expect=read_expect),
    "POST /topics/{topic_id}/accept": Route(
        params={"topic_id": lambda s, p, m: s.extra["topic_proposed"].pk},
        body=lambda s, p, m: {"closes_at": _closes(s, p, m)},
        expect=_write(CONVENERS),
    ),
    "POST /topics/{topic_id}/reject": Route(
        params={"topic_id": lambda s, p, m: s.extra["topic_proposed"].pk},
        body=lambda s, p, m: {"text": "不属于社区议事范围"},
        expect=_write(CONVENERS),
    ),
    "POST /topics/{topic_id}/comments": Route(
        body=lambda s, p, m: {"text": "同意"},
        expect=_write(CONVENERS | MODERATORS, ok=201, resident=201),
    ),
    "POST /topics/comments/{comment_id}/moderate": Route(
        body=lambda s, p, m: {"approve": True}, expect=_write(MODERATORS)
    ),
    "POST /topics/{topic_id}/votes": Route(
        body=lambda s, p, m: {"choice": "yes"}, expect=vote_expect
    ),
    "POST /topics/{topic_id}/decision": Route(
        params={"topic_id": lambda s, p, m: s.extra["topic_closed"].pk},
        body=lambda s, p, m: TEXT,
        expect=_write(CONVENERS, resident=403),
    ),
    "POST /topics/{topic_id}/implementation": Route(
        params={"topic_id": lambda s, p, m: s.extra["topic_decided"].pk},
        body=lambda s, p, m: TEXT,
        expect=_write(CONVENERS, resident=403),
    ),
    "GET /topics/campaigns": Route(),
    "GET /topics/campaigns/{campaign_id}": Route(expect=campaign_expect(200, 200)),
    "POST /topics/campaigns/{campaign_id}/ratings": Route(
        body=lambda s, p, m: {
            "target_id": s.extra["target"].pk,
            "scores": {"服务态度": 5, "环境卫生": 4},
        },
        expect=campaign_expect(201, 403),
    ),
}

ADMIN_OBJECTS = {
    "deliberation.estate": AdminObject(lambda s, p, m: s.extra["estate"], lambda o: o.area_path),
    "deliberation.topic": AdminObject(lambda s, p, m: s.extra["topic"], lambda o: o.area_path),
    "deliberation.comment": AdminObject(lambda s, p, m: s.extra["comment"], lambda o: o.area_path),
    "deliberation.ratingcampaign": AdminObject(
        lambda s, p, m: s.extra["campaign"], lambda o: o.area_path
    ),
}
