"""双向互评 in the console (/console/campaigns/): the campaigns over or above
the actor's areas; one campaign's page with what the actor's unit rates
(departments for a community or street, streets and districts for a
department), a 1–5 rating with a comment for each, the ratings already
given, the departments' feedback sheets, and ending the campaign. Thin:
access_*, one service or selector call, render; refusals (409 already
rated, 422 bad score) are shown on the page in Chinese."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from wangge.console.views import console_page
from wangge.core.errors import DomainError

from . import selectors, services


@require_GET
@console_page
def campaign_index(request):
    rows = selectors.campaigns(actor=request.user)
    return render(request, "assessment/console_campaigns.html", {"rows": rows})


def _detail(request, campaign_id, *, error=None, status=200):
    campaign = selectors.access_campaign(actor=request.user, campaign_id=campaign_id)
    sheet = selectors.campaign_sheet(actor=request.user, campaign=campaign)
    return render(
        request,
        "assessment/console_campaign.html",
        {**sheet, "error": error, "scores": range(5, 0, -1)},
        status=status,
    )


@require_GET
@console_page
def campaign_detail(request, campaign_id: int):
    return _detail(request, campaign_id)


@require_POST
@console_page
def campaign_rate(request, campaign_id: int):
    data = request.POST
    target = data.get("target", "")
    kind, _, target_id = target.partition(":")
    try:
        if kind not in ("d", "a") or not target_id.isdigit():
            raise DomainError("target_required", "请选择被评价的部门或区域", status=422)
        services.evaluation_submit(
            actor=request.user,
            campaign_id=campaign_id,
            score=data.get("score", ""),
            comment=data.get("comment", ""),
            department_id=target_id if kind == "d" else None,
            area_id=target_id if kind == "a" else None,
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _detail(request, campaign_id, error=exc, status=exc.status)
    messages.success(request, "评价已提交")
    return redirect("assessment-console:detail", campaign_id=campaign_id)


@require_POST
@console_page
def campaign_close(request, campaign_id: int):
    try:
        services.campaign_close(actor=request.user, campaign_id=campaign_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _detail(request, campaign_id, error=exc, status=exc.status)
    messages.success(request, "互评已结束")
    return redirect("assessment-console:detail", campaign_id=campaign_id)
