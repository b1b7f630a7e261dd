from __future__ import annotations

from django.conf import settings
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
