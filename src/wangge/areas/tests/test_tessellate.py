import json

import pytest
import shapely
from shapely.geometry import Polygon, box, shape

from wangge.areas.divisions import _geocn_features
from wangge.areas.geometry import to_geojson
from wangge.areas.tessellate import GRID_SIZE, snap, tessellate

# An L-shaped parent (concave) and a real county polygon with islands.
L_SHAPE = Polygon(
    [(120, 30), (120.2, 30), (120.2, 30.05), (120.05, 30.05), (120.05, 30.2), (120, 30.2)]
)


def real_district():
    return shape(_geocn_features("district")["330482"])  # 平湖市, a MultiPolygon


def stored(geom):
    """The geometry as it comes back from the database (6-decimal GeoJSON)."""
    return shape(json.loads(to_geojson(geom)))


def assert_tiles(parent, pieces, n):
    """Tiling, up to the 1e-6 degree (~0.1 m) storage grid along the edges:
    snapping a clipped edge moves it by at most one grid cell."""
    parent = stored(snap(parent))
    assert len(pieces) == n
    pieces = [stored(p) for p in pieces]
    assert all(p.geom_type in ("Polygon", "MultiPolygon") for p in pieces)
    assert all(p.is_valid and not p.is_empty and p.area > 0 for p in pieces)
    # Each piece inside the parent.
    for p in pieces:
        assert p.difference(parent).area <= p.length * GRID_SIZE
    # Pairwise overlaps have (about) zero area.
    tree = shapely.STRtree(pieces)
    for i, j in zip(*tree.query(pieces, predicate="intersects"), strict=True):
        if i < j:
            assert pieces[i].intersection(pieces[j]).area <= pieces[i].length * GRID_SIZE
    # Together they cover the parent.
    union = shapely.union_all(pieces)
    assert union.symmetric_difference(parent).area <= parent.length * GRID_SIZE
    assert abs(sum(p.area for p in pieces) - parent.area) <= parent.length * GRID_SIZE


@pytest.mark.parametrize("n", [2, 7, 40])
def test_pieces_tile_a_concave_parent(n):
    assert_tiles(L_SHAPE, tessellate(L_SHAPE, n, seed=3), n)


def test_pieces_tile_a_real_multipolygon():
    parent = real_district()
    assert parent.geom_type == "MultiPolygon"
    assert_tiles(parent, tessellate(parent, 25, seed="330482"), 25)


def test_same_seed_same_pieces_other_seed_other_pieces():
    a = [p.wkb for p in tessellate(L_SHAPE, 12, seed=1)]
    b = [p.wkb for p in tessellate(L_SHAPE, 12, seed=1)]
    c = [p.wkb for p in tessellate(L_SHAPE, 12, seed=2)]
    assert a == b
    assert a != c


def test_one_piece_is_the_parent():
    pieces = tessellate(box(120, 30, 120.01, 30.01), 1, seed=9)
    assert len(pieces) == 1
    assert pieces[0].equals(snap(box(120, 30, 120.01, 30.01)))


def test_storing_with_six_decimals_keeps_pieces_inside():
    parent = snap(real_district())
    for piece in tessellate(parent, 30, seed=5):
        stored = shape(json.loads(to_geojson(piece)))
        assert stored.is_valid
        assert stored.difference(parent).area <= piece.length * GRID_SIZE
        assert abs(stored.area - piece.area) < 1e-9 * parent.area


def test_nested_pieces_stay_inside_their_grandparent():
    parent = box(120.70, 30.70, 120.75, 30.74)
    for i, mid in enumerate(tessellate(parent, 4, seed=1)):
        kids = tessellate(mid, 20, seed=i)
        assert_tiles(mid, kids, 20)
        assert all(k.difference(parent).area <= k.length * GRID_SIZE for k in kids)


def test_rejects_nonsense():
    with pytest.raises(ValueError):
        tessellate(L_SHAPE, 0, seed=1)
    with pytest.raises(ValueError):
        tessellate(Polygon(), 3, seed=1)
