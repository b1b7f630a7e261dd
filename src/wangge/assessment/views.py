"""The leaders' view (大屏) at /screen/: one full-screen page per area, the
JSON it polls, the live case feed (htmx) and the monthly report (Excel,
PDF). Thin: parse, access, one selector call, render. Who may look: the
console's users (teams.scope), each on their own areas only."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from wangge.console.selectors import is_console_user
from wangge.core.errors import DomainError
from wangge.core.watermark import Watermark

from . import reports, selectors
from .indices import REGISTRY


def refresh_seconds() -> int:
    """How often the screen reloads its data (WANGGE_SCREEN_REFRESH_SECONDS)."""
    return int(getattr(settings, "WANGGE_SCREEN_REFRESH_SECONDS", 60))


def screen_view(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.headers.get("HX-Request") or kwargs.get("_json"):
                return HttpResponse("请先登录", status=401)
            return redirect_to_login(request.get_full_path())
        if not is_console_user(request.user):
            return HttpResponse("无权访问", status=403, content_type="text/plain; charset=utf-8")
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from exc
            return JsonResponse(exc.as_dict(), status=exc.status)

    return wrapped


def _period(request):
    g = request.GET
    return selectors.parse_period(
        start=g.get("start") or None, end=g.get("end") or None, month=g.get("month") or None
    )


@require_GET
@screen_view
def index(request):
    area = selectors.default_area(actor=request.user)
    if area is None:
        raise Http404("没有可查看的区域")
    return redirect("assessment:screen", area_id=area.pk)


@require_GET
@screen_view
def screen(request, area_id: int):
    area = selectors.access_assessed_area(actor=request.user, area_id=area_id)
    period = _period(request)
    return render(
        request,
        "assessment/screen.html",
        {
            "area": area,
            "period": period,
            "month": f"{period.end:%Y-%m}",
            "indices": [(d.code, d.name) for d in REGISTRY.values()],
            "refresh": refresh_seconds(),
        },
    )


@require_GET
@screen_view
def data(request, area_id: int):
    by = request.GET.get("by") or "composite"
    out = selectors.dashboard(actor=request.user, area_id=area_id, period=_period(request), by=by)
    return JsonResponse(out, json_dumps_params={"ensure_ascii": False})


@require_GET
@screen_view
def feed(request, area_id: int):
    area = selectors.access_assessed_area(actor=request.user, area_id=area_id)
    from wangge.cases.api import EVENT_LABELS

    rows = [
        (e, EVENT_LABELS.get(e.kind, e.kind))
        for e in selectors.area_feed(actor=request.user, area=area)
    ]
    return render(request, "assessment/_feed.html", {"rows": rows})


@require_GET
@screen_view
def report(request, area_id: int, fmt: str):
    if fmt not in ("xlsx", "pdf"):
        raise Http404("只提供 xlsx 和 pdf 两种格式")
    area = selectors.access_assessed_area(actor=request.user, area_id=area_id)
    period = _period(request)
    data = reports.monthly_report(actor=request.user, area=area, period=period)
    if fmt == "xlsx":
        body, ctype = (
            reports.to_excel(data, Watermark.for_user(request.user)),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    else:
        body, ctype = reports.to_pdf(data, Watermark.for_user(request.user)), "application/pdf"
    resp = HttpResponse(body, content_type=ctype)
    name = f"assessment-{area.code}-{period.start:%Y%m}.{fmt}"
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@require_GET
@screen_view
def feedback(request, campaign_id: int, department_id: int, fmt: str):
    """A department's feedback sheet for one evaluation campaign (Excel or PDF)."""
    if fmt not in ("xlsx", "pdf"):
        raise Http404("只提供 xlsx 和 pdf 两种格式")
    data = selectors.feedback(
        actor=request.user, campaign_id=campaign_id, department_id=department_id
    )
    if fmt == "xlsx":
        body = reports.feedback_excel(data, Watermark.for_user(request.user))
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, ctype = (
            reports.feedback_pdf(data, Watermark.for_user(request.user)),
            "application/pdf",
        )
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = (
        f'attachment; filename="feedback-{campaign_id}-{department_id}.{fmt}"'
    )
    return resp
