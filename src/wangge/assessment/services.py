"""Writes for assessment: a proactive task becomes a case in one step, or is
dismissed with a reason. Each in a transaction; the task row is locked so two
clicks make one case."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from wangge.cases.services import REPORTER_ROLES, case_report
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.teams.scope import scope_for

from .models import ProactiveTask
from .selectors import access_proactive


def _may_act(actor) -> None:
    """Grid teams and dispatchers act on tasks; read-only roles only look."""
    scope = scope_for(actor)
    if not scope.unrestricted and not (scope.roles & REPORTER_ROLES):
        raise PermissionDenied("not_allowed", "您的角色只能查看未诉先办任务")


def proactive_to_case(*, actor, task_id, description: str = "", category=None):
    """Turn the task into a case (reported by the actor, at the task's point
    or grid, with the task's category unless another is given)."""
    task = access_proactive(actor=actor, task_id=task_id)
    _may_act(actor)
    with transaction.atomic():
        task = ProactiveTask.objects.select_for_update().select_related("area").get(pk=task.pk)
        if task.state != ProactiveTask.State.OPEN:
            raise Conflict("task_closed", "该任务已处理")
        text = (description or "").strip() or f"【未诉先办】{task.title}。{task.reason}"
        case, _ = case_report(
            actor=actor,
            description=text[:2000],
            category=category or (task.category.code if task.category_id else None),
            lng=task.lng,
            lat=task.lat,
            area=None if task.lng is not None else task.area,
        )
        task.state = ProactiveTask.State.CONVERTED
        task.case = case
        task.handled_by = actor
        task.handled_at = timezone.now()
        task.save(update_fields=["state", "case", "handled_by", "handled_at"])
    return task, case


def proactive_dismiss(*, actor, task_id, reason: str):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "请填写忽略原因", status=422)
    task = access_proactive(actor=actor, task_id=task_id)
    _may_act(actor)
    with transaction.atomic():
        task = ProactiveTask.objects.select_for_update().get(pk=task.pk)
        if task.state != ProactiveTask.State.OPEN:
            raise Conflict("task_closed", "该任务已处理")
        task.state = ProactiveTask.State.DISMISSED
        task.evidence = {**task.evidence, "dismiss_reason": reason[:200]}
        task.handled_by = actor
        task.handled_at = timezone.now()
        task.save(update_fields=["state", "evidence", "handled_by", "handled_at"])
    return task


# ---------------------------------------------------------------- 双向互评
CAMPAIGN_ROLES = frozenset({"city_admin", "dispatcher", "street_cadre"})
AREA_RATER_ROLES = ("community_cadre", "street_cadre", "dispatcher")


def campaign_create(*, actor, name: str, area_id, start, end):
    from datetime import date as _date

    from .models import Campaign
    from .selectors import access_assessed_area

    area = access_assessed_area(actor=actor, area_id=area_id)
    scope = scope_for(actor)
    if not scope.unrestricted and not (scope.roles & CAMPAIGN_ROLES):
        raise PermissionDenied("not_allowed", "只有管理员、调度员和镇街干部可以发起互评")
    if area.level not in ("city", "district", "street"):
        raise DomainError("bad_area", "互评范围须为市、区县或镇街", status=422)
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", "请填写互评名称", status=422)
    try:
        s, e = _date.fromisoformat(str(start)), _date.fromisoformat(str(end))
    except ValueError as exc:
        raise DomainError("bad_period", "考核起止日期格式不正确（YYYY-MM-DD）", status=422) from exc
    if e < s:
        raise DomainError("bad_period", "结束日期不能早于开始日期", status=422)
    return Campaign.objects.create(
        name=name[:100], area=area, area_path=area.path, start=s, end=e, created_by=actor
    )


def may_close_campaign(actor, campaign) -> bool:
    """Those who may start campaigns, over the campaign's whole area."""
    scope = scope_for(actor)
    return scope.unrestricted or (
        bool(scope.roles & CAMPAIGN_ROLES) and scope.covers(campaign.area_path)
    )


def campaign_close(*, actor, campaign_id):
    """End a campaign: no more ratings (409 `campaign_closed`); its ratings
    keep counting in 互评得分 for the periods it overlaps. By those who may
    start one, on a campaign over their own areas."""
    from .models import Campaign
    from .selectors import access_campaign

    campaign = access_campaign(actor=actor, campaign_id=campaign_id)
    scope = scope_for(actor)
    if not may_close_campaign(actor, campaign):
        if scope.unrestricted or scope.roles & CAMPAIGN_ROLES:  # visible from below
            raise PermissionDenied("not_allowed", "只能结束本辖区范围内的互评")
        raise PermissionDenied("not_allowed", "只有管理员、调度员和镇街干部可以结束互评")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not locked.is_open:
            raise Conflict("campaign_closed", "该互评已结束")
        locked.is_open = False
        locked.save(update_fields=["is_open"])
    return locked


def evaluation_submit(
    *, actor, campaign_id, score, comment: str = "", department_id=None, area_id=None
):
    """A community or street (its cadre or dispatcher) rates a department; a
    department's staff rate a street's or district's dispatching. Once per
    rater unit and target (a second submit is 409)."""
    from django.db import IntegrityError

    from wangge.areas.models import Area
    from wangge.teams.models import Department

    from .models import Evaluation
    from .selectors import access_campaign

    campaign = access_campaign(actor=actor, campaign_id=campaign_id)
    if not campaign.is_open:
        raise Conflict("campaign_closed", "该互评已结束")
    try:
        score = int(score)
    except (TypeError, ValueError) as exc:
        raise DomainError("bad_value", "评分必须是 1–5 的整数", status=422) from exc
    if not 1 <= score <= 5:
        raise DomainError("bad_value", "评分必须是 1–5 的整数", status=422)
    scope = scope_for(actor)
    inside = [g for g in scope.grants if g.path.startswith(campaign.area_path)]
    row = Evaluation(
        campaign=campaign, score=score, comment=(comment or "").strip()[:500], rater=actor
    )
    if department_id:
        rater = next((g for g in inside if g.role in AREA_RATER_ROLES), None)
        if rater is None:
            raise PermissionDenied("not_allowed", "只有村社区、镇街可以评价职能部门")
        dept = Department.objects.filter(pk=department_id, is_active=True).first()
        if dept is None or not (
            campaign.area_path.startswith(dept.area_path)
            or dept.area_path.startswith(campaign.area_path)
        ):
            raise DomainError("unknown_department", "部门不存在或不在本次互评范围内", status=422)
        row.kind, row.rater_area_id, row.department = (
            Evaluation.Kind.OF_DEPARTMENT,
            rater.area_id,
            dept,
        )
        row.area_path = rater.path
        row.key = f"{campaign.pk}:d:{rater.area_id}:{dept.pk}"
    elif area_id:
        rater = next((g for g in inside if g.role == "department_staff" and g.department_id), None)
        if rater is None:
            raise PermissionDenied("not_allowed", "只有职能部门可以评价派遣准确性")
        target = Area.objects.filter(pk=area_id, level__in=("street", "district")).first()
        if target is None or not target.path.startswith(campaign.area_path):
            raise DomainError("unknown_area", "被评价的镇街或区县不在本次互评范围内", status=422)
        row.kind, row.rater_department_id, row.area = (
            Evaluation.Kind.OF_DISPATCH,
            rater.department_id,
            target,
        )
        row.area_path = rater.path
        row.key = f"{campaign.pk}:a:{rater.department_id}:{target.pk}"
    else:
        raise DomainError("target_required", "请选择被评价的部门或区域", status=422)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise Conflict("already_rated", "本单位已评价过该对象") from exc
    return row
