"""Base data: buildings, households, residents, organizations.

Every table here carries the place it belongs to as copied columns: `grid`,
`micro_grid` (when there is one), `district` (the future partition and
distribution key) and `area_path` — the path of the smallest area it sits in
(micro-grid, else grid). The scope rule filters on `area_path` with one
indexed range, whatever level the actor is assigned at."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core import crypto


class Placed(models.Model):
    district = models.ForeignKey(
        "areas.Area",
        verbose_name=_("区县"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    grid = models.ForeignKey(
        "areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    micro_grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("微网格"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    area_path = models.CharField(_("区域路径"), max_length=60, db_index=True, editable=False)

    class Meta:
        abstract = True


class Building(Placed):
    RESIDENT_SCOPE_FIELD = "households"

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅楼")
        HOUSE = "house", _("自建房")
        COMMERCIAL = "commercial", _("商业楼宇")
        MIXED = "mixed", _("商住混合")
        PUBLIC = "public", _("公共建筑")
        OTHER = "other", _("其他")

    code = models.CharField(_("楼栋编码"), max_length=5, help_text=_("网格内5位编码"))
    name = models.CharField(_("楼栋名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    kind = models.CharField(
        _("类型"), max_length=12, choices=Kind.choices, default=Kind.RESIDENTIAL
    )
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [models.UniqueConstraint(fields=["grid", "code"], name="building_grid_code")]

    def __str__(self) -> str:
        return self.name


class Household(Placed):
    RESIDENT_SCOPE_FIELD = "pk"
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="households"
    )
    unit = models.CharField(_("单元"), max_length=20, blank=True, default="")
    room = models.CharField(_("室号"), max_length=20)
    size = models.PositiveSmallIntegerField(_("户人数"), default=1)
    address = models.CharField(_("住址"), max_length=200)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="household_building_unit_room"
            )
        ]

    def __str__(self) -> str:
        return self.address


class CareGroup(models.Model):
    """重点人群: three built in, more per city."""

    code = models.CharField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    builtin = models.BooleanField(_("内置"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("重点人群类别")
        verbose_name_plural = _("重点人群类别")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name


class Resident(Placed):
    RESIDENT_SCOPE_FIELD = "household_id"

    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Relationship(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        GRANDPARENT = "grandparent", _("祖父母")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    class Residence(models.TextChoices):
        REGISTERED = "registered", _("户籍人口（人户一致）")
        AWAY = "away", _("户籍人口（人户分离，不在本地）")
        MIGRANT = "migrant", _("流动人口（居住未登记户籍）")

    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    # 身份证号: encrypted, with a keyed hash for look-ups and a masked copy for lists.
    id_number_enc = models.TextField(_("身份证号(密文)"), editable=False)
    id_number_hash = models.CharField(max_length=40, unique=True, editable=False)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, editable=False)
    phone_enc = models.TextField(_("电话(密文)"), blank=True, default="", editable=False)
    phone_hash = models.CharField(
        max_length=40, blank=True, default="", db_index=True, editable=False
    )
    phone_masked = models.CharField(
        _("电话"), max_length=20, blank=True, default="", editable=False
    )
    relationship = models.CharField(_("与户主关系"), max_length=12, choices=Relationship.choices)
    residence = models.CharField(
        _("居住类型"), max_length=12, choices=Residence.choices, default=Residence.REGISTERED
    )
    registered_address = models.CharField(_("户籍地址"), max_length=200, blank=True, default="")
    is_party_member = models.BooleanField(_("党员"), default=False)
    care_groups = models.ManyToManyField(
        CareGroup,
        verbose_name=_("重点人群"),
        blank=True,
        through="ResidentCareGroup",
        related_name="residents",
    )

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")

    def __str__(self) -> str:
        return self.name

    # Clear values: only through services that audit the access.
    def decrypted_id_number(self) -> str:
        return crypto.decrypt(self.id_number_enc)

    def decrypted_phone(self) -> str:
        return crypto.decrypt(self.phone_enc)


class ResidentCareGroup(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="care_links")
    group = models.ForeignKey(CareGroup, on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("纳入日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("重点人群关系")
        verbose_name_plural = _("重点人群关系")
        constraints = [
            models.UniqueConstraint(fields=["resident", "group"], name="resident_care_group")
        ]
        indexes = [models.Index(fields=["group", "resident"], name="care_group_resident")]


class Organization(Placed):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        SHOP = "shop", _("个体商户")
        SCHOOL = "school", _("学校")
        HOSPITAL = "hospital", _("医疗机构")
        MARKET = "market", _("市场")
        AGENCY = "agency", _("机关事业单位")
        SOCIAL = "social", _("社会组织")
        OTHER = "other", _("其他")

    name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    address = models.CharField(_("地址"), max_length=200)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True, default="")
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True, default="")
    employees = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("单位/商户")
        verbose_name_plural = _("单位/商户")

    def __str__(self) -> str:
        return self.name
