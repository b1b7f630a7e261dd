"""Grid workers as staff (网格员队伍): recruitment (招聘), training (培训)
and certificates (证书) of the members of grid teams.

A record belongs to a staff user who holds a grid-team role (see
`selectors.WORKER_ROLES`); `area` / `area_path` are the worker's grid-team
area when the record was written (the admin scopes by it; pages and the API
scope by where the worker works now)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRecord(models.Model):
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("网格员"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    notes = models.CharField(_("备注"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        abstract = True


class Recruitment(StaffRecord):
    """How and when a worker was recruited, and the contract (one per worker)."""

    class Channel(models.TextChoices):
        PUBLIC = "public", _("公开招聘")
        COMMUNITY = "community", _("社区推荐")
        TRANSFER = "transfer", _("内部转岗")
        VOLUNTEER = "volunteer", _("志愿者转聘")
        OTHER = "other", _("其他")

    class Result(models.TextChoices):
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")
        PENDING = "pending", _("待定")

    recruited_on = models.DateField(_("招聘日期"))
    channel = models.CharField(_("招聘渠道"), max_length=20, choices=Channel.choices)
    exam_score = models.DecimalField(
        _("笔试成绩"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    interview_result = models.CharField(
        _("面试结果"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    contract_start = models.DateField(_("合同开始日期"), null=True, blank=True)
    contract_end = models.DateField(_("合同结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("招聘记录")
        verbose_name_plural = _("招聘记录")
        constraints = [
            models.UniqueConstraint(fields=["worker"], name="recruitment_one_per_worker")
        ]


class Training(StaffRecord):
    class Result(models.TextChoices):
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")
        ATTENDED = "attended", _("已参加")

    course = models.CharField(_("课程"), max_length=100)
    held_on = models.DateField(_("培训日期"))
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    result = models.CharField(
        _("培训结果"), max_length=10, choices=Result.choices, default=Result.ATTENDED
    )

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        indexes = [models.Index(fields=["worker", "held_on"], name="training_worker_date")]


class Certificate(StaffRecord):
    name = models.CharField(_("证书名称"), max_length=100)
    number = models.CharField(_("证书编号"), max_length=60)
    issuer = models.CharField(_("发证机关"), max_length=100)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)

    class Meta:
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        constraints = [
            models.UniqueConstraint(fields=["name", "number"], name="certificate_name_number")
        ]
        indexes = [models.Index(fields=["expires_on"], name="certificate_expires")]
