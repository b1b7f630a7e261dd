"""议事 pages: the resident H5 (/m/discuss/…) and the moderators' pages in
the worker app (/w/participation/) and console (/console/participation/).
Thin: access, one service call, render; domain errors are shown in zh-Hans."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from wangge.core.errors import DomainError
from wangge.h5.views import resident_required
from wangge.teams.scope import scope_for

from . import notify, selectors, services
from .models import Topic


def _topic_page(request, topic: Topic, *, status: int = 200, error: str = ""):
    open_vote = (
        topic.status == Topic.Status.OPEN
        and topic.vote_closes_at is not None
        and (
            topic.vote_opens_at is None
            or topic.vote_opens_at <= timezone.now() < topic.vote_closes_at
        )
    )
    return render(
        request,
        "deliberation/h5_topic.html",
        {
            "topic": topic,
            "options": list(topic.options.all()),
            "comments": selectors.comments_of(actor=request.user, topic=topic),
            "my_vote": selectors.my_vote(actor=request.user, topic=topic),
            "open_vote": open_vote,
            "published": topic.status in (Topic.Status.DECIDED, Topic.Status.IMPLEMENTED),
            "error": error,
        },
        status=status,
    )


@resident_required
def discuss(request):
    topics = selectors.topic_list(actor=request.user)
    campaigns = list(selectors.campaigns_visible(actor=request.user)[:10])
    error = ""
    status = 200
    if request.method == "POST":
        grid = request.user.home_grid
        try:
            services.topic_raise(
                actor=request.user,
                area_id=grid.pk if grid else 0,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("h5:discuss")
    messages = notify.unread_messages(actor=request.user)
    notify.messages_seen(actor=request.user, messages=messages)
    return render(
        request,
        "deliberation/h5_list.html",
        {"topics": topics, "campaigns": campaigns, "error": error, "messages": messages},
        status=status,
    )


@resident_required
def topic(request, topic_id: int):
    return _topic_page(request, services.access_topic(actor=request.user, topic_id=topic_id))


@require_POST
@resident_required
def vote(request, topic_id: int):
    t = services.access_topic(actor=request.user, topic_id=topic_id)
    option = request.POST.get("option_id") or ""
    try:
        services.vote_cast(
            actor=request.user,
            topic=t,
            choice=request.POST.get("choice", ""),
            option_id=int(option) if option.isdigit() else None,
        )
    except DomainError as exc:
        return _topic_page(request, t, status=exc.status, error=exc.message)
    return redirect("h5:topic", topic_id=t.pk)


@require_POST
@resident_required
def comment(request, topic_id: int):
    t = services.access_topic(actor=request.user, topic_id=topic_id)
    try:
        services.comment_add(actor=request.user, topic=t, body=request.POST.get("body", ""))
    except DomainError as exc:
        return _topic_page(request, t, status=exc.status, error=exc.message)
    return redirect("h5:topic", topic_id=t.pk)


@resident_required
def campaign(request, campaign_id: int):
    c = selectors.access_campaign(actor=request.user, campaign_id=campaign_id)
    error, status = "", 200
    if request.method == "POST":
        scores = {}
        for criterion in c.criteria:
            value = request.POST.get(f"score-{criterion}", "")
            scores[criterion] = int(value) if value.isdigit() else None
        try:
            services.rating_submit(
                actor=request.user,
                campaign=c,
                target_id=int(request.POST.get("target_id") or 0),
                scores=scores,
                comment=request.POST.get("comment", ""),
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("h5:campaign", campaign_id=c.pk)
    rated = set(
        c.targets.filter(ratings__household_id=scope_for(request.user).household_id).values_list(
            "pk", flat=True
        )
    )
    return render(
        request,
        "deliberation/h5_campaign.html",
        {
            "campaign": c,
            "targets": [(t, t.pk in rated) for t in c.targets.all()],
            "results": selectors.campaign_results(c)
            if selectors.results_visible(actor=request.user, campaign=c)
            else None,
            "open": c.opens_at <= timezone.now() < c.closes_at,
            "error": error,
        },
        status=status,
    )


def parse_local(value: str):
    """A datetime-local form value (Asia/Shanghai) or None."""
    dt_value = parse_datetime(value or "")
    if dt_value is not None and timezone.is_naive(dt_value):
        dt_value = timezone.make_aware(dt_value)
    return dt_value
