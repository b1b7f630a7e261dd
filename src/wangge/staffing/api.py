"""/api/v1/staffing: grid workers as staff — recruitment, training and
certificate records (staff only, scoped to the worker's team areas)."""

from __future__ import annotations

from ninja import Query, Router, Status

from wangge.areas.schemas import ErrorOut
from wangge.areas.selectors import access_area

from . import selectors, services
from .models import Certificate, Recruitment, Training
from .schemas import (
    CertificateIn,
    CertificateOut,
    ExpiringOut,
    RecruitmentIn,
    RecruitmentOut,
    StaffPostOut,
    StaffRecordOut,
    StaffWorkerOut,
    TrainingIn,
    TrainingOut,
)

router = Router(tags=["网格员队伍"])

READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _posts(w: selectors.Worker) -> list[StaffPostOut]:
    return [
        StaffPostOut(role=p.role, role_label=p.role_label, area_id=p.area_id, area_name=p.area_name)
        for p in w.posts
    ]


def _recruitment(r: Recruitment) -> RecruitmentOut:
    return RecruitmentOut(
        recruited_on=r.recruited_on,
        channel=r.channel,
        channel_label=r.get_channel_display(),
        exam_score=r.exam_score,
        interview_result=r.interview_result,
        interview_result_label=r.get_interview_result_display(),
        contract_start=r.contract_start,
        contract_end=r.contract_end,
        notes=r.notes,
    )


def _training(t: Training) -> TrainingOut:
    return TrainingOut(
        id=t.pk,
        course=t.course,
        held_on=t.held_on,
        hours=t.hours,
        result=t.result,
        result_label=t.get_result_display(),
        notes=t.notes,
    )


def _certificate(c: Certificate, expiring: bool, expired: bool) -> CertificateOut:
    return CertificateOut(
        id=c.pk,
        name=c.name,
        number=c.number,
        issuer=c.issuer,
        issued_on=c.issued_on,
        expires_on=c.expires_on,
        expiring=expiring,
        expired=expired,
    )


def _record(worker: selectors.Worker) -> StaffRecordOut:
    rec = selectors.worker_record(worker=worker)
    return StaffRecordOut(
        id=worker.id,
        name=worker.name,
        phone=worker.user.phone or "",
        posts=_posts(worker),
        recruitment=_recruitment(rec.recruitment) if rec.recruitment else None,
        trainings=[_training(t) for t in rec.trainings],
        certificates=[
            _certificate(c, c.pk in rec.expiring_ids, c.pk in rec.expired_ids)
            for c in rec.certificates
        ],
        hours_year=rec.hours_year,
        hours_total=rec.hours_total,
    )


@router.get("/workers", response={200: list[StaffWorkerOut], **READ})
def worker_list(
    request,
    area_id: int | None = Query(None),
    role: str = Query(""),
    q: str = Query("", max_length=50),
    expiring: bool = Query(False, description="只看有 60 天内到期证书的网格员"),
):
    """网格员名册（辖区内），含本年度培训学时与证书情况。"""
    actor = request.auth
    selectors.staff_only(actor)
    area = access_area(actor=actor, area_id=area_id) if area_id is not None else None
    rows = selectors.worker_list(actor=actor, area=area, role=role, q=q, expiring=expiring)
    return [
        StaffWorkerOut(
            id=r.worker.id,
            name=r.worker.name,
            phone=r.worker.user.phone or "",
            posts=_posts(r.worker),
            recruited_on=r.recruited_on,
            contract_end=r.contract_end,
            training_hours=r.training_hours,
            certificates=r.certificates,
            expiring=r.expiring,
        )
        for r in rows
    ]


@router.get("/certificates/expiring", response={200: list[ExpiringOut], **READ})
def expiring(request, area_id: int | None = Query(None), days: int = Query(60, ge=1, le=366)):
    """即将到期的证书（默认 60 天内）。"""
    actor = request.auth
    selectors.staff_only(actor)
    area = access_area(actor=actor, area_id=area_id) if area_id is not None else None
    return [
        ExpiringOut(
            certificate=_certificate(c, True, False),
            worker_id=w.id,
            worker_name=w.name,
            area_name=w.area_name,
        )
        for c, w in selectors.expiring_certificates(actor=actor, area=area, days=days)
    ]


@router.get("/workers/{worker_id}", response={200: StaffRecordOut, **READ})
def worker_detail(request, worker_id: int):
    """一名网格员的档案：招聘、培训、证书。"""
    worker = selectors.access_worker(actor=request.auth, worker_id=worker_id)
    return _record(worker)


@router.put("/workers/{worker_id}/recruitment", response={200: RecruitmentOut, **WRITE})
def recruitment_set(request, worker_id: int, payload: RecruitmentIn):
    """登记或更正招聘信息（每名网格员一条）。"""
    worker = selectors.access_worker(actor=request.auth, worker_id=worker_id)
    rec = services.recruitment_set(actor=request.auth, worker=worker, **payload.dict())
    return _recruitment(rec)


@router.post("/workers/{worker_id}/trainings", response={201: TrainingOut, **WRITE})
def training_add(request, worker_id: int, payload: TrainingIn):
    """登记一次培训。"""
    worker = selectors.access_worker(actor=request.auth, worker_id=worker_id)
    t = services.training_add(actor=request.auth, worker=worker, **payload.dict())
    return Status(201, _training(t))


@router.post("/workers/{worker_id}/certificates", response={201: CertificateOut, **WRITE})
def certificate_add(request, worker_id: int, payload: CertificateIn):
    """登记一张证书。"""
    worker = selectors.access_worker(actor=request.auth, worker_id=worker_id)
    c = services.certificate_add(actor=request.auth, worker=worker, **payload.dict())
    rec = selectors.worker_record(worker=worker)
    return Status(201, _certificate(c, c.pk in rec.expiring_ids, c.pk in rec.expired_ids))


@router.delete("/workers/{worker_id}/certificates/{certificate_id}", response={204: None, **WRITE})
def certificate_delete(request, worker_id: int, certificate_id: int):
    """删除一张登记错误的证书。"""
    worker = selectors.access_worker(actor=request.auth, worker_id=worker_id)
    services.certificate_delete(actor=request.auth, worker=worker, certificate_id=certificate_id)
    return Status(204, None)
