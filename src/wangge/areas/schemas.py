"""API shapes of areas (and the error body every route may return)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    code: str = Field(description="机器可读的错误码")
    message: str = Field(description="中文错误说明")
    errors: Any | None = Field(default=None, description="逐字段/逐行的错误详情")


class AreaBrief(Schema):
    id: int
    level: str
    code: str
    name: str


class AreaOut(Schema):
    id: int
    parent_id: int | None
    level: str
    level_label: str
    code: str
    name: str
    grid_kind: str = ""
    dedicated_kind: str = ""
    community_kind: str = ""

    @staticmethod
    def resolve_level_label(obj) -> str:
        if isinstance(obj, dict):
            return obj["level_label"]
        if hasattr(obj, "get_level_display"):
            return str(obj.get_level_display())
        return obj.level_label


class AreaCounts(Schema):
    children: int
    households: int
    residents: int


class AreaDetailOut(AreaOut):
    grid_kind_label: str = ""
    center_lng: float | None = None
    center_lat: float | None = None
    bbox: list[float] | None = Field(
        default=None, description="[min_lng, min_lat, max_lng, max_lat]"
    )
    counts: AreaCounts | None = Field(default=None, description="居民用户看不到统计数字（为空）")
    breadcrumb: list[AreaBrief] = Field(description="从市到上级的祖先区域")


class FeatureProperties(Schema):
    id: int
    parent_id: int | None
    name: str
    code: str
    level: str
    grid_kind: str = ""


class Feature(Schema):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict[str, Any] | None
    properties: FeatureProperties


class FeatureCollection(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
    simplified: bool = Field(default=False, description="要素较多时边界已简化")


class LocateOut(Schema):
    area: AreaBrief = Field(description="坐标所在的微网格（无微网格时为网格）")
    ancestors: list[AreaBrief] = Field(description="从市到上级")
