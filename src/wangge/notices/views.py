"""Notice pages in the three front-ends, thin: parse, `access_*`, one
service or selector call, render.

- console (/console/notices/): send, list, live progress per area and grid;
- worker app (/w/notices/): notices to staff, households to knock or phone
  (the marks go through the phone's outbox, JSON, safe to repeat);
- resident H5 (/m/notices/<id>/): the notice; opening it is the read receipt
  (the list is h5's /m/notices/)."""

from __future__ import annotations

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.areas import selectors as area_selectors
from wangge.areas.models import Area, Level
from wangge.console.views import console_page, console_part, poll_seconds
from wangge.core.errors import DomainError
from wangge.h5.views import resident_required
from wangge.people import selectors as people
from wangge.people.models import CareGroup
from wangge.worker.views import worker_json, worker_page

from . import selectors, services
from .models import REACH_BUTTONS, Audience, ReachedVia, Urgency

SENDABLE_LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
MAX_AREA_OPTIONS = 300


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def area_options(actor) -> list[Area]:
    """The areas a sender may pick: their top areas and two levels below
    (a city admin: districts and streets; a street cadre: communities and
    grids), at most 300."""
    scope = area_selectors.scope_for(actor)
    return area_selectors.area_choices(
        actor=actor,
        allowed=lambda path: services.may_send(scope, path),
        levels=SENDABLE_LEVELS,
        limit=MAX_AREA_OPTIONS,
    )


# ---------------------------------------------------------------- console
def _console_form(request, *, error=None, values=None, status=200):
    return render(
        request,
        "notices/console_index.html",
        {
            "notices": selectors.notice_list(actor=request.user),
            "areas": area_options(request.user),
            "urgencies": Urgency.choices,
            "audiences": Audience.choices,
            "care_groups": CareGroup.objects.filter(is_active=True),
            "error": error,
            "values": values or {},
        },
        status=status,
    )


@require_GET
@console_page
def console_index(request):
    return _console_form(request)


@require_POST
@console_page
def console_send(request):
    data = request.POST
    try:
        notice = services.notice_send(
            actor=request.user,
            area=_int(data.get("area_id"), 0),
            title=data.get("title", ""),
            body=data.get("body", ""),
            urgency=data.get("urgency", Urgency.NORMAL),
            audience=data.get("audience", Audience.HOUSEHOLDS),
            care_groups=data.getlist("care_groups"),
            include_staff=data.get("include_staff") == "1",
            reach_minutes=data.get("reach_minutes") or None,
            attachments=request.FILES.getlist("attachments"),
        )
    except DomainError as exc:
        return _console_form(request, error=exc, values=data, status=exc.status)
    return redirect("notices-console:detail", notice_id=notice.pk)


@require_GET
@console_page
def console_detail(request, notice_id: int):
    notice = selectors.access_notice(actor=request.user, notice_id=notice_id)
    if not selectors.may_follow(actor=request.user, notice=notice):
        return redirect("notices-worker:detail", notice_id=notice.pk)
    return render(
        request,
        "notices/console_detail.html",
        {
            "notice": notice,
            "progress": selectors.notice_progress(notice=notice),
            "poll_seconds": poll_seconds(),
        },
    )


@require_GET
@console_part
def console_progress(request, notice_id: int):
    notice = selectors.access_notice(actor=request.user, notice_id=notice_id)
    if not selectors.may_follow(actor=request.user, notice=notice):
        raise DomainError("not_found", selectors.NOT_FOUND, status=404)
    area = None
    if request.GET.get("area"):
        area = area_selectors.access_area(actor=request.user, area_id=_int(request.GET["area"], 0))
        if not area.path.startswith(notice.area_path):
            raise DomainError("not_found", selectors.NOT_FOUND, status=404)
    notice.refresh_from_db()
    progress = selectors.notice_progress(notice=notice, area=area)
    if request.GET.get("format") == "json":
        return JsonResponse(progress, json_dumps_params={"ensure_ascii": False})
    return render(
        request,
        "notices/_progress.html",
        {"notice": notice, "progress": progress, "poll_seconds": poll_seconds()},
    )


# ---------------------------------------------------------------- worker app
@require_GET
@worker_page
def worker_index(request):
    from wangge.worker.views import _ctx

    return render(
        request,
        "notices/worker_index.html",
        _ctx(
            request,
            notices=selectors.staff_notices(actor=request.user),
            unreached=selectors.unreached(actor=request.user, limit=100),
            vias=REACH_BUTTONS,
            nav="today",
        ),
    )


@require_GET
@worker_page
def worker_detail(request, notice_id: int):
    from wangge.worker.views import _ctx

    notice = selectors.access_notice(actor=request.user, notice_id=notice_id)
    services.notice_read(actor=request.user, notice=notice)
    return render(request, "notices/worker_detail.html", _ctx(request, notice=notice, nav="today"))


@require_POST
@worker_json
def worker_reach(request):
    notice = selectors.access_notice(
        actor=request.user, notice_id=_int(request.POST.get("notice_id"), 0)
    )
    household = people.access_household(request.user, _int(request.POST.get("household_id"), 0))
    via = request.POST.get("via", "")
    recorded = services.delivery_reach(
        actor=request.user, notice=notice, household=household, via=via
    )
    return JsonResponse(
        {
            "ok": True,
            "recorded": recorded,
            "message": f"已登记{ReachedVia(via).label}：{household.address}",
        },
        json_dumps_params={"ensure_ascii": False},
    )


# ---------------------------------------------------------------- resident H5
@require_http_methods(["GET"])
@resident_required
def h5_detail(request, notice_id: int):
    try:
        notice = selectors.access_notice(actor=request.user, notice_id=notice_id)
    except DomainError:
        return render(request, "notices/h5_missing.html", status=404)
    services.notice_read(actor=request.user, notice=notice)
    return render(
        request,
        "notices/h5_detail.html",
        {"notice": notice, "attachments": notice.attachments.all(), "back": reverse("h5:notices")},
    )


# ---------------------------------------------------------------- attachments
@require_GET
def attachment(request, notice_id: int, attachment_id: int):
    """An attachment, for whoever may read the notice (404 otherwise)."""
    if not request.user.is_authenticated:
        raise Http404(selectors.NOT_FOUND)
    try:
        notice = selectors.access_notice(actor=request.user, notice_id=notice_id)
    except DomainError as exc:
        raise Http404(selectors.NOT_FOUND) from exc
    att = notice.attachments.filter(pk=attachment_id).first()
    if att is None:
        raise Http404(selectors.NOT_FOUND)
    return FileResponse(
        att.file.open("rb"), as_attachment=True, filename=att.name, content_type=att.content_type
    )
