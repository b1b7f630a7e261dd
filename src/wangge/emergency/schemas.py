from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class ModeIn(Schema):
    area_id: int
    reason: str
    fields: list[Any]


class ModeOut(Schema):
    id: int
    area_id: int
    area: str
    reason: str
    status: str
    households: int
    started_at: datetime
    ended_at: datetime | None
    fields: list[dict]
    summary: dict


class GridProgressOut(Schema):
    id: int
    name: str
    households: int
    answered: int
    alerts: int
    pct: float


class ProgressOut(Schema):
    households: int
    answered: int
    alerts: int
    pct: float
    grids: list[GridProgressOut]


class ModeDetailOut(ModeOut):
    progress: ProgressOut


class AssignIn(Schema):
    user_id: int
    grid_id: int


class AssignOut(Schema):
    id: int
    user_id: int
    grid_id: int


class EndIn(Schema):
    note: str = ""


class AnswerIn(Schema):
    household_id: int
    answers: dict[str, Any]


class AnswerOut(Schema):
    id: int
    household_id: int
    address: str
    answers: dict
    alert: bool
    case_id: int | None
    filled_at: datetime
    done: bool = False
