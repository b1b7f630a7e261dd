"""/api/v1/topics: 议事 (topics, comments, votes, decisions) and 两评
(rating campaigns). Thin: parse, access, one service call."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.areas.schemas import ErrorOut
from wangge.core.masking import mask_name
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import Topic

router = Router(tags=["议事"], auth=[BearerAuth(), SessionAuth()])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class VoteIn(Schema):
    unit: str = Field("household", description="household 每户一票 / adult 每位成年居民一票")
    kind: str = Field("yes_no", description="yes_no 赞成/反对 / options 多选一")
    options: list[str] = []
    quorum_percent: int = 50
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class TopicIn(Schema):
    area_id: int = 0
    estate_id: int | None = None
    title: str
    body: str
    vote: VoteIn | None = Field(None, description="干部发起时的表决设置；居民提议时不填")


class OptionOut(Schema):
    id: int
    label: str


class CommentOut(Schema):
    id: int
    author: str
    body: str
    status: str
    created_at: datetime


class TopicOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    area: str
    estate: str | None
    vote_unit: str
    vote_kind: str
    quorum_percent: int
    vote_opens_at: datetime | None
    vote_closes_at: datetime | None
    created_at: datetime


class TopicDetailOut(TopicOut):
    body: str
    options: list[OptionOut]
    comments: list[CommentOut]
    my_vote: str | None
    eligible: int
    result: dict
    decision: str
    decided_at: datetime | None
    implementation: str
    implemented_at: datetime | None


class TextIn(Schema):
    text: str


class ModerateIn(Schema):
    approve: bool
    note: str = ""


class BallotIn(Schema):
    choice: str = Field("", description="yes / no（赞成/反对类）")
    option_id: int | None = Field(None, description="选项 id（多选一）")


class CreatedOut(Schema):
    id: int
    status: str


class TargetOut(Schema):
    id: int
    kind: str
    name: str


class CampaignOut(Schema):
    id: int
    title: str
    estate: str
    criteria: list[str]
    opens_at: datetime
    closes_at: datetime
    targets: list[TargetOut]
    results: list[dict] | None


class RatingIn(Schema):
    target_id: int
    scores: dict[str, int]
    comment: str = ""


def _topic(t: Topic) -> dict:
    return {
        "id": t.pk,
        "title": t.title,
        "status": t.status,
        "status_label": str(t.get_status_display()),
        "area": t.area.name,
        "estate": t.estate.name if t.estate_id else None,
        "vote_unit": t.vote_unit,
        "vote_kind": t.vote_kind,
        "quorum_percent": t.quorum_percent,
        "vote_opens_at": t.vote_opens_at,
        "vote_closes_at": t.vote_closes_at,
        "created_at": t.created_at,
    }


def _detail(request, t: Topic) -> dict:
    vote = selectors.my_vote(actor=request.auth, topic=t)
    staff = scope_for(request.auth).is_staff_scope
    published = t.status in (Topic.Status.DECIDED, Topic.Status.IMPLEMENTED)
    return {
        **_topic(t),
        "body": t.body,
        "options": [{"id": o.pk, "label": o.label} for o in t.options.all()],
        "comments": [
            {
                "id": c.pk,
                "author": mask_name(c.author.name),  # personal data: masked for all
                "body": c.body,
                "status": c.status,
                "created_at": c.created_at,
            }
            for c in selectors.comments_of(actor=request.auth, topic=t)
        ],
        "my_vote": (vote.option.label if vote.option_id else vote.choice) if vote else None,
        "eligible": t.eligible,
        "result": t.result if published or staff else {},
        "decision": t.decision,
        "decided_at": t.decided_at,
        "implementation": t.implementation,
        "implemented_at": t.implemented_at,
    }


@router.get("/", response=list[TopicOut], summary="议题列表")
def topic_list(request, status: str = ""):
    return [_topic(t) for t in selectors.topic_list(actor=request.auth, status=status)]


@router.post(
    "/",
    response={201: CreatedOut, **ERRORS},
    summary="提出议题（居民提议待受理；干部直接发起表决）",
)
def topic_raise(request, payload: TopicIn):
    t = services.topic_raise(
        actor=request.auth,
        area_id=payload.area_id,
        estate_id=payload.estate_id,
        title=payload.title,
        body=payload.body,
        vote=payload.vote.dict() if payload.vote else None,
    )
    return Status(201, {"id": t.pk, "status": t.status})


@router.get("/campaigns", response=list[CampaignOut], summary="两评活动")
def campaign_list(request):
    return [_campaign(request, c) for c in selectors.campaigns_visible(actor=request.auth)[:50]]


def _campaign(request, c) -> dict:
    return {
        "id": c.pk,
        "title": c.title,
        "estate": c.estate.name,
        "criteria": c.criteria,
        "opens_at": c.opens_at,
        "closes_at": c.closes_at,
        "targets": [{"id": t.pk, "kind": t.kind, "name": t.name} for t in c.targets.all()],
        "results": selectors.campaign_results(c)
        if selectors.results_visible(actor=request.auth, campaign=c)
        else None,
    }


@router.get(
    "/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS}, summary="两评活动与结果"
)
def campaign_detail(request, campaign_id: int):
    return _campaign(
        request, selectors.access_campaign(actor=request.auth, campaign_id=campaign_id)
    )


@router.post(
    "/campaigns/{campaign_id}/ratings",
    response={201: CreatedOut, **ERRORS},
    summary="提交评价（每户每单位一次）",
)
def rating_submit(request, campaign_id: int, payload: RatingIn):
    campaign = selectors.access_campaign(actor=request.auth, campaign_id=campaign_id)
    r = services.rating_submit(
        actor=request.auth,
        campaign=campaign,
        target_id=payload.target_id,
        scores=payload.scores,
        comment=payload.comment,
    )
    return Status(201, {"id": r.pk, "status": "rated"})


@router.post(
    "/comments/{comment_id}/moderate",
    response={200: CreatedOut, **ERRORS},
    summary="审核意见（网格长）",
)
def comment_moderate(request, comment_id: int, payload: ModerateIn):
    c = services.access_comment(actor=request.auth, comment_id=comment_id)
    c = services.comment_moderate(
        actor=request.auth, comment=c, approve=payload.approve, note=payload.note
    )
    return {"id": c.pk, "status": c.status}


@router.get("/{topic_id}", response={200: TopicDetailOut, **ERRORS}, summary="议题详情")
def topic_detail(request, topic_id: int):
    return _detail(request, services.access_topic(actor=request.auth, topic_id=topic_id))


@router.post(
    "/{topic_id}/accept", response={200: CreatedOut, **ERRORS}, summary="受理居民议题并发起表决"
)
def topic_accept(request, topic_id: int, payload: VoteIn):
    t = services.access_topic(actor=request.auth, topic_id=topic_id)
    t = services.topic_accept(actor=request.auth, topic=t, vote=payload.dict())
    return {"id": t.pk, "status": t.status}


@router.post("/{topic_id}/reject", response={200: CreatedOut, **ERRORS}, summary="不受理居民议题")
def topic_reject(request, topic_id: int, payload: TextIn):
    t = services.access_topic(actor=request.auth, topic_id=topic_id)
    t = services.topic_reject(actor=request.auth, topic=t, reason=payload.text)
    return {"id": t.pk, "status": t.status}


@router.post(
    "/{topic_id}/comments",
    response={201: CreatedOut, **ERRORS},
    summary="发表意见（经网格长审核后公开）",
)
def comment_add(request, topic_id: int, payload: TextIn):
    t = services.access_topic(actor=request.auth, topic_id=topic_id)
    c = services.comment_add(actor=request.auth, topic=t, body=payload.text)
    return Status(201, {"id": c.pk, "status": c.status})


@router.post(
    "/{topic_id}/votes", response={201: CreatedOut, **ERRORS}, summary="投票（每户或每人一票）"
)
def vote_cast(request, topic_id: int, payload: BallotIn):
    t = services.access_topic(actor=request.auth, topic_id=topic_id)
    v = services.vote_cast(
        actor=request.auth, topic=t, choice=payload.choice, option_id=payload.option_id
    )
    return Status(201, {"id": v.pk, "status": "voted"})


@router.post(
    "/{topic_id}/decision", response={200: CreatedOut, **ERRORS}, summary="公开决议（表决截止后）"
)
def topic_decide(request, topic_id: int, payload: TextIn):
    t = services.access_topic(actor=request.auth, topic_id=topic_id)
    t = services.topic_decide(actor=request.auth, topic=t, decision=payload.text)
    return {"id": t.pk, "status": t.status}


@router.post(
    "/{topic_id}/implementation", response={200: CreatedOut, **ERRORS}, summary="公开落实情况"
)
def topic_report(request, topic_id: int, payload: TextIn):
    t = services.access_topic(actor=request.auth, topic_id=topic_id)
    t = services.topic_report(actor=request.auth, topic=t, text=payload.text)
    return {"id": t.pk, "status": t.status}
