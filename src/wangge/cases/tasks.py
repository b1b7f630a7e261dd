"""Background work through the Django tasks API (django-tasks backport, run
on Huey: SqliteHuey under var/ by default, RedisHuey when WANGGE_REDIS_URL is
set, immediate in tests). The deadline sweep runs every five minutes from a
Huey periodic task that enqueues the Django task."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_notifications(*, outbox_id: int | None = None, **legacy) -> int:
    from .notify import deliver

    if outbox_id is None:  # queued before the outbox (case_id, kind, text, user_ids, phones_enc)
        from .models import NotificationOutbox

        outbox_id = NotificationOutbox.objects.create(**legacy).pk
    return deliver(outbox_id=outbox_id)


def _resume_notifications(minutes: int = 0) -> list[int]:
    from datetime import timedelta

    from .notify import notifications_resume

    return notifications_resume(older_than=timedelta(minutes=minutes))


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

    # Notifications whose delivery task was lost (a killed consumer, or a web
    # process killed between its commit and the enqueue): all of them at
    # start, and every five minutes those pending for five minutes.
    on_consumer_start("cases.notifications_on_start", _resume_notifications)

    @periodic_task(crontab(minute="*/5"), name="cases.resume_notifications")
    @HUEY.lock_task("cases-notifications-resume")
    def resume_notifications_periodic():
        _resume_notifications(5)


_register_periodic()
