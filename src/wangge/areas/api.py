"""/api/v1/areas: the actor's areas, one area's detail, children, map
shapes, search, and locating a point."""

from __future__ import annotations

import math

from ninja import Query, Router
from ninja.pagination import PageNumberPagination, paginate

from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

from . import selectors
from .models import Area, GridKind
from .schemas import (
    AreaBrief,
    AreaCounts,
    AreaDetailOut,
    AreaOut,
    ErrorOut,
    FeatureCollection,
    LocateOut,
)

router = Router(tags=["区域"])


def _brief(area: Area) -> AreaBrief:
    return AreaBrief(id=area.id, level=area.level, code=area.code, name=area.name)


def _out(area: Area) -> AreaOut:
    return AreaOut(
        id=area.id,
        parent_id=area.parent_id,
        level=area.level,
        level_label=area.get_level_display(),
        code=area.code,
        name=area.name,
        grid_kind=area.grid_kind,
        dedicated_kind=area.dedicated_kind,
        community_kind=area.community_kind,
    )


@router.get("/", response={200: list[AreaOut], 401: ErrorOut})
def area_tops(request):
    """本人负责的顶层区域（居民：所在网格）。"""
    return [_out(a) for a in selectors.area_tops(actor=request.auth).order_by("path")]


@router.get("/search", response={200: list[AreaOut], 401: ErrorOut, 422: ErrorOut})
def area_search(
    request, q: str = Query(..., min_length=1, max_length=50, description="名称或编码前缀")
):
    """按名称或编码搜索辖区内的区域（最多 50 条）。"""
    return [_out(a) for a in selectors.area_search(actor=request.auth, q=q)]


def _coordinate(value: str | None, name: str, limit: float) -> float:
    label = {"lat": "纬度", "lng": "经度"}[name]
    if value is None or not str(value).strip():
        raise DomainError("bad_coordinates", f"缺少{label}参数 {name}", status=422)
    try:
        number = float(value)
    except ValueError as exc:
        raise DomainError("bad_coordinates", f"{label}必须是数字", status=422) from exc
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise DomainError(
            "bad_coordinates", f"{label}必须在 -{limit:g} 到 {limit:g} 之间", status=422
        )
    return number


@router.get("/locate", response={200: LocateOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def area_locate(
    request,
    lat: str | None = Query(None, description="纬度（WGS-84），-90 到 90"),
    lng: str | None = Query(None, description="经度（WGS-84），-180 到 180"),
):
    """坐标所在的微网格（或网格）及其上级。不受辖区限制，但需要登录。"""
    latitude = _coordinate(lat, "lat", 90)
    longitude = _coordinate(lng, "lng", 180)
    from .locator import locate  # written alongside; imported lazily

    chain = locate(lng=longitude, lat=latitude)
    if not chain:
        raise DomainError("outside", "该位置不在本市网格范围内", status=404)
    return LocateOut(area=_brief(chain[-1]), ancestors=[_brief(a) for a in chain[:-1]])


@router.get("/{area_id}", response={200: AreaDetailOut, 401: ErrorOut, 404: ErrorOut})
def area_detail(request, area_id: int):
    """区域详情：层级、编码、下级/户/人数统计、上级路径。"""
    area = selectors.access_area(actor=request.auth, area_id=area_id)
    staff = scope_for(request.auth).is_staff_scope
    counts = AreaCounts(**selectors.area_counts(area=area)) if staff else None
    return AreaDetailOut(
        **_out(area).dict(),
        grid_kind_label=str(GridKind(area.grid_kind).label) if area.grid_kind else "",
        center_lng=area.center_lng if staff else None,
        center_lat=area.center_lat if staff else None,
        bbox=[area.min_lng, area.min_lat, area.max_lng, area.max_lat]
        if staff and area.min_lng is not None
        else None,
        counts=counts,
        breadcrumb=[_brief(a) for a in selectors.area_breadcrumb(area=area)],
    )


class ChildrenPagination(PageNumberPagination):
    page_size = 100
    max_page_size = 1000


@router.get("/{area_id}/children", response={200: list[AreaOut], 401: ErrorOut, 404: ErrorOut})
@paginate(ChildrenPagination)
def area_children(request, area_id: int):
    """下级区域（分页）。"""
    area = selectors.access_area(actor=request.auth, area_id=area_id)
    return selectors.area_children(actor=request.auth, area=area)


@router.get(
    "/{area_id}/geojson",
    response={200: FeatureCollection, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def area_geojson(
    request,
    area_id: int,
    depth: int = Query(
        1, ge=0, le=selectors.MAX_GEOJSON_DEPTH, description="向下几级（0 只含本区域）"
    ),
):
    """区域及其下级的边界（GeoJSON FeatureCollection），要素多时自动简化。"""
    area = selectors.access_area(actor=request.auth, area_id=area_id)
    features, simplified = selectors.area_features(actor=request.auth, area=area, depth=depth)
    return {"type": "FeatureCollection", "features": features, "simplified": simplified}
