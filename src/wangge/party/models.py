"""党建引领: party organizations as a tree attached to areas (committee →
general branch → branch → group; a branch on every grid), party members
(from residents and staff), member ↔ household links (党员联户) and the dual
registration (双报到) of in-service members at their residence community.

Rows carry `area_path` (the area of the organization, the household or the
community) for the scope rule."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PartyOrg(models.Model):
    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("党委")
        GENERAL_BRANCH = "general_branch", _("党总支")
        BRANCH = "branch", _("党支部")
        GROUP = "group", _("党小组")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    secretary = models.CharField(_("书记"), max_length=50, blank=True, default="")
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        constraints = [
            models.UniqueConstraint(fields=["area", "kind", "name"], name="partyorg_area_kind_name")
        ]
        indexes = [models.Index(fields=["kind", "area_path"], name="partyorg_kind_path")]

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    class Status(models.TextChoices):
        FORMAL = "formal", _("正式党员")
        PROBATIONARY = "probationary", _("预备党员")

    org = models.ForeignKey(
        PartyOrg, verbose_name=_("所在党组织"), on_delete=models.PROTECT, related_name="members"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    name = models.CharField(_("姓名"), max_length=50)
    resident = models.OneToOneField(
        "people.Resident",
        verbose_name=_("居民档案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("党员类别"), max_length=14, choices=Status.choices, default=Status.FORMAL
    )
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)
    in_service = models.BooleanField(_("在职党员"), default=False)
    workplace = models.CharField(_("工作单位"), max_length=100, blank=True, default="")
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resident__isnull=False) | models.Q(user__isnull=False),
                name="partymember_has_person",
            )
        ]

    def __str__(self) -> str:
        return self.name


class HouseholdLink(models.Model):
    """党员联户: a member keeps in touch with a household."""

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="links")
    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    since = models.DateField(_("联户日期"))

    class Meta:
        verbose_name = _("党员联户")
        verbose_name_plural = _("党员联户")
        constraints = [
            models.UniqueConstraint(fields=["member", "household"], name="householdlink_unique")
        ]


class DualRegistration(models.Model):
    """双报到: an in-service member registers with the community they live in."""

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="registrations")
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    registered_on = models.DateField(_("报到日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("双报到")
        verbose_name_plural = _("双报到")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(ended_on__isnull=True),
                name="dualregistration_one_open",
            )
        ]
