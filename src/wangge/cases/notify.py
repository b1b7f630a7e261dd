"""Notifications: in-app rows always, SMS through a pluggable backend.

Services call `notify(...)` inside their transaction; nothing is sent then.
The delivery is registered with `transaction.on_commit` and runs as a task
(Django tasks API on Huey), so a rolled-back move notifies nobody and a slow
SMS gateway never holds a row lock. The queue carries user ids and encrypted
phone numbers only.

`WANGGE_SMS_BACKEND` names the backend class (default: `LogSmsBackend`, which
writes each message to the log and the `SmsLog` table)."""

from __future__ import annotations

import logging
from functools import lru_cache

from django.conf import settings
from django.db import transaction
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


def notify(
    *,
    case_id: int | None,
    kind: str,
    text: str,
    user_ids=(),
    phones_enc=(),
) -> None:
    """Queue an in-app notice to `user_ids` and an SMS to each encrypted phone,
    after the current transaction commits."""
    user_ids = sorted({u for u in user_ids if u})
    phones_enc = sorted({p for p in phones_enc if p})
    if not user_ids and not phones_enc:
        return

    def enqueue() -> None:
        from .tasks import deliver_notifications

        deliver_notifications.enqueue(
            case_id=case_id, kind=kind, text=text, user_ids=user_ids, phones_enc=phones_enc
        )

    transaction.on_commit(enqueue)


def deliver(*, case_id, kind, text, user_ids, phones_enc) -> int:
    """Write the in-app rows and hand the SMS to the backend. Returns how many
    messages went out."""
    from .models import Notification

    Notification.objects.bulk_create(
        [Notification(user_id=u, case_id=case_id, kind=kind, text=text[:300]) for u in user_ids]
    )
    backend = sms_backend()
    sent = 0
    for enc in phones_enc:
        try:
            backend.send(phone=crypto.decrypt(enc), text=text, case_id=case_id)
            sent += 1
        except Exception:  # one bad number must not stop the others
            log.exception("SMS failed for case %s", case_id)
    return len(user_ids) + sent


def encrypt_phone(phone: str) -> str:
    return crypto.encrypt(phone) if phone else ""
