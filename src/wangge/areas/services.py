"""Writes to the area tree."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from wangge.core.errors import DomainError

from .models import LEVEL_DEPTH, LEVEL_ORDER, Area, GridKind, Level, SiteState
from .paths import STEP, child_path

BOUNDARY_VERSION = "boundary_version"


def next_child_path(parent: Area | None) -> str:
    """The path for a new child of `parent` (or a new root)."""
    if parent is None:
        last = Area.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
        prefix = ""
    else:
        last = parent.children.order_by("-path").values_list("path", flat=True).first()
        prefix = parent.path
    index = int(last[-STEP:]) + 1 if last else 1
    return child_path(prefix, index)


def _check_parent(level: str, parent: Area | None, grid_kind: str) -> None:
    expected_depth = LEVEL_DEPTH[level]
    if expected_depth == 1:
        if parent is not None:
            raise DomainError("bad_parent", "市级区域不能有上级")
        return
    if parent is None or parent.level != LEVEL_ORDER[expected_depth - 2]:
        raise DomainError(
            "bad_parent",
            f"{Level(level).label}的上级必须是{Level(LEVEL_ORDER[expected_depth - 2]).label}",
        )
    if level == Level.MICRO_GRID and parent.grid_kind == GridKind.DEDICATED:
        raise DomainError("dedicated_has_no_micro_grids", "专属网格不设微网格")
    if level == Level.GRID and not grid_kind:
        raise DomainError("grid_kind_required", "网格必须指定类型（基础/专属/海上）")


@transaction.atomic
def area_create(
    *,
    level: str,
    code: str,
    name: str,
    parent: Area | None = None,
    grid_kind: str = "",
    dedicated_kind: str = "",
    community_kind: str = "",
    boundary: str = "",
) -> Area:
    if level == Level.GRID and not grid_kind:
        grid_kind = GridKind.BASIC
    _check_parent(level, parent, grid_kind)
    if parent is not None:
        parent = Area.objects.select_for_update().get(pk=parent.pk)
    area = Area(
        parent=parent,
        level=level,
        code=code,
        name=name,
        grid_kind=grid_kind if level == Level.GRID else "",
        dedicated_kind=dedicated_kind if grid_kind == GridKind.DEDICATED else "",
        community_kind=community_kind if level == Level.COMMUNITY else "",
        path=next_child_path(parent),
        depth=LEVEL_DEPTH[level],
    )
    if boundary:
        from .geometry import apply_boundary

        apply_boundary(area, boundary)
    area.save()
    if boundary:
        boundaries_changed()
    return area


def boundaries_changed() -> None:
    """Tell every process's locator to rebuild its index (after commit)."""

    def bump() -> None:
        updated = SiteState.objects.filter(key=BOUNDARY_VERSION).update(value=F("value") + 1)
        if not updated:
            SiteState.objects.get_or_create(key=BOUNDARY_VERSION, defaults={"value": 1})

    transaction.on_commit(bump)
