"""The transition table, walked: from every status, every move is tried by
every kind of actor. Allowed ones must succeed (and are rolled back), the
others must fail with not_allowed or invalid_transition and change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from wangge.cases.flow import TABLE, Move, Who
from wangge.cases.models import Case, CaseEvent, Status, Team
from wangge.cases.services import who_is
from wangge.core.errors import DomainError

from .conftest import photo, report, walk_to

D, GL, GT, V, H, W, R, SYS = (
    Who.DISPATCHER,
    Who.GRID_LEADER,
    Who.GRID_TEAM,
    Who.VERIFIER,
    Who.HANDLER,
    Who.WHISTLED,
    Who.REPORTER,
    Who.SYSTEM,
)

PERSONAS = [
    "dispatcher",
    "grid_leader",
    "grid_worker",
    "micro_leader",
    "zf_staff",
    "ga_staff",
    "resident",
    "system",
    "outsider",
]


def persona_user(world, name):
    return None if name == "system" else getattr(world, name)


def expected_who(name: str, case: Case) -> set:
    """Written by hand from the roles: what each persona is on a case."""
    grid_team = case.team == Team.GRID
    dept_team = case.team == Team.DEPARTMENT
    whistled = case.status not in ("reported", "accepted", "voided", "merged")
    return {
        "dispatcher": {D, V},
        "grid_leader": {GL, GT, V} | ({H} if grid_team else set()),
        "grid_worker": {GT, V} | ({H} if grid_team else set()),
        "micro_leader": {GT},
        "zf_staff": {H} if dept_team else set(),
        "ga_staff": {W} if whistled else set(),
        "resident": {R},
        "system": {SYS},
        "outsider": set(),
    }[name]


def params_for(world, move: Move, persona: str, case: Case, other: Case) -> dict:
    p: dict = {}
    match move:
        case Move.VOID | Move.PARK:
            p["reason"] = "原因说明"
        case Move.MERGE:
            p["target_id"] = other.pk
        case Move.DISPATCH:
            if persona == "grid_leader":
                p["team"] = "grid"
            else:
                p.update(team="department", department_id=world.dept_zf.pk)
        case Move.REPORT_BACK:
            p.update(photos=[photo()], note="已处置")
        case Move.VERIFY_FAIL | Move.WHISTLE_RESPOND:
            p["note"] = "说明"
        case Move.RATE:
            p["rating"] = 4
        case Move.ARCHIVE:
            if case.closed_at:
                p["at"] = case.closed_at + dt.timedelta(days=8)
        case Move.EXTENSION_REQUEST:
            p.update(days=2, reason="需要协调")
        case Move.WHISTLE:
            p["department_ids"] = [world.dept_zj.pk]
        case Move.JOINT:
            p.update(lead_department_id=world.dept_zf.pk, assist_department_ids=[world.dept_zj.pk])
    return p


class Rollback(Exception):
    pass


def attempt(world, case, move, persona, other):
    from wangge.cases.services import case_move

    actor = persona_user(world, persona)
    result = None
    try:
        with transaction.atomic():
            # Precondition beyond the status: a pending request (made by the
            # handler), when the status allows one at all.
            if (
                move in (Move.EXTENSION_APPROVE, Move.EXTENSION_REJECT)
                and case.status in TABLE[Move.EXTENSION_REQUEST].sources
            ):
                case_move(
                    case_id=case.pk,
                    move="extension_request",
                    actor=world.zf_staff,
                    days=2,
                    reason="需要协调",
                )
            p = params_for(world, move, persona, case, other)
            moved = case_move(case_id=case.pk, move=move, actor=actor, **p)
            result = ("ok", moved.status)
            raise Rollback
    except Rollback:
        pass
    except DomainError as exc:
        result = ("error", exc.code)
    return result


STATUSES = [s.value for s in Status]


@pytest.mark.parametrize("status", STATUSES)
def test_every_move_from_every_status(world, status):
    other = report(
        world, actor=world.resident2, description="另一处暴露垃圾", point=(120.10, 30.40)
    )
    case = walk_to(world, report(world), status)
    case.refresh_from_db()
    events_before = CaseEvent.objects.filter(case=case).count()
    version_before = case.version
    failures = []
    for persona in PERSONAS:
        actor = persona_user(world, persona)
        assert who_is(actor, case) == expected_who(persona, case), persona
        for move in Move:
            edge = TABLE[move]
            may = status in edge.sources and bool(edge.who & expected_who(persona, case))
            got = attempt(world, case, move, persona, other)
            if may and got[0] != "ok":
                failures.append(f"{persona} {move} from {status}: expected ok, got {got}")
            if not may and (got[0] == "ok" or got[1] not in ("not_allowed", "invalid_transition")):
                failures.append(f"{persona} {move} from {status}: expected refusal, got {got}")
            if may and got[0] == "ok" and edge.target is not None:
                assert got[1] == edge.target
    assert not failures, "\n".join(failures)
    case.refresh_from_db()
    assert case.status == status and case.version == version_before
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_table_covers_every_move_and_known_statuses():
    assert set(TABLE) == set(Move)
    for edge in TABLE.values():
        assert edge.sources and set(edge.sources) <= set(Status.values)
        assert edge.target is None or edge.target in Status.values


def test_grid_team_path_self_handled(world):
    """A grid leader accepts, registers and dispatches a self-handled category
    to the grid team; a part-time worker handles it on the spot."""
    w = world
    case = report(w, actor=w.grid_worker, category="0401", found_on_visit=True)
    for name in ("accept", "register"):
        case = walk_step(case, name, w.grid_leader)
    case = walk_step(case, "dispatch", w.grid_leader, team="grid")
    assert case.team == "grid" and case.department_id is None
    case = walk_step(case, "handle", w.part_time)
    case = walk_step(case, "report_back", w.part_time, note="已劝离", photos=[photo()])
    case = walk_step(case, "verify_pass", w.grid_leader)
    case = walk_step(case, "close", w.grid_leader)
    assert case.status == "closed"
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        "report",
        "accept",
        "register",
        "dispatch",
        "handle",
        "report_back",
        "verify_pass",
        "close",
    ]


def test_grid_leader_cannot_dispatch_a_department_matter(world):
    w = world
    case = report(w, category="0304", description="楼顶违法搭建")  # 违法建设: not grid-handled
    case = walk_step(case, "accept", w.grid_leader)
    due = (timezone.now() + dt.timedelta(days=10)).isoformat()
    case = walk_step(case, "register", w.grid_leader, due_at=due)
    with pytest.raises(DomainError) as exc:
        walk_step(case, "dispatch", w.grid_leader, team="grid")
    assert exc.value.code == "not_allowed"


def walk_step(case, name, actor, **kw):
    from wangge.cases.services import case_move

    return case_move(case_id=case.pk, move=name, actor=actor, **kw)
