"""积分: rules as data per city, an append-only ledger (balances are sums,
corrections are new entries), the points shop per community and its
redemptions with one-time codes.

The ledger table refuses UPDATE and DELETE in the database itself (triggers
on PostgreSQL and SQLite, see `ledger.py`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    REPORT_VALID = "report_valid", _("有效报事（工单受理）")
    CASE_USEFUL = "case_useful", _("报事经核实办结")
    VOLUNTEER_HOUR = "volunteer_hour", _("志愿服务（每小时）")
    VOTE = "vote", _("参与议事表决")


class PointsRule(models.Model):
    """How many points one event earns in a city, with caps per holder."""

    city = models.ForeignKey(
        "areas.Area",
        verbose_name=_("城市"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "city"},
    )
    kind = models.CharField(_("事项"), max_length=20, choices=RuleKind.choices)
    points = models.PositiveIntegerField(_("每次积分"))
    daily_cap = models.PositiveIntegerField(_("每日上限"), null=True, blank=True)
    monthly_cap = models.PositiveIntegerField(_("每月上限"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    area_path = models.CharField(max_length=60, editable=False, db_index=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        constraints = [
            models.UniqueConstraint(fields=["city", "kind"], name="points_rule_city_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} +{self.points}"

    def save(self, *args, **kwargs):
        self.area_path = self.city.path
        super().save(*args, **kwargs)


class EntryKind(models.TextChoices):
    EARN = "earn", _("获得")
    REDEEM = "redeem", _("兑换")
    REFUND = "refund", _("兑换取消退回")
    CORRECTION = "correction", _("更正")


class PointsEntry(models.Model):
    """One line of a holder's ledger: a resident, or a part-time grid worker.
    Never changed, never deleted."""

    RESIDENT_SCOPE_FIELD = "resident__household_id"

    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("兼职网格员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    grid = models.ForeignKey(
        "areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    # The grid's district: the partition key when the ledger is partitioned
    # by district (`wangge partition`, docs/scale.md).
    district = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", db_index=False, editable=False
    )
    area_path = models.CharField(_("区域路径"), max_length=60, editable=False)
    kind = models.CharField(_("类型"), max_length=12, choices=EntryKind.choices)
    rule = models.CharField(
        _("规则"), max_length=20, choices=RuleKind.choices, blank=True, default=""
    )
    amount = models.IntegerField(_("积分"))
    reason = models.CharField(_("事由"), max_length=200)
    # What earned it ("case:12:case_useful:34"): the same event never pays twice.
    source = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分明细")
        verbose_name_plural = _("积分明细")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(resident__isnull=False, worker__isnull=True)
                    | models.Q(resident__isnull=True, worker__isnull=False)
                ),
                name="points_entry_one_holder",
            ),
            models.CheckConstraint(condition=~models.Q(amount=0), name="points_entry_not_zero"),
        ]
        indexes = [
            models.Index(fields=["resident", "created_at"], name="points_entry_resident"),
            models.Index(fields=["worker", "created_at"], name="points_entry_worker"),
            models.Index(fields=["area_path", "created_at"], name="points_entry_area"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.reason}"


class InCommunity(models.Model):
    """Something a community keeps (a shop, an estate): the community and
    its path copied for the scope rule."""

    community = models.ForeignKey(
        "areas.Area",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "community"},
    )
    area_path = models.CharField(max_length=60, editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.area_path = self.community.path
        super().save(*args, **kwargs)


class Shop(InCommunity):
    """积分超市 of a community, open for exchange on some weekdays."""

    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    # ISO weekdays (1 = Monday … 7 = Sunday), e.g. "6,7".
    exchange_days = models.CharField(
        _("兑换日"),
        max_length=20,
        default="1,2,3,4,5,6,7",
        help_text=_("星期几，逗号分隔：1=周一 … 7=周日"),
    )
    hours = models.CharField(_("兑换时间"), max_length=50, blank=True, default="")
    keepers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("店员"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("开放"), default=True)

    class Meta:
        verbose_name = _("积分超市")
        verbose_name_plural = _("积分超市")

    def __str__(self) -> str:
        return self.name

    @property
    def weekdays(self) -> list[int]:
        return sorted({int(d) for d in self.exchange_days.split(",") if d.strip().isdigit()})

    @property
    def exchange_label(self) -> str:
        days = [d for d in self.weekdays if 1 <= d <= 7]
        return "、".join(f"周{'一二三四五六日'[d - 1]}" for d in days) or "未设置"


class ShopItem(models.Model):
    shop = models.ForeignKey(
        Shop, verbose_name=_("超市"), on_delete=models.PROTECT, related_name="items"
    )
    area_path = models.CharField(max_length=60, editable=False, db_index=True)
    name = models.CharField(_("商品"), max_length=100)
    price = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"))
    is_active = models.BooleanField(_("上架"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("积分商品")
        verbose_name_plural = _("积分商品")
        ordering = ["sort", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gt=0), name="points_item_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.area_path = self.shop.area_path
        super().save(*args, **kwargs)


class Redemption(models.Model):
    """Points spent on an item; the holder shows the code, the keeper checks it."""

    RESIDENT_SCOPE_FIELD = "resident__household_id"

    class Status(models.TextChoices):
        PENDING = "pending", _("待领取")
        FULFILLED = "fulfilled", _("已领取")
        CANCELLED = "cancelled", _("已取消")
        EXPIRED = "expired", _("已过期（积分已退回）")

    item = models.ForeignKey(
        ShopItem, verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    shop = models.ForeignKey(
        Shop, verbose_name=_("超市"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, editable=False, db_index=True)
    resident = models.ForeignKey(
        "people.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("兑换人账号"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    points = models.PositiveIntegerField(_("积分"))
    code = models.CharField(_("兑换码"), max_length=12, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    entry = models.OneToOneField(
        PointsEntry, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("兑换时间"), default=timezone.now)
    # The code is valid until then (the end of the shop's next exchange day,
    # points.expiry); a periodic task returns the points of expired codes.
    expires_at = models.DateTimeField(_("兑换码有效期至"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        indexes = [
            models.Index(fields=["user", "created_at"], name="points_redemption_user"),
            # The expiry sweep: pending codes by expiry (a small partial index).
            models.Index(
                fields=["expires_at"],
                name="points_redemption_expiring",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} ×{self.quantity}"

    @property
    def valid_until(self):
        """The last moment the code is valid, in local time (for display)."""
        if self.expires_at is None:
            return None
        return timezone.localtime(self.expires_at) - dt.timedelta(seconds=1)
