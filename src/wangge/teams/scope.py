"""The one scope rule: a staff user sees only what lies under the areas
assigned to them; a resident sees their own household and their grid's
public data. Every selector, API route and admin list goes through here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr

from wangge.areas.paths import STEP, subtree_q
from wangge.ops.partitioning import TABLES as PARTITIONED_TABLES

from .roles import ROLE_CAPS


@dataclass(frozen=True)
class Grant:
    role: str
    path: str
    area_id: int
    department_id: int | None = None
    # The district the granted area lies in (its path determines it); None
    # for a grant above district level (the city).
    district_id: int | None = None


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    grants: tuple[Grant, ...] = ()
    unrestricted: bool = False
    # Residents
    household_id: int | None = None
    home_grid_path: str | None = None
    paths: tuple[str, ...] = field(default=())
    # The large tables are partitioned by district (`wangge partition`):
    # reads of them carry the grants' districts (`district_q`).
    partitioned: bool = False

    @property
    def is_staff_scope(self) -> bool:
        return self.unrestricted or bool(self.grants)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    @property
    def district_ids(self) -> tuple[int, ...] | None:
        """The districts of the grants; None (no narrowing) when a grant lies
        above district level, the scope is unrestricted, or the tables are
        not partitioned."""
        ids = {g.district_id for g in self.grants}
        if self.unrestricted or not self.partitioned or not ids or None in ids:
            return None
        return tuple(sorted(ids))

    def district_q(self, field: str = "district_id") -> Q:
        """`field` among the grants' districts, so that PostgreSQL prunes the
        tables partitioned by district (docs/scale.md) to those districts.
        Implied by the path ranges (a row under a grant lies in the grant's
        district): it never changes a result. Not partitioned, it is left
        out: beside the ranges it would cost the index-only scans of
        `area_path` their heap-free reads."""
        ids = self.district_ids
        return Q() if ids is None else Q(**{f"{field}__in": ids})

    def q(self, field: str = "area_path", district: str | None = None) -> Q:
        """Rows whose `field` path lies under an assigned area; with
        `district` (the row's district column) narrowed by `district_q` too."""
        if self.unrestricted:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        q = Q()
        for p in self.paths:
            q |= subtree_q(p, field)
        return q & self.district_q(district) if district else q

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
        from wangge.areas.models import LEVEL_DEPTH, Area, Level

        from .models import RoleAssignment

        district = Area.objects.filter(
            path=Substr(OuterRef("area__path"), 1, LEVEL_DEPTH[Level.DISTRICT] * STEP),
            level=Level.DISTRICT,
        ).values("pk")[:1]
        rows = list(
            RoleAssignment.objects.filter(user=user, is_active=True, area__is_active=True)
            .annotate(grant_district=Subquery(district), partitioned=_partitioned())
            .values_list(
                "role", "area__path", "area_id", "department_id", "grant_district", "partitioned"
            )
        )
        grants = tuple(
            Grant(role=r, path=p, area_id=a, department_id=d, district_id=k)
            for r, p, a, d, k, _ in rows
        )
        scope = Scope(
            user_id=user.pk,
            grants=grants,
            paths=_minimal([g.path for g in grants]),
            partitioned=any(row[-1] for row in rows),
        )
    user._wangge_scope = scope
    return scope


def _partitioned():
    """Whether the large tables are partitioned by district here (`wangge
    partition`), read in the grants' query: PostgreSQL's catalog."""
    if connection.vendor != "postgresql":
        return Value(False, output_field=BooleanField())
    tables = ", ".join(f"to_regclass('{t}')" for t in PARTITIONED_TABLES)
    return RawSQL(  # noqa: S611 (constants only, no input)
        f"EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid IN ({tables}))",
        (),
        output_field=BooleanField(),
    )


def district_field(model, field: str = "area_path") -> str | None:
    """`district_id` beside the model's own `area_path` on the tables that
    `wangge partition` partitions by district (cases, case events,
    deliveries, visits, points ledger); None elsewhere."""
    if field == "area_path" and model._meta.db_table in PARTITIONED_TABLES:
        return "district_id"
    return None


def scoped(qs: QuerySet, user, field: str = "area_path") -> QuerySet:
    """Filter a queryset of placed rows (people, cases, …) to the actor's scope.

    Residents see only rows of their own household: the model's
    `resident_scope_field` names the household column (or None: nothing)."""
    scope = scope_for(user)
    if scope.is_staff_scope:
        return qs.filter(scope.q(field, district_field(qs.model, field)))
    hh_field = getattr(qs.model, "RESIDENT_SCOPE_FIELD", None)
    if scope.household_id and hh_field:
        return qs.filter(**{hh_field: scope.household_id})
    return qs.none()
