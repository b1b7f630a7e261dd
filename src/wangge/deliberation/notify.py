"""Tell a topic's residents that it is open for voting, decided, or carried
out (两议两公开: the publication reaches the people it concerns).

The notification is the case engine's in-app `Notification` (one row per
user: `GET /api/v1/cases/notifications`, the resident H5's 消息), written for
every verified resident user living in the topic's area (or its estate's
buildings). `queue_topic_notice` runs inside the service's transaction and
only registers the task with `transaction.on_commit`: a rolled-back decision
notifies nobody, and the fan-out runs in the background. `topic_notify`
writes the rows set-based in batches and records the kind on the topic
under its row lock, so a task run twice notifies once."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import User
from wangge.cases.models import Notification
from wangge.people.models import Household

from .models import Topic

KINDS = {"open": "topic_open", "decided": "topic_decided", "implemented": "topic_implemented"}
BATCH = 5000


def queue_topic_notice(topic: Topic, kind: str) -> None:
    """After the current transaction commits: the fan-out task."""
    assert kind in KINDS, kind
    topic_id = topic.pk

    def enqueue() -> None:
        from .tasks import notify_topic_residents

        notify_topic_residents.enqueue(topic_id=topic_id, kind=kind)

    transaction.on_commit(enqueue)


def _short(text: str, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def topic_text(topic: Topic, kind: str) -> str:
    title = _short(topic.title, 40)
    if kind == "open":
        closes = timezone.localtime(topic.vote_closes_at).strftime("%m月%d日 %H:%M")
        unit = "每户一票" if topic.vote_unit == Topic.VoteUnit.HOUSEHOLD else "每位成年居民一票"
        text = f"议事“{title}”开始表决（{unit}），{closes} 截止，请到“议事”查看并投票。"
    elif kind == "decided":
        met = "已达到" if topic.quorum_met else "未达到"
        text = f"议事“{title}”已公开决议（{met}法定参与比例）：{_short(topic.decision, 120)}"
    else:
        text = f"议事“{title}”已公开落实情况：{_short(topic.implementation, 120)}"
    return text[:300]


def recipients(topic: Topic):
    """Verified resident users whose household is a voter of the topic."""
    from .services import households_of

    households = Household.objects.filter(households_of(topic)).values("pk")
    return (
        User.objects.filter(
            kind=User.Kind.RESIDENT,
            is_active=True,
            resident_status="verified",
            resident__household__in=households,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def topic_notify(*, topic_id: int, kind: str) -> int:
    """Write the notifications of one kind for a topic, once. Returns how
    many were written (0 when already done or the topic is gone)."""
    code = KINDS[kind]
    with transaction.atomic():
        topic = Topic.objects.select_for_update().filter(pk=topic_id).first()
        if topic is None or kind in (topic.notified or []):
            return 0
        text = topic_text(topic, kind)
        now = timezone.now()
        written, batch = 0, []
        for user_id in recipients(topic).iterator(chunk_size=BATCH):
            batch.append(Notification(user_id=user_id, kind=code, text=text, created_at=now))
            if len(batch) >= BATCH:
                Notification.objects.bulk_create(batch)
                written, batch = written + len(batch), []
        if batch:
            Notification.objects.bulk_create(batch)
            written += len(batch)
        topic.notified = [*(topic.notified or []), kind]
        topic.save(update_fields=["notified"])
    return written


def unread_messages(*, actor, limit: int = 10) -> list[Notification]:
    """The resident's unread 议事 notifications, newest first (the H5 list)."""
    return list(
        Notification.objects.filter(
            user=actor, kind__in=KINDS.values(), read_at__isnull=True
        ).order_by("-created_at", "-id")[:limit]
    )


def messages_seen(*, actor, messages: list[Notification]) -> int:
    """Shown once on the H5 list: mark them read (the API's unread list too)."""
    ids = [m.pk for m in messages]
    return Notification.objects.filter(user=actor, pk__in=ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )
