"""Which area is this point in? An in-process spatial index over the leaf
areas (micro-grids, grids without micro-grids such as dedicated grids, and
any area with a boundary whose children have none yet), built from the
database with a shapely 2 STRtree.

The index is rebuilt lazily when the boundary version changes:
`areas.services.boundaries_changed()` bumps `SiteState("boundary_version")`
and each process looks at it at most every
`settings.WANGGE_LOCATOR_RECHECK_SECONDS`. Look-ups read an immutable
snapshot, so they need no lock; only rebuilding is serialized.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef

from .models import Area, Level, SiteState
from .paths import ancestor_paths
from .services import BOUNDARY_VERSION

# A point in a rounding sliver between leaves (but inside a district) goes
# to the nearest leaf within this distance.
SLIVER_METRES = 30.0
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class _Index:
    version: tuple[int, int, int]
    tree: shapely.STRtree | None
    leaf_ids: np.ndarray  # int64, aligned with the tree's geometries
    leaf_paths: tuple[str, ...]
    geoms: np.ndarray
    districts: shapely.STRtree | None

    @property
    def size(self) -> int:
        return len(self.leaf_ids)


def _current_version() -> tuple[int, int, int]:
    """The boundary version, plus the count and largest id of areas: areas
    written without `boundaries_changed()` (e.g. in a test transaction,
    whose on-commit hooks never run) still invalidate the index."""
    value = SiteState.objects.filter(key=BOUNDARY_VERSION).values_list("value", flat=True).first()
    stats = Area.objects.aggregate(n=Count("id"), last=Max("id"))
    return int(value or 0), stats["n"], stats["last"] or 0


def _build(version: tuple[int, int, int]) -> _Index:
    has_child = Area.objects.filter(parent_id=OuterRef("pk")).exclude(boundary="")
    rows = list(
        Area.objects.exclude(boundary="")
        .exclude(level=Level.CITY)
        .filter(~Exists(has_child))
        .order_by("path")
        .values_list("id", "path", "boundary")
    )
    districts = list(
        Area.objects.filter(level=Level.DISTRICT)
        .exclude(boundary="")
        .values_list("boundary", flat=True)
    )
    if rows:
        ids, paths, texts = zip(*rows, strict=True)
        geoms = shapely.from_geojson(np.array(texts, dtype=object))
        shapely.prepare(geoms)
        tree = shapely.STRtree(geoms)
    else:
        ids, paths, geoms, tree = (), (), np.array([], dtype=object), None
    district_tree = None
    if districts:
        dgeoms = shapely.from_geojson(np.array(districts, dtype=object))
        shapely.prepare(dgeoms)
        district_tree = shapely.STRtree(dgeoms)
    return _Index(
        version=version,
        tree=tree,
        leaf_ids=np.asarray(ids, dtype=np.int64),
        leaf_paths=tuple(paths),
        geoms=geoms,
        districts=district_tree,
    )


class Locator:
    def __init__(self) -> None:
        self._index: _Index | None = None
        self._checked_at = -math.inf
        self._lock = threading.Lock()

    # -- freshness -------------------------------------------------------------

    def _fresh(self, *, force: bool = False) -> _Index:
        index = self._index
        recheck = float(getattr(settings, "WANGGE_LOCATOR_RECHECK_SECONDS", 2))
        if not force and index is not None and time.monotonic() - self._checked_at < recheck:
            return index
        with self._lock:
            index = self._index
            if not force and index is not None and time.monotonic() - self._checked_at < recheck:
                return index  # another thread just checked
            version = _current_version()
            if force or index is None or index.version != version:
                index = _build(version)
                self._index = index
            self._checked_at = time.monotonic()
            return index

    def reset(self) -> None:
        """Forget the index (tests; after swapping databases)."""
        with self._lock:
            self._index = None
            self._checked_at = -math.inf

    @property
    def size(self) -> int:
        return self._fresh().size

    # -- look-ups --------------------------------------------------------------

    def _find(self, index: _Index, lng: float, lat: float) -> int | None:
        """Position of the leaf in `index` containing the point."""
        if index.tree is None:
            return None
        point = shapely.Point(lng, lat)
        hits = index.tree.query(point, predicate="intersects")
        if len(hits):
            # On a shared edge: the first in path order, the same every time.
            return int(hits.min())
        if index.districts is None or not len(index.districts.query(point, predicate="intersects")):
            return None
        # In a sliver left by rounding: the nearest leaf, if close enough.
        max_deg = SLIVER_METRES / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.1))
        near = index.tree.query_nearest(point, max_distance=max_deg, all_matches=False)
        if not len(near):
            return None
        i = int(near[0])
        if _metres(point, index.geoms[i], lat) > SLIVER_METRES:
            return None
        return i

    def locate_leaf_id(self, lng: float, lat: float) -> int | None:
        index = self._fresh()
        i = self._find(index, lng, lat)
        return None if i is None else int(index.leaf_ids[i])

    def locate(self, *, lng: float, lat: float) -> list[Area]:
        index = self._fresh()
        for attempt in range(2):
            i = self._find(index, lng, lat)
            if i is None:
                return []
            path = index.leaf_paths[i]
            chain = list(
                Area.objects.filter(path__in=[*ancestor_paths(path), path])
                .defer("boundary")  # polygons are big; callers rarely need them
                .order_by("path")
            )
            if chain and chain[-1].pk == index.leaf_ids[i] and chain[-1].path == path:
                return chain
            if attempt == 0:  # the index is stale: rebuild now and look again
                index = self._fresh(force=True)
        return []


def _metres(point: shapely.Point, geom, lat: float) -> float:
    """Approximate ground distance from a point to a geometry."""
    a, b = shapely.shortest_line(point, geom).coords
    dx = (b[0] - a[0]) * _METRES_PER_DEGREE * math.cos(math.radians(lat))
    dy = (b[1] - a[1]) * _METRES_PER_DEGREE
    return math.hypot(dx, dy)


locator = Locator()


def locate_leaf_id(lng: float, lat: float) -> int | None:
    """The id of the leaf area containing the point, or None. In memory only."""
    return locator.locate_leaf_id(lng, lat)


def locate(*, lng: float, lat: float) -> list[Area]:
    """The chain root → leaf (city … micro-grid) for a point; [] outside
    every leaf. One query for the rows."""
    return locator.locate(lng=lng, lat=lat)
