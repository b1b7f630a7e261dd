"""Scope-matrix entries for assessment: an area's or department's figures
are for staff whose areas cover it; residents see none (404)."""

from __future__ import annotations

from wangge.teams.tests.matrix import Route, at_grid, place_read, staff_object, staff_read


def _district(side):
    return side.district


ROUTES = {
    "GET /assessment/indices": Route(expect=staff_read),
    "GET /assessment/areas/{area_id}/indices": Route(expect=staff_object),
    "GET /assessment/areas/{area_id}/ranking": Route(
        params={"area_id": lambda s, p, m: s.grid.pk}, expect=place_read(at_grid, 404)
    ),
    "GET /assessment/departments/{department_id}/indices": Route(expect=place_read(_district, 404)),
    "GET /assessment/departments": Route(expect=staff_read),
}
