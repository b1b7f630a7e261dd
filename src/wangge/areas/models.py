from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .paths import subtree_q


class Level(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区县")
    STREET = "street", _("镇街")
    COMMUNITY = "community", _("村社区")
    GRID = "grid", _("网格")
    MICRO_GRID = "micro_grid", _("微网格")


LEVEL_ORDER = [
    Level.CITY,
    Level.DISTRICT,
    Level.STREET,
    Level.COMMUNITY,
    Level.GRID,
    Level.MICRO_GRID,
]
LEVEL_DEPTH = {level: i + 1 for i, level in enumerate(LEVEL_ORDER)}


class GridKind(models.TextChoices):
    BASIC = "basic", _("基础网格")
    DEDICATED = "dedicated", _("专属网格")
    SEA = "sea", _("海上网格")


class DedicatedKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    MARKET = "market", _("市场")
    AGENCY = "agency", _("机关单位")
    OFFICE_TOWER = "office_tower", _("商务楼宇")


class CommunityKind(models.TextChoices):
    URBAN = "urban", _("社区")
    RURAL = "rural", _("行政村")


class AreaQuerySet(models.QuerySet):
    def subtree(self, area: Area) -> AreaQuerySet:
        return self.filter(subtree_q(area.path))

    def at_level(self, level: str) -> AreaQuerySet:
        return self.filter(level=level)


class Area(models.Model):
    """One node of the area tree: city → district → street → community →
    grid → micro-grid. `path` is the materialized path (see paths.py); `code`
    is the official code, which can change when boundaries are redrawn:
    12 digits down to villages/communities (统计用区划代码, padded), the
    community code + 3 digits for a grid (15), the grid code + 3 for a
    micro-grid (18)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=60, unique=True)
    depth = models.PositiveSmallIntegerField(_("层级深度"))
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices)
    code = models.CharField(_("区划/网格编码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    grid_kind = models.CharField(
        _("网格类型"), max_length=10, choices=GridKind.choices, blank=True, default=""
    )
    dedicated_kind = models.CharField(
        _("专属网格类别"), max_length=12, choices=DedicatedKind.choices, blank=True, default=""
    )
    community_kind = models.CharField(
        _("村/社区"), max_length=6, choices=CommunityKind.choices, blank=True, default=""
    )
    # GeoJSON geometry (Polygon or MultiPolygon, WGS-84) as text, and its box.
    boundary = models.TextField(_("边界(GeoJSON)"), blank=True, default="")
    min_lng = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lng = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    center_lng = models.FloatField(_("中心经度"), null=True, blank=True)
    center_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["level", "path"], name="area_level_path"),
            models.Index(fields=["parent", "name"], name="area_parent_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(level="micro_grid") | models.Q(grid_kind=""),
                name="area_micro_grid_has_no_grid_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_grid(self) -> bool:
        return self.level == Level.GRID


class SiteState(models.Model):
    """Small counters processes watch, e.g. the boundary version that tells
    every process's locator to rebuild its index."""

    key = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("系统状态")
        verbose_name_plural = _("系统状态")
