"""议事 (两议两评两公开): topics put to the residents of a grid, community or
estate; comments moderated by the grid leader; a vote (one per household or
one per adult resident); the published decision and, later, the report of
its implementation. 两评: rating campaigns of an estate's property management
company and partner units, results published per estate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.points.models import InCommunity


class Estate(InCommunity):
    """小区: a set of buildings in a community, with its property company."""

    name = models.CharField(_("小区名称"), max_length=100)
    property_company = models.CharField(_("物业服务企业"), max_length=200, blank=True, default="")
    buildings = models.ManyToManyField(
        "people.Building", verbose_name=_("楼栋"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待受理")
        OPEN = "open", _("议事中")
        DECIDED = "decided", _("已公开决议")
        IMPLEMENTED = "implemented", _("已公开落实结果")
        REJECTED = "rejected", _("未受理")

    class VoteUnit(models.TextChoices):
        HOUSEHOLD = "household", _("每户一票")
        ADULT = "adult", _("每位成年居民一票")

    class VoteKind(models.TextChoices):
        YES_NO = "yes_no", _("赞成/反对")
        OPTIONS = "options", _("多选一")

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("议事范围"), on_delete=models.PROTECT, related_name="+"
    )
    estate = models.ForeignKey(
        Estate,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="topics",
    )
    area_path = models.CharField(max_length=60, editable=False, db_index=True)
    title = models.CharField(_("议题"), max_length=100)
    body = models.TextField(_("内容"), max_length=4000)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提议人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    vote_unit = models.CharField(
        _("表决方式"), max_length=10, choices=VoteUnit.choices, default=VoteUnit.HOUSEHOLD
    )
    vote_kind = models.CharField(
        _("表决类型"), max_length=10, choices=VoteKind.choices, default=VoteKind.YES_NO
    )
    quorum_percent = models.PositiveSmallIntegerField(_("法定参与比例(%)"), default=50)
    vote_opens_at = models.DateTimeField(_("表决开始"), null=True, blank=True)
    vote_closes_at = models.DateTimeField(_("表决截止"), null=True, blank=True)
    # The eligible voters, counted when voting opens (the quorum's base).
    eligible = models.PositiveIntegerField(_("应参与数"), default=0)
    decision = models.TextField(_("决议"), blank=True, default="")
    decided_at = models.DateTimeField(_("决议公开时间"), null=True, blank=True)
    quorum_met = models.BooleanField(_("达到法定参与比例"), null=True, blank=True)
    result = models.JSONField(_("表决结果"), default=dict, blank=True)
    implementation = models.TextField(_("落实情况"), blank=True, default="")
    implemented_at = models.DateTimeField(_("落实结果公开时间"), null=True, blank=True)
    reject_reason = models.CharField(_("不受理原因"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    # The residents' notifications already written (kinds: open, decided,
    # implemented): the fan-out task runs each once, even when run twice.
    notified = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        indexes = [models.Index(fields=["area_path", "created_at"], name="topic_area_created")]

    def __str__(self) -> str:
        return self.title


class TopicOption(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("选项"), max_length=100)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("表决选项")
        verbose_name_plural = _("表决选项")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.label


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已公开")
        HIDDEN = "hidden", _("未通过")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="comments")
    area_path = models.CharField(max_length=60, editable=False, db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("意见"), max_length=1000)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.CharField(_("审核说明"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("议事意见")
        verbose_name_plural = _("议事意见")
        ordering = ["created_at", "id"]


class Vote(models.Model):
    """One vote. `voter_key` is "h<household id>" or "r<resident id>" by the
    topic's vote unit: the unique constraint makes a second vote impossible,
    however many requests race."""

    RESIDENT_SCOPE_FIELD = "household_id"

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="votes")
    voter_key = models.CharField(max_length=20)
    option = models.ForeignKey(
        TopicOption, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    choice = models.CharField(max_length=3, blank=True, default="")  # yes / no (yes_no topics)
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("表决票")
        verbose_name_plural = _("表决票")
        constraints = [
            models.UniqueConstraint(fields=["topic", "voter_key"], name="vote_one_per_voter"),
        ]


class RatingCampaign(models.Model):
    """两评: residents of an estate rate its property company and partner
    units on fixed criteria (1–5) during a period; averages are published."""

    estate = models.ForeignKey(
        Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="campaigns"
    )
    area_path = models.CharField(max_length=60, editable=False, db_index=True)
    title = models.CharField(_("名称"), max_length=100)
    criteria = models.JSONField(_("评价项"), default=list)
    opens_at = models.DateTimeField(_("开始"))
    closes_at = models.DateTimeField(_("截止"))
    published = models.BooleanField(_("结果已公开"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # 两评 is periodic: every `repeat_months` the next period opens by itself
    # (services.campaigns_repeat, a periodic task), with the same targets.
    repeat_months = models.PositiveSmallIntegerField(
        _("周期（月）"), default=0, help_text=_("每隔几个月自动开启下一期；0 = 不重复")
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("上一期"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_period",
        editable=False,
    )

    class Meta:
        verbose_name = _("两评活动")
        verbose_name_plural = _("两评活动")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.area_path = self.estate.area_path
        super().save(*args, **kwargs)


class RatingTarget(models.Model):
    class Kind(models.TextChoices):
        PROPERTY = "property", _("物业服务企业")
        PARTNER = "partner", _("共建单位")

    campaign = models.ForeignKey(RatingCampaign, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=200)

    class Meta:
        verbose_name = _("评价对象")
        verbose_name_plural = _("评价对象")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    """One household's rating of one target: scores per criterion."""

    target = models.ForeignKey(RatingTarget, on_delete=models.PROTECT, related_name="ratings")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(default=dict)
    overall = models.DecimalField(max_digits=3, decimal_places=2)
    comment = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.UniqueConstraint(
                fields=["target", "household"], name="rating_one_per_household"
            ),
        ]
