"""Writes for emergency mode (平战转换): switch on, assign emergency workers,
fill the household checklist, switch back. Each runs in a transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from wangge.accounts.models import User
from wangge.areas.models import Area, Level
from wangge.areas.paths import ancestor_paths, subtree_q
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.people.models import Household
from wangge.teams.models import RoleAssignment
from wangge.teams.roles import ROLE_CAPS, Role
from wangge.teams.scope import scope_for

from .checklist import describe, validate_answers, validate_fields
from .models import (
    AnswerReceipt,
    ChecklistAnswer,
    ChecklistGrid,
    EmergencyAssignment,
    EmergencyMode,
    ModeStatus,
)

# Who switches a street or district into emergency mode and back, and assigns cadres.
COMMAND_ROLES = frozenset({Role.DISPATCHER, Role.STREET_CADRE, Role.CITY_ADMIN})
MODE_LEVELS = (Level.STREET, Level.DISTRICT)


def may_command(scope, path: str) -> bool:
    if scope.unrestricted:
        return True
    return any(g.role in COMMAND_ROLES and path.startswith(g.path) for g in scope.grants)


def _command(actor, mode_or_path) -> None:
    path = getattr(mode_or_path, "area_path", mode_or_path)
    scope = scope_for(actor)
    if not scope.covers(path):
        raise DomainError("outside_scope", "该区域不在您的管辖范围内", status=404)
    if not may_command(scope, path):
        raise PermissionDenied("not_allowed", "您的角色不能启动或结束应急模式")


def active_overlapping(path: str) -> EmergencyMode | None:
    """An active mode on this area, above it or below it."""
    return (
        EmergencyMode.objects.filter(status=ModeStatus.ACTIVE)
        .filter(Q(area_path__in=[*ancestor_paths(path), path]) | subtree_q(path, "area_path"))
        .first()
    )


def emergency_start(*, actor, area: Area | int, reason: str, fields) -> EmergencyMode:
    """Switch a street or district into emergency mode with a reason and a
    checklist; one counter row per grid with its household count."""
    if not scope_for(actor).is_staff_scope:
        raise PermissionDenied("not_allowed", "仅工作人员可以启动应急模式")
    area_id = getattr(area, "pk", area)
    area = Area.objects.filter(pk=area_id, is_active=True).first() if area_id else None
    if area is None:
        raise DomainError("outside_scope", "该区域不在您的管辖范围内", status=404)
    _command(actor, area.path)
    if area.level not in MODE_LEVELS:
        raise DomainError("bad_area", "应急模式按镇街或区县启动", status=422)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "请填写启动原因", status=422)
    if len(reason) > 200:
        raise DomainError("reason_too_long", "启动原因不能超过 200 字", status=422)
    defs = validate_fields(fields)
    now = timezone.now()
    try:
        with transaction.atomic():
            if active_overlapping(area.path) is not None:
                raise Conflict("already_active", "该区域（或其上级、下级）已处于应急状态")
            mode = EmergencyMode.objects.create(
                area=area,
                area_path=area.path,
                reason=reason,
                fields=defs,
                started_by=actor,
                started_at=now,
            )
            per_grid = (
                Household.objects.filter(subtree_q(area.path, "area_path"))
                .order_by()
                .values("grid_id")
                .annotate(n=Count("id"))
            )
            counts = {r["grid_id"]: r["n"] for r in per_grid}
            grids = Area.objects.filter(subtree_q(area.path), level=Level.GRID, is_active=True)
            ChecklistGrid.objects.bulk_create(
                [
                    ChecklistGrid(
                        mode=mode, grid_id=g.pk, grid_path=g.path, households=counts.get(g.pk, 0)
                    )
                    for g in grids.only("id", "path")
                ],
                batch_size=1000,
            )
            mode.households = sum(counts.values())
            mode.save(update_fields=["households"])
    except IntegrityError as exc:  # a concurrent start on the same area
        raise Conflict("already_active", "该区域已处于应急状态") from exc
    return mode


def _active(mode: EmergencyMode) -> None:
    if mode.status != ModeStatus.ACTIVE:
        raise Conflict("archived", "应急模式已结束，清单已归档")


def emergency_assign(*, actor, mode: EmergencyMode, user: User, grid: Area) -> EmergencyAssignment:
    """Put a cadre into a grid as an emergency worker: they get the
    `emergency_worker` role on the grid until the mode ends."""
    _command(actor, mode)
    _active(mode)
    if grid.level != Level.GRID or not grid.path.startswith(mode.area_path):
        raise DomainError("bad_grid", "请选择应急区域内的网格", status=422)
    if user.kind != "staff" or not user.is_active:
        raise DomainError("bad_user", "只能编入在职的工作人员", status=422)
    now = timezone.now()
    with transaction.atomic():
        ra, _ = RoleAssignment.objects.get_or_create(
            user=user,
            role=Role.EMERGENCY_WORKER,
            area=grid,
            defaults={"area_path": grid.path, "is_active": True},
        )
        if not ra.is_active:
            ra.is_active = True
            ra.save(update_fields=["is_active"])
        assignment, created = EmergencyAssignment.objects.get_or_create(
            mode=mode,
            user=user,
            grid=grid,
            defaults={
                "grid_path": grid.path,
                "role_assignment": ra,
                "assigned_by": actor,
                "assigned_at": now,
            },
        )
        if not created and assignment.ended_at is not None:
            assignment.ended_at = None
            assignment.role_assignment = ra
            assignment.save(update_fields=["ended_at", "role_assignment"])
    return assignment


def _may_fill(scope, path: str) -> bool:
    if scope.unrestricted:
        return True
    return any(not ROLE_CAPS[g.role].read_only and path.startswith(g.path) for g in scope.grants)


def checklist_fill(
    *, actor, mode: EmergencyMode, household: Household, answers, idempotency_key: str = ""
) -> tuple[ChecklistAnswer, bool]:
    """Record (or correct) a household's checklist. Returns (answer, done now).
    The same idempotency key again returns the first result and writes
    nothing. An answer that hits an alert raises a top-priority case once."""
    key = (idempotency_key or "").strip()[:80]
    if key:
        receipt = AnswerReceipt.objects.filter(user=actor, key=key).select_related("answer").first()
        if receipt is not None:
            return receipt.answer, False
    _active(mode)
    scope = scope_for(actor)
    if not scope.covers(household.area_path) or not household.area_path.startswith(mode.area_path):
        raise DomainError("not_found", "该户不存在，或不在您的管辖范围内", status=404)
    if not _may_fill(scope, household.area_path):
        raise PermissionDenied("not_allowed", "您的角色不能填报排查清单")
    clean, alerts = validate_answers(mode.fields, answers)
    now = timezone.now()
    with transaction.atomic():
        mode = EmergencyMode.objects.select_for_update().get(pk=mode.pk)
        _active(mode)
        previous = (
            ChecklistAnswer.objects.select_for_update()
            .filter(mode=mode, household=household)
            .first()
        )
        alert = bool(alerts)
        grid_q = ChecklistGrid.objects.filter(mode=mode, grid_id=household.grid_id)
        if previous is None:
            answer = ChecklistAnswer.objects.create(
                mode=mode,
                household=household,
                grid_id=household.grid_id,
                area_path=household.area_path,
                answers=clean,
                alert=alert,
                filled_by=actor,
                filled_at=now,
            )
            grid_q.update(answered=F("answered") + 1, alerts=F("alerts") + int(alert))
        else:
            answer = previous
            delta = int(alert) - int(previous.alert)
            answer.answers, answer.alert = clean, alert
            answer.filled_by, answer.filled_at = actor, now
            answer.save(update_fields=["answers", "alert", "filled_by", "filled_at"])
            if delta:
                grid_q.update(alerts=F("alerts") + delta)
        if alert and answer.case_id is None:
            answer.case_id = _raise_case(actor, mode, household, clean, alerts, now)
            answer.save(update_fields=["case"])
        if key:
            AnswerReceipt.objects.create(user=actor, key=key, answer=answer, at=now)
    return answer, True


def _raise_case(actor, mode, household, clean, alerts, now) -> int:
    """A case with top priority: reported through the case engine, then
    flagged 督办 (supervised) with an event saying why — the console's queue
    lists supervised cases first."""
    from wangge.cases.models import Case
    from wangge.cases.services import case_report, record_event

    area = Area.objects.get(pk=household.micro_grid_id or household.grid_id)
    text = (
        f"【应急排查·最高优先级】{mode.reason}。{household.address}："
        f"{'、'.join(alerts)}。{describe(mode.fields, clean)}"
    )
    case, _ = case_report(
        actor=actor,
        description=text[:2000],
        area=area,
        building=household.building_id,
        address=household.address,
        at=now,
        check_scope=False,  # checked above: the household is in the actor's areas
    )
    Case.objects.filter(pk=case.pk).update(supervised=True)
    record_event(
        case,
        kind="supervise",
        actor=None,
        at=now,
        note="应急模式排查发现，最高优先级",
        data={"emergency_mode": mode.pk, "priority": "top"},
        public=False,
    )
    return case.pk


def emergency_end(*, actor, mode: EmergencyMode, note: str = "") -> EmergencyMode:
    """Switch back: archive the checklist and its results (kept read-only,
    with a summary), withdraw the emergency workers' grid roles."""
    _command(actor, mode)
    now = timezone.now()
    with transaction.atomic():
        mode = EmergencyMode.objects.select_for_update().get(pk=mode.pk)
        _active(mode)
        sums = mode.grids.aggregate(
            households=Sum("households"), answered=Sum("answered"), alerts=Sum("alerts")
        )
        assignments = list(mode.assignments.filter(ended_at__isnull=True))
        # Withdraw the role unless another active mode still needs it.
        still = set(
            EmergencyAssignment.objects.filter(
                ended_at__isnull=True, mode__status=ModeStatus.ACTIVE
            )
            .exclude(mode=mode)
            .values_list("role_assignment_id", flat=True)
        )
        RoleAssignment.objects.filter(
            pk__in=[a.role_assignment_id for a in assignments if a.role_assignment_id not in still]
        ).update(is_active=False)
        mode.assignments.filter(ended_at__isnull=True).update(ended_at=now)
        mode.status = ModeStatus.ARCHIVED
        mode.ended_by, mode.ended_at = actor, now
        mode.end_note = (note or "").strip()[:200]
        mode.summary = {
            "households": sums["households"] or 0,
            "answered": sums["answered"] or 0,
            "alerts": sums["alerts"] or 0,
            "cases": mode.answers.filter(case__isnull=False).count(),
            "emergency_workers": len({a.user_id for a in assignments}),
            "days": round((now - mode.started_at).total_seconds() / 86400, 2),
        }
        mode.save()
    return mode
