"""Split a polygon into n pieces that tile it, deterministically for a seed.

Used for every generated boundary below the real county polygons: streets
inside districts, communities inside streets, grids inside communities,
micro-grids inside grids. Seeded random points inside the parent (rejection
sampling), a Lloyd relaxation step or two for rounder cells, then Voronoi
cells clipped to the parent. Pure: no database, no global random state.

Coordinates are snapped to a 1e-6 degree grid (about 0.1 m), the precision
the boundaries are stored with, so storing them does not move an edge; the
parent is snapped the same way first, so shared edges stay shared.
"""

from __future__ import annotations

import random

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

GRID_SIZE = 1e-6  # degrees; matches the 6 decimals of stored GeoJSON


def polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """The polygonal part of a geometry (drops points/lines left by clipping)."""
    if geom.is_empty:
        return MultiPolygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        p = polygonal(part)
        if p.is_empty:
            continue
        parts.extend(p.geoms if p.geom_type == "MultiPolygon" else [p])
    if not parts:
        return MultiPolygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def snap(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """Valid, polygonal, on the 1e-6 grid."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return polygonal(shapely.set_precision(geom, GRID_SIZE))


def sample_points(
    parent: BaseGeometry, n: int, rng: random.Random, *, batch: int | None = None
) -> np.ndarray:
    """n distinct points strictly inside `parent` (rejection sampling in its box)."""
    x0, y0, x1, y1 = parent.bounds
    shapely.prepare(parent)
    found: list[tuple[float, float]] = []
    seen: set[tuple[float, float]] = set()
    tries = 0
    while len(found) < n:
        tries += 1
        if tries > 10_000:
            raise ValueError("could not place points inside the polygon")
        k = batch or max(16, 2 * (n - len(found)))
        xs = np.array([x0 + (x1 - x0) * rng.random() for _ in range(k)])
        ys = np.array([y0 + (y1 - y0) * rng.random() for _ in range(k)])
        inside = shapely.contains_xy(parent, xs, ys)
        for x, y, ok in zip(xs.tolist(), ys.tolist(), inside.tolist(), strict=True):
            if ok and (x, y) not in seen:
                seen.add((x, y))
                found.append((x, y))
                if len(found) == n:
                    break
    return np.array(found)


def _cells(points: np.ndarray, parent: BaseGeometry) -> np.ndarray:
    """Voronoi cells of `points` (in input order) clipped to `parent`."""
    x0, y0, x1, y1 = parent.bounds
    pad = max(x1 - x0, y1 - y0) + 1e-3
    frame = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    diagram = shapely.voronoi_polygons(MultiPoint(points), extend_to=frame, ordered=True)
    cells = np.array(list(diagram.geoms), dtype=object)
    return shapely.intersection(cells, parent)


def _relax(points: np.ndarray, cells: np.ndarray, parent: BaseGeometry) -> np.ndarray:
    """One Lloyd step: move each point to its cell's centroid (kept inside)."""
    centroids = shapely.centroid(cells)
    xs, ys = shapely.get_x(centroids), shapely.get_y(centroids)
    inside = shapely.contains_xy(parent, xs, ys)
    out = points.copy()
    for i, ok in enumerate(inside.tolist()):
        if ok:
            out[i] = (xs[i], ys[i])
        else:  # concave cell: a point on its surface is inside it
            p = shapely.point_on_surface(cells[i])
            if not p.is_empty and parent.contains(p):
                out[i] = (p.x, p.y)
    # Two points must never coincide (Voronoi would drop one).
    _, first = np.unique(out, axis=0, return_index=True)
    if len(first) < len(out):
        dup = sorted(set(range(len(out))) - set(first.tolist()))
        out[dup] = points[dup]
    return out


def tessellate(
    parent: BaseGeometry,
    n: int,
    seed: int | str,
    *,
    relax: int = 1,
) -> list[Polygon | MultiPolygon]:
    """n (Multi)Polygons tiling `parent`: each inside it, pairwise overlaps
    of (about) zero area, union (about) the parent, none empty. The same
    (parent, n, seed) gives the same pieces. Piece sizes vary the way
    Voronoi cells of random sites do, evened out by `relax` Lloyd steps."""
    if n < 1:
        raise ValueError("n must be at least 1")
    parent = snap(parent)
    if parent.is_empty or parent.area == 0:
        raise ValueError("cannot tessellate an empty polygon")
    if n == 1:
        return [parent]
    rng = random.Random(f"tessellate:{seed}:{n}")
    points = sample_points(parent, n, rng)
    cells = _cells(points, parent)
    for _ in range(relax):
        points = _relax(points, cells, parent)
        cells = _cells(points, parent)
    return _finish(cells, parent, points)


def _finish(cells: np.ndarray, parent: BaseGeometry, points: np.ndarray) -> list:
    snapped = shapely.set_precision(cells, GRID_SIZE)
    out: list[Polygon | MultiPolygon] = []
    for raw, geom in zip(cells.tolist(), snapped.tolist(), strict=True):
        piece = polygonal(geom)
        if piece.is_empty:
            # Smaller than the storage grid: keep the unsnapped shape rather
            # than lose a piece (only happens with absurdly small parents).
            piece = polygonal(raw)
        if piece.is_empty:
            raise ValueError("a piece came out empty; use a larger polygon or fewer pieces")
        out.append(piece)
    return out
