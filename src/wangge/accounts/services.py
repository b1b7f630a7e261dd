"""Writes to accounts: staff users, resident registration and verification,
API tokens. Every function is keyword-only and runs in a transaction."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wangge.core.crypto import keyed_hash
from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.core.validators import normalize_phone
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for

from .models import ApiToken, User

# Who may check a resident's registration against the resident records.
VERIFIER_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_WORKER, Role.COMMUNITY_CADRE})

NOT_FOUND_MESSAGE = "未找到，或不在您的管辖范围内"


def not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND_MESSAGE, status=404)


def forget_scope(user) -> None:
    """Drop the scope cached on a user object after its grants changed."""
    if hasattr(user, "_wangge_scope"):
        del user._wangge_scope


def _clean_phone(phone: str, field: str = "phone") -> str:
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise DomainError(
            "invalid_phone", exc.messages[0], status=422, details={field: exc.messages}
        ) from exc


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(
            "weak_password",
            "密码不符合要求：" + "；".join(exc.messages),
            status=422,
            details={"password": exc.messages},
        ) from exc


def _login_name_taken(*, username: str = "", phone: str = "", exclude_pk=None) -> str | None:
    """Usernames and phones share one namespace (either one logs in), so a
    new username may not equal anyone's phone and vice versa."""
    # Phones are looked up by their keyed hash (never stored in clear).
    q = Q()
    if username:
        q |= Q(username=username) | Q(phone_hash=keyed_hash(username))
    if phone:
        q |= Q(phone_hash=keyed_hash(phone)) | Q(username=phone)
    qs = User.objects.filter(q)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    row = qs.values("username", "phone_hash").first()
    if row is None:
        return None
    if phone and (row["phone_hash"] == keyed_hash(phone) or row["username"] == phone):
        return "该手机号已被注册"
    return "该用户名已被使用"


def manages_users_anywhere(actor) -> bool:
    scope = scope_for(actor)
    return scope.unrestricted or any(scope.manages_users(g.path) for g in scope.grants)


def _check_actor_manages_someone(actor) -> None:
    if actor is not None and not manages_users_anywhere(actor):
        raise PermissionDenied("forbidden", "您没有管理用户的权限")


def user_create_staff_check(
    *, username: str, name: str, phone: str, password: str, actor=None
) -> tuple[str, str, str]:
    """Every rule of user_create_staff, without writing (admin forms call it
    in clean()). Returns the cleaned username, name and phone."""
    _check_actor_manages_someone(actor)
    username = (username or "").strip()
    name = (name or "").strip()
    if not username:
        raise DomainError("invalid", "用户名不能为空", status=422, details={"username": ["必填"]})
    if not name:
        raise DomainError("invalid", "姓名不能为空", status=422, details={"name": ["必填"]})
    phone = _clean_phone(phone)
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise DomainError("invalid", "用户名只能包含字母、数字和 @/./+/-/_", status=422) from exc
    taken = _login_name_taken(username=username, phone=phone)
    if taken:
        raise Conflict("taken", taken)
    _check_password(password, User(username=username, name=name, phone=phone))
    return username, name, phone


@transaction.atomic
def user_create_staff(*, username: str, name: str, phone: str, password: str, actor=None) -> User:
    """A staff user (may log in to the admin). Roles come separately, through
    teams.services.role_assign."""
    username, name, phone = user_create_staff_check(
        username=username, name=name, phone=phone, password=password, actor=actor
    )
    user = User(username=username, name=name, phone=phone, kind=User.Kind.STAFF, is_staff=True)
    user.set_password(password)
    user.save()
    return user


def _check_manages_user(actor, user: User) -> None:
    """The actor manages users where this user works (or lives); a staff
    user with no role yet may be managed by any user manager."""
    from wangge.teams.models import RoleAssignment

    if actor is None:
        return
    _check_actor_manages_someone(actor)
    scope = scope_for(actor)
    if scope.unrestricted:
        return
    if user.kind == User.Kind.RESIDENT:
        paths = [user.home_grid.path] if user.home_grid_id else []
    else:
        paths = list(
            RoleAssignment.objects.filter(user=user, is_active=True).values_list(
                "area_path", flat=True
            )
        )
        if not paths:
            return
    if not any(scope.covers(p) for p in paths):
        raise not_found()
    if not any(scope.manages_users(p) for p in paths):
        raise PermissionDenied("forbidden", "您没有管理该用户的权限")


def user_update_check(*, actor, user: User, phone: str | None = None) -> str | None:
    _check_manages_user(actor, user)
    if phone is None:
        return None
    phone = _clean_phone(phone)
    taken = _login_name_taken(phone=phone, exclude_pk=user.pk)
    if taken:
        raise Conflict("taken", taken)
    return phone


@transaction.atomic
def user_update(
    *,
    actor,
    user: User,
    name: str | None = None,
    phone: str | None = None,
    is_active: bool | None = None,
) -> User:
    phone = user_update_check(actor=actor, user=user, phone=phone)
    if name is not None:
        if not name.strip():
            raise DomainError("invalid", "姓名不能为空", status=422)
        user.name = name.strip()
    if phone is not None and phone != user.phone:
        user.phone = phone  # encrypted, with a new keyed hash
    if is_active is not None:
        if actor is not None and actor.pk == user.pk and not is_active:
            raise DomainError("invalid", "不能停用自己的账号", status=422)
        user.is_active = is_active
    user.save(update_fields=["name", "phone_enc", "phone_hash", "is_active"])
    return user


@transaction.atomic
def resident_register(*, phone: str, password: str, name: str, grid) -> User:
    """A resident signs up: phone + password, the grid they live in. The
    account stays pending until a grid worker links it to a resident record."""
    from wangge.areas.models import Level

    name = (name or "").strip()
    if not name:
        raise DomainError("invalid", "姓名不能为空", status=422, details={"name": ["必填"]})
    if grid is None or grid.level != Level.GRID or not grid.is_active:
        raise DomainError("invalid_grid", "请选择所在的网格", status=422)
    phone = _clean_phone(phone)
    if not phone.startswith("1") or len(phone) != 11:
        raise DomainError("invalid_phone", "请使用手机号注册", status=422)
    taken = _login_name_taken(username=phone, phone=phone)
    if taken:
        raise Conflict("taken", taken)
    user = User(
        # Not the phone: usernames show in lists, phones are personal data.
        username=f"resident_{secrets.token_hex(5)}",
        phone=phone,
        name=name,
        kind=User.Kind.RESIDENT,
        is_staff=False,
        resident_status=User.ResidentStatus.PENDING,
        home_grid=grid,
    )
    _check_password(password, user)
    user.set_password(password)
    user.save()
    return user


def _check_verifier(actor, user: User) -> None:
    """The pending user must lie in the actor's areas (else 404); the actor
    must hold a verifying role there (else 403)."""
    if user.kind != User.Kind.RESIDENT or user.home_grid_id is None:
        raise not_found()
    scope = scope_for(actor)
    grid_path = user.home_grid.path
    if not scope.covers(grid_path):
        raise not_found()
    if scope.unrestricted:
        return
    if not any(g.role in VERIFIER_ROLES and grid_path.startswith(g.path) for g in scope.grants):
        raise PermissionDenied(
            "forbidden", "只有本网格的网格长、专职网格员或村社区干部可以核实居民身份"
        )


@transaction.atomic
def resident_verify(*, actor, user: User, resident) -> User:
    """Link a pending resident user to their resident record."""
    _check_verifier(actor, user)
    scope = scope_for(actor)
    if not scope.covers(resident.area_path):
        raise not_found()
    if user.resident_status == User.ResidentStatus.VERIFIED:
        raise Conflict("already_verified", "该居民账号已核实")
    linked = User.objects.filter(resident=resident).exclude(pk=user.pk).exists()
    if linked:
        raise Conflict("resident_linked", "该居民档案已绑定其他账号")
    user = User.objects.select_for_update().get(pk=user.pk)
    user.resident = resident
    user.home_grid_id = resident.grid_id
    user.resident_status = User.ResidentStatus.VERIFIED
    user.save(update_fields=["resident", "home_grid", "resident_status"])
    forget_scope(user)
    return user


@transaction.atomic
def resident_reject(*, actor, user: User, reason: str = "") -> User:
    _check_verifier(actor, user)
    if user.resident_status == User.ResidentStatus.VERIFIED:
        raise Conflict("already_verified", "该居民账号已核实，不能驳回")
    user = User.objects.select_for_update().get(pk=user.pk)
    user.resident_status = User.ResidentStatus.REJECTED
    user.resident = None
    user.save(update_fields=["resident_status", "resident"])
    forget_scope(user)
    return user


def token_issue(*, user: User, label: str = "", days: int = 30) -> str:
    """A new bearer token; only its hash is stored, the raw value is
    returned once."""
    if not 1 <= days <= 365:
        raise DomainError("invalid", "令牌有效期应为 1 到 365 天", status=422)
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user,
        key_hash=ApiToken.hash(raw),
        prefix=raw[:8],
        label=(label or "")[:100],
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return raw


def token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
