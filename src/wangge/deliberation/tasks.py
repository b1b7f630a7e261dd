"""Background work of 议事: the residents' notifications when a topic opens
for voting, when its decision and its implementation report are published
(django-tasks on Huey, like the case engine's notifications): the request
that opens or decides a topic never waits for the fan-out."""

from __future__ import annotations

from django_tasks import task


@task()
def notify_topic_residents(*, topic_id: int, kind: str) -> int:
    from .notify import topic_notify

    return topic_notify(topic_id=topic_id, kind=kind)


@task()
def repeat_campaigns() -> int:
    from .services import campaigns_repeat

    return campaigns_repeat()


def _register_periodic() -> None:
    """两评's next periods: hourly, from a Huey periodic task (where Huey is
    configured), like the case engine's sweep."""
    from django.conf import settings

    if not getattr(settings, "HUEY", None):
        return
    from huey import crontab
    from huey.contrib.djhuey import HUEY, periodic_task

    @periodic_task(crontab(minute="17"), name="deliberation.repeat_campaigns")
    @HUEY.lock_task("deliberation-repeat")
    def repeat_campaigns_periodic():
        repeat_campaigns.enqueue()


_register_periodic()
