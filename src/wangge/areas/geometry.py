"""GeoJSON in and out of Area rows."""

from __future__ import annotations

import json

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from wangge.core.errors import DomainError


def to_geojson(geom: BaseGeometry, precision: int = 6) -> str:
    def rnd(obj):
        if isinstance(obj, float):
            return round(obj, precision)
        if isinstance(obj, (list, tuple)):
            return [rnd(x) for x in obj]
        return obj

    m = mapping(geom)
    return json.dumps(
        {"type": m["type"], "coordinates": rnd(m["coordinates"])}, separators=(",", ":")
    )


def parse_boundary(text: str) -> BaseGeometry:
    try:
        data = json.loads(text)
        if data.get("type") == "Feature":
            data = data["geometry"]
        geom = shape(data)
    except Exception as exc:
        raise DomainError("bad_boundary", "边界不是有效的 GeoJSON 多边形") from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise DomainError("bad_boundary", "边界必须是 Polygon 或 MultiPolygon")
    return geom


def apply_boundary(area, boundary: str | BaseGeometry) -> None:
    """Set boundary text, bounding box and center on an (unsaved) Area."""
    geom = parse_boundary(boundary) if isinstance(boundary, str) else boundary
    area.boundary = boundary if isinstance(boundary, str) else to_geojson(geom)
    area.min_lng, area.min_lat, area.max_lng, area.max_lat = geom.bounds
    c = geom.representative_point()
    area.center_lng, area.center_lat = round(c.x, 6), round(c.y, 6)
