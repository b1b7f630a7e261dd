"""/api/v1/assessment: indices (with formula and raw counts), rankings with
drill-down, department indices, proactive tasks and the category
classifier's training-data export. Thin: parse, access, one selector or
service call."""

from __future__ import annotations

from ninja import Router, Schema, Status

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.core.errors import PermissionDenied

from . import selectors
from .indices import REGISTRY

router = Router(tags=["考核评价"], auth=[BearerAuth(), SessionAuth()])


def _staff(request) -> None:
    if not selectors.is_assessment_user(request.auth):
        raise PermissionDenied("not_allowed", "仅工作人员可查看考核数据")


def _period(month: str = "", start: str = "", end: str = ""):
    return selectors.parse_period(start=start or None, end=end or None, month=month or None)


@router.get("/indices", response=list[dict])
def index_list(request):
    """Every index: code, name, formula, direction."""
    _staff(request)
    return [
        {
            "code": d.code,
            "name": d.name,
            "formula": d.formula,
            "unit": d.unit,
            "higher_is_better": d.higher_is_better,
            "source": d.source,
        }
        for d in REGISTRY.values()
    ]


@router.get("/areas/{area_id}/indices", response=dict)
def area_indices(request, area_id: int, month: str = "", start: str = "", end: str = ""):
    """An area's indices for a period (default this month), each with its
    formula, raw counts and the change against the previous period."""
    return selectors.area_indices(
        actor=request.auth, area_id=area_id, period=_period(month, start, end)
    )


@router.get("/areas/{area_id}/ranking", response=dict)
def area_ranking(
    request,
    area_id: int,
    level: str = "",
    by: str = "composite",
    month: str = "",
    start: str = "",
    end: str = "",
):
    """Areas at `level` under the area (default: one level down), ranked by
    an index or the composite score."""
    return selectors.ranking(
        actor=request.auth,
        area_id=area_id,
        level=level or None,
        by=by,
        period=_period(month, start, end),
    )


@router.get("/areas/{area_id}/workers", response=dict)
def area_workers(
    request,
    area_id: int,
    by: str = "composite",
    month: str = "",
    start: str = "",
    end: str = "",
):
    """网格员考核: every grid worker with an assignment under the area, with
    their indices over the period (default this month), ranked by `by`
    (composite, on_time, satisfaction, online, visits, handled, reported)."""
    from .workers import worker_ranking

    return worker_ranking(
        actor=request.auth, area_id=area_id, period=_period(month, start, end), by=by
    )


@router.get("/departments/{department_id}/indices", response=dict)
def department_indices(
    request, department_id: int, month: str = "", start: str = "", end: str = ""
):
    return selectors.department_indices(
        actor=request.auth, department_id=department_id, period=_period(month, start, end)
    )


@router.get("/departments", response=list[dict])
def department_ranking(
    request, by: str = "composite", month: str = "", start: str = "", end: str = ""
):
    """Departments the actor sees that led cases in the period, ranked."""
    _staff(request)
    return selectors.department_ranking(
        actor=request.auth, period=_period(month, start, end), by=by
    )


def _task(t) -> dict:
    return {
        "id": t.pk,
        "rule": t.rule,
        "rule_label": t.get_rule_display(),
        "title": t.title,
        "why": t.reason,
        "evidence": t.evidence,
        "area": {"id": t.area_id, "name": t.area.name},
        "category": t.category.name if t.category_id else None,
        "state": t.state,
        "created_at": t.created_at.isoformat(),
        "case_id": t.case_id,
    }


@router.get("/proactive", response=list[dict])
def proactive_list(request, area_id: int | None = None, state: str = "open"):
    """Proactive tasks (未诉先办) in the actor's areas, each with why it was raised."""
    _staff(request)
    return [
        _task(t) for t in selectors.proactive_list(actor=request.auth, area_id=area_id, state=state)
    ]


class ToCaseIn(Schema):
    description: str = ""
    category: str | None = None


class DismissIn(Schema):
    reason: str = ""


@router.post("/proactive/{task_id}/case", response={201: dict})
def proactive_to_case(request, task_id: int, payload: ToCaseIn):
    """Turn a proactive task into a case in one step."""
    from . import services

    task, case = services.proactive_to_case(
        actor=request.auth,
        task_id=task_id,
        description=payload.description,
        category=payload.category or None,
    )
    return Status(201, {"task": _task(task), "case_id": case.pk, "number": case.number})


@router.post("/proactive/{task_id}/dismiss", response=dict)
def proactive_dismiss(request, task_id: int, payload: DismissIn):
    from . import services

    task = services.proactive_dismiss(actor=request.auth, task_id=task_id, reason=payload.reason)
    return _task(task)


@router.get("/classifier/corrections", response=list[dict])
def classifier_corrections(request, since: str = ""):
    """Cases whose category a dispatcher changed, as new training rows
    (text masked, right code), oldest first."""
    from django.utils.dateparse import parse_datetime

    _staff(request)
    when = None
    if since:
        when = parse_datetime(since)
        if when is None:
            from wangge.core.errors import DomainError

            raise DomainError("bad_datetime", "since 格式不正确（ISO 8601）", status=422)
    return selectors.corrections(actor=request.auth, since=when)


# ---------------------------------------------------------------- 双向互评
class CampaignIn(Schema):
    name: str
    area_id: int
    start: str
    end: str


class EvaluationIn(Schema):
    score: int
    comment: str = ""
    department_id: int | None = None
    area_id: int | None = None


def _campaign(c) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "area": {"id": c.area_id, "name": c.area.name},
        "start": c.start.isoformat(),
        "end": c.end.isoformat(),
        "is_open": c.is_open,
    }


@router.get("/campaigns", response=list[dict])
def campaign_list(request):
    """Two-way evaluation campaigns (双向互评) over or above the actor's areas."""
    _staff(request)
    return [_campaign(c) for c in selectors.campaigns(actor=request.auth)]


@router.post("/campaigns", response={201: dict})
def campaign_create(request, payload: CampaignIn):
    from . import services

    c = services.campaign_create(
        actor=request.auth,
        name=payload.name,
        area_id=payload.area_id,
        start=payload.start,
        end=payload.end,
    )
    return Status(201, _campaign(c))


@router.post("/campaigns/{campaign_id}/close", response=dict)
def campaign_close(request, campaign_id: int):
    """End a campaign (no more ratings; 409 when already ended)."""
    from . import services

    return _campaign(services.campaign_close(actor=request.auth, campaign_id=campaign_id))


@router.post("/campaigns/{campaign_id}/evaluations", response={201: dict})
def evaluation_submit(request, campaign_id: int, payload: EvaluationIn):
    """Rate a department (as a community or street) or a street's/district's
    dispatching (as a department), 1–5 with a comment."""
    from . import services

    e = services.evaluation_submit(
        actor=request.auth,
        campaign_id=campaign_id,
        score=payload.score,
        comment=payload.comment,
        department_id=payload.department_id,
        area_id=payload.area_id,
    )
    return Status(201, {"id": e.pk, "kind": e.kind, "score": e.score})
