"""Emergency mode pages, thin: parse, `access_*`, one call, render.

- console (/console/emergency/): switch a street or district on (reason and
  checklist fields), the progress by grid on the map, assign emergency
  workers, switch back (archives);
- worker app (/w/emergency/): the checklist per grid, one form per
  household, sent through the phone's outbox (JSON, idempotency key)."""

from __future__ import annotations

import json

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from wangge.accounts.models import User
from wangge.areas import selectors as area_selectors
from wangge.areas.models import Area
from wangge.areas.paths import subtree_q
from wangge.console.views import console_page, console_part, poll_seconds
from wangge.core.errors import DomainError
from wangge.notices.views import _int
from wangge.people import selectors as people
from wangge.teams.scope import scope_for
from wangge.worker.views import _ctx, worker_json, worker_page

from . import selectors, services
from .checklist import DEFAULT_FIELDS, TYPES


def _mode_areas(actor) -> list[Area]:
    scope = scope_for(actor)
    out: list[Area] = []
    for top in area_selectors.area_tops(actor=actor):
        if not services.may_command(scope, top.path):
            continue
        out.extend(
            Area.objects.filter(subtree_q(top.path), level__in=services.MODE_LEVELS, is_active=True)
            .only("id", "name", "level", "path")
            .order_by("path")[:200]
        )
    return out


# ---------------------------------------------------------------- console
def _index(request, *, error=None, values=None, status=200):
    return render(
        request,
        "emergency/console_index.html",
        {
            "modes": selectors.mode_list(actor=request.user),
            "areas": _mode_areas(request.user),
            "fields_json": (values or {}).get("fields")
            or json.dumps(DEFAULT_FIELDS, ensure_ascii=False, indent=1),
            "types": TYPES,
            "error": error,
            "values": values or {},
        },
        status=status,
    )


@require_GET
@console_page
def console_index(request):
    return _index(request)


@require_POST
@console_page
def console_start(request):
    raw = request.POST.get("fields", "")
    try:
        try:
            fields = json.loads(raw)
        except ValueError as exc:
            raise DomainError("bad_fields_json", "清单字段不是有效的 JSON", status=422) from exc
        mode = services.emergency_start(
            actor=request.user,
            area=_int(request.POST.get("area_id"), 0),
            reason=request.POST.get("reason", ""),
            fields=fields,
        )
    except DomainError as exc:
        return _index(request, error=exc, values=request.POST, status=exc.status)
    return redirect("emergency-console:detail", mode_id=mode.pk)


def _mode(request, mode_id: int):
    """The mode for a console page: 404 page outside the actor's areas."""
    try:
        return selectors.access_mode(actor=request.user, mode_id=mode_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _detail(request, mode, *, error=None, status=200):
    return render(
        request,
        "emergency/console_detail.html",
        {
            "mode": mode,
            "progress": selectors.mode_progress(actor=request.user, mode=mode),
            "may_command": services.may_command(scope_for(request.user), mode.area_path),
            "assignments": mode.assignments.select_related("user", "grid").order_by("grid_path"),
            "alerts": selectors.answer_list(actor=request.user, mode=mode, alerts_only=True),
            "poll_seconds": poll_seconds(),
            "error": error,
        },
        status=status,
    )


@require_GET
@console_page
def console_detail(request, mode_id: int):
    mode = _mode(request, mode_id)
    return _detail(request, mode)


@require_GET
@console_part
def console_progress(request, mode_id: int):
    mode = selectors.access_mode(actor=request.user, mode_id=mode_id)
    progress = selectors.mode_progress(actor=request.user, mode=mode)
    if request.GET.get("format") == "json":
        return JsonResponse(progress, json_dumps_params={"ensure_ascii": False})
    return render(
        request,
        "emergency/_progress.html",
        {
            "mode": mode,
            "progress": progress,
            "alerts": selectors.answer_list(actor=request.user, mode=mode, alerts_only=True),
            "poll_seconds": poll_seconds(),
        },
    )


@require_POST
@console_page
def console_assign(request, mode_id: int):
    mode = _mode(request, mode_id)
    try:
        username = request.POST.get("username", "").strip()
        user = User.objects.filter(username=username, kind="staff").first()
        if user is None:
            raise DomainError("bad_user", f"没有用户名为“{username}”的工作人员", status=422)
        grid = area_selectors.access_area(
            actor=request.user, area_id=_int(request.POST.get("grid_id"), 0)
        )
        services.emergency_assign(actor=request.user, mode=mode, user=user, grid=grid)
    except DomainError as exc:
        return _detail(request, mode, error=exc, status=exc.status)
    return redirect("emergency-console:detail", mode_id=mode.pk)


@require_POST
@console_page
def console_end(request, mode_id: int):
    mode = _mode(request, mode_id)
    try:
        services.emergency_end(actor=request.user, mode=mode, note=request.POST.get("note", ""))
    except DomainError as exc:
        return _detail(request, mode, error=exc, status=exc.status)
    return redirect("emergency-console:detail", mode_id=mode.pk)


# ---------------------------------------------------------------- worker app
@require_GET
@worker_page
def worker_index(request):
    modes = selectors.active_for_worker(actor=request.user)
    for m in modes:
        m.my_grids = selectors.worker_grids(actor=request.user, mode=m)
    return render(request, "emergency/worker_index.html", _ctx(request, modes=modes, nav="today"))


@require_GET
@worker_page
def worker_grid(request, mode_id: int, grid_id: int):
    try:
        mode = selectors.access_mode(actor=request.user, mode_id=mode_id)
        grid = people.access_grid(request.user, grid_id) if grid_id else None
    except (DomainError, Http404):
        return render(request, "worker/forbidden.html", status=404)
    if grid is None or not grid.path.startswith(mode.area_path):
        return render(request, "worker/forbidden.html", status=404)
    q = request.GET.get("q", "").strip()[:50]
    rows = selectors.household_rows(actor=request.user, mode=mode, grid=grid, q=q)
    return render(
        request,
        "emergency/worker_grid.html",
        _ctx(
            request,
            mode=mode,
            grid=grid,
            rows=rows,
            q=q,
            done=sum(1 for r in rows if r.answer),
            nav="today",
        ),
    )


@require_POST
@worker_json
def worker_fill(request, mode_id: int, household_id: int):
    mode = selectors.access_mode(actor=request.user, mode_id=mode_id)
    household = people.access_household(request.user, household_id)
    answers = {f["key"]: request.POST.get(f["key"], "") for f in mode.fields}
    answer, done = services.checklist_fill(
        actor=request.user,
        mode=mode,
        household=household,
        answers=answers,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    msg = f"已记录：{household.address}"
    if answer.case_id:
        msg += "（已生成最高优先级工单）"
    return JsonResponse(
        {
            "ok": True,
            "done": done,
            "alert": answer.alert,
            "case_id": answer.case_id,
            "message": msg,
        },
        json_dumps_params={"ensure_ascii": False},
    )
