"""A small, fully shaped area tree for tests: two districts with rectangles
for boundaries, so locating a point has a known answer.

    city 330400 (120.0–121.0, 30.0–31.0)
      district A 330402 (west half)       district B 330411 (east half)
        street A1 330402001                 street B1 330411001
          community A1a (rural)               community B1a
            grid A1a-1 basic                    grid B1a-1 basic
              mg A1a-1-1, mg A1a-1-2              mg B1a-1-1
            grid A1a-2 dedicated (school)
          community A1b
            grid A1b-1 basic
              mg A1b-1-1
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import box

from wangge.areas.geometry import to_geojson
from wangge.areas.models import Area, Level
from wangge.areas.services import area_create


def _strips(bounds, n):
    x0, y0, x1, y1 = bounds
    w = (x1 - x0) / n
    return [(x0 + i * w, y0, x0 + (i + 1) * w, y1) for i in range(n)]


def _rows(bounds, n):
    x0, y0, x1, y1 = bounds
    h = (y1 - y0) / n
    return [(x0, y0 + i * h, x1, y0 + (i + 1) * h) for i in range(n)]


@dataclass
class Tree:
    city: Area
    district_a: Area
    district_b: Area
    street_a1: Area
    street_b1: Area
    community_a1a: Area
    community_a1b: Area
    community_b1a: Area
    grid_a1a_1: Area
    grid_a1a_2: Area
    grid_a1b_1: Area
    grid_b1a_1: Area
    mg_a1a_1_1: Area
    mg_a1a_1_2: Area
    mg_a1b_1_1: Area
    mg_b1a_1_1: Area


def build_tree() -> Tree:
    def mk(level, code, name, parent, bounds, **kw):
        return area_create(
            level=level,
            code=code,
            name=name,
            parent=parent,
            boundary=to_geojson(box(*bounds)),
            **kw,
        )

    city_b = (120.0, 30.0, 121.0, 31.0)
    da_b, db_b = _strips(city_b, 2)
    city = mk(Level.CITY, "330400000000", "嘉兴市", None, city_b)
    da = mk(Level.DISTRICT, "330402000000", "南湖区", city, da_b)
    db = mk(Level.DISTRICT, "330411000000", "秀洲区", city, db_b)
    sa1 = mk(Level.STREET, "330402001000", "解放街道", da, da_b)
    sb1 = mk(Level.STREET, "330411001000", "新城街道", db, db_b)
    ca_b, cb_b = _strips(da_b, 2)
    ca = mk(Level.COMMUNITY, "330402001001", "芦席汇社区", sa1, ca_b, community_kind="urban")
    cb = mk(Level.COMMUNITY, "330402001002", "新塍村", sa1, cb_b, community_kind="rural")
    cba = mk(Level.COMMUNITY, "330411001001", "新城社区", sb1, db_b, community_kind="urban")
    g1_b, g2_b = _rows(ca_b, 2)
    g1 = mk(Level.GRID, "330402001001001", "芦席汇社区第一网格", ca, g1_b, grid_kind="basic")
    g2 = mk(
        Level.GRID,
        "330402001001002",
        "嘉兴一中专属网格",
        ca,
        g2_b,
        grid_kind="dedicated",
        dedicated_kind="school",
    )
    gb1 = mk(Level.GRID, "330402001002001", "新塍村第一网格", cb, cb_b, grid_kind="basic")
    gba = mk(Level.GRID, "330411001001001", "新城社区第一网格", cba, db_b, grid_kind="basic")
    m1_b, m2_b = _strips(g1_b, 2)
    m1 = mk(Level.MICRO_GRID, "330402001001001001", "1号微网格", g1, m1_b)
    m2 = mk(Level.MICRO_GRID, "330402001001001002", "2号微网格", g1, m2_b)
    m3 = mk(Level.MICRO_GRID, "330402001002001001", "1号微网格", gb1, cb_b)
    m4 = mk(Level.MICRO_GRID, "330411001001001001", "1号微网格", gba, db_b)
    return Tree(city, da, db, sa1, sb1, ca, cb, cba, g1, g2, gb1, gba, m1, m2, m3, m4)
