"""Writes of service teams, service days, activities, sign-up and check-in.

Managing teams, service days and activities needs the `manages_users`
capability on the area (street and community cadres, city admin); checking
people in also the grid team (`edits_base_data`: grid leader and workers).
Every service validates first and writes in one transaction: bad input
raises DomainError (zh-Hans message, machine code) and changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.areas.models import Area, Level
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.core.validators import normalize_phone
from wangge.teams.scope import scope_for

from .models import (
    ActivitySignup,
    CardProfile,
    ServiceActivity,
    ServiceDay,
    ServiceTeam,
    ServiceTeamGrid,
    ServiceTeamMember,
)
from .selectors import colleague, not_found

TEAM_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)
DAY_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
MAX_GRIDS = 500
HOTLINE_RE = re.compile(r"^[0-9][0-9-]{2,19}$")


def invalid(code: str, message: str, field: str | None = None) -> DomainError:
    """422 with the message also under the field it concerns."""
    details = {field: [message]} if field else None
    return DomainError(code, message, status=422, details=details)


_invalid = invalid


def require(actor, path: str, *caps: str, message: str = "您没有管理服务团队的权限") -> None:
    """404 outside the actor's areas, 403 without one of the caps there."""
    scope = scope_for(actor)
    if not scope.is_staff_scope or not scope.covers(path):
        raise not_found()
    if not any(getattr(scope, cap)(path) for cap in caps):
        raise PermissionDenied("forbidden", message)


_require = require


def may_manage(actor, path: str) -> bool:
    try:
        _require(actor, path, "manages_users")
    except DomainError:
        return False
    return True


def may_check_in(actor, path: str) -> bool:
    try:
        _require(actor, path, "manages_users", "edits_base_data")
    except DomainError:
        return False
    return True


def _text(value: str | None, field: str, label: str, max_len: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid("required", f"请填写{label}", field)
    if len(value) > max_len:
        raise _invalid("too_long", f"{label}不能超过 {max_len} 个字", field)
    return value


def _phone(value: str | None, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return normalize_phone(value)
    except ValidationError as exc:
        raise _invalid("invalid_phone", f"{label}：{exc.messages[0]}", field) from exc


# ------------------------------------------------------------------ teams


def team_create(
    *,
    actor,
    area: Area,
    name: str,
    kind: str,
    services: list[str] | None = None,
    promise: str = "",
    phone: str = "",
) -> ServiceTeam:
    _require(actor, area.path, "manages_users")
    if area.level not in TEAM_LEVELS:
        raise _invalid("invalid_level", "服务团队只能建在区县、镇街或村社区一级", "area_id")
    name = _text(name, "name", "团队名称", 100, required=True)
    if kind not in ServiceTeam.Kind.values:
        raise _invalid("invalid_kind", "团队类型应为管理、专业或志愿服务团队", "kind")
    team = ServiceTeam(
        area=area,
        level=area.level,
        area_path=area.path,
        name=name,
        kind=kind,
        services=_services(services or []),
        promise=_text(promise, "promise", "服务承诺", 200, required=False),
        phone=_phone(phone, "phone", "团队电话"),
    )
    return save_unique(team, code="duplicate", message=f"{area.name}已有名为“{name}”的服务团队")


def _services(items: list[str]) -> str:
    cleaned = [s.strip() for s in items if s and s.strip()]
    if len(cleaned) > 30:
        raise _invalid("too_many", "服务内容最多 30 项", "services")
    if any(len(s) > 50 for s in cleaned):
        raise _invalid("too_long", "每项服务内容不能超过 50 个字", "services")
    return "\n".join(dict.fromkeys(cleaned))


def team_update(*, actor, team: ServiceTeam, **fields) -> ServiceTeam:
    _require(actor, team.area_path, "manages_users")
    if "name" in fields:
        team.name = _text(fields["name"], "name", "团队名称", 100, required=True)
    if "services" in fields:
        team.services = _services(fields["services"] or [])
    if "promise" in fields:
        team.promise = _text(fields["promise"], "promise", "服务承诺", 200, required=False)
    if "phone" in fields:
        team.phone = _phone(fields["phone"], "phone", "团队电话")
    if "is_active" in fields:
        team.is_active = bool(fields["is_active"])
    return save_unique(team, code="duplicate", message=f"{team.area.name}已有同名的服务团队")


@transaction.atomic
def team_member_add(
    *,
    actor,
    team: ServiceTeam,
    user_id: int | None = None,
    resident_id: int | None = None,
    name: str = "",
    duty: str = "",
    is_leader: bool = False,
    work_phone: str = "",
) -> ServiceTeamMember:
    """Add a staff user (by account), a resident volunteer (must live in the
    team's area) or an outside professional (name and work phone)."""
    from wangge.people.models import Resident

    _require(actor, team.area_path, "manages_users")
    if user_id is not None and resident_id is not None:
        raise _invalid("invalid_member", "成员只能是工作人员、居民或外部专业人员之一", "user_id")
    duty = _text(duty, "duty", "职责", 50, required=False)
    member = ServiceTeamMember(team=team, duty=duty, is_leader=is_leader, area_path=team.area_path)
    if user_id is not None:
        user = colleague(actor=actor, user_id=user_id)
        if user is None:
            raise _invalid("invalid_user", "未找到该工作人员账号", "user_id")
        member.user, member.name = user, user.name or user.username
    elif resident_id is not None:
        from wangge.areas.paths import subtree_q

        resident = Resident.objects.filter(
            subtree_q(team.area_path, "area_path"), pk=resident_id
        ).first()
        if resident is None:
            raise _invalid("invalid_resident", "该居民不在本团队所属区域内", "resident_id")
        member.resident, member.name = resident, resident.name
    else:
        member.name = _text(name, "name", "姓名", 50, required=True)
        member.work_phone = _phone(work_phone, "work_phone", "工作电话")
        if not member.work_phone:
            raise _invalid("required", "外部专业人员请填写工作电话", "work_phone")
    save_unique(member, code="duplicate_member", message=f"{member.name}已是该团队成员")
    _touch(team)
    return member


def team_member_remove(*, actor, team: ServiceTeam, member_id: int) -> None:
    _require(actor, team.area_path, "manages_users")
    with transaction.atomic():
        deleted, _ = ServiceTeamMember.objects.filter(team=team, pk=member_id).delete()
        if not deleted:
            raise not_found()
        _touch(team)


@transaction.atomic
def team_grids_set(*, actor, team: ServiceTeam, grid_ids: list[int]) -> list[Area]:
    """Replace the grids the team serves: every one must be a grid under the
    team's area and inside the actor's areas."""
    _require(actor, team.area_path, "manages_users")
    ids = list(dict.fromkeys(grid_ids))
    if len(ids) > MAX_GRIDS:
        raise _invalid("too_many", f"一个团队最多联系 {MAX_GRIDS} 个网格", "grid_ids")
    grids = list(Area.objects.filter(pk__in=ids))
    by_id = {g.pk: g for g in grids}
    scope = scope_for(actor)
    for gid in ids:
        g = by_id.get(gid)
        if g is None or not scope.covers(g.path):
            raise not_found()
        if g.level != Level.GRID:
            raise _invalid("not_a_grid", f"{g.name}不是网格", "grid_ids")
        if not g.path.startswith(team.area_path):
            raise _invalid("outside_team_area", f"{g.name}不在{team.area.name}范围内", "grid_ids")
    ServiceTeamGrid.objects.filter(team=team).exclude(grid_id__in=ids).delete()
    have = set(ServiceTeamGrid.objects.filter(team=team).values_list("grid_id", flat=True))
    ServiceTeamGrid.objects.bulk_create(
        [
            ServiceTeamGrid(team=team, grid=by_id[g], area_path=by_id[g].path)
            for g in ids
            if g not in have
        ]
    )
    _touch(team)
    return sorted(grids, key=lambda g: g.path)


def save_unique(obj, *, code: str, message: str):
    """Save; a unique constraint that fails becomes a 409 with `message`."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise Conflict(code, message) from exc
    return obj


def _touch(team: ServiceTeam) -> None:
    ServiceTeam.objects.filter(pk=team.pk).update(updated_at=timezone.now())


# ------------------------------------------------------------ service days


@transaction.atomic
def service_day_set(*, actor, area: Area, date: dt.date, theme: str) -> ServiceDay:
    """Set (or move, or retheme) the month's service day of an area."""
    _require(actor, area.path, "manages_users")
    if area.level not in DAY_LEVELS:
        raise _invalid("invalid_level", "服务日只能设在区县、镇街、村社区或网格", "area_id")
    theme = _text(theme, "theme", "服务日主题", 100, required=True)
    month = date.replace(day=1)
    day = ServiceDay.objects.select_for_update().filter(area=area, month=month).first()
    if day is None:
        day = ServiceDay(area=area, area_path=area.path, month=month, created_by=actor)
    day.date, day.theme = date, theme
    day.save()
    return day


# -------------------------------------------------------------- activities


def activity_create(
    *,
    actor,
    team: ServiceTeam,
    area: Area,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    capacity: int = 0,
    service_day: ServiceDay | None = None,
) -> ServiceActivity:
    """An activity of `team` in `area` (the team's area or below it, or a
    grid the team serves), optionally on a service day of an area covering it."""
    _require(actor, area.path, "manages_users")
    title = _text(title, "title", "活动名称", 100, required=True)
    place = _text(place, "place", "地点", 200, required=False)
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise _invalid("invalid_time", "时间须带时区", "starts_at")
    if ends_at <= starts_at:
        raise _invalid("invalid_time", "结束时间须晚于开始时间", "ends_at")
    if ends_at - starts_at > dt.timedelta(hours=24):
        raise _invalid("invalid_time", "单次活动不能超过 24 小时", "ends_at")
    if capacity < 0 or capacity > 100000:
        raise _invalid("invalid_capacity", "名额应在 0（不限）到 100000 之间", "capacity")
    serves = team.grid_links.filter(
        grid__path__in=[area.path[:i] for i in range(5, len(area.path) + 1, 5)]
    )
    if not area.path.startswith(team.area_path) and not serves.exists():
        raise _invalid("outside_team_area", f"{area.name}不在{team.name}的服务范围内", "area_id")
    if not team.is_active:
        raise _invalid("team_inactive", f"{team.name}已停用", "team_id")
    if service_day is not None:
        local = timezone.localtime(starts_at).date()
        if not area.path.startswith(service_day.area_path):
            raise _invalid("service_day_area", "活动区域不在该服务日的区域内", "service_day_id")
        if local != service_day.date:
            raise _invalid(
                "service_day_date",
                f"活动日期与服务日（{service_day.date:%Y-%m-%d}）不一致",
                "starts_at",
            )
    activity = ServiceActivity(
        team=team,
        area=area,
        area_path=area.path,
        title=title,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        service_day=service_day,
        created_by=actor,
    )
    with transaction.atomic():
        activity.save()
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity: ServiceActivity) -> ServiceActivity:
    _require(actor, activity.area_path, "manages_users")
    if activity.signups.filter(status=ActivitySignup.Status.ATTENDED).exists():
        raise Conflict("has_attendance", "已有人签到的活动不能取消")
    activity.status = ServiceActivity.Status.CANCELLED
    activity.save(update_fields=["status"])
    return activity


@transaction.atomic
def activity_signup(
    *, actor, activity: ServiceActivity, now: dt.datetime | None = None
) -> ActivitySignup:
    """The actor signs up (staff or a resident who sees the activity)."""
    now = now or timezone.now()
    locked = ServiceActivity.objects.select_for_update().get(pk=activity.pk)
    if locked.status != ServiceActivity.Status.OPEN:
        raise Conflict("activity_closed", "活动已取消，不能报名")
    if now >= locked.ends_at:
        raise Conflict("activity_over", "活动已结束，不能报名")
    existing = ActivitySignup.objects.filter(activity=locked, user=actor).first()
    if existing is not None and existing.status != ActivitySignup.Status.CANCELLED:
        raise Conflict("already_signed", "您已报名该活动")
    if locked.capacity:
        taken = locked.signups.exclude(status=ActivitySignup.Status.CANCELLED).count()
        if taken >= locked.capacity:
            raise Conflict("activity_full", "名额已满")
    name = getattr(actor, "name", "") or actor.get_username()
    if existing is not None:
        existing.status = ActivitySignup.Status.SIGNED
        existing.save(update_fields=["status"])
        return existing
    return ActivitySignup.objects.create(
        activity=locked, user=actor, name=name, area_path=locked.area_path
    )


@transaction.atomic
def activity_signup_cancel(*, actor, activity: ServiceActivity) -> None:
    signup = (
        ActivitySignup.objects.select_for_update()
        .filter(activity=activity, user=actor, status=ActivitySignup.Status.SIGNED)
        .first()
    )
    if signup is None:
        raise not_found()
    signup.status = ActivitySignup.Status.CANCELLED
    signup.save(update_fields=["status"])


def _hours(value, activity: ServiceActivity) -> Decimal:
    duration = Decimal((activity.ends_at - activity.starts_at).total_seconds()) / 3600
    if value is None or value == "":
        hours = duration
    else:
        try:
            hours = Decimal(str(value))
        except (InvalidOperation, ValueError) as exc:
            raise _invalid("invalid_hours", "服务时长应为数字", "hours") from exc
        if not hours.is_finite() or hours <= 0:
            raise _invalid("invalid_hours", "服务时长须大于 0", "hours")
        if hours > duration:
            raise _invalid(
                "invalid_hours",
                f"服务时长不能超过活动时长（{duration.quantize(Decimal('0.1'))} 小时）",
                "hours",
            )
    return hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@transaction.atomic
def activity_check_in(
    *, actor, activity: ServiceActivity, signup_id: int, hours=None, now: dt.datetime | None = None
) -> ActivitySignup:
    """签到: the organizer (or the grid team) marks a signed-up person as
    attended and credits hours (default: the activity's duration)."""
    _require(actor, activity.area_path, "manages_users", "edits_base_data")
    now = now or timezone.now()
    signup = (
        ActivitySignup.objects.select_for_update().filter(activity=activity, pk=signup_id).first()
    )
    if signup is None or signup.status == ActivitySignup.Status.CANCELLED:
        raise not_found()
    if activity.status != ServiceActivity.Status.OPEN:
        raise Conflict("activity_closed", "活动已取消，不能签到")
    if now < activity.starts_at - dt.timedelta(hours=2):
        raise Conflict("too_early", "活动开始前 2 小时内才能签到")
    if now > activity.ends_at + dt.timedelta(days=7):
        raise Conflict("too_late", "活动结束已超过 7 天，不能补签")
    signup.hours = _hours(hours, activity)
    signup.status = ActivitySignup.Status.ATTENDED
    signup.checked_in_at = now
    signup.checked_in_by = actor
    signup.save(update_fields=["hours", "status", "checked_in_at", "checked_in_by"])
    return signup


# --------------------------------------------------------------- card profile


def card_profile_set(*, actor, area: Area, promises: list[str], hotline: str) -> CardProfile:
    _require(actor, area.path, "manages_users")
    lines = [p.strip() for p in promises if p and p.strip()]
    if len(lines) > 6 or any(len(p) > 40 for p in lines):
        raise _invalid("too_long", "服务承诺最多 6 条，每条不超过 40 个字", "promises")
    hotline = (hotline or "").strip()
    if hotline and not HOTLINE_RE.match(hotline):
        raise _invalid("invalid_hotline", "监督电话应为数字（可含连字符），3 到 20 位", "hotline")
    with transaction.atomic():
        profile, _ = CardProfile.objects.select_for_update().get_or_create(
            area=area, defaults={"area_path": area.path}
        )
        profile.promises = "\n".join(lines)
        profile.hotline = hotline
        profile.save()
    return profile
