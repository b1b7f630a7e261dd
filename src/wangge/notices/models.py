"""知事: notices to every household of an area, with delivery and read receipts.

A `Notice` goes to an area subtree. The fan-out (tasks.notice_fan_out, a
background task) writes one `Delivery` per household with set-based
INSERT … SELECT statements (a district or the city in household-id ranges,
one transaction each), then one `GridProgress` row per grid with the
counters the sender's live progress reads (total, read, reached), so a poll
reads a few thousand small rows, never the deliveries themselves.

`Delivery` is the big table (1.9 M rows for a city-wide notice). Its primary
key is (notice, grid, household): no sequence, one b-tree that serves the
resident's look-up (notice, own grid, own household), the grid worker's
"not reached" list (notice, grid) and the uniqueness the fan-out relies on.
Its foreign keys are plain ids (`db_constraint=False`), like the case
engine's cross-district links: the rows are written only by the fan-out from
existing households, and a per-row FK check would double the insert time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    IMPORTANT = "important", _("重要")
    URGENT = "urgent", _("紧急")


class Audience(models.TextChoices):
    HOUSEHOLDS = "households", _("全体住户")
    CARE = "care", _("重点人群住户")
    STAFF = "staff", _("仅工作人员")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("发送失败")


class ReachedVia(models.TextChoices):
    NONE = "", _("未触达")
    READ = "read", _("居民已读")
    PHONE = "phone", _("电话告知")
    IN_PERSON = "in_person", _("上门告知")


# The two buttons a grid worker has for a household not reached in time.
REACH_BUTTONS = [(ReachedVia.IN_PERSON.value, "已上门告知"), (ReachedVia.PHONE.value, "已电话告知")]


class Notice(models.Model):
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("发布范围"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=60, db_index=True, editable=False)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    audience = models.CharField(
        _("发送对象"), max_length=12, choices=Audience.choices, default=Audience.HOUSEHOLDS
    )
    care_groups = models.JSONField(
        _("重点人群类别"), default=list, blank=True, help_text=_("重点人群类别编码列表")
    )
    include_staff = models.BooleanField(_("同时发给区域内工作人员"), default=True)
    reach_minutes = models.PositiveIntegerField(
        _("触达时限（分钟）"), default=60, help_text=_("超过时限仍未触达的住户列入网格员今日待办")
    )
    reach_by = models.DateTimeField(_("触达截止"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    error = models.CharField(_("错误"), max_length=300, blank=True, default="")
    households = models.PositiveIntegerField(_("送达户数"), default=0)
    staff = models.PositiveIntegerField(_("送达工作人员数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("发布时间"))
    fanout_started_at = models.DateTimeField(_("开始分发"), null=True, blank=True)
    fanned_out_at = models.DateTimeField(_("分发完成"), null=True, blank=True)
    fanout_seconds = models.FloatField(_("分发耗时（秒）"), null=True, blank=True)
    # The fan-out has written the households with ids up to here (resume point).
    fanout_cursor = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")
        indexes = [models.Index(fields=["status", "reach_by"], name="notice_status_reach_by")]

    def __str__(self) -> str:
        return self.title


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="notices/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=120)
    size = models.PositiveIntegerField(_("大小（字节）"))
    content_type = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("通知附件")
        verbose_name_plural = _("通知附件")

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    pk = models.CompositePrimaryKey("notice_id", "grid_id", "household_id")
    # No index of their own: the primary key serves every look-up, and each
    # index more is one more b-tree insert per household in the fan-out.
    notice = models.ForeignKey(
        Notice, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    grid = models.ForeignKey(
        "areas.Area",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # The household's district, written by the fan-out: the partition key
    # when the table is partitioned by district (`wangge partition`, docs/scale.md).
    district = models.ForeignKey(
        "areas.Area",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    reached_at = models.DateTimeField(_("触达时间"), null=True, blank=True)
    reached_via = models.CharField(
        _("触达方式"),
        max_length=10,
        choices=ReachedVia.choices,
        blank=True,
        default="",
        db_default="",  # the fan-out's INSERT … SELECT leaves it out
    )
    reached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("住户送达")
        verbose_name_plural = _("住户送达")

    def __str__(self) -> str:
        return f"{self.notice_id}/{self.household_id}"


class GridProgress(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="progress")
    grid = models.ForeignKey(
        "areas.Area", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    grid_path = models.CharField(max_length=60)
    total = models.PositiveIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    reached = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("网格触达进度")
        verbose_name_plural = _("网格触达进度")
        constraints = [
            models.UniqueConstraint(fields=["notice", "grid_path"], name="notice_progress_grid")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.grid_path} {self.reached}/{self.total}"


class StaffDelivery(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="staff_deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作人员送达")
        verbose_name_plural = _("工作人员送达")
        constraints = [
            models.UniqueConstraint(fields=["user", "notice"], name="staff_delivery_user_notice")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}/{self.user_id}"
