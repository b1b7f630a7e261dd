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
