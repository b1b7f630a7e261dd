"""/api/v1/surveys: staff start resident surveys over their areas and read
the results per area. Residents answer in the H5 (/m/surveys/)."""

from __future__ import annotations

from ninja import Router, Schema, Status

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.core.errors import PermissionDenied
from wangge.teams.scope import scope_for

from . import selectors, services

router = Router(tags=["居民问卷"], auth=[BearerAuth(), SessionAuth()])


class SurveyIn(Schema):
    name: str
    area_id: int
    start: str
    end: str
    questions: list[str] = []


def _staff(request) -> None:
    if not scope_for(request.auth).is_staff_scope:
        raise PermissionDenied("not_allowed", "仅工作人员可查看问卷")


def _survey(s) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "area": {"id": s.area_id, "name": s.area.name},
        "start": s.start.isoformat(),
        "end": s.end.isoformat(),
    }


@router.get("/", response=list[dict])
def survey_list(request):
    """Surveys over or above the actor's areas."""
    _staff(request)
    return [_survey(s) for s in selectors.survey_list(actor=request.auth)]


@router.post("/", response={201: dict})
def survey_create(request, payload: SurveyIn):
    """Start a survey over an area (default questions when none given)."""
    s = services.survey_create(
        actor=request.auth,
        name=payload.name,
        area_id=payload.area_id,
        start=payload.start,
        end=payload.end,
        questions=payload.questions or None,
    )
    out = _survey(s)
    out["questions"] = [{"id": q.pk, "text": q.text} for q in s.questions.all()]
    return Status(201, out)


@router.get("/{survey_id}/results", response=dict)
def survey_results(request, survey_id: int):
    """Answers and 知道 per question, per area one level below the survey's
    (residents and staff elsewhere: 404)."""
    r = selectors.results(actor=request.auth, survey_id=survey_id)
    return {**_survey(r["survey"]), "responses": r["responses"], "questions": r["questions"]}
