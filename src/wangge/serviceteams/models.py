"""组团服务: service teams at district, street and community level, their
members and assigned grids; the monthly service day (网格服务日) of an area;
service activities with sign-up, check-in and hours; the contact card's
profile (service promises and supervision hotline) of an area.

Every row carries `area_path` (the path of the area it belongs to) so the
scope rule filters it with one indexed range."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceTeam(models.Model):
    """组团 / 服务团队: a management, professional or volunteer team."""

    class Kind(models.TextChoices):
        MANAGEMENT = "management", _("管理服务团队")
        PROFESSIONAL = "professional", _("专业服务团队")
        VOLUNTEER = "volunteer", _("志愿服务团队")

    name = models.CharField(_("团队名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("层级"), max_length=12, editable=False)
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    services = models.TextField(_("服务内容"), blank=True, default="", help_text=_("每行一项"))
    promise = models.CharField(_("服务承诺"), max_length=200, blank=True, default="")
    phone = models.CharField(_("团队电话"), max_length=20, blank=True, default="")
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("服务团队")
        verbose_name_plural = _("服务团队")
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="serviceteam_area_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def service_list(self) -> list[str]:
        return [s.strip() for s in self.services.splitlines() if s.strip()]


class ServiceTeamMember(models.Model):
    """A member: a staff user, a resident (volunteer) or an outside
    professional (lawyer, repairman) with a work phone."""

    team = models.ForeignKey(ServiceTeam, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("姓名"), max_length=50)
    duty = models.CharField(_("职责"), max_length=50, blank=True, default="")
    is_leader = models.BooleanField(_("队长"), default=False)
    # Outside professionals only: their work phone (staff: the account's work
    # phone; residents: their masked phone).
    work_phone = models.CharField(_("工作电话"), max_length=20, blank=True, default="")
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                condition=models.Q(user__isnull=False),
                name="serviceteam_member_user",
            ),
            models.UniqueConstraint(
                fields=["team", "resident"],
                condition=models.Q(resident__isnull=False),
                name="serviceteam_member_resident",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) | models.Q(resident__isnull=True),
                name="serviceteam_member_one_source",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceTeamGrid(models.Model):
    """A grid the team serves (组团联网格)."""

    team = models.ForeignKey(ServiceTeam, on_delete=models.CASCADE, related_name="grid_links")
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=60, db_index=True, editable=False)

    class Meta:
        verbose_name = _("联系网格")
        verbose_name_plural = _("联系网格")
        constraints = [
            models.UniqueConstraint(fields=["team", "grid"], name="serviceteam_grid_unique")
        ]


class ServiceDay(models.Model):
    """网格服务日: one fixed day a month per area, with a theme."""

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    date = models.DateField(_("服务日"))
    theme = models.CharField(_("主题"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("网格服务日")
        verbose_name_plural = _("网格服务日")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="serviceday_area_month")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.theme}"


class ServiceActivity(models.Model):
    """A service activity of a team (often on the service day): residents
    and volunteers sign up, the organizer checks them in with hours."""

    class Status(models.TextChoices):
        OPEN = "open", _("报名中")
        CANCELLED = "cancelled", _("已取消")

    team = models.ForeignKey(
        ServiceTeam, verbose_name=_("服务团队"), on_delete=models.PROTECT, related_name="activities"
    )
    service_day = models.ForeignKey(
        ServiceDay,
        verbose_name=_("服务日"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("活动区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    title = models.CharField(_("活动名称"), max_length=100)
    place = models.CharField(_("地点"), max_length=200, blank=True, default="")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"), default=0, help_text=_("0 表示不限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务活动")
        verbose_name_plural = _("服务活动")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="serviceactivity_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ActivitySignup(models.Model):
    """报名 and 签到: hours are credited on check-in (they feed points)."""

    class Status(models.TextChoices):
        SIGNED = "signed", _("已报名")
        ATTENDED = "attended", _("已签到")
        CANCELLED = "cancelled", _("已取消")

    activity = models.ForeignKey(ServiceActivity, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SIGNED
    )
    signed_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hours = models.DecimalField(_("服务时长(小时)"), max_digits=4, decimal_places=1, default=0)
    area_path = models.CharField(max_length=60, db_index=True, editable=False)

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], name="signup_activity_user"),
            models.CheckConstraint(
                condition=models.Q(hours__gte=0) & models.Q(hours__lte=24),
                name="signup_hours_0_24",
            ),
        ]
        indexes = [models.Index(fields=["user", "status"], name="signup_user_status")]


class CardProfile(models.Model):
    """What an area prints on its grids' contact cards: the service promises
    (nearest area up the tree that has them) and the supervision hotline
    (监督电话, taken from the level above the grid)."""

    area = models.OneToOneField(
        "areas.Area", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    promises = models.TextField(_("服务承诺"), blank=True, default="", help_text=_("每行一条"))
    hotline = models.CharField(_("监督电话"), max_length=20, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("联系卡设置")
        verbose_name_plural = _("联系卡设置")

    def __str__(self) -> str:
        return f"{self.area}"
