"""Writes the console makes. Every status change still goes through the case
engine's one transition function (`cases.services.case_move`); this module
only chains the two moves a dispatcher makes as one click."""

from __future__ import annotations

from django.db import transaction

from wangge.cases.models import Case, Status
from wangge.cases.services import case_move


def case_dispatch(
    *,
    case_id: int,
    actor,
    version: int | None = None,
    team: str = "",
    department_id: int | None = None,
    assignee_id: int | None = None,
    handling: str = "",
    due_at: str = "",
    category: str = "",
    note: str = "",
) -> Case:
    """派遣 from the console: an accepted case is registered (立案, with the
    handling class, category and deadline chosen) and dispatched in one
    transaction — both moves or neither; a registered or dispatched case is
    (re-)dispatched. Each move is checked, locked and logged by `case_move`."""
    with transaction.atomic():
        status = Case.objects.filter(pk=case_id).values_list("status", flat=True).first()
        if status == Status.ACCEPTED:
            register = {k: v for k, v in {"handling": handling, "category": category}.items() if v}
            if due_at:
                register["due_at"] = due_at
            case = case_move(
                case_id=case_id, move="register", actor=actor, version=version, **register
            )
            version = case.version
        params = {
            k: v
            for k, v in {
                "team": team,
                "department_id": department_id,
                "assignee_id": assignee_id,
                "due_at": due_at if status != Status.ACCEPTED else "",
            }.items()
            if v not in (None, "")
        }
        return case_move(
            case_id=case_id, move="dispatch", actor=actor, version=version, note=note, **params
        )
