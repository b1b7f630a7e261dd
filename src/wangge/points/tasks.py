"""Background work of the points app: expired redemption codes give their
points back (points.expiry), every 10 minutes from a Huey periodic task that
enqueues the Django task (like the case engine's deadline sweep)."""

from __future__ import annotations

from django_tasks import task


@task()
def expire_redemptions() -> int:
    from .expiry import redemptions_expire

    return redemptions_expire()


def _register_periodic() -> None:
    from django.conf import settings

    if not getattr(settings, "HUEY", None):
        return
    from huey import crontab
    from huey.contrib.djhuey import HUEY, periodic_task

    @periodic_task(crontab(minute="*/10"), name="points.expire_redemptions")
    @HUEY.lock_task("points-expire")
    def expire_redemptions_periodic():
        expire_redemptions.enqueue()


_register_periodic()
