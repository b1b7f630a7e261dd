"""The one scope rule: a staff user sees only what lies under the areas
assigned to them; a resident sees their own household and their grid's
public data. Every selector, API route and admin list goes through here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from wangge.areas.paths import subtree_q

from .roles import ROLE_CAPS


@dataclass(frozen=True)
class Grant:
    role: str
    path: str
    area_id: int
    department_id: int | None = None


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    grants: tuple[Grant, ...] = ()
    unrestricted: bool = False
    # Residents
    household_id: int | None = None
    home_grid_path: str | None = None
    paths: tuple[str, ...] = field(default=())

    @property
    def is_staff_scope(self) -> bool:
        return self.unrestricted or bool(self.grants)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def q(self, field: str = "area_path") -> Q:
        """Rows whose `field` path lies under an assigned area."""
        if self.unrestricted:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        q = Q()
        for p in self.paths:
            q |= subtree_q(p, field)
        return q

    def covers(self, path: str) -> bool:
        return self.unrestricted or any(path.startswith(p) for p in self.paths)

    def _cap(self, path: str, cap: str) -> bool:
        if self.unrestricted:
            return True
        return any(getattr(ROLE_CAPS[g.role], cap) and path.startswith(g.path) for g in self.grants)

    def may_unmask(self, path: str) -> bool:
        return self._cap(path, "may_unmask")

    def sees_care(self, path: str) -> bool:
        return self._cap(path, "sees_care")

    def edits_base_data(self, path: str) -> bool:
        return self._cap(path, "edits_base_data")

    def imports(self, path: str) -> bool:
        return self._cap(path, "imports")

    def manages_users(self, path: str) -> bool:
        return self._cap(path, "manages_users")


def _minimal(paths: list[str]) -> tuple[str, ...]:
    """Drop paths that lie under another assigned path."""
    out: list[str] = []
    for p in sorted(set(paths)):
        if not any(p.startswith(o) for o in out):
            out.append(p)
    return tuple(out)


def scope_for(user) -> Scope:
    """The scope of a user, computed once per user object (per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(user_id=None)
    cached = getattr(user, "_wangge_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(user_id=user.pk, unrestricted=True)
    elif user.kind == "resident":
        household_id = None
        grid_path = None
        if user.resident_id and user.resident_status == "verified":
            from wangge.people.models import Resident

            row = (
                Resident.objects.filter(pk=user.resident_id)
                .values("household_id", "grid__path")
                .first()
            )
            if row:
                household_id, grid_path = row["household_id"], row["grid__path"]
        if grid_path is None and user.home_grid_id:
            grid_path = user.home_grid.path
        scope = Scope(user_id=user.pk, household_id=household_id, home_grid_path=grid_path)
    else:
        from .models import RoleAssignment

        grants = tuple(
            Grant(role=r, path=p, area_id=a, department_id=d)
            for r, p, a, d in RoleAssignment.objects.filter(
                user=user, is_active=True, area__is_active=True
            ).values_list("role", "area__path", "area_id", "department_id")
        )
        scope = Scope(user_id=user.pk, grants=grants, paths=_minimal([g.path for g in grants]))
    user._wangge_scope = scope
    return scope


def scoped(qs: QuerySet, user, field: str = "area_path") -> QuerySet:
    """Filter a queryset of placed rows (people, cases, …) to the actor's scope.

    Residents see only rows of their own household: the model's
    `resident_scope_field` names the household column (or None: nothing)."""
    scope = scope_for(user)
    if scope.is_staff_scope:
        return qs.filter(scope.q(field))
    hh_field = getattr(qs.model, "RESIDENT_SCOPE_FIELD", None)
    if scope.household_id and hh_field:
        return qs.filter(**{hh_field: scope.household_id})
    return qs.none()
