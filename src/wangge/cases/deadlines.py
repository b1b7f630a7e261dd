"""Deadlines for the five handling classes, the traffic light (yellow at 80%
of the working time, red when overdue) and the periodic sweep.

- 即办件 immediate: the end of the working day the clock starts on.
- 限时件 time-limited and 代办件 proxy: N working days from the catalogue.
- 特办件 special: set by the dispatcher (a coordination meeting decides it).
- 承办件 undertaken: the catalogue's N working days until the department sets
  its own deadline when it takes the case on.

The clock starts when the case is registered (立案)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import CLOCK_STATUSES, Alert, Case, CaseDepartment, Handling, Status
from .workdays import china

log = logging.getLogger("wangge.cases.sweep")
WARN_SHARE = 0.8
RATING_DAYS = 7


def default_due(*, handling: str, deadline_days: int, start: datetime) -> datetime | None:
    cal = china()
    if handling == Handling.IMMEDIATE:
        return cal.add_working_days(start, 0)
    if handling == Handling.SPECIAL:
        return None
    return cal.add_working_days(start, deadline_days)


def set_deadline(case: Case, *, start: datetime, due: datetime | None, now: datetime) -> None:
    """Start the clock at `start` with deadline `due`, and set the light."""
    case.deadline_start = start
    case.due_at = due
    case.warn_at = china().warn_point(start, due, WARN_SHARE) if due else None
    refresh_light(case, now)


def shift_deadline(case: Case, seconds: float, now: datetime) -> None:
    """Move the deadline by `seconds` of working time (extension, unparking)."""
    if case.due_at is None:
        return
    cal = china()
    case.due_at = cal.add_working_seconds(case.due_at, seconds)
    case.warn_at = cal.warn_point(case.deadline_start or now, case.due_at, WARN_SHARE)
    refresh_light(case, now)


def refresh_light(case: Case, now: datetime) -> None:
    """Recompute the light from the deadline (after the deadline moved)."""
    if case.due_at is None:
        case.alert, case.escalate_at = Alert.NONE, None
    elif now >= case.due_at:
        case.alert = Alert.RED
        if case.escalate_at is None:
            case.escalate_at = now
    elif case.warn_at and now >= case.warn_at:
        case.alert, case.escalate_at = Alert.YELLOW, None
    else:
        case.alert, case.escalate_at = Alert.NONE, None


@dataclass
class SweepResult:
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    archived: int = 0
    whistles_overdue: int = 0
    failed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "yellow": self.yellow,
            "red": self.red,
            "escalated": self.escalated,
            "archived": self.archived,
            "whistles_overdue": self.whistles_overdue,
            "failed": self.failed,
        }


CLOCK = CLOCK_STATUSES


def sweep(*, now: datetime | None = None) -> SweepResult:
    """Mark yellow and red lights, escalate overdue cases (one level when they
    turn red, one more for each further working day), notify, archive closed
    cases whose rating window passed, and flag whistles nobody answered.

    Idempotent: each step only picks rows whose state says it is still to do
    (the indexed `warn_at` / `due_at` / `escalate_at` ranges with the light),
    and moves them past it. One case failing is logged and skipped."""
    from .services import case_move, system_escalate

    now = now or timezone.now()
    result = SweepResult()

    def each(qs, fn):
        # The candidates are few (cases whose moment came); fetch their ids
        # in one go. (ORDER BY id LIMIT n would tempt PostgreSQL to walk the
        # primary key through the whole table when there are none.)
        ids = sorted(qs.values_list("pk", flat=True))
        for pk in ids:
            try:
                with transaction.atomic():
                    fn(pk)
            except Exception:
                log.exception("sweep failed on case %s", pk)
                result.failed.append(pk)

    base = Case.objects.filter(status__in=CLOCK)

    def to_yellow(pk):
        case = Case.objects.select_for_update().get(pk=pk)
        if case.alert != Alert.NONE or not case.warn_at or case.warn_at > now:
            return
        case.alert = Alert.YELLOW
        case.save(update_fields=["alert"])
        _light_event(case, "yellow", now)
        result.yellow += 1

    def to_red(pk):
        case = Case.objects.select_for_update().get(pk=pk)
        if case.alert == Alert.RED or not case.due_at or case.due_at > now:
            return
        case.alert = Alert.RED
        case.escalate_at = case.due_at
        case.save(update_fields=["alert", "escalate_at"])
        _light_event(case, "red", now)
        result.red += 1

    def escalate(pk):
        if system_escalate(case_id=pk, now=now):
            result.escalated += 1

    each(base.filter(alert="", warn_at__lte=now, due_at__gt=now), to_yellow)
    each(base.filter(alert__in=("", "yellow"), due_at__lte=now), to_red)
    each(
        base.filter(alert="red", escalate_at__lte=now),
        escalate,
    )

    cutoff = now - timedelta(days=RATING_DAYS)

    def archive(pk):
        case_move(case_id=pk, move="archive", actor=None, at=now, note="评价期满自动归档")
        result.archived += 1

    each(Case.objects.filter(status=Status.CLOSED, closed_at__lte=cutoff), archive)

    # Whistles past their response time: tell the department and the dispatchers once.
    from .services import whistle_overdue

    for row_id in list(
        CaseDepartment.objects.filter(
            role=CaseDepartment.Role.WHISTLED,
            responded_at__isnull=True,
            overdue_notified=False,
            respond_by__lte=now,
        ).values_list("pk", flat=True)
    ):
        try:
            with transaction.atomic():
                if whistle_overdue(row_id=row_id, now=now):
                    result.whistles_overdue += 1
        except Exception:
            log.exception("sweep failed on whistle %s", row_id)
            result.failed.append(-row_id)
    return result


def _light_event(case: Case, light: str, now: datetime) -> None:
    from .services import handler_user_ids, record_event

    label = "黄灯预警：办理时限已过 80%" if light == "yellow" else "红灯：已超过办理时限"
    record_event(case, kind=light, actor=None, at=now, note=label, public=False)
    from .notify import notify

    notify(
        case_id=case.pk,
        kind=light,
        text=f"工单{case.number}{label}",
        user_ids=handler_user_ids(case),
    )
