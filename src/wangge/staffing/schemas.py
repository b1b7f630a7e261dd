from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field


class StaffPostOut(Schema):
    role: str
    role_label: str
    area_id: int
    area_name: str


class StaffWorkerOut(Schema):
    id: int
    name: str
    phone: str = Field(description="工作手机（联系卡上公开印制）")
    posts: list[StaffPostOut]
    recruited_on: dt.date | None
    contract_end: dt.date | None
    training_hours: Decimal = Field(description="本年度培训学时")
    certificates: int
    expiring: int = Field(description="60 天内到期的证书数")


class RecruitmentIn(Schema):
    recruited_on: dt.date
    channel: str = Field(description="public / community / transfer / volunteer / other")
    exam_score: Decimal | None = None
    interview_result: str = Field("pending", description="passed / failed / pending")
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None
    notes: str = ""


class RecruitmentOut(Schema):
    recruited_on: dt.date
    channel: str
    channel_label: str
    exam_score: Decimal | None
    interview_result: str
    interview_result_label: str
    contract_start: dt.date | None
    contract_end: dt.date | None
    notes: str


class TrainingIn(Schema):
    course: str
    held_on: dt.date
    hours: Decimal
    result: str = Field("attended", description="passed / failed / attended")
    notes: str = ""


class TrainingOut(Schema):
    id: int
    course: str
    held_on: dt.date
    hours: Decimal
    result: str
    result_label: str
    notes: str


class CertificateIn(Schema):
    name: str
    number: str
    issuer: str
    issued_on: dt.date
    expires_on: dt.date | None = None
    notes: str = ""


class CertificateOut(Schema):
    id: int
    name: str
    number: str
    issuer: str
    issued_on: dt.date
    expires_on: dt.date | None
    expiring: bool = Field(description="60 天内到期")
    expired: bool


class StaffRecordOut(Schema):
    id: int
    name: str
    phone: str
    posts: list[StaffPostOut]
    recruitment: RecruitmentOut | None
    trainings: list[TrainingOut]
    certificates: list[CertificateOut]
    hours_year: Decimal
    hours_total: Decimal


class ExpiringOut(Schema):
    certificate: CertificateOut
    worker_id: int
    worker_name: str
    area_name: str
