"""办事: the directory of services residents can get (what, where, when,
documents, online link or hotline) and bookable community rooms and venues.

A booking takes whole slots of its venue; each taken slot is one row with a
unique (venue, starts_at), so two bookings of the same slot cannot both be
written, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Service(models.Model):
    """One entry of the directory. Without an area it applies everywhere
    (the 12345 and 96345 hotlines)."""

    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("所在区域"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    area_path = models.CharField(
        max_length=60, editable=False, blank=True, default="", db_index=True
    )
    name = models.CharField(_("事项"), max_length=100)
    category = models.CharField(_("类别"), max_length=30, blank=True, default="")
    description = models.TextField(_("说明"), blank=True, default="")
    location = models.CharField(_("办理地点"), max_length=200, blank=True, default="")
    hours = models.CharField(_("办理时间"), max_length=100, blank=True, default="")
    documents = models.TextField(_("所需材料"), blank=True, default="")
    online_url = models.URLField(_("网上办理"), blank=True, default="")
    hotline = models.CharField(_("咨询电话"), max_length=30, blank=True, default="")
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("办事事项")
        verbose_name_plural = _("办事事项")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.area_path = self.area.path if self.area_id else ""
        super().save(*args, **kwargs)


class Venue(models.Model):
    """A room or venue residents may book (党群服务中心 rooms, halls)."""

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属社区/街道"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, editable=False, db_index=True)
    name = models.CharField(_("场地"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    capacity = models.PositiveSmallIntegerField(_("容纳人数"), default=20)
    slot_minutes = models.PositiveSmallIntegerField(_("时段长度(分钟)"), default=60)
    opens = models.TimeField(_("开放时间"), default=dt.time(8, 30))
    closes = models.TimeField(_("关闭时间"), default=dt.time(20, 30))
    days_ahead = models.PositiveSmallIntegerField(_("可提前预约天数"), default=14)
    description = models.CharField(_("说明"), max_length=500, blank=True, default="")
    is_active = models.BooleanField(_("开放预约"), default=True)

    class Meta:
        verbose_name = _("场地")
        verbose_name_plural = _("场地")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.area_path = self.area.path
        super().save(*args, **kwargs)


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("已预约")
        CANCELLED = "cancelled", _("已取消")

    venue = models.ForeignKey(
        Venue, verbose_name=_("场地"), on_delete=models.PROTECT, related_name="bookings"
    )
    area_path = models.CharField(max_length=60, editable=False, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("预约人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    purpose = models.CharField(_("用途"), max_length=200)
    people = models.PositiveSmallIntegerField(_("人数"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.BOOKED
    )
    created_at = models.DateTimeField(_("预约时间"), default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("场地预约")
        verbose_name_plural = _("场地预约")
        indexes = [models.Index(fields=["venue", "starts_at"], name="booking_venue_start")]

    def __str__(self) -> str:
        return f"{self.venue} {self.starts_at:%Y-%m-%d %H:%M}"


class BookedSlot(models.Model):
    """One taken slot of a venue. Deleted when its booking is cancelled."""

    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()

    class Meta:
        verbose_name = _("已占时段")
        verbose_name_plural = _("已占时段")
        constraints = [
            models.UniqueConstraint(fields=["venue", "starts_at"], name="venue_slot_once"),
        ]
