"""The grid worker's app keeps two small tables of its own:

- `PresenceDay`: one row per worker and day, with a bitmap of the minutes of
  that day (local time) in which the app was open and sent a heartbeat. A
  minute is one bit, so a day is 180 bytes whatever the number of beats; the
  online rate (在线率) is later read from the bits inside working hours.
- `MoveReceipt`: which idempotency key already made which case move, so a
  report-back sent twice from a phone that lost the answer is done once.
  (Intake has its own key on the case; moves have none in the case engine.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MINUTES_PER_DAY = 24 * 60


class PresenceDay(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("网格员"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    day = models.DateField(_("日期"))
    # Bit m (byte m // 8, bit m % 8) set: a heartbeat in minute m of the day.
    minutes = models.BinaryField(_("在线分钟"), default=bytes(MINUTES_PER_DAY // 8))
    count = models.PositiveSmallIntegerField(_("在线分钟数"), default=0)
    first_seen = models.DateTimeField(_("首次在线"))
    last_seen = models.DateTimeField(_("最近在线"))

    class Meta:
        verbose_name = _("在线记录")
        verbose_name_plural = _("在线记录")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="presence_user_day"),
        ]
        indexes = [models.Index(fields=["day"], name="presence_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.count}"


class MoveReceipt(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=80)
    # No database constraint: cases will be partitioned by district (see
    # cases.models), and a plain id is all a receipt needs.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    move = models.CharField(max_length=30)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("操作回执")
        verbose_name_plural = _("操作回执")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="move_receipt_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.move} {self.key}"
