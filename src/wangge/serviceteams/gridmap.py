"""网格示意图: what the published map of one grid shows — its boundary,
micro-grids, buildings, service points (agencies and social organizations:
党群服务站, 社区服务中心 …) and facilities (schools, clinics, markets …).
No personal data: names and places only (no contact phones)."""

from __future__ import annotations

import json

from wangge.areas.models import Area, Level
from wangge.people.models import Building, Organization

SERVICE_POINT_KINDS = (Organization.Kind.AGENCY, Organization.Kind.SOCIAL)
FACILITY_KINDS = (Organization.Kind.SCHOOL, Organization.Kind.HOSPITAL, Organization.Kind.MARKET)
MAX_BUILDINGS = 2000


def _geometry(boundary: str):
    if not boundary:
        return None
    try:
        return json.loads(boundary)
    except ValueError:
        return None


def grid_map_data(*, grid: Area) -> dict:
    """The caller has checked access to the grid (teams.selectors.access_grid)."""
    micro = [
        {
            "type": "Feature",
            "geometry": g,
            "properties": {"id": a.pk, "name": a.name, "code": a.code},
        }
        for a in Area.objects.filter(parent=grid, level=Level.MICRO_GRID, is_active=True).order_by(
            "path"
        )
        if (g := _geometry(a.boundary)) is not None
    ]
    buildings = [
        {
            "name": b.name,
            "address": b.address,
            "kind": b.get_kind_display(),
            "lng": b.lng,
            "lat": b.lat,
        }
        for b in Building.objects.filter(grid=grid).order_by("code")[:MAX_BUILDINGS]
    ]
    orgs = list(
        Organization.objects.filter(grid=grid, kind__in=[*SERVICE_POINT_KINDS, *FACILITY_KINDS])
        .order_by("kind", "name")
        .values("name", "kind", "address", "lng", "lat")
    )
    labels = dict(Organization.Kind.choices)
    for o in orgs:
        o["kind_label"] = str(labels[o["kind"]])
    return {
        "grid": {
            "type": "Feature",
            "geometry": _geometry(grid.boundary),
            "properties": {"id": grid.pk, "name": grid.name, "code": grid.code},
        },
        "micro_grids": {"type": "FeatureCollection", "features": micro},
        "buildings": buildings,
        "service_points": [o for o in orgs if o["kind"] in SERVICE_POINT_KINDS],
        "facilities": [o for o in orgs if o["kind"] in FACILITY_KINDS],
    }
