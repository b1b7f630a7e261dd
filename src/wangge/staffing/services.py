"""Writes of the grid-worker records: recruitment (招聘, one per worker,
set again to correct it), training (培训) and certificates (证书).

Kept by those who manage the worker's area (`manages_users`: community and
street cadres, city admin). Each service validates everything first and
writes in one transaction; bad input raises DomainError (machine code,
zh-Hans message, the field it concerns) and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from wangge.core.errors import DomainError
from wangge.serviceteams.services import invalid, require, save_unique
from wangge.teams.scope import scope_for

from .models import Certificate, Recruitment, Training
from .selectors import Worker, not_found

MAX_TRAINING_HOURS = Decimal("200")


def _post_for(actor, worker: Worker):
    """The worker's team area the record is filed under: the first one the
    actor manages (403 when they manage none, 404 when they see none)."""
    scope = scope_for(actor)
    covered = [p for p in worker.posts if scope.covers(p.area_path)]
    if not scope.is_staff_scope or not covered:
        raise not_found()
    for p in covered:
        if scope.manages_users(p.area_path):
            return p
    require(actor, covered[0].area_path, "manages_users", message="您没有维护网格员档案的权限")
    raise not_found()  # pragma: no cover - require raised


def may_manage(actor, worker: Worker) -> bool:
    try:
        _post_for(actor, worker)
    except DomainError:
        return False
    return True


def _text(value, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid("required", f"请填写{label}", field)
    if len(value) > max_length:
        raise invalid("too_long", f"{label}不能超过 {max_length} 个字", field)
    return value


def _date(value, field: str, label: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise invalid("required", f"请填写{label}", field)
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise invalid("invalid_date", f"{label}格式不正确（应为 2026-01-31）", field) from None


def _not_future(day: dt.date, field: str, label: str) -> None:
    if day > timezone.localdate():
        raise invalid("future_date", f"{label}不能晚于今天", field)


def _decimal(value, field: str, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise invalid("invalid_number", f"{label}应为数字", field) from None
    if not d.is_finite():
        raise invalid("invalid_number", f"{label}应为数字", field)
    return d


def _choice(value, choices, field: str, label: str, default: str | None = None) -> str:
    value = value or default
    if value not in choices.values:
        names = "、".join(str(c.label) for c in choices)
        raise invalid("invalid_choice", f"{label}应为：{names}", field)
    return value


@transaction.atomic
def recruitment_set(
    *,
    actor,
    worker: Worker,
    recruited_on,
    channel: str,
    exam_score=None,
    interview_result: str = "",
    contract_start=None,
    contract_end=None,
    notes: str = "",
) -> Recruitment:
    """Record (or correct) how a worker was recruited and their contract."""
    post = _post_for(actor, worker)
    recruited_on = _date(recruited_on, "recruited_on", "招聘日期")
    _not_future(recruited_on, "recruited_on", "招聘日期")
    channel = _choice(channel, Recruitment.Channel, "channel", "招聘渠道")
    score = _decimal(exam_score, "exam_score", "笔试成绩")
    if score is not None and not Decimal("0") <= score <= Decimal("100"):
        raise invalid("out_of_range", "笔试成绩应在 0 到 100 之间", "exam_score")
    result = _choice(
        interview_result, Recruitment.Result, "interview_result", "面试结果", default="pending"
    )
    start = _date(contract_start, "contract_start", "合同开始日期", required=False)
    end = _date(contract_end, "contract_end", "合同结束日期", required=False)
    if end is not None and start is None:
        raise invalid("required", "填写合同结束日期时请同时填写开始日期", "contract_start")
    if start is not None and start < recruited_on:
        raise invalid(
            "contract_before_recruitment", "合同开始日期不能早于招聘日期", "contract_start"
        )
    if start is not None and end is not None and end <= start:
        raise invalid("contract_dates", "合同结束日期应晚于开始日期", "contract_end")
    notes = _text(notes, "notes", "备注", 500, required=False)
    rec = Recruitment.objects.select_for_update().filter(worker=worker.user).first()
    if rec is None:
        rec = Recruitment(worker=worker.user)
    rec.area_id = post.area_id
    rec.area_path = post.area_path
    rec.recruited_on = recruited_on
    rec.channel = channel
    rec.exam_score = score
    rec.interview_result = result
    rec.contract_start = start
    rec.contract_end = end
    rec.notes = notes
    rec.recorded_by = actor
    return save_unique(rec, code="duplicate", message="该网格员已有招聘记录")


@transaction.atomic
def training_add(
    *, actor, worker: Worker, course: str, held_on, hours, result: str = "", notes: str = ""
) -> Training:
    post = _post_for(actor, worker)
    course = _text(course, "course", "课程名称", 100)
    held_on = _date(held_on, "held_on", "培训日期")
    _not_future(held_on, "held_on", "培训日期")
    h = _decimal(hours, "hours", "学时")
    if h is None:
        raise invalid("required", "请填写学时", "hours")
    if not Decimal("0") < h <= MAX_TRAINING_HOURS:
        raise invalid("out_of_range", f"学时应大于 0 且不超过 {MAX_TRAINING_HOURS}", "hours")
    result = _choice(result, Training.Result, "result", "培训结果", default="attended")
    t = Training(
        worker=worker.user,
        area_id=post.area_id,
        area_path=post.area_path,
        course=course,
        held_on=held_on,
        hours=h,
        result=result,
        notes=_text(notes, "notes", "备注", 500, required=False),
        recorded_by=actor,
    )
    t.save()
    return t


@transaction.atomic
def certificate_add(
    *,
    actor,
    worker: Worker,
    name: str,
    number: str,
    issuer: str,
    issued_on,
    expires_on=None,
    notes: str = "",
) -> Certificate:
    post = _post_for(actor, worker)
    name = _text(name, "name", "证书名称", 100)
    number = _text(number, "number", "证书编号", 60)
    issuer = _text(issuer, "issuer", "发证机关", 100)
    issued_on = _date(issued_on, "issued_on", "发证日期")
    _not_future(issued_on, "issued_on", "发证日期")
    expires_on = _date(expires_on, "expires_on", "有效期", required=False)
    if expires_on is not None and expires_on <= issued_on:
        raise invalid("expiry_before_issue", "有效期应晚于发证日期", "expires_on")
    cert = Certificate(
        worker=worker.user,
        area_id=post.area_id,
        area_path=post.area_path,
        name=name,
        number=number,
        issuer=issuer,
        issued_on=issued_on,
        expires_on=expires_on,
        notes=_text(notes, "notes", "备注", 500, required=False),
        recorded_by=actor,
    )
    return save_unique(cert, code="duplicate", message=f"证书“{name}”编号 {number} 已登记")


@transaction.atomic
def certificate_delete(*, actor, worker: Worker, certificate_id: int) -> None:
    _post_for(actor, worker)
    deleted, _ = Certificate.objects.filter(pk=certificate_id, worker=worker.user).delete()
    if not deleted:
        raise not_found()
