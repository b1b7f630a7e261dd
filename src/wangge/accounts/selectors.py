"""Reads of accounts, scoped by the one scope rule."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from wangge.teams.scope import scope_for

from .models import User
from .services import not_found


def _assigned_in_scope(scope) -> Exists:
    from wangge.teams.models import RoleAssignment

    return Exists(
        RoleAssignment.objects.filter(scope.q("area_path"), user=OuterRef("pk"), is_active=True)
    )


def user_list(*, actor) -> QuerySet[User]:
    """Users an actor may see: staff assigned inside the actor's areas and
    residents registered there. Superusers see everyone."""
    scope = scope_for(actor)
    if scope.unrestricted:
        return User.objects.all()
    if not scope.is_staff_scope:
        return User.objects.filter(pk=actor.pk) if scope.user_id else User.objects.none()
    from wangge.teams.models import RoleAssignment

    from .services import manages_users_anywhere

    q = (
        _assigned_in_scope(scope)
        | Q(scope.q("home_grid__path"), kind=User.Kind.RESIDENT)
        | Q(pk=actor.pk)
    )
    if manages_users_anywhere(actor):
        # New staff without any role yet, so they can be given one.
        unplaced = ~Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), is_active=True))
        q |= Q(unplaced, kind=User.Kind.STAFF, is_superuser=False)
    return User.objects.filter(q)


def access_staff_user(*, actor, user_id: int) -> User:
    """A staff user the actor may give a role to: one already assigned inside
    the actor's areas, or a new one who holds no active role anywhere yet."""
    from wangge.teams.models import RoleAssignment

    scope = scope_for(actor)
    user = User.objects.filter(pk=user_id, kind=User.Kind.STAFF, is_active=True).first()
    if user is None or not scope.is_staff_scope:
        raise not_found()
    if scope.unrestricted:
        return user
    active = RoleAssignment.objects.filter(user=user, is_active=True)
    if active.filter(scope.q("area_path")).exists() or not active.exists():
        return user
    raise not_found()


def pending_residents(*, actor) -> QuerySet[User]:
    """Resident users waiting for a grid worker, in the actor's areas."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return User.objects.none()
    return (
        User.objects.filter(
            scope.q("home_grid__path"),
            kind=User.Kind.RESIDENT,
            resident_status=User.ResidentStatus.PENDING,
            is_active=True,
        )
        .select_related("home_grid")
        .order_by("date_joined", "pk")
    )


def access_resident_user(*, actor, user_id: int) -> User:
    """A resident user registered in the actor's areas (any status)."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        raise not_found()
    user = (
        User.objects.filter(scope.q("home_grid__path"), pk=user_id, kind=User.Kind.RESIDENT)
        .select_related("home_grid")
        .first()
    )
    if user is None:
        raise not_found()
    return user
