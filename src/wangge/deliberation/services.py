"""Writes of 议事: raise, accept or reject a topic, comment and moderate,
vote, publish the decision and the implementation report (两议两公开);
rate an estate's property company and partner units (两评)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from wangge.areas.models import Area
from wangge.areas.paths import subtree_q
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.people.models import Household, Resident
from wangge.points.models import RuleKind
from wangge.points.services import points_award, resident_holder
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for

from .models import Comment, Estate, Rating, RatingCampaign, RatingTarget, Topic, TopicOption, Vote
from .notify import queue_topic_notice

# Who may put a topic to residents, accept a resident's, publish decisions.
CONVENER_ROLES = {
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.COMMUNITY_CADRE,
    Role.STREET_CADRE,
    Role.CITY_ADMIN,
}
# Who moderates comments: the grid leader (and cadres above the grid).
MODERATOR_ROLES = {Role.GRID_LEADER, Role.COMMUNITY_CADRE, Role.STREET_CADRE, Role.CITY_ADMIN}
TOPIC_LEVELS = ("grid", "community")
ADULT_AGE = 18
MAX_OPTIONS = 10


def _may(actor, path: str, roles: set) -> bool:
    scope = scope_for(actor)
    return scope.unrestricted or any(
        g.role in roles and path.startswith(g.path) for g in scope.grants
    )


def _text(value, *, field: str, code: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(code, f"请填写{field}", status=422)
    if len(value) > limit:
        raise DomainError(code, f"{field}不能超过 {limit} 字", status=422)
    return value


def voter_resident(actor) -> Resident:
    """The verified resident record behind a resident user."""
    if actor is None or getattr(actor, "kind", "") != "resident":
        raise PermissionDenied("residents_only", "只有居民可以参与表决和评议")
    if not actor.resident_id or actor.resident_status != "verified":
        raise PermissionDenied("not_verified", "您的账号尚未经网格员核实，暂不能参与表决和评议")
    return Resident.objects.select_related("household").get(pk=actor.resident_id)


def households_of(topic_or_estate) -> Q:
    """Q over Household for the voters of a topic (its area, or its estate's buildings)."""
    estate = topic_or_estate if isinstance(topic_or_estate, Estate) else topic_or_estate.estate
    if estate is not None:
        return Q(building__in=estate.buildings.all())
    return subtree_q(topic_or_estate.area_path, "area_path")


def _adult_born_before(at: dt.datetime) -> dt.date:
    today = timezone.localtime(at).date()
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # 29 February
        return today.replace(year=today.year - ADULT_AGE, day=28)


def eligible_count(topic: Topic, *, at: dt.datetime) -> int:
    households = Household.objects.filter(households_of(topic))
    if topic.vote_unit == Topic.VoteUnit.HOUSEHOLD:
        return households.count()
    return Resident.objects.filter(
        household__in=households, birth_date__lte=_adult_born_before(at)
    ).count()


# ------------------------------------------------------------------ topics


def _topic_place(*, actor, area_id: int, estate_id: int | None) -> tuple[Area, Estate | None]:
    """Where a topic goes: a grid or community the actor may reach (a
    resident: their own grid or community), or an estate in a community."""
    scope = scope_for(actor)
    estate = None
    if estate_id:
        estate = Estate.objects.select_related("community").filter(pk=estate_id).first()
        if estate is None:
            raise Http404
        area = estate.community
    else:
        area = Area.objects.filter(pk=area_id, is_active=True).first()
        if area is None:
            raise Http404
    if scope.is_staff_scope:
        if not scope.covers(area.path):
            raise Http404
    elif not (scope.home_grid_path and scope.home_grid_path.startswith(area.path)):
        raise Http404
    if area.level not in TOPIC_LEVELS:
        raise DomainError("bad_area", "议题只能面向网格、社区或小区", status=422)
    return area, estate


def _vote_config(topic: Topic, *, vote: dict, now: dt.datetime) -> list[str]:
    unit = vote.get("unit") or Topic.VoteUnit.HOUSEHOLD
    kind = vote.get("kind") or Topic.VoteKind.YES_NO
    if unit not in Topic.VoteUnit.values:
        raise DomainError("bad_vote_unit", "表决方式须为每户一票或每位成年居民一票", status=422)
    if kind not in Topic.VoteKind.values:
        raise DomainError("bad_vote_kind", "表决类型须为赞成/反对或多选一", status=422)
    quorum = vote.get("quorum_percent", 50)
    if not isinstance(quorum, int) or not 0 <= quorum <= 100:
        raise DomainError("bad_quorum", "法定参与比例须为 0–100 的整数", status=422)
    opens, closes = vote.get("opens_at") or now, vote.get("closes_at")
    if closes is None or closes <= opens:
        raise DomainError("bad_vote_window", "请设置表决截止时间，且须晚于开始时间", status=422)
    options = [str(o).strip() for o in vote.get("options") or [] if str(o).strip()]
    bad = not 2 <= len(options) <= MAX_OPTIONS or len(set(options)) != len(options)
    if kind == Topic.VoteKind.OPTIONS and bad:
        raise DomainError("bad_options", f"多选一须有 2–{MAX_OPTIONS} 个互不相同的选项", status=422)
    topic.vote_unit, topic.vote_kind, topic.quorum_percent = unit, kind, quorum
    topic.vote_opens_at, topic.vote_closes_at = opens, closes
    return options if kind == Topic.VoteKind.OPTIONS else []


def _open(topic: Topic, options: list[str], *, now: dt.datetime) -> None:
    topic.status = Topic.Status.OPEN
    topic.eligible = eligible_count(topic, at=now)
    topic.save()
    TopicOption.objects.bulk_create(
        [TopicOption(topic=topic, label=label, sort=i) for i, label in enumerate(options)]
    )
    queue_topic_notice(topic, "open")  # the residents, in the background after commit


def topic_raise(
    *,
    actor,
    area_id: int,
    title: str,
    body: str,
    estate_id: int | None = None,
    vote: dict | None = None,
    now: dt.datetime | None = None,
) -> Topic:
    """A resident proposes (the grid accepts it later); staff who convene
    put it straight to residents with its vote settings."""
    now = now or timezone.now()
    area, estate = _topic_place(actor=actor, area_id=area_id, estate_id=estate_id)
    staff = scope_for(actor).is_staff_scope
    if staff and not _may(actor, area.path, CONVENER_ROLES):
        raise PermissionDenied("not_allowed", "您无权在此发起议事")
    if not staff and (not actor.resident_id or actor.resident_status != "verified"):
        raise PermissionDenied("not_verified", "您的账号尚未经网格员核实，暂不能提出议题")
    topic = Topic(
        area=area,
        estate=estate,
        area_path=area.path,
        title=_text(title, field="议题", code="title_required", limit=100),
        body=_text(body, field="内容", code="body_required", limit=4000),
        raised_by=actor,
        created_at=now,
    )
    with transaction.atomic():
        if staff:
            options = _vote_config(topic, vote=vote or {}, now=now)
            _open(topic, options, now=now)
        else:
            topic.save()
    return topic


def access_topic(*, actor, topic_id: int) -> Topic:
    from .selectors import topics_visible

    topic = topics_visible(actor=actor).filter(pk=topic_id).select_related("area", "estate").first()
    if topic is None:
        raise Http404
    return topic


def topic_accept(*, actor, topic: Topic, vote: dict, now: dt.datetime | None = None) -> Topic:
    now = now or timezone.now()
    if not _may(actor, topic.area_path, CONVENER_ROLES):
        raise PermissionDenied("not_allowed", "您无权受理该议题")
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if topic.status != Topic.Status.PROPOSED:
            raise Conflict("not_proposed", "该议题已受理或已处理")
        options = _vote_config(topic, vote=vote, now=now)
        _open(topic, options, now=now)
    return topic


def topic_reject(*, actor, topic: Topic, reason: str) -> Topic:
    if not _may(actor, topic.area_path, CONVENER_ROLES):
        raise PermissionDenied("not_allowed", "您无权处理该议题")
    reason = _text(reason, field="不受理原因", code="reason_required", limit=200)
    with transaction.atomic():
        done = Topic.objects.filter(pk=topic.pk, status=Topic.Status.PROPOSED).update(
            status=Topic.Status.REJECTED, reject_reason=reason
        )
        if not done:
            raise Conflict("not_proposed", "该议题已受理或已处理")
    topic.refresh_from_db()
    return topic


# ---------------------------------------------------------------- comments


def comment_add(*, actor, topic: Topic, body: str) -> Comment:
    if topic.status not in (Topic.Status.OPEN, Topic.Status.DECIDED):
        raise Conflict("topic_closed", "该议题当前不接受意见")
    body = _text(body, field="意见", code="body_required", limit=1000)
    moderator = _may(actor, topic.area_path, MODERATOR_ROLES)
    scope = scope_for(actor)
    if scope.is_staff_scope:
        if not scope.covers(topic.area_path):
            raise Http404
        if not moderator and not _may(actor, topic.area_path, CONVENER_ROLES):
            raise PermissionDenied("not_allowed", "您无权在此发表意见")
    else:
        voter_resident(actor)
    now = timezone.now()
    return Comment.objects.create(
        topic=topic,
        area_path=topic.area_path,
        author=actor,
        body=body,
        # A moderator's own comment needs no check.
        status=Comment.Status.APPROVED if moderator else Comment.Status.PENDING,
        moderated_by=actor if moderator else None,
        moderated_at=now if moderator else None,
        created_at=now,
    )


def access_comment(*, actor, comment_id: int) -> Comment:
    scope = scope_for(actor)
    comment = Comment.objects.select_related("topic").filter(pk=comment_id).first()
    if comment is None or not scope.is_staff_scope or not scope.covers(comment.area_path):
        raise Http404
    return comment


def comment_moderate(*, actor, comment: Comment, approve: bool, note: str = "") -> Comment:
    if not _may(actor, comment.area_path, MODERATOR_ROLES):
        raise PermissionDenied("not_allowed", "只有网格长和社区干部可以审核意见")
    status = Comment.Status.APPROVED if approve else Comment.Status.HIDDEN
    Comment.objects.filter(pk=comment.pk).update(
        status=status,
        moderated_by=actor,
        moderated_at=timezone.now(),
        moderation_note=(note or "").strip()[:200],
    )
    comment.refresh_from_db()
    return comment


# -------------------------------------------------------------------- vote


def vote_cast(
    *,
    actor,
    topic: Topic,
    choice: str = "",
    option_id: int | None = None,
    now: dt.datetime | None = None,
) -> Vote:
    """One vote per household or per adult resident. A second vote, a vote
    outside the window or by someone not living there is refused and writes
    nothing; two racing votes of one household: the unique constraint lets
    exactly one in."""
    now = now or timezone.now()
    resident = voter_resident(actor)
    if topic.status != Topic.Status.OPEN:
        raise Conflict("vote_closed", "该议题不在表决阶段")
    if topic.vote_opens_at and now < topic.vote_opens_at:
        raise Conflict("vote_not_open", "表决尚未开始")
    if topic.vote_closes_at is None or now >= topic.vote_closes_at:
        raise Conflict("vote_closed", "表决已截止，不能再投票")
    if not Household.objects.filter(households_of(topic), pk=resident.household_id).exists():
        raise PermissionDenied("not_eligible", "您不住在该议题的范围内，不能参与表决")
    if topic.vote_unit == Topic.VoteUnit.ADULT:
        if resident.birth_date > _adult_born_before(now):
            raise PermissionDenied("not_adult", "本议题每位成年居民一票，未满 18 周岁不能投票")
        key = f"r{resident.pk}"
    else:
        key = f"h{resident.household_id}"
    option = None
    if topic.vote_kind == Topic.VoteKind.OPTIONS:
        option = topic.options.filter(pk=option_id).first() if option_id else None
        if option is None:
            raise DomainError("bad_option", "请选择一个表决选项", status=422)
        choice = ""
    elif choice not in ("yes", "no"):
        raise DomainError("bad_choice", "请选择赞成或反对", status=422)
    already = (
        "本户已经投过票，每户只能投一票"
        if topic.vote_unit == Topic.VoteUnit.HOUSEHOLD
        else "您已经投过票，每人只能投一票"
    )
    if Vote.objects.filter(topic=topic, voter_key=key).exists():
        raise Conflict("already_voted", already)
    try:
        with transaction.atomic():
            vote = Vote.objects.create(
                topic=topic,
                voter_key=key,
                option=option,
                choice=choice,
                household_id=resident.household_id,
                resident=resident,
                user=actor,
                created_at=now,
            )
            points_award(
                holder=resident_holder(resident),
                kind=RuleKind.VOTE,
                reason=f"参与议事表决：{topic.title}",
                source=f"vote:{topic.pk}:{resident.pk}",
                at=now,
            )
    except IntegrityError as exc:
        raise Conflict("already_voted", already) from exc
    return vote


def tally(topic: Topic) -> dict:
    """Counts per choice or option, turnout and whether the quorum is met."""
    # One GROUP BY over the topic's votes (its unique index), not a row per vote.
    votes = Vote.objects.filter(topic=topic)
    if topic.vote_kind == Topic.VoteKind.OPTIONS:
        per = dict(votes.values_list("option_id").annotate(n=Count("id")))
        counts = {o.label: per.get(o.pk, 0) for o in topic.options.all()}
    else:
        per = dict(votes.values_list("choice").annotate(n=Count("id")))
        counts = {"赞成": per.get("yes", 0), "反对": per.get("no", 0)}
    total = sum(per.values())
    eligible = topic.eligible
    turnout = round(total * 100 / eligible, 1) if eligible else 0.0
    leader = max(counts.items(), key=lambda kv: kv[1])[0] if total else None
    return {
        "counts": counts,
        "total": total,
        "eligible": eligible,
        "turnout_percent": turnout,
        "quorum_percent": topic.quorum_percent,
        "quorum_met": eligible > 0 and total * 100 >= topic.quorum_percent * eligible,
        "leading": leader,
    }


def topic_decide(*, actor, topic: Topic, decision: str, now: dt.datetime | None = None) -> Topic:
    """Publish the decision (两公开 ①) once the vote has closed, with the tally."""
    now = now or timezone.now()
    if not _may(actor, topic.area_path, CONVENER_ROLES):
        raise PermissionDenied("not_allowed", "您无权公开该议题的决议")
    decision = _text(decision, field="决议", code="decision_required", limit=4000)
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if topic.status != Topic.Status.OPEN:
            raise Conflict("not_open", "只有议事中的议题可以公开决议")
        if topic.vote_closes_at and now < topic.vote_closes_at:
            raise Conflict("vote_running", "表决尚未截止，截止后再公开决议")
        result = tally(topic)
        topic.result, topic.quorum_met = result, result["quorum_met"]
        topic.decision, topic.decided_at, topic.status = decision, now, Topic.Status.DECIDED
        topic.save()
        queue_topic_notice(topic, "decided")
    return topic


def topic_report(*, actor, topic: Topic, text: str, now: dt.datetime | None = None) -> Topic:
    """Publish how the decision was carried out (两公开 ②)."""
    if not _may(actor, topic.area_path, CONVENER_ROLES):
        raise PermissionDenied("not_allowed", "您无权公开该议题的落实情况")
    text = _text(text, field="落实情况", code="report_required", limit=4000)
    with transaction.atomic():
        done = Topic.objects.filter(pk=topic.pk, status=Topic.Status.DECIDED).update(
            implementation=text,
            implemented_at=now or timezone.now(),
            status=Topic.Status.IMPLEMENTED,
        )
        if not done:
            raise Conflict("not_decided", "决议公开后才能公开落实情况")
        queue_topic_notice(topic, "implemented")
    topic.refresh_from_db()
    return topic


# --------------------------------------------------------------------- 两评

DEFAULT_CRITERIA = ["服务态度", "环境卫生", "安全秩序", "维修及时"]
MAX_REPEAT_MONTHS = 12


def campaign_create(
    *,
    actor,
    estate: Estate,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    partners: list[str] = (),
    criteria: list[str] | None = None,
    repeat_months: int = 0,
) -> RatingCampaign:
    if not _may(
        actor, estate.area_path, {Role.COMMUNITY_CADRE, Role.STREET_CADRE, Role.CITY_ADMIN}
    ):
        raise PermissionDenied("not_allowed", "只有社区、街道干部可以发起两评")
    if closes_at <= opens_at:
        raise DomainError("bad_window", "截止时间须晚于开始时间", status=422)
    if not isinstance(repeat_months, int) or not 0 <= repeat_months <= MAX_REPEAT_MONTHS:
        raise DomainError(
            "bad_repeat", f"重复周期须为 0–{MAX_REPEAT_MONTHS} 个月（0 = 不重复）", status=422
        )
    with transaction.atomic():
        campaign = RatingCampaign.objects.create(
            estate=estate,
            title=_text(title, field="名称", code="title_required", limit=100),
            criteria=list(criteria or DEFAULT_CRITERIA),
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=actor,
            repeat_months=repeat_months,
        )
        if estate.property_company:
            campaign.targets.create(kind=RatingTarget.Kind.PROPERTY, name=estate.property_company)
        for name in partners:
            if name.strip():
                campaign.targets.create(kind=RatingTarget.Kind.PARTNER, name=name.strip()[:200])
    return campaign


def _add_months(at: dt.datetime, months: int) -> dt.datetime:
    local = timezone.localtime(at)
    month0 = local.month - 1 + months
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return timezone.make_aware(
        dt.datetime.combine(dt.date(year, month, day), local.time().replace(tzinfo=None)),
        timezone.get_current_timezone(),
    )


def campaigns_repeat(*, now: dt.datetime | None = None) -> int:
    """两评 is periodic: every repeating campaign that has closed and has no
    next period gets one, `repeat_months` later, with the same criteria and
    targets. Safe to run again (one next period per campaign: a unique
    link). Returns how many were opened."""
    now = now or timezone.now()
    due = RatingCampaign.objects.filter(
        repeat_months__gt=0, closes_at__lte=now, next_period__isnull=True
    ).select_related("estate")
    made = 0
    for prev in due.order_by("pk"):
        opens = _add_months(prev.opens_at, prev.repeat_months)
        local = timezone.localtime(opens)
        base = re.sub(r"（\d{4}年\d{1,2}月）$", "", prev.title)
        try:
            with transaction.atomic():
                nxt = RatingCampaign.objects.create(
                    estate=prev.estate,
                    title=f"{base}（{local.year}年{local.month}月）"[:100],
                    criteria=list(prev.criteria),
                    opens_at=opens,
                    closes_at=_add_months(prev.closes_at, prev.repeat_months),
                    created_by_id=prev.created_by_id,
                    repeat_months=prev.repeat_months,
                    previous=prev,
                )
                RatingTarget.objects.bulk_create(
                    [
                        RatingTarget(campaign=nxt, kind=t.kind, name=t.name)
                        for t in prev.targets.all()
                    ]
                )
        except IntegrityError:  # another run made it first
            continue
        made += 1
    return made


def rating_submit(
    *,
    actor,
    campaign: RatingCampaign,
    target_id: int,
    scores: dict,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Rating:
    now = now or timezone.now()
    resident = voter_resident(actor)
    target = campaign.targets.filter(pk=target_id).first()
    if target is None:
        raise Http404
    if not campaign.opens_at <= now < campaign.closes_at:
        raise Conflict("rating_closed", "不在评议时间内")
    if not campaign.estate.buildings.filter(pk=resident.household.building_id).exists():
        raise PermissionDenied("not_eligible", "只有本小区住户可以参与评议")
    clean = {}
    for criterion in campaign.criteria:
        value = scores.get(criterion)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise DomainError("bad_score", f"请为“{criterion}”打 1–5 分", status=422)
        clean[criterion] = value
    overall = Decimal(sum(clean.values())) / Decimal(len(clean) or 1)
    try:
        with transaction.atomic():
            return Rating.objects.create(
                target=target,
                household_id=resident.household_id,
                user=actor,
                scores=clean,
                overall=overall.quantize(Decimal("0.01")),
                comment=(comment or "").strip()[:500],
                created_at=now,
            )
    except IntegrityError as exc:
        raise Conflict("already_rated", "本户已评价过该单位") from exc
