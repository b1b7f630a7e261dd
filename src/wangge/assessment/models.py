"""Assessment (考核评价): the case rollup the indices read, and the proactive
tasks (未诉先办) the rules leave for grid teams.

`CaseRollup` is a cohort table: one row per (day reported, area, category) —
and per (day, lead department, category) — counting the cases reported that
day by their *current* state. An area row exists at every level of the
case's path (city … micro-grid), so any area's figures for any period are a
sum over a few rows of its own depth, never a scan of cases. The table is a
pure function of the cases (`rollups.contribution`): the hook in the case
engine applies the difference of one case before and after a move (one
statement), and `wangge manage assessment_rebuild` recomputes it from scratch.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The counters of a rollup row, in the order `rollups.contribution` yields them.
COUNTERS = (
    "total",  # cases reported
    "open",  # still open (OPEN_STATUSES)
    "closed",  # closed, rated or archived
    "on_time",  # closed no later than their deadline (or without one)
    "voided",  # 作废
    "merged",  # merged into another case
    "rated",  # rated by the reporter
    "satisfied",  # rated 4 or 5
    "reworked",  # sent back at least once (核查不通过)
    "extended",  # deadline extended at least once
    "supervised",  # 督办
    "escalated",  # escalated at least once
)
DEPARTMENT_DEPTH = 0  # rows keyed by department instead of area


class Counters(models.Model):
    """The counters of a rollup row (COUNTERS), shared by the day and the
    month table."""

    total = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    voided = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    supervised = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseRollup(Counters):
    day = models.DateField(_("上报日期"))
    depth = models.PositiveSmallIntegerField(_("区域层级深度"))  # 0: department row
    area_path = models.CharField(_("区域路径"), max_length=60, blank=True, default="")
    department_id = models.IntegerField(_("部门"), default=0)
    category_id = models.IntegerField(_("事项类别"))

    class Meta:
        verbose_name = _("工单汇总")
        verbose_name_plural = _("工单汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["area_path", "department_id", "day", "category_id"],
                name="rollup_key",
            )
        ]
        indexes = [
            # Children of an area over a period (rankings, the map). On
            # PostgreSQL the counters ride in the index (INCLUDE), so a
            # ranking is an index-only scan; other databases ignore INCLUDE.
            models.Index(
                fields=["depth", "day", "area_path"],
                name="rollup_depth_day_cover",
                include=list(COUNTERS),
            ),
        ]


class CaseRollupMonth(Counters):
    """The same counters by **month** reported and area (or lead department),
    all categories together: what a month's headline, a 12-month trend and a
    ranking of one level read (a city's 4,365 grids are 4,365 rows a month
    here, ~120,000 day × category rows in `CaseRollup`). Kept by the same
    hook in the same transaction; `rollups.rebuild` derives it from the day
    rows. `month` is the first day of the month."""

    month = models.DateField(_("上报月份"))
    depth = models.PositiveSmallIntegerField(_("区域层级深度"))  # 0: department row
    area_path = models.CharField(_("区域路径"), max_length=60, blank=True, default="")
    department_id = models.IntegerField(_("部门"), default=0)

    class Meta:
        verbose_name = _("工单月汇总")
        verbose_name_plural = _("工单月汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["area_path", "department_id", "month"], name="rollup_month_key"
            )
        ]
        indexes = [
            # One level under an area over months (rankings): index-only on
            # PostgreSQL (counters INCLUDEd).
            models.Index(
                fields=["depth", "month", "area_path"],
                name="rollup_month_cover",
                include=list(COUNTERS),
            ),
        ]


class AreaPopulation(models.Model):
    """Residents and households under an area — a row for every level of the
    people rows' `area_path` (city … micro-grid, `depth` 1–6): the
    denominators of 积分参与率 and 入户率, read like the case rollup (a
    ranking of one level reads that level's rows). Kept by database triggers
    on `people_resident` / `people_household` (`population.py`);
    `population.recount()` recomputes it."""

    area_path = models.CharField(_("区域路径"), max_length=60, unique=True)
    depth = models.PositiveSmallIntegerField(_("区域层级深度"), default=0)
    residents = models.IntegerField(_("居民人数"), default=0)
    households = models.IntegerField(_("户数"), default=0)

    class Meta:
        verbose_name = _("区域人口汇总")
        verbose_name_plural = _("区域人口汇总")
        indexes = [
            # One level under an area (rankings): index-only on PostgreSQL.
            models.Index(
                fields=["depth", "area_path"],
                name="population_depth_cover",
                include=["residents", "households"],
            ),
        ]


class PointsMonth(models.Model):
    """A resident who earned points in a month (earn entries of the ledger,
    month in Asia/Shanghai): the points earned and the resident's place now.
    Kept by a trigger on the ledger (and moved with the resident);
    `population.recount()` recomputes it."""

    resident_id = models.IntegerField()
    month = models.DateField(_("月份"))  # first day of the month
    area_path = models.CharField(_("区域路径"), max_length=60)
    points = models.IntegerField(_("获得积分"), default=0)

    class Meta:
        verbose_name = _("居民月度积分")
        verbose_name_plural = _("居民月度积分")
        constraints = [
            models.UniqueConstraint(fields=["resident_id", "month"], name="points_month_key")
        ]
        indexes = [models.Index(fields=["month", "area_path"], name="points_month_path")]


class StoredIndexRun(models.Model):
    """One computation of the slow indices' stored totals for a period
    (`stored.refresh`): a month "2026-11", a quarter "2026-Q4" or a year
    "2026"; when, with which formulas (`fingerprint`: the sources and the
    party index settings), over how many areas."""

    period = models.CharField(_("统计周期"), max_length=8, unique=True)
    fingerprint = models.CharField(max_length=32)
    computed_at = models.DateTimeField(_("计算时间"))
    seconds = models.FloatField(_("用时（秒）"), default=0)
    areas = models.IntegerField(_("区域数"), default=0)

    class Meta:
        verbose_name = _("指数汇总计算")
        verbose_name_plural = _("指数汇总计算")


class AreaIndexTotals(models.Model):
    """The raw counts of the indices over other apps' data (在线率, 入户率,
    知晓率, 先锋指数, 堡垒指数, 积分参与率) for one area (city down to grid)
    and one period (month, quarter or year), as `{source: {key: n}}`: what
    each source's `counts()` gave when `stored.refresh` ran. Rankings and
    screens of such a period read these rows instead of the sources while
    they are fresh (see `stored.lookup`)."""

    period = models.CharField(_("统计周期"), max_length=8)
    area_path = models.CharField(_("区域路径"), max_length=60)
    depth = models.PositiveSmallIntegerField(_("区域层级深度"))
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("区域指数汇总")
        verbose_name_plural = _("区域指数汇总")
        constraints = [
            models.UniqueConstraint(fields=["period", "area_path"], name="area_index_totals_key")
        ]
        indexes = [
            models.Index(fields=["period", "depth", "area_path"], name="area_index_totals_depth")
        ]


class ProactiveTask(models.Model):
    """A finding of a proactive rule (未诉先办), for the grid team of `area`.
    `reason` says in words why it was raised; `evidence` holds the numbers
    (and case ids) behind it. The same finding is raised once (`key`)."""

    class Rule(models.TextChoices):
        HOTSPOT = "hotspot", _("同类问题反复发生")
        RISING = "rising", _("网格工单周环比上升")
        SEASONAL = "seasonal", _("季节性问题预警")
        CARE_CONTACT = "care_contact", _("关爱对象未按时联系")
        NOT_VISITED = "not_visited", _("本年度未走访户")

    class State(models.TextChoices):
        OPEN = "open", _("待处理")
        CONVERTED = "converted", _("已转工单")
        DISMISSED = "dismissed", _("已忽略")

    rule = models.CharField(_("规则"), max_length=16, choices=Rule.choices)
    key = models.CharField(max_length=120, unique=True, editable=False)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=60, editable=False, db_index=True)
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("事项类别"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("标题"), max_length=200)
    reason = models.TextField(_("为什么提示"))
    evidence = models.JSONField(_("依据"), default=dict, blank=True)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(_("发现时间"))
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("转成工单"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("未诉先办任务")
        verbose_name_plural = _("未诉先办任务")
        indexes = [models.Index(fields=["state", "area_path"], name="proactive_state_path")]

    def __str__(self) -> str:
        return self.title


class CategoryCorrection(models.Model):
    """A dispatcher changed a case's category (at registration): the text
    and the right category are new training data for the classifier."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    area_path = models.CharField(max_length=60, editable=False)
    from_category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")
    to_category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")
    was_suggested = models.BooleanField(_("原类别由系统推荐"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("类别纠正")
        verbose_name_plural = _("类别纠正")
        indexes = [models.Index(fields=["area_path", "at"], name="correction_path_at")]


class Campaign(models.Model):
    """A two-way evaluation round (双向互评) over an area for a period:
    communities and streets rate departments on their response to whistles and
    dispatched cases; departments rate the dispatch accuracy of the command
    centres (streets, districts) that sent them cases."""

    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, editable=False)
    start = models.DateField(_("考核开始"))
    end = models.DateField(_("考核结束"))
    is_open = models.BooleanField(_("进行中"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("双向互评")
        verbose_name_plural = _("双向互评")

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    """One rating in a campaign: an area rates a department (`department` is
    the target), or a department rates an area's dispatching (`area` is the
    target). Score 1–5; one per rater unit and target."""

    class Kind(models.TextChoices):
        OF_DEPARTMENT = "of_department", _("评部门（响应与办理）")
        OF_DISPATCH = "of_dispatch", _("评派遣准确性")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="evaluations")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    rater_area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rater_department = models.ForeignKey(
        "teams.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "teams.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, editable=False)  # where the rater sits
    # campaign:kind:rater:target — one rating per rater unit and target.
    key = models.CharField(max_length=80, unique=True, editable=False)
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("意见"), max_length=500, blank=True, default="")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("互评")
        verbose_name_plural = _("互评")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="evaluation_score_1_5"
            ),
        ]
