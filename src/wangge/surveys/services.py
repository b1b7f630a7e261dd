"""Writes: a staff member starts a survey over an area they cover, opens it
early or closes it (the console's 居民问卷 page); a verified resident of
that area answers it once while it runs."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.teams.scope import scope_for

from .models import Answer, Choice, Question, Response, Survey, SurveyStatus

# Who may start a survey over an area they cover.
CREATOR_ROLES = frozenset({"city_admin", "dispatcher", "street_cadre", "community_cadre"})
MAX_QUESTIONS = 10
DEFAULT_QUESTIONS = (
    "您知道您所在网格的网格员是谁吗？",
    "您知道有事可以通过“报事”向网格反映吗？",
    "您知道您所在网格的网格长是谁吗？",
)


def may_run(actor, path: str | None = None) -> bool:
    """May start, open and close surveys over `path` (any path: anywhere)."""
    scope = scope_for(actor)
    if scope.unrestricted:
        return True
    return any(
        g.role in CREATOR_ROLES and (path is None or path.startswith(g.path)) for g in scope.grants
    )


def _require_runner(actor, path: str) -> None:
    if not may_run(actor, path):
        raise PermissionDenied("not_allowed", "只有管理员、调度员、镇街和村社区干部可以发起问卷")


def _question(item) -> tuple[str, bool]:
    """A question as text (counts towards 知晓率) or {"text", "awareness"}."""
    if isinstance(item, dict):
        return str(item.get("text") or "").strip(), bool(item.get("awareness", True))
    return str(item).strip(), True


@transaction.atomic
def survey_create(*, actor, name: str, area_id, start, end, questions=None) -> Survey:
    from .selectors import access_area

    if area_id in (None, ""):
        raise DomainError("area_required", "请选择调查范围", status=422)
    area = access_area(actor=actor, area_id=area_id)
    _require_runner(actor, area.path)
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", "请填写问卷名称", status=422)
    try:
        s, e = date.fromisoformat(str(start)), date.fromisoformat(str(end))
    except ValueError as exc:
        raise DomainError("bad_period", "起止日期格式不正确（YYYY-MM-DD）", status=422) from exc
    if e < s or (e - s).days > 366:
        raise DomainError("bad_period", "结束日期不能早于开始日期，最长一年", status=422)
    if len(name) > 100:
        raise DomainError("name_too_long", "问卷名称最多 100 字", status=422)
    items = [_question(q) for q in (questions or DEFAULT_QUESTIONS)]
    items = [(t, a) for t, a in items if t]
    if not items or len(items) > MAX_QUESTIONS:
        raise DomainError("bad_questions", f"问卷须有 1–{MAX_QUESTIONS} 个问题", status=422)
    if any(len(t) > 200 for t, _ in items):
        raise DomainError("bad_questions", "每个问题最多 200 字", status=422)
    survey = Survey.objects.create(
        name=name, area=area, area_path=area.path, start=s, end=e, created_by=actor
    )
    Question.objects.bulk_create(
        [Question(survey=survey, order=i, text=t, awareness=a) for i, (t, a) in enumerate(items)]
    )
    return survey


@transaction.atomic
def survey_open(*, actor, survey: Survey) -> Survey:
    """Open now: a survey not started yet starts today; a closed one runs
    again until its end date. One past its end date stays ended (409)."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    _require_runner(actor, survey.area_path)
    today = timezone.localdate()
    match survey.status_on(today):
        case SurveyStatus.OPEN:
            raise Conflict("already_open", "问卷已在进行中")
        case SurveyStatus.ENDED:
            raise Conflict(
                "ended", f"问卷已于 {survey.end:%Y-%m-%d} 结束，不能重新开启；请新建一份问卷"
            )
    survey.start = min(survey.start, today)
    survey.closed_at, survey.closed_by = None, None
    survey.save(update_fields=["start", "closed_at", "closed_by"])
    return survey


@transaction.atomic
def survey_close(*, actor, survey: Survey) -> Survey:
    """Close before the end date: residents can no longer answer; the
    answers given so far stay and count."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    _require_runner(actor, survey.area_path)
    if survey.status_on(timezone.localdate()) in (SurveyStatus.CLOSED, SurveyStatus.ENDED):
        raise Conflict("already_closed", "问卷已经结束")
    survey.closed_at, survey.closed_by = timezone.now(), actor
    survey.save(update_fields=["closed_at", "closed_by"])
    return survey


def survey_answer(*, actor, survey_id, answers: dict) -> Response:
    """All questions answered yes/no, once per resident (409 after)."""
    from .selectors import access_open_survey

    survey = access_open_survey(actor=actor, survey_id=survey_id)
    resident = actor.resident
    questions = list(survey.questions.all())
    picked = {}
    for q in questions:
        choice = answers.get(q.pk, answers.get(str(q.pk)))
        if choice not in Choice.values:
            raise DomainError("answer_required", "请回答全部问题（知道 / 不知道）", status=422)
        picked[q.pk] = choice
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey, resident=resident, area_path=resident.area_path, at=timezone.now()
            )
            Answer.objects.bulk_create(
                [Answer(response=response, question_id=k, choice=v) for k, v in picked.items()]
            )
    except IntegrityError as exc:
        raise DomainError("already_answered", "您已经填写过这份问卷", status=409) from exc
    return response
