"""平战转换: a street or district switches to emergency mode.

`EmergencyMode` holds the reason and the checklist's field definitions (set
by the dispatcher, validated by `checklist.validate_fields`). Emergency
workers (cadres) join grids through `EmergencyAssignment`, which grants them
the `emergency_worker` role on the grid for as long as the mode lasts.
Grid workers fill one `ChecklistAnswer` per household (from the phone's
outbox, with an idempotency key); `ChecklistGrid` keeps per-grid counters
for the console's map. Switching back archives the mode: its answers and
counters stay, read-only, with a summary on the mode row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ModeStatus(models.TextChoices):
    ACTIVE = "active", _("应急状态")
    ARCHIVED = "archived", _("已恢复常态（归档）")


class EmergencyMode(models.Model):
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=60, db_index=True, editable=False)
    reason = models.CharField(_("启动原因"), max_length=200)
    fields = models.JSONField(_("清单字段"), default=list)
    status = models.CharField(
        _("状态"), max_length=10, choices=ModeStatus.choices, default=ModeStatus.ACTIVE
    )
    households = models.PositiveIntegerField(_("应排查户数"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("启动人"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    started_at = models.DateTimeField(_("启动时间"))
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("恢复人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    ended_at = models.DateTimeField(_("恢复常态时间"), null=True, blank=True)
    end_note = models.CharField(_("恢复说明"), max_length=200, blank=True, default="")
    summary = models.JSONField(_("归档汇总"), default=dict, blank=True)

    class Meta:
        verbose_name = _("应急模式")
        verbose_name_plural = _("应急模式（平战转换）")
        constraints = [
            models.UniqueConstraint(
                fields=["area"],
                condition=models.Q(status="active"),
                name="emergency_one_active_per_area",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason}（{self.get_status_display()}）"

    @property
    def is_active(self) -> bool:
        return self.status == ModeStatus.ACTIVE


class EmergencyAssignment(models.Model):
    mode = models.ForeignKey(EmergencyMode, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("应急网格员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid = models.ForeignKey(
        "areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    grid_path = models.CharField(max_length=60, editable=False)
    role_assignment = models.ForeignKey(
        "teams.RoleAssignment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    assigned_at = models.DateTimeField(_("编入时间"))
    ended_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("应急网格员编入")
        verbose_name_plural = _("应急网格员编入")
        constraints = [
            models.UniqueConstraint(fields=["mode", "user", "grid"], name="emergency_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.grid}"


class ChecklistGrid(models.Model):
    mode = models.ForeignKey(EmergencyMode, on_delete=models.CASCADE, related_name="grids")
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    grid_path = models.CharField(max_length=60)
    households = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    alerts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("网格排查进度")
        verbose_name_plural = _("网格排查进度")
        constraints = [
            models.UniqueConstraint(fields=["mode", "grid_path"], name="emergency_grid_progress")
        ]

    def __str__(self) -> str:
        return f"{self.grid_path} {self.answered}/{self.households}"


class ChecklistAnswer(models.Model):
    mode = models.ForeignKey(EmergencyMode, on_delete=models.CASCADE, related_name="answers")
    household = models.ForeignKey(
        "people.Household", verbose_name=_("户"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    area_path = models.CharField(max_length=60, editable=False)
    answers = models.JSONField(_("排查结果"), default=dict)
    alert = models.BooleanField(_("需要处置"), default=False)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    filled_at = models.DateTimeField(_("填报时间"))
    # The case raised from an alert (top priority); a plain id, as cases
    # will be partitioned by district.
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("入户排查记录")
        verbose_name_plural = _("入户排查记录")
        constraints = [
            models.UniqueConstraint(
                fields=["mode", "household"], name="emergency_answer_household"
            ),
        ]
        indexes = [models.Index(fields=["mode", "area_path"], name="emergency_answer_path")]

    def __str__(self) -> str:
        return f"{self.mode_id}/{self.household_id}"


class AnswerReceipt(models.Model):
    """Which idempotency key already wrote which answer: a phone resending
    after a lost reply gets the first result back."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=80)
    answer = models.ForeignKey(ChecklistAnswer, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("填报回执")
        verbose_name_plural = _("填报回执")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="emergency_receipt_user_key")
        ]

    def __str__(self) -> str:
        return self.key
