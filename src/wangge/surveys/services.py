"""Writes: a staff member starts a survey over an area they cover; a
verified resident of that area answers it once."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.core.errors import DomainError, PermissionDenied
from wangge.teams.scope import scope_for

from .models import Answer, Choice, Question, Response, Survey

# Who may start a survey over an area they cover.
CREATOR_ROLES = frozenset({"city_admin", "dispatcher", "street_cadre", "community_cadre"})
MAX_QUESTIONS = 10
DEFAULT_QUESTIONS = (
    "您知道您所在网格的网格员是谁吗？",
    "您知道有事可以通过“报事”向网格反映吗？",
    "您知道您所在网格的网格长是谁吗？",
)


def _may_create(actor, path: str) -> bool:
    scope = scope_for(actor)
    if scope.unrestricted:
        return True
    return any(g.role in CREATOR_ROLES and path.startswith(g.path) for g in scope.grants)


@transaction.atomic
def survey_create(*, actor, name: str, area_id, start, end, questions=None) -> Survey:
    from .selectors import access_area

    area = access_area(actor=actor, area_id=area_id)
    if not _may_create(actor, area.path):
        raise PermissionDenied("not_allowed", "只有管理员、调度员、镇街和村社区干部可以发起问卷")
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", "请填写问卷名称", status=422)
    try:
        s, e = date.fromisoformat(str(start)), date.fromisoformat(str(end))
    except ValueError as exc:
        raise DomainError("bad_period", "起止日期格式不正确（YYYY-MM-DD）", status=422) from exc
    if e < s or (e - s).days > 366:
        raise DomainError("bad_period", "结束日期不能早于开始日期，最长一年", status=422)
    texts = [str(q).strip() for q in (questions or DEFAULT_QUESTIONS)]
    texts = [t for t in texts if t]
    if not texts or len(texts) > MAX_QUESTIONS:
        raise DomainError("bad_questions", f"问卷须有 1–{MAX_QUESTIONS} 个问题", status=422)
    if any(len(t) > 200 for t in texts):
        raise DomainError("bad_questions", "每个问题最多 200 字", status=422)
    survey = Survey.objects.create(
        name=name[:100], area=area, area_path=area.path, start=s, end=e, created_by=actor
    )
    Question.objects.bulk_create(
        [Question(survey=survey, order=i, text=t) for i, t in enumerate(texts)]
    )
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
