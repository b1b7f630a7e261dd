"""Staff pages for 议事, 积分 and 办事: the worker app's /w/participation/
(moderate comments, accept residents' topics, check redemption codes) and
the console's /console/participation/ (topics through decision and
implementation report, 两评 results, grid rankings, venue bookings).

Thin: access, one service call, a message, back to the page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from wangge.areas.selectors import area_tops
from wangge.civic import selectors as civic_selectors
from wangge.console.views import console_page
from wangge.core.errors import DomainError
from wangge.points import selectors as points_selectors
from wangge.points import services as points_services
from wangge.worker.views import worker_page

from . import selectors, services
from .models import Topic
from .views import parse_local


def _back(request, default: str):
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(default)


def _common(request) -> dict:
    return {
        "pending": selectors.pending_comments(actor=request.user, limit=50),
        "proposed": list(
            selectors.topics_visible(actor=request.user)
            .filter(status=Topic.Status.PROPOSED)
            .select_related("area")[:50]
        ),
        "keeps_shop": bool(points_selectors.keeper_shops(actor=request.user)),
        "to_collect": points_selectors.pending_at(actor=request.user, limit=20),
        "default_close": (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "part_timers": points_selectors.part_time_workers(actor=request.user),
    }


@worker_page
def worker(request):
    return render(
        request, "participation/worker.html", {**_common(request), "nav": "participation"}
    )


@console_page
def console(request):
    top = area_tops(actor=request.user).first()
    since = points_selectors.period_start("month")
    campaigns = list(selectors.campaigns_visible(actor=request.user).order_by("-closes_at")[:10])
    return render(
        request,
        "participation/console.html",
        {
            **_common(request),
            "topics": selectors.topic_list(actor=request.user, limit=50),
            "campaigns": [(c, selectors.campaign_results(c)) for c in campaigns],
            "top": top,
            "grids": points_selectors.grids_ranking(area=top, since=since)[:30] if top else [],
            "bookings": civic_selectors.bookings_at(actor=request.user, limit=50),
        },
    )


def _run(request, call, ok: str, default: str):
    try:
        call()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return _back(request, default)


@require_POST
@login_required
def moderate(request, comment_id: int):
    comment = services.access_comment(actor=request.user, comment_id=comment_id)
    approve = request.POST.get("approve") == "1"
    return _run(
        request,
        lambda: services.comment_moderate(
            actor=request.user, comment=comment, approve=approve, note=request.POST.get("note", "")
        ),
        "意见已公开" if approve else "意见未通过审核",
        "participation:worker",
    )


def _vote(request) -> dict:
    quorum = request.POST.get("quorum_percent", "50")
    return {
        "unit": request.POST.get("unit", "household"),
        "kind": request.POST.get("kind", "yes_no"),
        "options": [o for o in request.POST.get("options", "").splitlines() if o.strip()],
        "quorum_percent": int(quorum) if quorum.isdigit() else -1,
        "closes_at": parse_local(request.POST.get("closes_at", "")),
    }


def _text(request) -> str:
    return request.POST.get("text", "")


# A topic's moves from the staff pages: (service call, message when done).
TOPIC_ACTIONS = {
    "accept": (
        lambda r, t: services.topic_accept(actor=r.user, topic=t, vote=_vote(r)),
        "已受理，表决开始",
    ),
    "reject": (
        lambda r, t: services.topic_reject(actor=r.user, topic=t, reason=_text(r)),
        "已答复不受理",
    ),
    "decide": (
        lambda r, t: services.topic_decide(actor=r.user, topic=t, decision=_text(r)),
        "决议已公开",
    ),
    "implementation": (
        lambda r, t: services.topic_report(actor=r.user, topic=t, text=_text(r)),
        "落实情况已公开",
    ),
}


@require_POST
@login_required
def topic_action(request, topic_id: int, action: str):
    if action not in TOPIC_ACTIONS:
        raise Http404
    topic = services.access_topic(actor=request.user, topic_id=topic_id)
    call, done = TOPIC_ACTIONS[action]
    return _run(request, lambda: call(request, topic), done, "participation:console")


@require_POST
@login_required
def raise_topic(request):
    area = request.POST.get("area_id", "")
    return _run(
        request,
        lambda: services.topic_raise(
            actor=request.user,
            area_id=int(area) if area.isdigit() else 0,
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
            vote=_vote(request),
        ),
        "议题已发起，居民可以表决",
        "participation:console",
    )


@require_POST
@login_required
def check_code(request):
    try:
        r = points_services.redemption_check(actor=request.user, code=request.POST.get("code", ""))
    except Http404:
        messages.error(request, "兑换码不存在，或不是您管理的积分超市的兑换码")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"核验通过：请发放 {r.item.name} ×{r.quantity}（{r.points} 分）")
    return _back(request, "participation:worker")


@require_POST
@login_required
def award(request):
    """志愿服务 hours for a resident (by the ID number they show) or a
    part-time worker of the actor's grids."""
    hours = request.POST.get("hours", "")
    worker = request.POST.get("worker_id", "")
    try:
        if worker.isdigit():
            holder = points_services.access_holder(actor=request.user, worker_id=int(worker))
        else:
            holder = points_services.access_holder_by_id_number(
                actor=request.user, id_number=request.POST.get("id_number", "")
            )
    except Http404:
        messages.error(request, "您管辖范围内没有这位居民或兼职网格员")
        return _back(request, "participation:worker")
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, "participation:worker")
    return _run(
        request,
        lambda: points_services.points_award_volunteer(
            actor=request.user,
            holder=holder,
            hours=int(hours) if hours.isdigit() else 0,
            note=request.POST.get("note", ""),
        ),
        f"已为{holder.name}登记志愿服务 {hours} 小时并记积分",
        "participation:worker",
    )
