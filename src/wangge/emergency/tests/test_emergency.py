"""Emergency mode end to end in the services: switch on, emergency workers
get the grid, the checklist (idempotent, alerts raise top-priority cases),
progress by grid, switch back archives; refusals write nothing."""

from __future__ import annotations

import pytest

from wangge.cases.models import Case, CaseEvent
from wangge.core.errors import DomainError
from wangge.emergency import selectors, services
from wangge.emergency.checklist import DEFAULT_FIELDS
from wangge.emergency.models import ChecklistAnswer, EmergencyMode
from wangge.teams.models import RoleAssignment
from wangge.teams.scope import scope_for

pytestmark = pytest.mark.django_db

SAFE = {"all_safe": "1", "needs_help": "0", "tested": "2"}
HELP = {"all_safe": "0", "needs_help": "1", "note": "老人腿脚不便，需转移"}


def start(town, **kw):
    kw.setdefault("reason", "台风“梅花”登陆，全街道转入应急状态")
    kw.setdefault("fields", DEFAULT_FIELDS)
    return services.emergency_start(actor=town.street_cadre, area=town.tree.street_a1, **kw)


def test_start_counts_households_per_grid(town):
    mode = start(town)
    assert mode.households == 6
    p = selectors.mode_progress(actor=town.street_cadre, mode=mode)
    by_grid = {g["id"]: (g["households"], g["answered"]) for g in p["grids"]}
    assert by_grid[town.tree.grid_a1a_1.pk] == (4, 0)
    assert by_grid[town.tree.grid_a1b_1.pk] == (2, 0)
    assert by_grid[town.tree.grid_a1a_2.pk] == (0, 0)
    # A grid worker sees their own grid's part.
    mine = selectors.mode_progress(actor=town.grid_worker, mode=mode)
    assert [g["id"] for g in mine["grids"]] == [town.tree.grid_a1a_1.pk]


def test_start_refusals_write_nothing(town, make_staff):
    with pytest.raises(DomainError) as exc:
        services.emergency_start(
            actor=town.street_cadre, area=town.tree.district_b, reason="x", fields=DEFAULT_FIELDS
        )
    assert (exc.value.code, exc.value.status) == ("outside_scope", 404)
    with pytest.raises(DomainError) as exc:
        services.emergency_start(
            actor=town.grid_worker, area=town.tree.grid_a1a_1, reason="x", fields=DEFAULT_FIELDS
        )
    assert exc.value.code == "not_allowed"
    with pytest.raises(DomainError) as exc:
        services.emergency_start(
            actor=town.street_cadre, area=town.tree.community_a1a, reason="x", fields=DEFAULT_FIELDS
        )
    assert exc.value.code == "bad_area"
    with pytest.raises(DomainError) as exc:
        start(town, reason=" ")
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        start(town, fields=[{"key": "a", "label": "甲", "type": "photo"}])
    assert exc.value.code == "bad_field_type"
    assert EmergencyMode.objects.count() == 0
    start(town)
    # The district above an active street cannot switch too (409).
    dispatcher = make_staff("dispatcher", town.tree.district_a)
    with pytest.raises(DomainError) as exc:
        services.emergency_start(
            actor=dispatcher, area=town.tree.district_a, reason="x", fields=DEFAULT_FIELDS
        )
    assert (exc.value.code, exc.value.status) == ("already_active", 409)
    assert EmergencyMode.objects.count() == 1


def test_emergency_worker_joins_a_grid_and_leaves_with_the_mode(town, make_staff):
    from wangge.accounts.models import User

    mode = start(town)
    cadre = User.objects.create_user(
        username="cadre1", password="x-Wangge-2026", kind="staff", name="机关干部"
    )
    assert not scope_for(cadre).is_staff_scope
    services.emergency_assign(
        actor=town.street_cadre, mode=mode, user=cadre, grid=town.tree.grid_a1b_1
    )
    cadre = User.objects.get(pk=cadre.pk)  # fresh scope
    assert scope_for(cadre).covers(town.tree.grid_a1b_1.path)
    assert selectors.active_for_worker(actor=cadre) == [mode]
    h = town.households_a1b_1[1]
    answer, done = services.checklist_fill(actor=cadre, mode=mode, household=h, answers=SAFE)
    assert done and answer.filled_by == cadre
    with pytest.raises(DomainError) as exc:  # not their grid
        services.checklist_fill(
            actor=cadre, mode=mode, household=town.households_a1a_1[0], answers=SAFE
        )
    assert exc.value.status == 404
    with pytest.raises(DomainError) as exc:
        services.emergency_assign(
            actor=town.street_cadre, mode=mode, user=cadre, grid=town.tree.grid_b1a_1
        )
    assert exc.value.code == "bad_grid"

    archived = services.emergency_end(actor=town.street_cadre, mode=mode, note="台风过境")
    assert archived.status == "archived"
    assert archived.summary == {
        "households": 6,
        "answered": 1,
        "alerts": 0,
        "cases": 0,
        "emergency_workers": 1,
        "days": archived.summary["days"],
    }
    assert not RoleAssignment.objects.get(user=cadre, role="emergency_worker").is_active
    assert not scope_for(User.objects.get(pk=cadre.pk)).is_staff_scope
    # Archived: no more answers, no second switch back; the results stay.
    with pytest.raises(DomainError) as exc:
        services.checklist_fill(
            actor=town.grid_worker, mode=mode, household=town.households_a1a_1[0], answers=SAFE
        )
    assert (exc.value.code, exc.value.status) == ("archived", 409)
    with pytest.raises(DomainError) as exc:
        services.emergency_end(actor=town.street_cadre, mode=mode)
    assert exc.value.code == "archived"
    assert ChecklistAnswer.objects.filter(mode=mode).count() == 1
    # A new emergency may start after the switch back.
    assert start(town).pk != mode.pk


def test_checklist_is_idempotent_and_alerts_raise_top_priority_cases(town):
    mode = start(town)
    h = town.households_a1a_1[0]
    a1, done = services.checklist_fill(
        actor=town.grid_worker, mode=mode, household=h, answers=HELP, idempotency_key="k-1"
    )
    assert done and a1.alert and a1.case_id
    again, done = services.checklist_fill(
        actor=town.grid_worker, mode=mode, household=h, answers=SAFE, idempotency_key="k-1"
    )
    assert (again.pk, done, again.alert) == (
        a1.pk,
        False,
        True,
    )  # the first result, nothing written
    case = Case.objects.get(pk=a1.case_id)
    assert case.supervised and case.grid_id == town.tree.grid_a1a_1.pk
    assert "最高优先级" in case.description and "需要帮助：是" in case.description
    assert CaseEvent.objects.filter(case=case, kind="supervise", data__priority="top").exists()
    p = selectors.mode_progress(actor=town.street_cadre, mode=mode)
    assert (p["answered"], p["alerts"]) == (1, 1)
    # A correction (new key): the alert clears, no second case.
    a2, done = services.checklist_fill(
        actor=town.grid_worker, mode=mode, household=h, answers=SAFE, idempotency_key="k-2"
    )
    assert done and a2.pk == a1.pk and not a2.alert and a2.case_id == case.pk
    p = selectors.mode_progress(actor=town.street_cadre, mode=mode)
    assert (p["answered"], p["alerts"]) == (1, 0)
    assert Case.objects.count() == 1


def test_bad_answers_and_read_only_roles_write_nothing(town):
    mode = start(town)
    h = town.households_a1a_1[0]
    with pytest.raises(DomainError) as exc:
        services.checklist_fill(
            actor=town.grid_worker, mode=mode, household=h, answers={"needs_help": "0"}
        )
    assert exc.value.code == "answer_required"
    with pytest.raises(DomainError) as exc:
        services.checklist_fill(actor=town.leader, mode=mode, household=h, answers=SAFE)
    assert exc.value.code == "not_allowed"
    assert not ChecklistAnswer.objects.exists()
    assert selectors.mode_progress(actor=town.street_cadre, mode=mode)["answered"] == 0


def test_modes_are_scoped(town):
    mode = start(town)
    with pytest.raises(DomainError):
        selectors.access_mode(actor=town.foreign_dispatcher, mode_id=mode.pk)
    with pytest.raises(DomainError):
        selectors.access_mode(actor=town.resident_user, mode_id=mode.pk)
    assert selectors.mode_list(actor=town.foreign_dispatcher) == []
    assert selectors.access_mode(actor=town.grid_worker, mode_id=mode.pk) == mode


def test_emergency_cases_head_the_consoles_new_queue(town):
    from wangge.cases.services import case_report
    from wangge.console.selectors import ConsoleFilters, queue_page

    mode = start(town)
    earlier, _ = case_report(
        actor=town.grid_worker, description="楼道灯坏了", area=town.tree.grid_a1a_1
    )
    answer, _ = services.checklist_fill(
        actor=town.grid_worker, mode=mode, household=town.households_a1a_1[0], answers=HELP
    )
    rows = queue_page(actor=town.street_cadre, filters=ConsoleFilters(), tab="new", offset=0)
    assert [c.pk for c in rows] == [answer.case_id, earlier.pk]
