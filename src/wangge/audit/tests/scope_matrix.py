"""Scope-matrix entries for the audit app (see teams/tests/matrix.py): the
write log is read in the admin by those who manage users, for their areas."""

from __future__ import annotations

from wangge.teams.tests.matrix import AdminObject


def populate(side, matrix) -> None:
    from django.utils import timezone

    from wangge.audit.models import AuditEvent

    side.extra["audit_event"] = AuditEvent.objects.create(
        at=timezone.now(),
        kind="update",
        actor_id=side.assignment.user.pk,
        actor_label=side.assignment.user.username,
        model="people.resident",
        object_id=str(side.resident.pk),
        area_path=side.resident.area_path,
        changes={"before": {"name": side.resident.name}, "after": {"name": side.resident.name}},
    )


ADMIN_OBJECTS = {
    "audit.auditevent": AdminObject(
        get=lambda s, p, m: s.extra["audit_event"], path=lambda o: o.area_path
    ),
}
