"""Resident surveys: staff start one over an area; residents of the area see
it in /m/surveys/ and answer once; bad input changes nothing; results add
up per area."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.points.tests.people import person
from wangge.surveys.models import Answer, Response
from wangge.surveys.services import survey_create

pytestmark = pytest.mark.django_db


def _survey(w, area, **kw):
    today = timezone.localdate()
    return survey_create(
        actor=kw.pop("actor", w.dispatcher),
        name="网格员知晓率调查",
        area_id=area.pk,
        start=str(kw.pop("start", today - timedelta(days=1))),
        end=str(kw.pop("end", today + timedelta(days=7))),
        questions=kw.pop("questions", None),
    )


def test_a_resident_answers_once_in_the_h5(world, client):
    w, t = world, world.tree
    survey = _survey(w, t.street_a1)
    assert survey.questions.count() == 3  # the default questions
    p = person(t.grid_a1a_1, t.mg_a1a_1_1)
    client.force_login(p.user)
    assert "有 1 份问卷请您填写" in client.get("/m/").content.decode()  # on the home page
    page = client.get("/m/surveys/")
    assert page.status_code == 200
    assert "网格员知晓率调查" in page.content.decode()
    form = client.get(f"/m/surveys/{survey.pk}/")
    assert "您知道您所在网格的网格员是谁吗？" in form.content.decode()
    qs = list(survey.questions.all())
    # One question left out: 422 in Chinese, nothing written.
    data = {f"q{q.pk}": "yes" for q in qs[:2]}
    bad = client.post(f"/m/surveys/{survey.pk}/", data)
    assert bad.status_code == 422
    assert "请回答全部问题" in bad.content.decode()
    assert not Response.objects.exists()
    data[f"q{qs[2].pk}"] = "no"
    ok = client.post(f"/m/surveys/{survey.pk}/", data)
    assert ok.status_code == 302
    assert Answer.objects.filter(choice="yes").count() == 2
    # Answered: no longer listed, a second answer is refused.
    assert "网格员知晓率调查" not in client.get("/m/surveys/").content.decode()
    again = client.post(f"/m/surveys/{survey.pk}/", data)
    assert again.status_code == 409
    assert Response.objects.count() == 1


def test_residents_elsewhere_and_closed_surveys(world, client):
    w, t = world, world.tree
    survey = _survey(w, t.grid_a1a_2)  # another grid of the street
    p = person(t.grid_a1a_1, t.mg_a1a_1_1)
    client.force_login(p.user)
    assert client.get(f"/m/surveys/{survey.pk}/").status_code == 404
    past = timezone.localdate() - timedelta(days=10)
    closed = _survey(w, t.street_a1, start=past, end=past + timedelta(days=2))
    assert client.get(f"/m/surveys/{closed.pk}/").status_code == 409
    assert "网格员知晓率调查" not in client.get("/m/surveys/").content.decode()


def test_staff_create_and_read_results_per_area(world, client):
    from wangge.surveys.services import survey_answer

    w, t = world, world.tree
    client.force_login(w.dispatcher)
    bad = client.post(
        "/api/v1/surveys/",
        {"name": "", "area_id": t.street_a1.pk, "start": "2026-11-01", "end": "2026-12-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "name_required"
    today = timezone.localdate()
    made = client.post(
        "/api/v1/surveys/",
        {
            "name": "知晓率",
            "area_id": t.street_a1.pk,
            "start": str(today),
            "end": str(today + timedelta(days=3)),
            "questions": ["您知道您的网格员是谁吗？"],
        },
        content_type="application/json",
    )
    assert made.status_code == 201
    sid, qid = made.json()["id"], made.json()["questions"][0]["id"]
    for i, choice in enumerate(("yes", "yes", "no")):
        grid = t.grid_a1a_1 if i < 2 else t.grid_a1a_2
        p = person(grid, t.mg_a1a_1_1 if i < 2 else None, name=f"居民{i}")
        survey_answer(actor=p.user, survey_id=sid, answers={qid: choice})
    res = client.get(f"/api/v1/surveys/{sid}/results").json()
    assert res["responses"] == 3
    q = res["questions"][0]
    assert (q["answers"], q["yes"], q["rate"]) == (3, 2, round(200 / 3, 2))
    # A grid worker cannot start one (403); a foreign dispatcher cannot see it (404).
    client.force_login(w.grid_worker)
    denied = client.post(
        "/api/v1/surveys/",
        {"name": "x", "area_id": t.grid_a1a_1.pk, "start": str(today), "end": str(today)},
        content_type="application/json",
    )
    assert denied.status_code == 403
    client.force_login(w.outsider_dispatcher)
    assert client.get(f"/api/v1/surveys/{sid}/results").status_code == 404
