import pytest

from wangge.core.errors import DomainError
from wangge.teams.models import Department
from wangge.teams.roles import Role
from wangge.teams.selectors import department_list, grid_team, incomplete_teams
from wangge.teams.tests.world import make_user


def test_full_team_of_a_grid(tree):
    leader = make_user(Role.GRID_LEADER, tree.grid_a1a_1, name="网格长", phone="13900000001")
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    instructor = make_user(Role.GRID_INSTRUCTOR, tree.grid_a1a_1, name="指导员")
    part = make_user(Role.PART_TIME_WORKER, tree.grid_a1a_1, name="兼职")
    mgl = make_user(Role.MICRO_GRID_LEADER, tree.mg_a1a_1_2, name="微网格长")
    make_user(Role.GRID_WORKER, tree.grid_a1a_2, name="别的网格的网格员")
    team = grid_team(actor=worker, grid=tree.grid_a1a_1)
    assert (team.leader.user_id, team.worker.user_id, team.instructor.user_id) == (
        leader.pk,
        worker.pk,
        instructor.pk,
    )
    assert [(m.user_id, m.role) for m in team.members] == [
        (part.pk, "part_time_worker"),
        (mgl.pk, "micro_grid_leader"),
    ]
    assert team.leader.phone == "13900000001"  # contact-card phones are not masked
    assert not team.incomplete and team.missing == []


def test_team_without_leader_or_worker_is_flagged(tree):
    cadre = make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")
    team = grid_team(actor=cadre, grid=tree.grid_a1a_2)
    assert team.incomplete and team.missing == ["grid_leader", "grid_worker"]
    make_user(Role.GRID_LEADER, tree.grid_a1a_2, name="网格长")
    assert grid_team(actor=cadre, grid=tree.grid_a1a_2).missing == ["grid_worker"]


def test_micro_grid_leader_and_resident_see_their_grid_team_only(tree):
    mgl = make_user(Role.MICRO_GRID_LEADER, tree.mg_a1a_1_1, name="微网格长")
    assert grid_team(actor=mgl, grid=tree.grid_a1a_1).members[0].user_id == mgl.pk
    with pytest.raises(DomainError):
        grid_team(actor=mgl, grid=tree.grid_a1a_2)
    from wangge.accounts.services import resident_register

    resident = resident_register(
        phone="13700001111", password="pass-Wangge-2026", name="居民", grid=tree.grid_a1a_1
    )
    assert grid_team(actor=resident, grid=tree.grid_a1a_1).grid == tree.grid_a1a_1
    with pytest.raises(DomainError):
        grid_team(actor=resident, grid=tree.grid_b1a_1)


def test_incomplete_teams_in_two_queries(tree, django_assert_num_queries):
    make_user(Role.GRID_LEADER, tree.grid_a1a_1, name="网格长")
    make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    make_user(Role.GRID_WORKER, tree.grid_a1b_1, name="网格员")
    make_user(Role.MICRO_GRID_LEADER, tree.mg_a1a_1_1, name="微网格长")
    street = make_user(Role.STREET_CADRE, tree.street_a1, name="街道干部")
    from wangge.teams.scope import scope_for

    scope_for(street)  # the scope is read once per request, before this
    with django_assert_num_queries(2):
        result = incomplete_teams(actor=street, area=tree.street_a1)
    assert [(t.grid_code, t.missing) for t in result] == [
        ("330402001001002", ["grid_leader", "grid_worker"]),
        ("330402001002001", ["grid_leader"]),
    ]
    whole = {t.grid_code for t in incomplete_teams(actor=street)}
    assert whole == {"330402001001002", "330402001002001"}  # district B's grid is not theirs
    with pytest.raises(DomainError):
        incomplete_teams(actor=street, area=tree.district_b)


def test_department_list_serves_own_areas_and_above(tree):
    def dept(name, area, level):
        return Department.objects.create(name=name, level=level, area=area, area_path=area.path)

    city = dept("市住建局", tree.city, "city")
    da = dept("南湖住建局", tree.district_a, "district")
    sa = dept("解放街道城管", tree.street_a1, "street")
    dept("秀洲住建局", tree.district_b, "district")
    dept("新城街道城管", tree.street_b1, "street")
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    assert list(department_list(actor=worker)) == [city, da, sa]
    dispatcher = make_user(Role.DISPATCHER, tree.district_a, name="调度员")
    assert list(department_list(actor=dispatcher)) == [city, da, sa]
