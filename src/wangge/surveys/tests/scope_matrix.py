"""Scope-matrix entries for surveys: staff see the surveys over or above
their areas and their results (residents: 404); cadres, dispatchers and
city admins start one over an area they cover. Residents answer in the H5,
only surveys over their own place (a foreign one is 404)."""

from __future__ import annotations

from wangge.teams.tests.matrix import Route, staff_object, staff_read


def populate(side, matrix) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from wangge.surveys.models import Question, Survey

    today = timezone.localdate()
    survey = Survey.objects.create(
        name=f"{side.district.name}知晓率问卷",
        area=side.district,
        area_path=side.district.path,
        start=today - timedelta(days=1),
        end=today + timedelta(days=7),
        created_by=side.assignment.user,
    )
    Question.objects.create(survey=survey, order=0, text="您知道您的网格员是谁吗？")
    side.extra["survey"] = survey


def _create(p, m) -> int:
    if p.kind == "resident" or not p.covers(m.world.own.street):
        return 404
    return 201 if p.role in ("city_admin", "dispatcher", "street_cadre", "community_cadre") else 403


PARAMS = {"survey_id": lambda s, p, m: s.extra["survey"].pk}

ROUTES = {
    "GET /surveys/": Route(expect=staff_read),
    "POST /surveys/": Route(
        body=lambda s, p, m: {
            "name": "网格员知晓率调查",
            "area_id": s.street.pk,
            "start": "2026-11-01",
            "end": "2026-12-31",
        },
        objects=True,
        expect=_create,
    ),
    "GET /surveys/{survey_id}/results": Route(expect=staff_object),
}

PAGE_PARAMS = {"survey_id": lambda s, p, m: s.extra["survey"].pk}

# The pages (/m/surveys/…, and the console's /console/surveys/…) are listed
# in tests/test_page_matrix.py.
