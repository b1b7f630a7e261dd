"""Writes of the grid worker's app: presence heartbeats, and case moves made
at most once per idempotency key (the case engine's `case_move` does the
move; this only remembers which key already made it)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.cases.models import Case
from wangge.cases.services import case_move
from wangge.cases.workdays import TZ
from wangge.core.errors import DomainError

from .models import MINUTES_PER_DAY, MoveReceipt, PresenceDay

MAX_KEY = 80


def presence_record(*, user, at: datetime | None = None) -> bool:
    """Mark the minute of `at` (local time) as online for `user`. Returns
    True when the minute was new. Any number of beats in one minute count once."""
    at = at or timezone.now()
    local = at.astimezone(TZ)
    minute = local.hour * 60 + local.minute
    byte, bit = divmod(minute, 8)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row = PresenceDay.objects.select_for_update().filter(user=user, day=local.date())
                row = row.first()
                if row is None:
                    bits = bytearray(MINUTES_PER_DAY // 8)
                    bits[byte] |= 1 << bit
                    PresenceDay.objects.create(
                        user=user,
                        day=local.date(),
                        minutes=bytes(bits),
                        count=1,
                        first_seen=at,
                        last_seen=at,
                    )
                    return True
                bits = bytearray(row.minutes)
                new = not bits[byte] & (1 << bit)
                if new:
                    bits[byte] |= 1 << bit
                    row.minutes = bytes(bits)
                    row.count += 1
                row.last_seen = max(row.last_seen, at)
                row.first_seen = min(row.first_seen, at)
                row.save(update_fields=["minutes", "count", "last_seen", "first_seen"])
                return new
        except IntegrityError:
            # Two first beats of the day raced; the other row exists now.
            continue
    raise RuntimeError("presence row could not be written")  # pragma: no cover


def case_move_once(*, actor, key: str, case_id: int, move: str, **kwargs) -> tuple[Case, bool]:
    """`case_move` at most once per (actor, key): a repeat of a key that
    already made a move returns that case unchanged and False. The move and
    its receipt commit together, so a retry after a lost answer is safe."""
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise DomainError("idempotency_key_required", "缺少或无效的幂等键", status=422)
    done = _receipt(actor, key)
    if done is not None:
        return _replay(done, case_id, move), False
    try:
        with transaction.atomic():
            case = case_move(case_id=case_id, move=move, actor=actor, **kwargs)
            MoveReceipt.objects.create(
                user=actor, key=key, case_id=case.pk, move=move, at=timezone.now()
            )
    except (DomainError, IntegrityError):
        # The same key may have won a race a moment ago (the move is then
        # stale or no longer allowed): that is the answer to give.
        done = _receipt(actor, key)
        if done is None:
            raise
        return _replay(done, case_id, move), False
    return case, True


def _receipt(actor, key: str) -> MoveReceipt | None:
    return MoveReceipt.objects.filter(user=actor, key=key).first()


def _replay(receipt: MoveReceipt, case_id: int, move: str) -> Case:
    if receipt.case_id != case_id or receipt.move != move:
        raise DomainError("idempotency_key_reused", "该幂等键已用于另一项操作", status=409)
    return Case.objects.get(pk=receipt.case_id)
