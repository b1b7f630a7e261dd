"""Reads of the area tree, through the scope rule.

Staff see the areas under their assignments (and the names of the areas
above them, as a breadcrumb). Residents see their own grid and the areas
above it, names only, nothing else."""

from __future__ import annotations

import json

from django.db.models import Q, QuerySet
from shapely.geometry import shape

from wangge.core.errors import DomainError
from wangge.teams.scope import Scope, scope_for

from .geometry import to_geojson
from .models import Area
from .paths import ancestor_paths, subtree_q

NOT_FOUND_MESSAGE = "未找到，或不在您的管辖范围内"
MAX_GEOJSON_DEPTH = 3
# Above this many features the shapes are simplified for the map.
SIMPLIFY_ABOVE = 200


def _not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND_MESSAGE, status=404)


def _resident_paths(scope: Scope) -> list[str]:
    if not scope.home_grid_path:
        return []
    return [*ancestor_paths(scope.home_grid_path), scope.home_grid_path]


def area_visible(scope: Scope, path: str) -> bool:
    if scope.is_staff_scope:
        return scope.covers(path)
    return bool(scope.home_grid_path) and scope.home_grid_path.startswith(path)


def visible_areas(*, actor) -> QuerySet[Area]:
    scope = scope_for(actor)
    if scope.is_staff_scope:
        return Area.objects.filter(scope.q("path"))
    return Area.objects.filter(path__in=_resident_paths(scope))


def access_area(*, actor, area_id: int) -> Area:
    """The only way an area id from a request becomes an Area."""
    area = Area.objects.filter(pk=area_id).first()
    if area is None or not area_visible(scope_for(actor), area.path):
        raise _not_found()
    return area


def area_tops(*, actor) -> QuerySet[Area]:
    """The actor's top areas: those assigned (superusers: the roots; residents:
    their grid)."""
    scope = scope_for(actor)
    if scope.unrestricted:
        return Area.objects.filter(depth=1, is_active=True)
    if scope.is_staff_scope:
        return Area.objects.filter(path__in=scope.paths)
    if scope.home_grid_path:
        return Area.objects.filter(path=scope.home_grid_path)
    return Area.objects.none()


def area_choices(*, actor, allowed, levels, below: int = 2, limit: int = 300) -> list[Area]:
    """Areas to pick in a form (send a notice, start a survey): the actor's
    top areas where `allowed(path)` holds and up to `below` levels under
    each, of the given levels, in tree order, at most `limit`."""
    out: list[Area] = []
    for top in area_tops(actor=actor):
        if not allowed(top.path):
            continue
        qs = (
            Area.objects.filter(
                subtree_q(top.path), is_active=True, depth__lte=top.depth + below, level__in=levels
            )
            .only("id", "name", "level", "depth", "path")
            .order_by("path")
        )
        out.extend(qs[:limit])
    return out[:limit]


def area_breadcrumb(*, area: Area) -> list[Area]:
    """Ancestors, root first: one query."""
    return list(Area.objects.filter(path__in=ancestor_paths(area.path)).order_by("path"))


def area_counts(*, area: Area) -> dict[str, int]:
    """Children, households and residents under an area: one subtree query each."""
    from wangge.people.models import Household, Resident

    return {
        "children": Area.objects.filter(parent_id=area.pk).count(),
        "households": Household.objects.filter(subtree_q(area.path, "area_path")).count(),
        "residents": Resident.objects.filter(subtree_q(area.path, "area_path")).count(),
    }


def area_children(*, actor, area: Area) -> QuerySet[Area]:
    """Children of a visible area. Residents get none (names of their own
    grid and ancestors only)."""
    scope = scope_for(actor)
    if not scope.is_staff_scope or not scope.covers(area.path):
        raise _not_found()
    return Area.objects.filter(parent_id=area.pk).order_by("path")


def area_search(*, actor, q: str, limit: int = 50) -> list[Area]:
    q = (q or "").strip()
    if not q:
        return []
    match = Q(name__icontains=q)
    if q.isdigit():
        match |= Q(code__startswith=q)
    return list(visible_areas(actor=actor).filter(match).order_by("depth", "path")[:limit])


def area_features(*, actor, area: Area, depth: int = 1) -> tuple[list[dict], bool]:
    """The area and its descendants down to `depth` levels as GeoJSON
    features, simplified when there are many. Residents get their own grid's
    outline only."""
    scope = scope_for(actor)
    if not 0 <= depth <= MAX_GEOJSON_DEPTH:
        raise DomainError("invalid_depth", f"depth 应在 0 到 {MAX_GEOJSON_DEPTH} 之间", status=422)
    if scope.is_staff_scope:
        if not scope.covers(area.path):
            raise _not_found()
        rows = Area.objects.filter(subtree_q(area.path), depth__lte=area.depth + depth)
    elif area.path == scope.home_grid_path:
        rows = Area.objects.filter(pk=area.pk)
    else:
        raise _not_found()
    rows = list(
        rows.order_by("path").values(
            "id",
            "parent_id",
            "name",
            "code",
            "level",
            "grid_kind",
            "boundary",
            "max_lng",
            "min_lng",
            "max_lat",
            "min_lat",
        )
    )
    simplify = len(rows) > SIMPLIFY_ABOVE
    tolerance = 0.0
    if simplify and area.max_lng is not None:
        span = max(area.max_lng - area.min_lng, area.max_lat - area.min_lat)
        # about one pixel of a 1000-pixel-wide map of the whole area
        tolerance = span / 1000
    features = []
    for r in rows:
        geometry = None
        if r["boundary"]:
            geometry = json.loads(r["boundary"])
            if simplify and tolerance:
                simple = shape(geometry).simplify(tolerance, preserve_topology=True)
                geometry = json.loads(to_geojson(simple))
        features.append(
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": geometry,
                "properties": {
                    "id": r["id"],
                    "parent_id": r["parent_id"],
                    "name": r["name"],
                    "code": r["code"],
                    "level": r["level"],
                    "grid_kind": r["grid_kind"],
                },
            }
        )
    return features, simplify
