"""Writes to the audit logs. Append-only: nothing here updates or deletes."""

from __future__ import annotations

from .models import PersonalDataAccess


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def personal_data_access_record(
    *,
    actor,
    action: str,
    subject_type: str,
    subject_id: int | None = None,
    fields: list[str] | tuple[str, ...] = (),
    area_path: str = "",
    reason: str = "",
    row_count: int = 1,
    request=None,
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        fields=",".join(fields),
        area_path=area_path,
        reason=reason[:200],
        row_count=row_count,
        ip=client_ip(request),
    )
