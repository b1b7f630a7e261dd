"""The resident H5's surveys (/m/surveys/): the running surveys over the
resident's place, and a form to answer one (once)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse

from wangge.core.errors import DomainError
from wangge.h5.views import resident_required

from . import selectors, services
from .models import Choice


@resident_required
def h5_list(request):
    done = request.GET.get("done") == "1"
    return render(
        request,
        "surveys/h5_list.html",
        {"surveys": selectors.open_surveys(actor=request.user), "done": done, "nav": "home"},
    )


@resident_required
def h5_answer(request, survey_id: int):
    survey = selectors.access_open_survey(actor=request.user, survey_id=survey_id)
    error, status, picked = None, 200, {}
    if request.method == "POST":
        picked = {q.pk: request.POST.get(f"q{q.pk}", "") for q in survey.questions.all()}
        try:
            services.survey_answer(actor=request.user, survey_id=survey.pk, answers=picked)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect(reverse("h5:surveys") + "?done=1")
    return render(
        request,
        "surveys/h5_answer.html",
        {
            "survey": survey,
            "questions": list(survey.questions.all()),
            "choices": Choice.choices,
            "picked": picked,
            "error": error,
            "nav": "home",
        },
        status=status,
    )
