from __future__ import annotations

from datetime import datetime

from ninja import Schema


class NoticeIn(Schema):
    area_id: int
    title: str
    body: str
    urgency: str = "normal"
    audience: str = "households"
    care_groups: list[str] = []
    include_staff: bool = True
    reach_minutes: int | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class NoticeOut(Schema):
    id: int
    area_id: int
    area: str
    title: str
    urgency: str
    audience: str
    status: str
    created_at: datetime
    reach_by: datetime | None
    households: int
    staff: int
    read_at: datetime | None = None


class NoticeDetailOut(NoticeOut):
    body: str
    care_groups: list[str]
    reach_minutes: int
    fanout_seconds: float | None
    attachments: list[AttachmentOut]


class ProgressRow(Schema):
    id: int | None = None
    name: str
    total: int
    read: int
    reached: int
    unreached: int
    reached_pct: float
    read_pct: float


class ProgressOut(Schema):
    status: str
    totals: ProgressRow
    grids: int
    children: list[ProgressRow]
    behind: list[ProgressRow]
    staff: int
    staff_read: int


class ReachIn(Schema):
    household_id: int
    via: str


class ReachOut(Schema):
    recorded: bool


class ReadOut(Schema):
    recorded: bool


class UnreachedRow(Schema):
    notice_id: int
    title: str
    household_id: int
    address: str
    reach_by: datetime | None


class UnreachedOut(Schema):
    total: int
    rows: list[UnreachedRow]
