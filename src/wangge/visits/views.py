"""Pages of visits and care: in the grid worker's app (`/w/visits/`, with the
visit and contact forms that go through the app's offline outbox) and in the
console (`/console/visits/`: coverage by area, overdue lists). Thin: parse,
access_*, one selector or service call, render."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from wangge.areas.models import Area
from wangge.console.views import console_page
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for
from wangge.worker.views import _ctx, _key, worker_json, worker_page

from . import selectors, services
from .models import CareContact, PlanItem, ServiceRecord


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _require_key(request) -> str:
    key = _key(request)
    if not key:
        raise DomainError("idempotency_key_required", "缺少幂等键", status=422)
    return key


# ---------------------------------------------------------------- worker app
@require_GET
@worker_page
def worker_visits(request):
    """走访: this month's plan (targets, fixed days), households still to
    visit (overdue first), overdue care contacts, and the visit and contact
    forms, on one page so it works offline once opened."""
    plan = selectors.plan_summary(actor=request.user)
    items, total = selectors.plan_items(actor=request.user, open_only=True, limit=100)
    pairs, pairs_total = selectors.care_pairs(actor=request.user, limit=100)
    chosen = _int(request.GET.get("household"))
    extra = None
    if chosen and not any(i.household_id == chosen for i in items):
        from wangge.people.selectors import access_household

        extra = access_household(request.user, chosen)
    now = timezone.now()
    return render(
        request,
        "visits/worker_visits.html",
        _ctx(
            request,
            plan=plan,
            items=items,
            total=total,
            chosen=chosen,
            extra=extra,
            pairs=pairs,
            pairs_total=pairs_total,
            now=now,
            modes=CareContact.Mode.choices,
            service_kinds=ServiceRecord.Kind.choices,
            today=timezone.localdate(),
            nav="visits",
        ),
    )


def _visit_json(visit, created: bool) -> dict:
    return {
        "created": created,
        "visit": {
            "id": visit.pk,
            "far_from_building": visit.far_from_building,
            "distance_m": visit.distance_m,
            "case_id": visit.case_id,
        },
    }


@require_POST
@worker_json
def sync_visit(request):
    """A household visit as the outbox sends it (Idempotency-Key header)."""
    p = request.POST
    household_id = _int(p.get("household_id"))
    if not household_id:
        raise DomainError("household_required", "请选择走访的户", status=422)
    visit, created = services.visit_record(
        actor=request.user,
        household_id=household_id,
        lng=p.get("lng") or None,
        lat=p.get("lat") or None,
        people_met=p.get("people_met", ""),
        notes=p.get("notes", ""),
        issues=p.get("issues", ""),
        create_case=p.get("create_case") in ("1", "on", "true"),
        idempotency_key=_require_key(request),
    )
    return JsonResponse(_visit_json(visit, created), status=201 if created else 200)


@require_POST
@worker_json
def sync_care(request):
    """A care contact, and optionally a service record, from the app."""
    p = request.POST
    key = _require_key(request)
    pair = selectors.access_pair(actor=request.user, pair_id=_int(p.get("pair_id"), 0))
    contact, created = services.care_contact_record(
        actor=request.user,
        pair=pair,
        mode=p.get("mode", ""),
        notes=p.get("notes", ""),
        lng=p.get("lng") or None,
        lat=p.get("lat") or None,
        idempotency_key=key,
    )
    if p.get("service_kind"):
        services.service_record_create(
            actor=request.user,
            pair=pair,
            kind=p["service_kind"],
            hours=p.get("hours") or 0,
            notes=p.get("notes", ""),
            idempotency_key=f"svc:{key}",
        )
    return JsonResponse(
        {"created": created, "contact": {"id": contact.pk}}, status=201 if created else 200
    )


# ---------------------------------------------------------------- console
@require_GET
@console_page
def console_visits(request):
    """走访与关爱: coverage by child area with drill-down, per-worker coverage
    at grid level, overdue households and overdue care contacts."""
    scope = scope_for(request.user)
    area = None
    if request.GET.get("area"):
        area = Area.objects.filter(pk=_int(request.GET["area"], 0), is_active=True).first()
        if area is None or not scope.covers(area.path):
            return render(request, "console/forbidden.html", status=404)
    period = request.GET.get("period") or services.periods_of(timezone.localdate())[0]
    try:
        report = selectors.coverage(actor=request.user, period=period, area=area)
    except DomainError as exc:
        period = services.periods_of(timezone.localdate())[0]
        report = selectors.coverage(actor=request.user, period=period, area=area)
        report["error"] = exc.message
    workers = (
        selectors.worker_coverage(actor=request.user, period=period, area=area)
        if area is not None and area.level in ("community", "grid")
        else []
    )
    overdue, overdue_total = selectors.plan_items(
        actor=request.user,
        mine=False,
        status=PlanItem.Status.OVERDUE,
        open_only=True,
        area=area,
        limit=50,
    )
    pairs, pairs_total = selectors.care_pairs(actor=request.user, overdue=True, limit=50)
    evaluation = None
    if area is not None and area.level == "street" and len(period) == 7 and period[5] != "Q":
        from .evaluation import street_evaluation

        evaluation = street_evaluation(
            actor=request.user, street=area, month=services.period_bounds(period)[0]
        )
    today = timezone.localdate()
    periods = list(dict.fromkeys([*services.periods_of(today), period]))
    return render(
        request,
        "visits/console_visits.html",
        {
            "area": area,
            "period": period,
            "periods": periods,
            "report": report,
            "workers": workers,
            "overdue": overdue,
            "overdue_total": overdue_total,
            "pairs": pairs,
            "pairs_total": pairs_total,
            "evaluation": evaluation,
            "now": timezone.now(),
            "base_url": reverse("visits-console"),
        },
    )
