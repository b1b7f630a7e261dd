"""Background work (django-tasks on Huey, like cases.tasks): the monthly
visit plan on the 1st at 01:00, and the overdue care-contact sweep every
hour (idempotent: a pair is alerted once per time it falls overdue)."""

from __future__ import annotations

from django_tasks import task


@task()
def generate_plan(*, month: str | None = None) -> dict:
    from datetime import date

    from django.utils import timezone

    from .services import plan_generate

    d = date.fromisoformat(month) if month else timezone.localdate()
    return plan_generate(month=d).as_dict()


@task()
def sweep_care() -> dict:
    from .services import care_sweep

    return care_sweep().as_dict()


def _register_periodic() -> None:
    from django.conf import settings

    if not getattr(settings, "HUEY", None):
        return
    from huey import crontab
    from huey.contrib.djhuey import HUEY, periodic_task

    @periodic_task(crontab(day="1", hour="1", minute="0"), name="visits.generate_plan")
    @HUEY.lock_task("visits-plan")
    def generate_plan_periodic():
        generate_plan.enqueue()

    @periodic_task(crontab(minute="7"), name="visits.sweep_care")
    @HUEY.lock_task("visits-care-sweep")
    def sweep_care_periodic():
        sweep_care.enqueue()


_register_periodic()
