from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonalDataAccess(models.Model):
    """Who saw which personal data, when, and why. Append-only: the
    application only ever inserts (see services.record_access)."""

    class Action(models.TextChoices):
        UNMASK = "unmask", _("查看明文")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    subject_type = models.CharField(_("对象类型"), max_length=40)
    subject_id = models.BigIntegerField(_("对象ID"), null=True, blank=True)
    fields = models.CharField(_("字段"), max_length=200, blank=True, default="")
    area_path = models.CharField(max_length=60, db_index=True, blank=True, default="")
    reason = models.CharField(_("事由"), max_length=200, blank=True, default="")
    row_count = models.PositiveIntegerField(_("行数"), default=1)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")
        ordering = ["-at"]


class AuditEvent(models.Model):
    """One write (or one sign-in event) in the append-only audit log: who,
    when, from where, what changed. Written by wangge.audit.recorder; the
    database refuses UPDATE and DELETE on this table (triggers installed by
    wangge.audit.appendonly), except DELETE of rows past the retention."""

    class Kind(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        BATCH = "batch", _("批量写入")
        LOGIN = "login", _("登录")
        LOGOUT = "logout", _("退出")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED_OUT = "locked_out", _("账号锁定")
        RATE_LIMITED = "rate_limited", _("请求过频")

    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    # No foreign key: the log outlives the users it names (and a foreign key
    # would let a user deletion touch it).
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    request = models.CharField(_("请求"), max_length=200, blank=True, default="")
    model = models.CharField(_("对象类型"), max_length=60, blank=True, default="")
    object_id = models.CharField(_("对象ID"), max_length=40, blank=True, default="")
    area_path = models.CharField(max_length=60, blank=True, default="")
    changes = models.JSONField(_("变更"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("操作审计")
        verbose_name_plural = _("操作审计")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["model", "object_id"], name="audit_event_object"),
            models.Index(fields=["area_path", "at"], name="audit_event_area"),
            models.Index(fields=["actor_id", "at"], name="audit_event_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.kind} {self.model}#{self.object_id}"
