"""Background work on Huey (Django tasks enqueued by Huey periodic tasks,
like the cases sweep): the proactive rules (未诉先办) every night at 02:30,
and the slow indices' stored totals (`stored.py`): this month, quarter and
year every 30 minutes, the previous ones once a day."""

from __future__ import annotations

from django_tasks import task


@task()
def run_proactive_rules() -> dict:
    from .proactive import run_rules

    return run_rules()


@task()
def refresh_index_totals() -> list[dict]:
    from .stored import refresh_due

    return refresh_due()


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

    @periodic_task(crontab(minute="*/30"), name="assessment.refresh_index_totals")
    @HUEY.lock_task("assessment-index-totals")
    def refresh_index_totals_periodic():
        refresh_index_totals.enqueue()


_register_periodic()
