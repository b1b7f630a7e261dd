"""Reads of 议事: the topics an actor may see, their public comments, tallies,
rating campaigns and their published results."""

from __future__ import annotations

from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wangge.teams.scope import scope_for

from .models import Comment, Rating, RatingCampaign, Topic, Vote

PUBLIC = (Topic.Status.OPEN, Topic.Status.DECIDED, Topic.Status.IMPLEMENTED)


def _ancestors(path: str) -> list[str]:
    return [path[:i] for i in range(5, len(path) + 1, 5)]


def topics_visible(*, actor) -> QuerySet[Topic]:
    """Staff: topics under their areas. Residents: the public topics of their
    grid and community, and the ones they raised themselves."""
    scope = scope_for(actor)
    qs = Topic.objects.all()
    if scope.is_staff_scope:
        return qs.filter(scope.q())
    if not scope.home_grid_path:
        return qs.none()
    return qs.filter(
        Q(area_path__in=_ancestors(scope.home_grid_path))
        & (Q(status__in=PUBLIC) | Q(raised_by=actor))
    )


def topic_list(*, actor, status: str = "", limit: int = 50) -> list[Topic]:
    qs = topics_visible(actor=actor).select_related("area", "estate")
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-created_at", "-id")[:limit])


def comments_of(*, actor, topic: Topic) -> list[Comment]:
    """Approved comments; the author also sees their own pending ones;
    staff covering the topic see every comment (to moderate)."""
    qs = topic.comments.select_related("author")
    if not scope_for(actor).is_staff_scope:
        qs = qs.filter(Q(status=Comment.Status.APPROVED) | Q(author=actor))
    return list(qs)


def pending_comments(*, actor, limit: int = 100) -> list[Comment]:
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return []
    return list(
        Comment.objects.filter(scope.q(), status=Comment.Status.PENDING)
        .select_related("topic", "author")
        .order_by("created_at")[:limit]
    )


def my_vote(*, actor, topic: Topic) -> Vote | None:
    if getattr(actor, "kind", "") != "resident" or not actor.resident_id:
        return None
    from .services import voter_resident

    try:
        resident = voter_resident(actor)
    except Exception:  # noqa: BLE001 - not verified: no vote
        return None
    key = (
        f"r{resident.pk}"
        if topic.vote_unit == Topic.VoteUnit.ADULT
        else f"h{resident.household_id}"
    )
    return Vote.objects.filter(topic=topic, voter_key=key).select_related("option").first()


def campaigns_visible(*, actor) -> QuerySet[RatingCampaign]:
    scope = scope_for(actor)
    qs = RatingCampaign.objects.select_related("estate")
    if scope.is_staff_scope:
        return qs.filter(scope.q())
    if not scope.household_id:
        return qs.none()
    return qs.filter(estate__buildings__households=scope.household_id).distinct()


def access_campaign(*, actor, campaign_id: int) -> RatingCampaign:
    campaign = campaigns_visible(actor=actor).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


def campaign_results(campaign: RatingCampaign) -> list[dict]:
    """Average per criterion and overall, per target (published per estate)."""
    out = []
    for target in campaign.targets.all():
        ratings = list(Rating.objects.filter(target=target).values_list("scores", flat=True))
        agg = Rating.objects.filter(target=target).aggregate(avg=Avg("overall"), n=Count("id"))
        per = {
            c: round(sum(r.get(c, 0) for r in ratings) / len(ratings), 2) if ratings else None
            for c in campaign.criteria
        }
        out.append(
            {
                "target_id": target.pk,
                "name": target.name,
                "kind": target.kind,
                "kind_label": str(target.get_kind_display()),
                "ratings": agg["n"],
                "overall": round(float(agg["avg"]), 2) if agg["avg"] is not None else None,
                "criteria": per,
            }
        )
    return out


def results_visible(*, actor, campaign: RatingCampaign) -> bool:
    """Residents see results once the campaign closed and was published."""
    if scope_for(actor).is_staff_scope:
        return True
    return campaign.published or campaign.closes_at <= timezone.now()
