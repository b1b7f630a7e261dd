"""走访 (visits) and 结对 (care pairs).

- `QuotaRule`: the visit quotas as data, per role and area subtree (the most
  specific active rule for a role wins).
- `Visit`: one household visit or one group visit, placed like base data
  (`district`, `grid`, `area_path`) so the scope rule filters it.
- `PlanItem` / `WorkerPlan`: the monthly plan, generated set-based from the
  rules (services.plan_generate): the households due or overdue this month
  and each worker's monthly targets.
- `VisitedHousehold` / `CoverageCount`: the 入户率 rollup, kept current on
  every visit and rebuilt set-based with the plan, so the city report reads
  a few thousand rows.
- `CareFrequency`, `CarePair`, `CareContact`, `ServiceRecord`: one-to-one
  care of residents in care groups.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.teams.roles import Role


class QuotaRule(models.Model):
    name = models.CharField(_("规则名称"), max_length=100)
    # A role code of teams.roles.Role, checked by services.rule_check (no
    # `choices` here, so a new role elsewhere needs no migration of this app).
    role = models.CharField(_("适用角色"), max_length=20)
    # Empty: everywhere (the defaults seeded by the migration).
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("适用区域"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("留空表示全部区域；区域内更具体的规则优先"),
    )
    area_path = models.CharField(max_length=60, blank=True, default="", editable=False)
    household_visits_per_year = models.PositiveSmallIntegerField(
        _("每户每年走访次数下限"),
        null=True,
        blank=True,
        help_text=_("区域内每户每年至少被本网格团队走访的次数，如 4"),
    )
    households_per_month = models.PositiveSmallIntegerField(
        _("每人每月走访户数下限"), null=True, blank=True
    )
    households_per_year = models.PositiveIntegerField(
        _("每人每年走访户数下限"), null=True, blank=True
    )
    group_visits_per_month = models.PositiveSmallIntegerField(
        _("每人每月集体走访次数下限"), null=True, blank=True
    )
    fixed_days = models.JSONField(
        _("固定进格日"), default=list, blank=True, help_text=_("每月几号进网格，如逢五：5,15,25")
    )
    valid_from = models.DateField(_("生效日期"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访指标规则")
        verbose_name_plural = _("走访指标规则")
        ordering = ["area_path", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "area_path"],
                condition=Q(is_active=True),
                name="quota_rule_active_role_area",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


class Visit(models.Model):
    class Kind(models.TextChoices):
        HOUSEHOLD = "household", _("入户走访")
        GROUP = "group", _("集体走访")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("走访户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    district = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    area_path = models.CharField(_("区域路径"), max_length=60, editable=False)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    visited_at = models.DateTimeField(_("走访时间"))
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    distance_m = models.FloatField(_("距楼栋距离(米)"), null=True, blank=True)
    far_from_building = models.BooleanField(_("定位偏离楼栋"), default=False)
    place = models.CharField(_("地点"), max_length=200, blank=True, default="")
    topic = models.CharField(_("主题"), max_length=100, blank=True, default="")
    people_met = models.CharField(_("见到的人"), max_length=200, blank=True, default="")
    participants = models.PositiveIntegerField(_("参加人数"), null=True, blank=True)
    notes = models.TextField(_("走访记录"), blank=True, default="")
    issues = models.TextField(_("发现的问题"), blank=True, default="")
    # A plain id: cases are partitioned by district (see cases.models).
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("转为工单"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    idempotency_key = models.CharField(max_length=80, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        constraints = [
            models.UniqueConstraint(
                fields=["visitor", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="visit_visitor_key",
            ),
            models.CheckConstraint(
                condition=Q(kind="group") | Q(household__isnull=False),
                name="visit_household_needs_household",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "visited_at"], name="visit_household_at"),
            models.Index(fields=["visitor", "visited_at"], name="visit_visitor_at"),
            models.Index(fields=["area_path", "visited_at"], name="visit_path_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_at:%Y-%m-%d}"


class PlanItem(models.Model):
    """A household on this month's visit plan: due this month or overdue."""

    class Status(models.TextChoices):
        DUE = "due", _("本月应访")
        OVERDUE = "overdue", _("超期未访")

    month = models.DateField(_("月份"))
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    grid = models.ForeignKey(
        "areas.Area", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    area_path = models.CharField(max_length=60)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任网格员"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices)
    # The last visit before the month, or the rule's start when never visited;
    # the household is due `interval_days` after it.
    basis_at = models.DateTimeField(_("起算时间"))
    interval_days = models.PositiveSmallIntegerField(_("走访间隔(天)"))
    last_visit_at = models.DateTimeField(_("上次走访"), null=True, blank=True)
    visited_at = models.DateTimeField(_("本月已访"), null=True, blank=True)

    class Meta:
        verbose_name = _("走访计划")
        verbose_name_plural = _("走访计划")
        # One index only: the city's plan is rewritten in bulk every month,
        # and every read (a worker's list, a scoped overdue list, marking a
        # household visited) is a month and a path range. A household is on
        # a month's plan once by construction (plan_generate).
        indexes = [models.Index(fields=["month", "area_path"], name="plan_month_path")]

    @property
    def due_on(self):
        from datetime import timedelta

        from django.utils import timezone

        return timezone.localtime(self.basis_at).date() + timedelta(days=self.interval_days)


class WorkerPlan(models.Model):
    """A worker's monthly targets from the rule that applies to them."""

    month = models.DateField(_("月份"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=20)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True)
    rule = models.ForeignKey(
        QuotaRule, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    households_target = models.PositiveIntegerField(_("本月走访户数目标"), default=0)
    group_visits_target = models.PositiveIntegerField(_("本月集体走访目标"), default=0)
    fixed_days = models.JSONField(_("固定进格日"), default=list)
    due_households = models.PositiveIntegerField(_("计划内应访户数"), default=0)

    class Meta:
        verbose_name = _("个人月度走访目标")
        verbose_name_plural = _("个人月度走访目标")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "user", "role", "area"], name="worker_plan_unique"
            )
        ]


class VisitedHousehold(models.Model):
    """A household visited at least once in a period ("2026-11", "2026-Q4",
    "2026"): the de-duplication behind the coverage counters."""

    household_id = models.BigIntegerField()
    grid_id = models.BigIntegerField(null=True)
    period = models.CharField(max_length=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["household_id", "period"], name="visited_household")
        ]
        indexes = [models.Index(fields=["period", "grid_id"], name="visited_period_grid")]


class CoverageCount(models.Model):
    """入户率 of one grid in one period: households and households visited."""

    grid = models.ForeignKey(
        "areas.Area", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    area_path = models.CharField(max_length=60)
    period = models.CharField(_("统计周期"), max_length=8)
    households = models.PositiveIntegerField(_("户数"), default=0)
    visited = models.PositiveIntegerField(_("已走访户数"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("入户率汇总")
        verbose_name_plural = _("入户率汇总")
        constraints = [models.UniqueConstraint(fields=["period", "grid"], name="coverage_grid")]
        indexes = [models.Index(fields=["period", "area_path"], name="coverage_period_path")]


# ------------------------------------------------------------------- care
class CareFrequency(models.Model):
    group = models.OneToOneField(
        "people.CareGroup",
        verbose_name=_("重点人群"),
        on_delete=models.CASCADE,
        related_name="frequency",
    )
    interval_days = models.PositiveSmallIntegerField(_("联系间隔(天)"))

    class Meta:
        verbose_name = _("结对联系频次")
        verbose_name_plural = _("结对联系频次")

    def __str__(self) -> str:
        return f"{self.group} 每{self.interval_days}天"


class CarePair(models.Model):
    class CarerKind(models.TextChoices):
        PARTY_MEMBER = "party_member", _("党员")
        VOLUNTEER = "volunteer", _("志愿者")
        WORKER = "worker", _("网格工作人员")

    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("结对对象"), on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        "people.CareGroup", verbose_name=_("重点人群"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    grid = models.ForeignKey(
        "areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    carer_kind = models.CharField(_("结对人类型"), max_length=12, choices=CarerKind.choices)
    carer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结对工作人员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    carer_resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("结对党员/志愿者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    carer_name = models.CharField(_("结对人姓名"), max_length=50)
    carer_phone_enc = models.TextField(blank=True, default="", editable=False)
    carer_phone_masked = models.CharField(
        _("结对人电话"), max_length=20, blank=True, default="", editable=False
    )
    interval_days = models.PositiveSmallIntegerField(_("联系间隔(天)"))
    since = models.DateField(_("结对日期"))
    last_contact_at = models.DateTimeField(_("最近联系"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("下次联系期限"))
    alerted_at = models.DateTimeField(_("超期提醒时间"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("结对关爱")
        verbose_name_plural = _("结对关爱")
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "group"],
                condition=Q(is_active=True),
                name="care_pair_active_resident_group",
            )
        ]
        indexes = [models.Index(fields=["is_active", "next_due_at"], name="care_pair_due")]

    def __str__(self) -> str:
        return f"{self.carer_name} ↔ {self.resident_id}"


class CareEntry(models.Model):
    """What contacts and service records share: who wrote it, when, the
    pair's place (for the scope rule) and the outbox's idempotency key."""

    area_path = models.CharField(max_length=60, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("情况记录"), blank=True, default="")
    idempotency_key = models.CharField(max_length=80, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @staticmethod
    def by_key(name: str) -> models.UniqueConstraint:
        return models.UniqueConstraint(
            fields=["by", "idempotency_key"], condition=~Q(idempotency_key=""), name=name
        )


class CareContact(CareEntry):
    class Mode(models.TextChoices):
        VISIT = "visit", _("上门看望")
        PHONE = "phone", _("电话联系")
        VIDEO = "video", _("视频联系")
        OTHER = "other", _("其他")

    pair = models.ForeignKey(CarePair, on_delete=models.PROTECT, related_name="contacts")
    at = models.DateTimeField(_("联系时间"))
    mode = models.CharField(_("方式"), max_length=8, choices=Mode.choices)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("结对联系记录")
        verbose_name_plural = _("结对联系记录")
        constraints = [CareEntry.by_key("care_contact_by_key")]


class ServiceRecord(CareEntry):
    class Kind(models.TextChoices):
        MEALS = "meals", _("助餐送餐")
        REPAIR = "repair", _("维修")
        MEDICAL_ESCORT = "medical_escort", _("陪同就医")
        CLEANING = "cleaning", _("清洁")
        SHOPPING = "shopping", _("代购代办")
        OTHER = "other", _("其他")

    pair = models.ForeignKey(CarePair, on_delete=models.PROTECT, related_name="services")
    at = models.DateTimeField(_("服务时间"))
    kind = models.CharField(_("服务内容"), max_length=16, choices=Kind.choices)
    hours = models.DecimalField(_("时长(小时)"), max_digits=5, decimal_places=1, default=0)
    notes = models.TextField(_("说明"), blank=True, default="")

    class Meta:
        verbose_name = _("关爱服务记录")
        verbose_name_plural = _("关爱服务记录")
        constraints = [CareEntry.by_key("service_record_by_key")]
