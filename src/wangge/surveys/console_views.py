"""居民问卷 in the console (/console/surveys/): the surveys over the actor's
areas with their status, responses and 知晓率; a form to start one; one
survey's results per area with the raw counts; open / close buttons (htmx
swaps the survey's state in place; without htmx the form posts and
redirects). Thin: parse, access_*, one service or selector call, render.
Console users only (console_page); starting, opening and closing is for the
roles in services.CREATOR_ROLES over their own areas (others read)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from wangge.console.views import console_page
from wangge.core.errors import DomainError

from . import selectors, services
from .models import SurveyStatus


def _question_rows(values) -> list[dict]:
    """The form's question rows: what was posted, or the default questions
    (each counted towards 知晓率) and empty rows up to the maximum."""
    if values:
        return [
            {"text": values.get(f"q{i}", ""), "awareness": values.get(f"a{i}") == "1"}
            for i in range(services.MAX_QUESTIONS)
        ]
    rows = [{"text": t, "awareness": True} for t in services.DEFAULT_QUESTIONS]
    return rows + [{"text": "", "awareness": True}] * (services.MAX_QUESTIONS - len(rows))


def _index(request, *, error=None, values=None, status=200):
    may_run = services.may_run(request.user)
    return render(
        request,
        "surveys/console_index.html",
        {
            "rows": selectors.survey_rows(actor=request.user),
            "may_run": may_run,
            "areas": selectors.area_options(actor=request.user) if may_run else [],
            "error": error,
            "values": values or {},
            "questions": _question_rows(values),
        },
        status=status,
    )


@require_GET
@console_page
def console_index(request):
    return _index(request)


@require_POST
@console_page
def console_create(request):
    data = request.POST
    try:
        survey = services.survey_create(
            actor=request.user,
            name=data.get("name", ""),
            area_id=data.get("area_id", ""),
            start=data.get("start", ""),
            end=data.get("end", ""),
            questions=[
                {"text": data.get(f"q{i}", ""), "awareness": data.get(f"a{i}") == "1"}
                for i in range(services.MAX_QUESTIONS)
            ],
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _index(request, error=exc, values=data, status=exc.status)
    messages.success(request, f"已发起问卷：{survey.name}")
    return redirect("surveys-console:detail", survey_id=survey.pk)


@require_GET
@console_page
def console_detail(request, survey_id: int):
    result = selectors.results(actor=request.user, survey_id=survey_id)
    return render(request, "surveys/console_detail.html", _state(request, result["survey"], result))


def _state(request, survey, extra=None, error=None) -> dict:
    return {
        **(extra or {}),
        "survey": survey,
        "status": SurveyStatus(survey.status_on(timezone.localdate())),
        "may_run": services.may_run(request.user, survey.area_path),
        "state_error": error,
    }


def _switch(request, survey_id: int, service, done: str):
    """Open or close: the survey's state fragment for htmx, else back to
    the survey (an error: the page again with it and its status)."""
    survey = selectors.access_survey(actor=request.user, survey_id=survey_id)
    error, status = None, 200
    try:
        survey = service(actor=request.user, survey=survey)
    except DomainError as exc:
        if exc.status == 404:
            raise
        error, status = exc.message, exc.status
    if request.headers.get("HX-Request") == "true":
        return render(
            request, "surveys/_state.html", _state(request, survey, error=error), status=status
        )
    if error is None:
        messages.success(request, done)
        return redirect("surveys-console:detail", survey_id=survey.pk)
    result = selectors.results(actor=request.user, survey_id=survey.pk)
    return render(
        request,
        "surveys/console_detail.html",
        _state(request, survey, result, error),
        status=status,
    )


@require_POST
@console_page
def console_open(request, survey_id: int):
    return _switch(request, survey_id, services.survey_open, "问卷已开启，居民现在可以填写")


@require_POST
@console_page
def console_close(request, survey_id: int):
    return _switch(request, survey_id, services.survey_close, "问卷已关闭，已收到的答卷仍然计入")
