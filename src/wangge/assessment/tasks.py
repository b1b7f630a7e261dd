"""Background work: the proactive rules (未诉先办) every night at 02:30 on
Huey (a Django task enqueued by a Huey periodic task, like the cases sweep)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_proactive_rules() -> dict:
    from .proactive import run_rules

    return run_rules()


def _register_periodic() -> None:
    from django.conf import settings

    if not getattr(settings, "HUEY", None):
        return
    from huey import crontab
    from huey.contrib.djhuey import HUEY, periodic_task

    @periodic_task(crontab(hour="2", minute="30"), name="assessment.proactive_rules")
    @HUEY.lock_task("assessment-proactive")
    def proactive_rules_periodic():
        run_proactive_rules.enqueue()


_register_periodic()
