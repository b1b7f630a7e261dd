"""Notifications: in-app rows always, SMS through a pluggable backend.

Services call `notify(...)` inside their transaction; nothing is sent then.
`notify` writes an outbox row (`NotificationOutbox`) in that transaction and
registers the delivery task with `transaction.on_commit` (Django tasks API on
Huey), so a rolled-back move notifies nobody and a slow SMS gateway never
holds a case's row lock. The queue carries the outbox id only.

Nothing is lost: a row whose task was lost (popped by a killed consumer, or
never enqueued because the web process died after its commit) is delivered
by `notifications_resume`, at consumer start and every five minutes for rows
older than five minutes. A delivery run twice (the task and the resume, or
two at once) writes each recipient's in-app row once: the first takes the
row under its lock and deletes it with the in-app rows in one transaction,
or, with SMS to send, marks it claimed and deletes it after sending; the
later run finds it gone or claimed. SMS are at least once: a run killed
between its claim and its end leaves the claim to go stale
(`CLAIM_STALE`), and the resume sends them again.

`WANGGE_SMS_BACKEND` names the backend class (default: `LogSmsBackend`, which
writes each message to the log and the `SmsLog` table)."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from wangge.core import crypto
from wangge.core.masking import mask_phone

log = logging.getLogger("wangge.sms")


class SmsBackend:
    def send(self, *, phone: str, text: str, case_id: int | None = None) -> None:
        raise NotImplementedError


class LogSmsBackend(SmsBackend):
    def send(self, *, phone: str, text: str, case_id: int | None = None) -> None:
        from .models import SmsLog

        masked = mask_phone(phone)
        log.info("SMS to %s: %s", masked, text)
        SmsLog.objects.create(case_id=case_id, phone_masked=masked, text=text[:300], backend="log")


@lru_cache(maxsize=4)
def _backend(path: str) -> SmsBackend:
    return import_string(path)()


def sms_backend() -> SmsBackend:
    return _backend(getattr(settings, "WANGGE_SMS_BACKEND", "wangge.cases.notify.LogSmsBackend"))


CLAIM_STALE = timedelta(minutes=10)


def notify(
    *,
    case_id: int | None,
    kind: str,
    text: str,
    user_ids=(),
    phones_enc=(),
) -> None:
    """Queue an in-app notice to `user_ids` and an SMS to each encrypted phone:
    an outbox row now (in the caller's transaction), the delivery after the
    commit."""
    from .models import NotificationOutbox

    user_ids = sorted({u for u in user_ids if u})
    phones_enc = sorted({p for p in phones_enc if p})
    if not user_ids and not phones_enc:
        return
    row = NotificationOutbox.objects.create(
        case_id=case_id, kind=kind, text=text[:300], user_ids=user_ids, phones_enc=phones_enc
    )
    transaction.on_commit(lambda: _enqueue(row.pk))


def _enqueue(outbox_id: int) -> None:
    from .tasks import deliver_notifications

    deliver_notifications.enqueue(outbox_id=outbox_id)


def deliver(*, outbox_id: int) -> int:
    """Deliver one outbox row: the in-app rows and the SMS. Returns how many
    messages this run sent (0 when another run has delivered or is
    delivering it)."""
    from .models import Notification, NotificationOutbox

    now = timezone.now()
    with transaction.atomic():
        row = NotificationOutbox.objects.select_for_update().filter(pk=outbox_id).first()
        if row is None or (row.claimed_at and row.claimed_at > now - CLAIM_STALE):
            return 0
        Notification.objects.bulk_create(
            [
                Notification(user_id=u, case_id=row.case_id, kind=row.kind, text=row.text)
                for u in row.user_ids
            ]
        )
        if not row.phones_enc:
            row.delete()
            return len(row.user_ids)
        users = len(row.user_ids)
        row.user_ids, row.claimed_at = [], now
        row.save(update_fields=["user_ids", "claimed_at"])
    backend = sms_backend()
    sent = 0
    for enc in row.phones_enc:
        try:
            backend.send(phone=crypto.decrypt(enc), text=row.text, case_id=row.case_id)
            sent += 1
        except Exception:  # one bad number must not stop the others
            log.exception("SMS failed for case %s", row.case_id)
    NotificationOutbox.objects.filter(pk=outbox_id, claimed_at=now).delete()
    return users + sent


def notifications_resume(*, older_than: timedelta = timedelta(0)) -> list[int]:
    """Enqueue again the delivery of every outbox row created at least
    `older_than` ago and not claimed by a live delivery. Returns their ids."""
    from django.db.models import Q

    from .models import NotificationOutbox

    now = timezone.now()
    ids = list(
        NotificationOutbox.objects.filter(created_at__lte=now - older_than)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_STALE))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        _enqueue(pk)
    return ids


def encrypt_phone(phone: str) -> str:
    return crypto.encrypt(phone) if phone else ""
