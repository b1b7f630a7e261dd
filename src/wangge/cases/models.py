"""Cases (工单): the catalogue, the case, its timeline and its attachments.

Partitioning: `Case` and `CaseEvent` are the large tables. Both carry
`district` (copied from the area tree), the key they will be partitioned
(PostgreSQL) or distributed (Citus) by. Their foreign keys point only at
small reference tables (areas, users, categories, departments) or, for
events/attachments/reporters/departments-on-case, at their own case (always
the same district). The two links between cases — `duplicate_of` and
`merged_into` — can cross a district border, so they are kept as plain ids
(`db_constraint=False`): the ORM can still follow them, the database does not
enforce them, and partitioning needs no composite key across districts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Handling(models.TextChoices):
    IMMEDIATE = "immediate", _("即办件")
    TIME_LIMITED = "time_limited", _("限时件")
    SPECIAL = "special", _("特办件")
    UNDERTAKEN = "undertaken", _("承办件")
    PROXY = "proxy", _("代办件")


class Category(models.Model):
    """事项清单: majors have a 2-digit code and no parent; minors a 4-digit
    code (major + 2) and the handling defaults."""

    code = models.CharField(_("编码"), max_length=4, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("大类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    handling = models.CharField(
        _("默认办理类型"),
        max_length=14,
        choices=Handling.choices,
        default=Handling.TIME_LIMITED,
    )
    deadline_days = models.PositiveSmallIntegerField(
        _("办理时限（工作日）"), default=5, help_text=_("即办件为 0：当个工作日办结")
    )
    response_hours = models.PositiveSmallIntegerField(
        _("响应时限（工作小时）"), default=8, help_text=_("吹哨后部门须在此时限内报到响应")
    )
    departments = models.JSONField(
        _("责任部门"), default=list, blank=True, help_text=_("部门名称列表，按优先顺序")
    )
    grid_may_self_handle = models.BooleanField(_("网格可自行处置"), default=False)
    anonymous_allowed = models.BooleanField(_("允许匿名"), default=False)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True, default="")
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("事项类别")
        verbose_name_plural = _("事项清单")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_major(self) -> bool:
        return self.parent_id is None


class Status(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    VOIDED = "voided", _("已作废")
    REGISTERED = "registered", _("已立案")
    DISPATCHED = "dispatched", _("已派遣")
    HANDLING = "handling", _("处置中")
    HANDLED = "handled", _("已处置")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    RATED = "rated", _("已评价")
    ARCHIVED = "archived", _("已归档")
    PARKED = "parked", _("挂账")
    MERGED = "merged", _("已合并")


OPEN_STATUSES = (
    Status.REPORTED,
    Status.ACCEPTED,
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.HANDLING,
    Status.HANDLED,
    Status.VERIFIED,
    Status.PARKED,
)
CLOSED_STATUSES = (Status.CLOSED, Status.RATED, Status.ARCHIVED)
# Statuses whose deadline clock runs (the sweep looks only at these).
# (Reporting back stops the clock; rework restarts it.)
CLOCK_STATUSES = (Status.REGISTERED, Status.DISPATCHED, Status.HANDLING)


class Source(models.TextChoices):
    RESIDENT = "resident", _("居民上报")
    GRID = "grid", _("网格员上报")
    VISIT = "visit", _("走访发现")
    PROXY = "proxy", _("网格员代办")
    HOTLINE = "hotline", _("12345热线")
    OPEN311 = "open311", _("Open311 接口")


class Alert(models.TextChoices):
    NONE = "", _("正常")
    YELLOW = "yellow", _("黄灯预警")
    RED = "red", _("红灯超期")


class Team(models.TextChoices):
    NONE = "", _("未派遣")
    GRID = "grid", _("网格团队")
    DEPARTMENT = "department", _("职能部门")


class Case(models.Model):
    RESIDENT_SCOPE_FIELD = None  # residents see their own reports (selectors)

    # -- place (scope and partition keys) --
    district = models.ForeignKey(
        "areas.Area",
        verbose_name=_("区县"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # case_district_created leads with it
    )
    street = models.ForeignKey(
        "areas.Area",
        verbose_name=_("镇街"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    community = models.ForeignKey(
        "areas.Area",
        verbose_name=_("村社区"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
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
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("所在区域"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    area_path = models.CharField(_("区域路径"), max_length=60, editable=False)
    # The level now responsible (escalation moves this up the tree).
    level_area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("当前责任层级"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    building = models.ForeignKey(
        "people.Building",
        verbose_name=_("楼栋"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    # -- what --
    category = models.ForeignKey(
        Category, verbose_name=_("事项类别"), on_delete=models.PROTECT, related_name="cases"
    )
    category_suggested = models.BooleanField(_("类别由系统推荐"), default=False)
    handling = models.CharField(_("办理类型"), max_length=14, choices=Handling.choices)
    description = models.TextField(_("描述"))
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    version = models.PositiveIntegerField(_("版本"), default=1)

    # -- who --
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    anonymous = models.BooleanField(_("匿名"), default=False)
    on_behalf_of = models.ForeignKey(
        "people.Resident",
        verbose_name=_("代办对象"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    idempotency_key = models.CharField(max_length=80, blank=True, default="", editable=False)
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True, default="")
    # A photo link posted by an outside client (Open311 media_url); never fetched.
    media_url = models.URLField(_("外部图片链接"), max_length=500, blank=True, default="")

    # -- routing and handling --
    team = models.CharField(_("承办方"), max_length=10, choices=Team.choices, blank=True)
    department = models.ForeignKey(
        "teams.Department",
        verbose_name=_("牵头部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    # -- duplicates --
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("疑似重复"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    # -- time --
    created_at = models.DateTimeField(_("上报时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    deadline_start = models.DateTimeField(_("计时起点"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    # When an overdue case is next escalated automatically (one level per
    # further working day overdue), or null.
    escalate_at = models.DateTimeField(_("下次自动上报"), null=True, blank=True)
    parked_at = models.DateTimeField(_("挂账时间"), null=True, blank=True)
    park_reason = models.CharField(_("挂账原因"), max_length=200, blank=True, default="")
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True, default="")

    # -- flags and counters --
    alert = models.CharField(_("预警"), max_length=6, choices=Alert.choices, blank=True, default="")
    supervised = models.BooleanField(_("督办"), default=False)
    escalations = models.PositiveSmallIntegerField(_("上报次数"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    extension_days = models.PositiveSmallIntegerField(
        _("申请延期（工作日）"), null=True, blank=True
    )
    extension_reason = models.CharField(_("延期理由"), max_length=200, blank=True, default="")

    # -- rating --
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True, default="")
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [
            models.Index(fields=["area_path", "status"], name="case_path_status"),
            # A district's or a street's newest cases (selectors._newest_under).
            models.Index(fields=["district", "created_at"], name="case_district_created"),
            models.Index(fields=["street", "created_at"], name="case_street_created"),
            # Open cases only (a small share of the table): boards and queues.
            # Covering (every column the board and the open counts read), so
            # both are index-only scans of this small index.
            models.Index(
                fields=[
                    "area_path",
                    "created_at",
                    "id",
                    "status",
                    "alert",
                    "due_at",
                    "grid",
                    "area",
                    "category",
                    "building",
                ],
                name="case_open_board",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            # The deadline sweep: one small partial index per step, over the
            # cases whose clock runs (the sweep's queries repeat these
            # conditions word for word, so SQLite uses them too).
            models.Index(
                fields=["warn_at"],
                name="case_sweep_yellow",
                condition=models.Q(status__in=CLOCK_STATUSES, alert=""),
            ),
            models.Index(
                fields=["due_at"],
                name="case_sweep_red",
                condition=models.Q(status__in=CLOCK_STATUSES, alert__in=("", "yellow")),
            ),
            models.Index(
                fields=["escalate_at"],
                name="case_sweep_escalate",
                condition=models.Q(status__in=CLOCK_STATUSES, alert="red"),
            ),
            models.Index(fields=["status", "closed_at"], name="case_status_closed"),
            # Recently closed cases for the public board, newest first.
            # The area is the second key: its range is checked inside the
            # index, so only the rows shown are read from the table.
            models.Index(
                fields=["closed_at", "area_path"],
                name="case_closed_recent_path",
                condition=models.Q(status__in=CLOSED_STATUSES),
            ),
            # The same for a small area (a street, a grid): its range first,
            # so the rows read are the area's own, not every closing of the
            # 30 days in the database (PostgreSQL's planner picks by share).
            models.Index(
                fields=["area_path", "closed_at"],
                name="case_closed_path_recent",
                condition=models.Q(status__in=CLOSED_STATUSES),
            ),
            models.Index(fields=["category", "created_at"], name="case_category_created"),
            # Duplicate detection on intake: open cases of a category in a
            # latitude band, longitude checked in the index (intake_rows).
            models.Index(
                fields=["category", "lat", "lng"],
                name="case_open_duplicate",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["department", "status"], name="case_department_status"),
            models.Index(fields=["created_at"], name="case_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="case_idempotency_key",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="case_source_external_id",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="case_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category_id}"

    @property
    def number(self) -> str:
        """The public number: year reported + 8-digit id (e.g. 202600000123)."""
        from .workdays import TZ

        return f"{self.created_at.astimezone(TZ):%Y}{self.pk:08d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def parse_number(number: str) -> int | None:
    """Case id from a public number, or None."""
    if len(number) != 12 or not number.isdigit():
        return None
    return int(number[4:])


class CaseReporter(models.Model):
    """Who reported (and gets the updates). Merging copies the duplicate's
    reporters here, so everyone who reported the problem hears about it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reporters")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_reports",
    )
    name = models.CharField(_("姓名"), max_length=50, blank=True, default="")
    phone_enc = models.TextField(blank=True, default="", editable=False)
    phone_masked = models.CharField(_("电话"), max_length=20, blank=True, default="")
    anonymous = models.BooleanField(_("匿名"), default=False)
    from_case_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("上报人")
        verbose_name_plural = _("上报人")
        indexes = [models.Index(fields=["user", "case"], name="case_reporter_user")]


class CaseDepartment(models.Model):
    """A department on a case: lead, assisting (联办), or whistled in (吹哨)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        ASSIST = "assist", _("协办")
        WHISTLED = "whistled", _("吹哨报到")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="departments")
    department = models.ForeignKey("teams.Department", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices)
    called_at = models.DateTimeField(_("发起时间"))
    respond_by = models.DateTimeField(_("响应时限"), null=True, blank=True)
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    response = models.CharField(_("响应意见"), max_length=500, blank=True, default="")
    overdue_notified = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("部门参与")
        verbose_name_plural = _("部门参与")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "department", "role"], name="case_department_role"
            )
        ]
        indexes = [
            models.Index(fields=["department", "responded_at"], name="case_dept_pending"),
            models.Index(fields=["respond_by"], name="case_dept_respond_by"),
        ]


class CaseEvent(models.Model):
    """One row per move: the timeline, and what metrics and audit read."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    district = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("动作"), max_length=24)
    from_status = models.CharField(max_length=12, blank=True, default="")
    to_status = models.CharField(max_length=12, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(_("对上报人公开"), default=True)

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]


def attachment_path(instance, filename: str) -> str:
    return f"cases/{instance.case_id % 1000:03d}/{instance.case_id}/{instance.sha256[:16]}.{instance.ext}"


class CaseAttachment(models.Model):
    class Kind(models.TextChoices):
        INTAKE = "intake", _("上报照片")
        REPORT_BACK = "report_back", _("处置照片")
        OTHER = "other", _("其他")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=40)
    ext = models.CharField(max_length=5)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")


class Notification(models.Model):
    """In-app notification (always sent); SMS goes through a backend."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # A plain id: notifications are keyed by user, cases by district.
    case = models.ForeignKey(
        Case,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(max_length=24)
    text = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("消息通知")
        verbose_name_plural = _("消息通知")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]


class NotificationOutbox(models.Model):
    """A notification not yet delivered (an outbox row): written in the
    transaction of the move that causes it, deleted by the delivery that
    writes its in-app rows. A row left behind (its task lost with a killed
    consumer, or never enqueued because the web process died after the
    commit) is delivered again at consumer start and by the periodic resume
    (`notify.notifications_resume`)."""

    case_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=24)
    text = models.CharField(max_length=300)
    user_ids = models.JSONField(default=list)
    # Encrypted phones; emptied by the delivery that takes them (SMS).
    phones_enc = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a delivery has written the in-app rows and taken the SMS;
    # another run leaves the row alone until it is stale.
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("待发送通知")
        verbose_name_plural = _("待发送通知")


class SmsLog(models.Model):
    """An SMS handed to the backend (the log of what went out)."""

    case_id = models.BigIntegerField(null=True, blank=True)
    phone_masked = models.CharField(max_length=20)
    text = models.CharField(max_length=300)
    sent_at = models.DateTimeField(auto_now_add=True)
    backend = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("短信记录")
        verbose_name_plural = _("短信记录")
