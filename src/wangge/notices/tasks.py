"""The fan-out runs as a background task (django-tasks on Huey, like the
case engine's notifications): sending a notice returns at once."""

from __future__ import annotations

from django_tasks import task


@task()
def notice_fan_out(*, notice_id: int) -> dict:
    from .services import notice_fan_out as fan_out

    return fan_out(notice_id=notice_id)


def _resume(minutes: int = 0) -> list[int]:
    from datetime import timedelta

    from .services import notices_resume

    return notices_resume(older_than=timedelta(minutes=minutes))


def _register_recovery() -> None:
    """On consumer start: every unsent notice's fan-out again (a killed
    consumer lost the tasks it had popped). Every five minutes: notices
    still unsent after five minutes (the web process died between its
    commit and the enqueue)."""
    from django.conf import settings

    if not getattr(settings, "HUEY", None):
        return
    from huey import crontab
    from huey.contrib.djhuey import HUEY, periodic_task

    from wangge.core.startup import on_consumer_start

    on_consumer_start("notices.resume_on_start", _resume)

    @periodic_task(crontab(minute="*/5"), name="notices.resume_stalled")
    @HUEY.lock_task("notices-resume")
    def resume_stalled_periodic():
        _resume(5)


_register_recovery()
