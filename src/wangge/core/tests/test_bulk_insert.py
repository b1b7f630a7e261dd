"""`bulk_insert` writes what `bulk_create` writes: every column, foreign
keys given as objects saved after the instance was built, `auto_now_add`
times; nothing for no rows."""

from __future__ import annotations

import pytest
from django.utils import timezone

from wangge.core.rawrows import bulk_insert
from wangge.points.tests.people import person
from wangge.surveys.models import Answer, Response
from wangge.surveys.services import survey_create

pytestmark = pytest.mark.django_db


def test_bulk_insert_writes_what_bulk_create_writes(world):
    t = world.tree
    today = str(timezone.localdate())
    survey = survey_create(
        actor=world.dispatcher, name="知晓率", area_id=t.street_a1.pk, start=today, end=today
    )
    questions = list(survey.questions.all())
    people = [person(t.grid_a1a_1, t.mg_a1a_1_1, name=f"居民{i}") for i in range(2)]
    responses = [
        Response(
            survey=survey, resident=p.resident, area_path=p.resident.area_path, at=timezone.now()
        )
        for p in people
    ]
    # Built before their responses have keys: the key is taken at insert time.
    answers = [
        [
            Answer(response=r, question=q, choice=c)
            for q, c in zip(questions, ["yes", "no", "yes"], strict=True)
        ]
        for r in responses
    ]
    for r in responses:
        r.save()
    Answer.objects.bulk_create(answers[0])
    assert bulk_insert(answers[1]) == 3
    assert bulk_insert([]) == 0

    def rows(r):
        return list(
            Answer.objects.filter(response=r)
            .order_by("question_id")
            .values_list("question_id", "choice")
        )

    assert rows(responses[0]) == rows(responses[1])
    assert [c for _, c in rows(responses[1])] == ["yes", "no", "yes"]
