"""Reads: surveys visible to staff (over or under their areas), the surveys
open to a resident (running, over their place, not yet answered), and
results per area (answers and 知道 per question, per child area)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from wangge.areas import selectors as area_selectors
from wangge.areas.models import Area, Level
from wangge.areas.paths import STEP, subtree_q
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

from .models import Answer, Choice, Response, Survey, SurveyStatus


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


SURVEY_LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)


def area_options(*, actor) -> list[Area]:
    """Areas the actor may start a survey over (the console's 调查范围): their
    areas where they run surveys and two levels below, at most 300."""
    from .services import may_run

    return area_selectors.area_choices(
        actor=actor, allowed=lambda path: may_run(actor, path), levels=SURVEY_LEVELS
    )


def survey_list(*, actor, limit: int = 100) -> list[Survey]:
    return list(_visible(actor).order_by("-start", "-pk")[:limit])


def _rate(yes: int, n: int) -> float | None:
    return round(100 * yes / n, 2) if n else None


def survey_rows(*, actor, limit: int = 100) -> list[dict]:
    """The console's list: each visible survey with its status, responses
    and 知晓率 (知道 ÷ answers to its awareness questions), counted over the
    actor's areas only. Three queries whatever the number of surveys."""
    surveys = survey_list(actor=actor, limit=limit)
    ids = [s.pk for s in surveys]
    scope = scope_for(actor)
    responses = Response.objects.filter(survey_id__in=ids)
    answers = Answer.objects.filter(response__survey_id__in=ids, question__awareness=True)
    if not scope.unrestricted:
        responses = responses.filter(scope.q())
        answers = answers.filter(scope.q("response__area_path"))
    n_responses = dict(responses.values_list("survey_id").annotate(n=Count("pk")).order_by())
    counts = {
        sid: (n, yes)
        for sid, n, yes in answers.values_list("response__survey_id")
        .annotate(n=Count("pk"), yes=Count("pk", filter=Q(choice=Choice.YES)))
        .order_by()
    }
    today = timezone.localdate()
    rows = []
    for s in surveys:
        n, yes = counts.get(s.pk, (0, 0))
        rows.append(
            {
                "survey": s,
                "status": SurveyStatus(s.status_on(today)),
                "responses": n_responses.get(s.pk, 0),
                "answers": n,
                "yes": yes,
                "rate": _rate(yes, n),
            }
        )
    return rows


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
        Survey.objects.filter(
            area_path__in=above, start__lte=today, end__gte=today, closed_at__isnull=True
        )
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
    if not survey.start <= today <= survey.end or survey.closed_at is not None:
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
        q.pk: {
            "id": q.pk,
            "text": q.text,
            "awareness": q.awareness,
            "answers": 0,
            "yes": 0,
            "areas": [],
        }
        for q in survey.questions.all()
    }
    # 知晓率 per area: the awareness questions' answers added up.
    by_area: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: r["prefix"]):
        q = by_q.get(r["question_id"])
        if q is None:
            continue
        q["answers"] += r["n"]
        q["yes"] += r["yes"]
        name = names.get(r["prefix"], "")
        q["areas"].append(
            {"name": name, "answers": r["n"], "yes": r["yes"], "rate": _rate(r["yes"], r["n"])}
        )
        if q["awareness"]:
            a = by_area.setdefault(r["prefix"], {"name": name, "answers": 0, "yes": 0})
            a["answers"] += r["n"]
            a["yes"] += r["yes"]
    for q in by_q.values():
        q["rate"] = _rate(q["yes"], q["answers"])
    responses = Response.objects.filter(survey=survey)
    if not scope.unrestricted:
        responses = responses.filter(scope.q())
    per_area = (
        responses.annotate(prefix=Substr("area_path", 1, child_len))
        .values_list("prefix")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for prefix, n in per_area:
        a = by_area.setdefault(prefix, {"name": "", "answers": 0, "yes": 0})
        a["responses"] = n
    if missing := [p for p, a in by_area.items() if not a["name"]]:
        names.update(Area.objects.filter(path__in=missing).values_list("path", "name"))
    areas = []
    for prefix in sorted(by_area):
        a = by_area[prefix]
        a["name"] = a["name"] or names.get(prefix, "")
        a.setdefault("responses", 0)
        a["rate"] = _rate(a["yes"], a["answers"])
        areas.append(a)
    answers = sum(a["answers"] for a in areas)
    yes = sum(a["yes"] for a in areas)
    return {
        "survey": survey,
        "status": SurveyStatus(survey.status_on(timezone.localdate())),
        "responses": sum(a["responses"] for a in areas),
        "questions": list(by_q.values()),
        "areas": areas,
        "awareness": {"answers": answers, "yes": yes, "rate": _rate(yes, answers)},
    }
