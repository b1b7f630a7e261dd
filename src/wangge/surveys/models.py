"""Short resident surveys (居民问卷) run through the H5: a campaign of yes/no
questions ("您知道您的网格员是谁吗？") shown to the residents of an area in
/m/ while it runs, one response per resident. Answers carry the
respondent's place (`area_path`) so results add up per area and feed the
知晓率 index (assessment)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):
    name = models.CharField(_("问卷名称"), max_length=100)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("调查范围"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=60, db_index=True, editable=False)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Closed early from the console (survey_close); reopening clears it.
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("居民问卷")
        verbose_name_plural = _("居民问卷")

    def __str__(self) -> str:
        return self.name

    def status_on(self, today) -> str:
        """未开始 / 进行中 / 已关闭 (closed early) / 已结束 (past its end)."""
        if self.end < today:
            return SurveyStatus.ENDED
        if self.closed_at is not None:
            return SurveyStatus.CLOSED
        if self.start > today:
            return SurveyStatus.PENDING
        return SurveyStatus.OPEN


class SurveyStatus(models.TextChoices):
    PENDING = "pending", _("未开始")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已关闭")
    ENDED = "ended", _("已结束")


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("问题"), max_length=200)
    # Counts towards 知晓率 (a "do you know …" question); other questions
    # are asked and reported but left out of the index.
    awareness = models.BooleanField(_("计入知晓率"), default=True)

    class Meta:
        ordering = ["order", "pk"]


class Choice(models.TextChoices):
    YES = "yes", _("知道")
    NO = "no", _("不知道")


class Response(models.Model):
    """One resident's answers to one survey (once)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=60, editable=False)
    at = models.DateTimeField(_("作答时间"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "resident"], name="survey_response_once")
        ]
        indexes = [models.Index(fields=["at", "area_path"], name="survey_response_at_path")]


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=4, choices=Choice.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once")
        ]
