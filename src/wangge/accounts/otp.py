"""One-time SMS login codes for residents.

- A code is 6 digits, valid for 5 minutes, good for one login; only a keyed
  hash of it (and of the phone) is stored.
- A code allows 5 wrong tries; then it is spent and a new one must be asked for.
- Sends are rate-limited: one per phone per 60 s, 5 per phone per hour, 20 per
  client address per hour.
- The code goes out through the pluggable SMS backend of the case engine
  (`WANGGE_SMS_BACKEND`; the default writes it to the log and `SmsLog`, so the
  demo works without a gateway), after the transaction commits.
- A code is only sent to a phone that belongs to an active resident account,
  but the answer is the same either way, so the form does not reveal who has
  an account."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wangge.core.crypto import keyed_hash
from wangge.core.errors import DomainError

from .models import OtpCode, User
from .services import _clean_phone

CODE_DIGITS = 6
TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
PER_PHONE_PER_HOUR = 5
PER_IP_PER_HOUR = 20


def _code_hash(phone_hash: str, code: str) -> str:
    return keyed_hash(f"otp:{phone_hash}:{code}")


def _too_many(message: str, retry_after: int) -> DomainError:
    return DomainError(
        "too_many_requests", message, status=429, details={"retry_after": retry_after}
    )


def _resident_for(phone: str) -> User | None:
    return User.objects.with_phone(phone).filter(kind=User.Kind.RESIDENT, is_active=True).first()


def otp_send(*, phone: str, ip: str = "", purpose: str = "login", now=None) -> bool:
    """Ask for a login code. Returns whether one was sent (False: no resident
    account has this phone; the caller must not tell the user)."""
    phone = _clean_phone(phone)
    now = now or timezone.now()
    phone_hash = keyed_hash(phone)
    hour_ago = now - timedelta(hours=1)
    with transaction.atomic():
        # Codes older than a day serve no limit any more (indexed, usually none).
        OtpCode.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
        recent = list(
            OtpCode.objects.filter(phone_hash=phone_hash, created_at__gte=hour_ago)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
        )
        if recent and now - recent[0] < RESEND_AFTER:
            wait = int((RESEND_AFTER - (now - recent[0])).total_seconds()) + 1
            raise _too_many(f"验证码已发送，请 {wait} 秒后再获取", wait)
        if len(recent) >= PER_PHONE_PER_HOUR:
            raise _too_many("该手机号获取验证码过于频繁，请 1 小时后再试", 3600)
        if (
            ip
            and OtpCode.objects.filter(ip=ip, created_at__gte=hour_ago).count() >= PER_IP_PER_HOUR
        ):
            raise _too_many("获取验证码过于频繁，请稍后再试", 3600)
        user = _resident_for(phone)
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        # A row is written even for unknown phones: the limits count every ask.
        OtpCode.objects.create(
            phone_hash=phone_hash,
            code_hash=_code_hash(phone_hash, code) if user else "",
            purpose=purpose,
            ip=(ip or "")[:45],
            created_at=now,
            expires_at=now + TTL,
        )
        if user is None:
            return False
        text = f"【网格】您的登录验证码为 {code}，5 分钟内有效。如非本人操作，请忽略。"

        def send() -> None:
            from wangge.cases.notify import sms_backend

            sms_backend().send(phone=phone, text=text, case_id=None)

        transaction.on_commit(send)
    return True


def otp_verify(*, phone: str, code: str, purpose: str = "login", now=None) -> User:
    """The resident whose phone the code was sent to; the code is spent.
    A wrong code counts one try (kept even though an error is raised)."""
    phone = _clean_phone(phone)
    code = (code or "").strip()
    now = now or timezone.now()
    phone_hash = keyed_hash(phone)
    error: DomainError | None = None
    with transaction.atomic():
        row = (
            OtpCode.objects.select_for_update()
            .filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.expires_at <= now or not row.code_hash:
            error = DomainError("code_expired", "验证码无效或已过期，请重新获取", status=422)
        elif row.attempts >= MAX_ATTEMPTS:
            error = DomainError("code_locked", "验证码错误次数过多，请重新获取", status=422)
        elif not (
            len(code) == CODE_DIGITS
            and code.isdigit()
            and hmac.compare_digest(row.code_hash, _code_hash(phone_hash, code))
        ):
            OtpCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            left = MAX_ATTEMPTS - row.attempts - 1
            error = DomainError(
                "code_wrong",
                f"验证码不正确，还可尝试 {left} 次" if left else "验证码错误次数过多，请重新获取",
                status=422,
            )
        else:
            user = _resident_for(phone)
            if user is None:
                error = DomainError("code_expired", "验证码无效或已过期，请重新获取", status=422)
            else:
                OtpCode.objects.filter(pk=row.pk).update(used_at=now)
    if error is not None:
        raise error
    return user
