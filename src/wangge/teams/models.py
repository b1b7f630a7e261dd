from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Department(models.Model):
    """职能部门: a government department that receives and handles cases."""

    class Level(models.TextChoices):
        CITY = "city", _("市级")
        DISTRICT = "district", _("区县级")
        STREET = "street", _("镇街级")

    name = models.CharField(_("部门名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True, default="")
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("服务区域"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    phone = models.CharField(_("值班电话"), max_length=20, blank=True, default="")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="department_area_name")
        ]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A staff user holds a role on an area (and its whole subtree)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("负责区域"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "area"], name="assignment_user_role_area"
            ),
        ]
        indexes = [
            models.Index(fields=["area", "role"], name="assignment_area_role"),
            # 在线率 of a ranking: the active grid workers under one path
            # (assessment.indices), read from the index alone.
            models.Index(
                fields=["role", "area_path", "user"],
                name="assignment_role_path",
                condition=models.Q(is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"
