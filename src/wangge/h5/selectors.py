"""Reads the resident H5 needs beyond other apps' selectors: the public names
of areas for the sign-up form (which district, street, community and grid one
lives in). Names and ids only: grid names are printed on every contact card."""

from __future__ import annotations

from django.conf import settings

from wangge.areas.models import Area, Level

# Levels a resident picks, top to bottom, on the sign-up form.
PICK_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)


def public_children(*, parent_id: int | None) -> list[dict]:
    """Active child areas down to grids (no micro-grids), names only. Without
    a parent: the districts of this deployment's city."""
    if parent_id is None:
        city = (
            Area.objects.filter(
                level=Level.CITY, is_active=True, code__startswith=settings.WANGGE_CITY_CODE
            )
            .only("pk")
            .first()
        )
        if city is None:
            city = Area.objects.filter(level=Level.CITY, is_active=True).only("pk").first()
        if city is None:
            return []
        parent_id = city.pk
    return list(
        Area.objects.filter(parent_id=parent_id, is_active=True, level__in=PICK_LEVELS)
        .order_by("code", "pk")
        .values("id", "name", "level")
    )


def public_grid(*, grid_id) -> Area | None:
    try:
        grid_id = int(grid_id)
    except (TypeError, ValueError):
        return None
    return Area.objects.filter(pk=grid_id, level=Level.GRID, is_active=True).first()


def grid_chain(*, lng: float, lat: float) -> list[dict]:
    """The district … grid a point lies in (for "use my location" on sign-up)."""
    from wangge.areas.locator import locate

    return [
        {"id": a.pk, "name": a.name, "level": a.level}
        for a in locate(lng=lng, lat=lat)
        if a.level in PICK_LEVELS
    ]
