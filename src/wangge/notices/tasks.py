"""The fan-out runs as a background task (django-tasks on Huey, like the
case engine's notifications): sending a notice returns at once."""

from __future__ import annotations

from django_tasks import task


@task()
def notice_fan_out(*, notice_id: int) -> dict:
    from .services import notice_fan_out as fan_out

    return fan_out(notice_id=notice_id)
