"""Reads: surveys visible to staff (over or under their areas), the surveys
open to a resident (running, over their place, not yet answered), and
results per area (answers and 知道 per question, per child area)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from wangge.areas.models import Area
from wangge.areas.paths import STEP, subtree_q
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

from .models import Answer, Choice, Response, Survey


def _not_found(what: str = "问卷") -> DomainError:
    return DomainError("not_found", f"{what}不存在或不在您的管辖范围内", status=404)


def _id(value, what: str = "问卷") -> int:
    """An id from a request: an integer the database can hold, else 404."""
    try:
        value = int(value)
    except (TypeError, ValueError) as exc:
        raise _not_found(what) from exc
    if not 0 < value < 2**63:
        raise _not_found(what)
    return value


def access_area(*, actor, area_id) -> Area:
    area_id = _id(area_id, "区域")
    area = Area.objects.filter(pk=area_id).first()
    scope = scope_for(actor)
    if area is None or not scope.is_staff_scope or not scope.covers(area.path):
        raise _not_found("区域")
    return area


def _visible(actor):
    """Surveys over the actor's areas or above them (a community sees its
    street's survey: its residents answer it); none for non-staff."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return Survey.objects.none()
    qs = Survey.objects.select_related("area")
    if not scope.unrestricted:
        q = Q(pk__in=[])
        for p in scope.paths:
            q |= subtree_q(p, "area_path") | Q(
                area_path__in=[p[:i] for i in range(STEP, len(p), STEP)]
            )
        qs = qs.filter(q)
    return qs


def survey_list(*, actor, limit: int = 100) -> list[Survey]:
    return list(_visible(actor).order_by("-start", "-pk")[:limit])


def access_survey(*, actor, survey_id) -> Survey:
    survey_id = _id(survey_id)
    hit = _visible(actor).filter(pk=survey_id).first()
    if hit is None:
        raise _not_found()
    return hit


def _resident(actor):
    if getattr(actor, "kind", "") != "resident" or actor.resident_status != "verified":
        return None
    return actor.resident


def open_surveys(*, actor) -> list[Survey]:
    """Running surveys over the resident's place that they have not answered."""
    resident = _resident(actor)
    if resident is None or not resident.area_path:
        return []
    today = timezone.localdate()
    path = resident.area_path
    above = [path[:i] for i in range(STEP, len(path) + 1, STEP)]
    answered = Response.objects.filter(resident=resident).values("survey_id")
    return list(
        Survey.objects.filter(area_path__in=above, start__lte=today, end__gte=today)
        .exclude(pk__in=answered)
        .prefetch_related("questions")
        .order_by("end", "pk")
    )


def access_open_survey(*, actor, survey_id) -> Survey:
    survey_id = _id(survey_id)
    resident = _resident(actor)
    if resident is None:
        raise DomainError("not_verified", "身份核实后才能填写问卷", status=403)
    today = timezone.localdate()
    path = resident.area_path
    above = [path[:i] for i in range(STEP, len(path) + 1, STEP)]
    survey = Survey.objects.filter(pk=survey_id, area_path__in=above).first()
    if survey is None:
        raise _not_found()
    if not survey.start <= today <= survey.end:
        raise DomainError("survey_closed", "这份问卷不在填写时间内", status=409)
    return survey


def results(*, actor, survey_id) -> dict:
    """Per question and per area one level below the survey's (restricted to
    the actor's areas): responses, answers, 知道, rate."""
    survey = access_survey(actor=actor, survey_id=survey_id)
    scope = scope_for(actor)
    base = Answer.objects.filter(response__survey=survey)
    if not scope.unrestricted:
        base = base.filter(scope.q("response__area_path"))
    child_len = len(survey.area_path) + STEP
    rows = (
        base.annotate(prefix=Substr("response__area_path", 1, child_len))
        .values("prefix", "question_id")
        .annotate(n=Count("pk"), yes=Count("pk", filter=Q(choice=Choice.YES)))
        .order_by()
    )
    names = dict(
        Area.objects.filter(path__in={r["prefix"] for r in rows}).values_list("path", "name")
    )
    by_q: dict[int, dict] = {
        q.pk: {"id": q.pk, "text": q.text, "answers": 0, "yes": 0, "areas": []}
        for q in survey.questions.all()
    }
    for r in sorted(rows, key=lambda r: r["prefix"]):
        q = by_q.get(r["question_id"])
        if q is None:
            continue
        q["answers"] += r["n"]
        q["yes"] += r["yes"]
        q["areas"].append(
            {
                "name": names.get(r["prefix"], ""),
                "answers": r["n"],
                "yes": r["yes"],
                "rate": round(100 * r["yes"] / r["n"], 2) if r["n"] else None,
            }
        )
    for q in by_q.values():
        q["rate"] = round(100 * q["yes"] / q["answers"], 2) if q["answers"] else None
    responses = Response.objects.filter(survey=survey)
    if not scope.unrestricted:
        responses = responses.filter(scope.q())
    return {"survey": survey, "responses": responses.count(), "questions": list(by_q.values())}
