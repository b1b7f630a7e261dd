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
