"""Background work through the Django tasks API (django-tasks backport, run
on Huey: SqliteHuey under var/ by default, RedisHuey when WANGGE_REDIS_URL is
set, immediate in tests). The deadline sweep runs every five minutes from a
Huey periodic task that enqueues the Django task."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_notifications(*, case_id, kind, text, user_ids, phones_enc) -> int:
    from .notify import deliver

    return deliver(case_id=case_id, kind=kind, text=text, user_ids=user_ids, phones_enc=phones_enc)


@task()
def sweep_deadlines() -> dict:
    from .deadlines import sweep

    return sweep().as_dict()


def _register_periodic() -> None:
    """Register the Huey schedule (only where Huey is configured)."""
    from django.conf import settings

    if not getattr(settings, "HUEY", None):
        return
    from huey import crontab
    from huey.contrib.djhuey import HUEY, periodic_task

    @periodic_task(crontab(minute="*/5"), name="cases.sweep_deadlines")
    @HUEY.lock_task("cases-sweep")
    def sweep_deadlines_periodic():
        sweep_deadlines.enqueue()

    # A sweep a killed consumer was running (or that was due while none ran)
    # is done again at once; the sweep is idempotent.
    from wangge.core.startup import on_consumer_start

    on_consumer_start("cases.sweep_on_start", sweep_deadlines.enqueue)


_register_periodic()
