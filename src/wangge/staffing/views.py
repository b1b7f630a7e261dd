"""Pages: 网格员队伍 in the console (/console/staffing/: the workers of a
street with filters and the certificates expiring within 60 days; one
worker's record with forms to add recruitment, training, certificates) and
the worker's own record in the worker app (/w/staffing/). Thin: access_*,
one service call, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from wangge.areas import selectors as area_selectors
from wangge.core.errors import DomainError
from wangge.serviceteams.console_views import staff_gate
from wangge.worker.views import _ctx, worker_page

from . import selectors, services
from .models import Recruitment, Training

FORMS = {
    "recruitment": (
        services.recruitment_set,
        (
            "recruited_on",
            "channel",
            "exam_score",
            "interview_result",
            "contract_start",
            "contract_end",
            "notes",
        ),
        "已保存招聘信息",
    ),
    "training": (
        services.training_add,
        ("course", "held_on", "hours", "result", "notes"),
        "已登记培训",
    ),
    "certificate": (
        services.certificate_add,
        ("name", "number", "issuer", "issued_on", "expires_on", "notes"),
        "已登记证书",
    ),
}


@require_GET
def console_list(request):
    if (r := staff_gate(request)) is not None:
        return r
    area = None
    if request.GET.get("area"):
        try:
            area = area_selectors.access_area(actor=request.user, area_id=int(request.GET["area"]))
        except (DomainError, ValueError) as exc:
            raise Http404("未找到，或不在您的管辖范围内") from exc
    role = request.GET.get("role", "")
    if role not in selectors.WORKER_ROLES:
        role = ""
    q = request.GET.get("q", "").strip()[:50]
    expiring = request.GET.get("expiring") == "1"
    tops = list(area_selectors.area_tops(actor=request.user)[:50])
    options = {a.pk: a for a in [*tops, *selectors.street_options(actor=request.user)]}
    rows = selectors.worker_list(actor=request.user, area=area, role=role, q=q, expiring=expiring)
    return render(
        request,
        "staffing/console_list.html",
        {
            "area": area,
            "options": sorted(options.values(), key=lambda a: a.path),
            "roles": [(r, lbl) for r, lbl in _role_choices()],
            "role": role,
            "q": q,
            "expiring": expiring,
            "rows": rows,
            "capped": len(rows) >= selectors.MAX_LIST,
            "soon": selectors.expiring_certificates(actor=request.user, area=area)[:100],
            "days": selectors.EXPIRING_DAYS,
        },
    )


def _role_choices():
    from wangge.teams.roles import Role

    return [(r, str(Role(r).label)) for r in selectors.WORKER_ROLES]


@require_http_methods(["GET", "POST"])
def console_worker(request, worker_id: int):
    if (r := staff_gate(request)) is not None:
        return r
    try:
        worker = selectors.access_worker(actor=request.user, worker_id=worker_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    errors: dict[str, str] = {}
    values: dict[str, dict] = {}
    status = 200
    if request.method == "POST":
        kind = request.POST.get("form", "")
        if kind not in FORMS:
            errors["form"] = "未知的表单"
            status = 422
        else:
            service, fields, ok = FORMS[kind]
            data = {f: request.POST.get(f, "") for f in fields}
            try:
                service(actor=request.user, worker=worker, **data)
            except DomainError as exc:
                if exc.status == 404:
                    raise Http404(exc.message) from exc
                errors[kind] = exc.message
                values[kind] = data
                status = exc.status
            else:
                messages.success(request, ok)
                return redirect("staffing:console-worker", worker_id=worker.id)
    record = selectors.worker_record(worker=worker)
    rec = record.recruitment
    if "recruitment" not in values and rec is not None:
        values["recruitment"] = {
            "recruited_on": rec.recruited_on.isoformat(),
            "channel": rec.channel,
            "exam_score": "" if rec.exam_score is None else str(rec.exam_score),
            "interview_result": rec.interview_result,
            "contract_start": rec.contract_start.isoformat() if rec.contract_start else "",
            "contract_end": rec.contract_end.isoformat() if rec.contract_end else "",
            "notes": rec.notes,
        }
    return render(
        request,
        "staffing/console_worker.html",
        {
            "worker": worker,
            "record": record,
            "may_manage": services.may_manage(request.user, worker),
            "errors": errors,
            "values": values,
            "channels": Recruitment.Channel.choices,
            "results": Recruitment.Result.choices,
            "training_results": Training.Result.choices,
        },
        status=status,
    )


@require_GET
@worker_page
def worker_me(request):
    """我的档案: my recruitment, training hours and certificates."""
    try:
        worker = selectors.access_worker(actor=request.user, worker_id=request.user.pk)
    except DomainError:
        worker = None
    ctx = {"nav": "staffing", "worker": worker}
    if worker is not None:
        ctx["record"] = selectors.worker_record(worker=worker)
    return render(request, "staffing/worker_me.html", _ctx(request, **ctx))
