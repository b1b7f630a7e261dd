"""Writes for notices (知事): send, fan out, read receipts, reached by the
grid worker. Every function runs in a transaction; the fan-out is deferred
to a background task with `transaction.on_commit` so sending never waits
for 1.9 M rows."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Max, Min, Sum
from django.utils import timezone

from wangge.areas.models import Area, Level
from wangge.areas.paths import path_upper_bound
from wangge.core.errors import DomainError, PermissionDenied
from wangge.people.models import CareGroup, Household, Resident, ResidentCareGroup
from wangge.teams.models import RoleAssignment
from wangge.teams.roles import ROLE_CAPS, Role
from wangge.teams.scope import scope_for

from .models import (
    Audience,
    Delivery,
    GridProgress,
    Notice,
    NoticeAttachment,
    NoticeStatus,
    ReachedVia,
    StaffDelivery,
    Urgency,
)

# Who may send a notice (to an area their grant of one of these roles covers).
SENDER_ROLES = frozenset(
    {
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.COMMUNITY_CADRE,
        Role.STREET_CADRE,
        Role.DISPATCHER,
        Role.CITY_ADMIN,
    }
)
# Default reach time by urgency (Fuzhou: urgent notices reach every household within the hour).
DEFAULT_REACH_MINUTES = {Urgency.URGENT: 60, Urgency.IMPORTANT: 240, Urgency.NORMAL: 1440}
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
}


def _text(value, *, field: str, label: str, max_len: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"{field}_required", f"请填写{label}", status=422)
    if len(value) > max_len:
        raise DomainError(f"{field}_too_long", f"{label}不能超过 {max_len} 字", status=422)
    return value


def _choice(value, choices, *, field: str, label: str) -> str:
    if value not in choices.values:
        raise DomainError(f"bad_{field}", f"{label}取值无效", status=422)
    return value


def _care_codes(codes) -> list[str]:
    codes = sorted({str(c).strip() for c in codes or () if str(c).strip()})
    if not codes:
        raise DomainError("care_groups_required", "请选择至少一类重点人群", status=422)
    known = set(
        CareGroup.objects.filter(code__in=codes, is_active=True).values_list("code", flat=True)
    )
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DomainError(
            "bad_care_groups", f"重点人群类别不存在：{'、'.join(unknown)}", status=422
        )
    return codes


def _attachments(files) -> list:
    files = list(files or ())
    if len(files) > MAX_ATTACHMENTS:
        raise DomainError("too_many_attachments", f"附件最多 {MAX_ATTACHMENTS} 个", status=422)
    for f in files:
        ext = os.path.splitext(f.name or "")[1].lower()
        if ext not in ATTACHMENT_TYPES:
            raise DomainError(
                "bad_attachment_type",
                f"附件“{f.name}”的类型不支持（可用 PDF、图片、Word、Excel、文本）",
                status=422,
            )
        if f.size > MAX_ATTACHMENT_BYTES:
            raise DomainError("attachment_too_large", f"附件“{f.name}”超过 10 MB", status=422)
        if f.size == 0:
            raise DomainError("attachment_empty", f"附件“{f.name}”是空文件", status=422)
    return files


def may_send(scope, path: str) -> bool:
    if scope.unrestricted:
        return True
    return any(g.role in SENDER_ROLES and path.startswith(g.path) for g in scope.grants)


def may_reach(scope, path: str) -> bool:
    """Any staff role that is not read-only, on the household's area."""
    if scope.unrestricted:
        return True
    return any(not ROLE_CAPS[g.role].read_only and path.startswith(g.path) for g in scope.grants)


def notice_send(
    *,
    actor,
    area: Area | int,
    title: str,
    body: str,
    urgency: str = Urgency.NORMAL,
    audience: str = Audience.HOUSEHOLDS,
    care_groups=(),
    include_staff: bool = True,
    reach_minutes: int | None = None,
    attachments=(),
) -> Notice:
    """Create a notice and queue its fan-out (after commit). An area outside
    the sender's areas is a 404 (`outside_scope`); bad input a 422; either
    way nothing is written."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        raise PermissionDenied("not_allowed", "仅工作人员可以发布通知")
    area_id = getattr(area, "pk", area)
    area = Area.objects.filter(pk=area_id, is_active=True).first() if area_id else None
    if area is None or not scope.covers(area.path):
        raise DomainError("outside_scope", "发布范围不在您的管辖范围内", status=404)
    if area.level == Level.MICRO_GRID:
        raise DomainError("bad_area", "请选择网格及以上的区域发布", status=422)
    if not may_send(scope, area.path):
        raise PermissionDenied("not_allowed", "您的角色不能向该区域发布通知")
    title = _text(title, field="title", label="标题", max_len=100)
    body = _text(body, field="body", label="正文", max_len=5000)
    urgency = _choice(urgency, Urgency, field="urgency", label="紧急程度")
    audience = _choice(audience, Audience, field="audience", label="发送对象")
    codes = _care_codes(care_groups) if audience == Audience.CARE else []
    if reach_minutes in (None, ""):
        reach_minutes = DEFAULT_REACH_MINUTES[urgency]
    try:
        reach_minutes = int(reach_minutes)
    except (TypeError, ValueError):
        reach_minutes = -1
    if not 10 <= reach_minutes <= 7 * 24 * 60:
        raise DomainError("bad_reach_minutes", "触达时限应在 10 分钟到 7 天之间", status=422)
    files = _attachments(attachments)
    now = timezone.now()
    with transaction.atomic():
        notice = Notice.objects.create(
            area=area,
            area_path=area.path,
            title=title,
            body=body,
            urgency=urgency,
            audience=audience,
            care_groups=codes,
            include_staff=bool(include_staff) or audience == Audience.STAFF,
            reach_minutes=reach_minutes,
            reach_by=now + timedelta(minutes=reach_minutes),
            created_by=actor,
            created_at=now,
        )
        for f in files:
            ext = os.path.splitext(f.name)[1].lower()
            NoticeAttachment.objects.create(
                notice=notice,
                file=f,
                name=os.path.basename(f.name)[:120],
                size=f.size,
                content_type=ATTACHMENT_TYPES[ext],
            )
        transaction.on_commit(lambda: _enqueue(notice.pk))
    return notice


def _enqueue(notice_id: int) -> None:
    from .tasks import notice_fan_out

    notice_fan_out.enqueue(notice_id=notice_id)


# ------------------------------------------------------------------ fan-out

# Households per transaction when a notice covers a district or the city.
CHUNK = 250_000


def _bounds(path: str) -> tuple[str, str]:
    # An all-nines path has no upper bound: any string above every path works.
    return path, path_upper_bound(path) or path + "~"


def _insert_households(notice: Notice, after: int, upto: int | None, big: bool) -> None:
    """One INSERT … SELECT: the households of the notice's area with
    `after < id <= upto` (the care audience: those with a resident in one of
    the groups). read_at, reached_at, reached_by are NULL and reached_via ''
    by default, so the statement names only the key and the district."""
    d, h = Delivery._meta.db_table, Household._meta.db_table
    lo, hi = _bounds(notice.area_path)
    cols = "notice_id, grid_id, household_id, district_id"
    if notice.audience == Audience.CARE:
        r, rc, g = (
            Resident._meta.db_table,
            ResidentCareGroup._meta.db_table,
            CareGroup._meta.db_table,
        )
        marks = ", ".join(["%s"] * len(notice.care_groups))
        sql = (
            f"INSERT INTO {d} ({cols}) "
            f"SELECT DISTINCT %s, r.grid_id, r.household_id, r.district_id "
            f"FROM {rc} rc JOIN {r} r ON r.id = rc.resident_id JOIN {g} g ON g.id = rc.group_id "
            f"WHERE g.code IN ({marks}) AND r.area_path >= %s AND r.area_path < %s "
            f"AND r.household_id > %s"
        )
        params = [notice.pk, *notice.care_groups, lo, hi, after]
        key = "r.household_id"
    else:
        # Chunks of a district or the city scan by id: `|| ''` keeps the
        # planner (SQLite's above all) off the area-path index, which would
        # walk the whole range once per chunk.
        path = "(h.area_path || '')" if upto is not None and big else "h.area_path"
        sql = (
            f"INSERT INTO {d} ({cols}) "
            f"SELECT %s, h.grid_id, h.id, h.district_id FROM {h} h "
            f"WHERE {path} >= %s AND {path} < %s AND h.id > %s"
        )
        params = [notice.pk, lo, hi, after]
        key = "h.id"
    if upto is not None:
        sql += f" AND {key} <= %s"
        params.append(upto)
    # No ON CONFLICT: a second run of the same fan-out (a consumer restarted
    # after kill -9 enqueues unsent notices again while the first task may
    # still be queued) takes its ranges from the cursor under the notice's
    # row lock (notice_fan_out), so it never writes a household twice.
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _insert_progress(notice: Notice) -> None:
    """One counter row per grid, counted from the notice's deliveries (a
    scan of its primary-key range)."""
    d, p, a = Delivery._meta.db_table, GridProgress._meta.db_table, Area._meta.db_table
    q = connection.ops.quote_name
    # Counted in primary-key order (notice, grid, …): no sort, and one area
    # look-up per grid rather than per household.
    sql = (
        f"INSERT INTO {p} (notice_id, grid_id, grid_path, total, {q('read')}, reached) "
        f"SELECT %s, per.grid_id, a.path, per.n, 0, 0 FROM "
        f"(SELECT grid_id, COUNT(*) AS n FROM {d} WHERE notice_id = %s GROUP BY grid_id) per "
        f"JOIN {a} a ON a.id = per.grid_id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [notice.pk, notice.pk])


def _insert_staff(notice: Notice) -> None:
    s, ra = StaffDelivery._meta.db_table, RoleAssignment._meta.db_table
    lo, hi = _bounds(notice.area_path)
    sql = (
        f"INSERT INTO {s} (notice_id, user_id) "
        f"SELECT DISTINCT %s, ra.user_id FROM {ra} ra "
        f"WHERE ra.is_active AND ra.area_path >= %s AND ra.area_path < %s "
        f"AND NOT EXISTS (SELECT 1 FROM {s} x WHERE x.notice_id = %s AND x.user_id = ra.user_id)"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [notice.pk, lo, hi, notice.pk])


def notice_fan_out(*, notice_id: int, chunk: int = CHUNK, max_chunks: int | None = None) -> dict:
    """Write the deliveries of a notice set-based, then the per-grid counters.

    A district or the city goes in household-id ranges of `chunk` (each its
    own transaction, which also moves `fanout_cursor`): the scan follows the
    table's order, and SQLite's write lock is never held for the whole city.
    A smaller area is one statement over its area-path range. Safe to run
    again after a crash: it goes on from the cursor; two runs at once share
    the ranges (each chunk reads the cursor under the notice's row lock).
    (`max_chunks` stops early, for tests that play a crash.)"""
    notice = Notice.objects.select_related("area").filter(pk=notice_id).first()
    if notice is None or notice.status == NoticeStatus.SENT:
        return {"notice": notice_id, "skipped": True}
    started = time.monotonic()
    Notice.objects.filter(pk=notice.pk).update(
        status=NoticeStatus.SENDING, fanout_started_at=timezone.now(), error=""
    )
    try:
        if notice.audience != Audience.STAFF:
            ends = Household.objects.aggregate(lo=Min("id"), hi=Max("id"))
            top = ends["hi"] or 0
            big = notice.area.level in (Level.CITY, Level.DISTRICT)
            first, done = (ends["lo"] or 1) - 1, 0
            while True:
                with transaction.atomic():
                    # The cursor, read under the notice's row lock: a second
                    # run of the same fan-out (the queued task and the
                    # start-up recovery) takes the next range, never the
                    # same one, so the plain INSERT never meets its own rows
                    # (ON CONFLICT costs 1.5× the WAL and ~40% of the time).
                    cursor = (
                        Notice.objects.select_for_update()
                        .filter(pk=notice.pk)
                        .values_list("fanout_cursor", flat=True)
                        .get()
                    )
                    after = max(cursor, first)
                    if after >= top:
                        break
                    upto = min(after + chunk, top) if big else top
                    _insert_households(notice, after, upto if big else None, big)
                    Notice.objects.filter(pk=notice.pk).update(fanout_cursor=upto)
                done += 1
                if max_chunks is not None and done >= max_chunks and upto < top:
                    return {"notice": notice.pk, "interrupted_at": upto}
        with transaction.atomic():
            # Two runs of one fan-out finish one after the other (the row
            # lock); the later one finds it sent.
            locked = Notice.objects.select_for_update().filter(pk=notice.pk)
            if locked.values_list("status", flat=True).first() == NoticeStatus.SENT:
                return {"notice": notice.pk, "skipped": True}
            GridProgress.objects.filter(notice_id=notice.pk).delete()
            _insert_progress(notice)
            if notice.include_staff:
                _insert_staff(notice)
            households = (
                GridProgress.objects.filter(notice_id=notice.pk).aggregate(n=Sum("total"))["n"]
                or 0
            )
            staff = StaffDelivery.objects.filter(notice_id=notice.pk).count()
            seconds = time.monotonic() - started
            locked.update(
                status=NoticeStatus.SENT,
                households=households,
                staff=staff,
                fanned_out_at=timezone.now(),
                fanout_seconds=round(seconds, 3),
            )
    except Exception as exc:
        Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.FAILED, error=str(exc)[:300])
        raise
    return {"notice": notice.pk, "households": households, "staff": staff, "seconds": seconds}


def notices_resume(*, older_than: timedelta = timedelta(0)) -> list[int]:
    """Enqueue again the fan-out of every notice still pending or sending
    (created at least `older_than` ago): its task was lost with a killed
    consumer, or the web process died between the commit and the enqueue.
    A fan-out run twice writes each delivery once (see notice_fan_out)."""
    cutoff = timezone.now() - older_than
    ids = list(
        Notice.objects.filter(
            status__in=(NoticeStatus.PENDING, NoticeStatus.SENDING), created_at__lte=cutoff
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        _enqueue(pk)
    return ids


# ------------------------------------------------------------ receipts


def _grid_path(grid_id: int) -> str:
    return Area.objects.filter(pk=grid_id).values_list("path", flat=True).get()


def notice_read(*, actor, notice: Notice) -> bool:
    """The read receipt: a resident opening the notice marks their
    household's delivery read (and reached); a staff member their own.
    True when this call recorded it (a second open changes nothing)."""
    now = timezone.now()
    scope = scope_for(actor)
    if scope.is_staff_scope:
        return bool(
            StaffDelivery.objects.filter(
                notice_id=notice.pk, user_id=actor.pk, read_at__isnull=True
            ).update(read_at=now)
        )
    if not scope.household_id:
        return False
    grid_id = Household.objects.filter(pk=scope.household_id).values_list("grid_id", flat=True)
    grid_id = grid_id.first()
    key = {"notice_id": notice.pk, "grid_id": grid_id, "household_id": scope.household_id}
    with transaction.atomic():
        if not Delivery.objects.filter(**key, read_at__isnull=True).update(read_at=now):
            return False
        reached = Delivery.objects.filter(**key, reached_at__isnull=True).update(
            reached_at=now, reached_via=ReachedVia.READ
        )
        GridProgress.objects.filter(notice_id=notice.pk, grid_path=_grid_path(grid_id)).update(
            read=F("read") + 1, reached=F("reached") + reached
        )
    return True


def delivery_reach(*, actor, notice: Notice, household: Household, via: str) -> bool:
    """The grid worker told the household by phone or at the door. True when
    this call recorded it; reaching a household already reached changes
    nothing (a repeat from the phone's outbox is harmless)."""
    if via not in (ReachedVia.PHONE, ReachedVia.IN_PERSON):
        raise DomainError("bad_via", "请选择触达方式：电话或上门", status=422)
    if not may_reach(scope_for(actor), household.area_path):
        raise PermissionDenied("not_allowed", "您的角色不能登记触达")
    key = {"notice_id": notice.pk, "grid_id": household.grid_id, "household_id": household.pk}
    with transaction.atomic():
        if not Delivery.objects.filter(**key).exists():
            raise DomainError("not_delivered", "该户不在此通知的发送范围内", status=404)
        n = Delivery.objects.filter(**key, reached_at__isnull=True).update(
            reached_at=timezone.now(), reached_via=via, reached_by=actor
        )
        if n:
            GridProgress.objects.filter(
                notice_id=notice.pk, grid_path=_grid_path(household.grid_id)
            ).update(reached=F("reached") + 1)
    return bool(n)
