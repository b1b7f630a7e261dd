"""Scope-matrix entries for the Open311 app (see teams/tests/matrix.py):
API keys are a city-wide catalogue kept by superusers only."""

from __future__ import annotations

from wangge.teams.tests.matrix import AdminObject


def populate(side, matrix) -> None:
    from wangge.open311.services import apikey_create

    key, _ = apikey_create(name="随手拍客户端", user=side.assignment.user)
    side.extra["open311_key"] = key


ADMIN_OBJECTS = {
    "open311.apikey": AdminObject(get=lambda s, p, m: s.extra["open311_key"], path=None),
}
