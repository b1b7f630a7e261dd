import pytest

from wangge.core.errors import DomainError
from wangge.teams.models import Department, RoleAssignment
from wangge.teams.roles import ROLE_CAPS, Role
from wangge.teams.scope import scope_for
from wangge.teams.services import (
    department_create,
    department_update,
    role_assign,
    role_revoke,
)
from wangge.teams.tests.world import make_user


@pytest.fixture
def cadre(tree):
    return make_user(Role.COMMUNITY_CADRE, tree.community_a1a, name="社区干部")


@pytest.fixture
def newcomer(db):
    return make_user(None, None, name="新人")


def test_role_assign_copies_the_area_path_and_widens_scope(tree, cadre, newcomer):
    assert not scope_for(newcomer).is_staff_scope
    a = role_assign(actor=cadre, user=newcomer, role=Role.GRID_WORKER, area=tree.grid_a1a_1)
    assert a.area_path == tree.grid_a1a_1.path and a.is_active
    assert scope_for(newcomer).covers(tree.mg_a1a_1_2.path)
    assert not scope_for(newcomer).covers(tree.grid_a1a_2.path)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_only_at_its_levels(tree, role, newcomer):
    areas = [
        tree.city,
        tree.district_a,
        tree.street_a1,
        tree.community_a1a,
        tree.grid_a1a_1,
        tree.mg_a1a_1_1,
    ]
    dept = Department.objects.create(
        name="部门", level="city", area=tree.city, area_path=tree.city.path
    )
    for area in areas:
        allowed = area.level in ROLE_CAPS[role].levels
        if allowed:
            role_assign(actor=None, user=newcomer, role=role, area=area, department=dept)
        else:
            with pytest.raises(DomainError) as err:
                role_assign(actor=None, user=newcomer, role=role, area=area, department=dept)
            assert err.value.code == "bad_level" and "只能分配在" in err.value.message
    assert RoleAssignment.objects.filter(user=newcomer).count() == len(ROLE_CAPS[role].levels)


def test_role_assign_needs_user_management_on_the_area(tree, cadre, newcomer):
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    with pytest.raises(DomainError) as err:
        role_assign(actor=worker, user=newcomer, role=Role.PART_TIME_WORKER, area=tree.grid_a1a_1)
    assert err.value.status == 403
    with pytest.raises(DomainError) as err:  # outside the cadre's community
        role_assign(actor=cadre, user=newcomer, role=Role.GRID_WORKER, area=tree.grid_b1a_1)
    assert err.value.status == 404
    with pytest.raises(DomainError) as err:  # above the cadre
        role_assign(actor=cadre, user=newcomer, role=Role.STREET_CADRE, area=tree.street_a1)
    assert err.value.status == 404


def test_role_assign_duplicate_and_reactivation(tree, cadre, newcomer):
    a = role_assign(actor=cadre, user=newcomer, role=Role.GRID_WORKER, area=tree.grid_a1a_1)
    with pytest.raises(DomainError) as err:
        role_assign(actor=cadre, user=newcomer, role=Role.GRID_WORKER, area=tree.grid_a1a_1)
    assert err.value.status == 409
    role_revoke(actor=cadre, assignment=a)
    a.refresh_from_db()
    assert not a.is_active and not scope_for(newcomer).is_staff_scope
    again = role_assign(actor=cadre, user=newcomer, role=Role.GRID_WORKER, area=tree.grid_a1a_1)
    assert again.pk == a.pk and again.is_active


def test_department_staff_needs_a_department_serving_the_area(tree, newcomer):
    with pytest.raises(DomainError, match="所属部门"):
        role_assign(actor=None, user=newcomer, role=Role.DEPARTMENT_STAFF, area=tree.district_a)
    other = Department.objects.create(
        name="秀洲住建", level="district", area=tree.district_b, area_path=tree.district_b.path
    )
    with pytest.raises(DomainError, match="不服务"):
        role_assign(
            actor=None,
            user=newcomer,
            role=Role.DEPARTMENT_STAFF,
            area=tree.district_a,
            department=other,
        )


def test_residents_get_no_roles(tree, cadre):
    from wangge.accounts.services import resident_register

    user = resident_register(
        phone="13700001111", password="pass-Wangge-2026", name="居民", grid=tree.grid_a1a_1
    )
    with pytest.raises(DomainError, match="工作人员"):
        role_assign(actor=cadre, user=user, role=Role.GRID_ASSISTANT, area=tree.grid_a1a_1)


def test_role_revoke_scoped_and_not_self(tree, cadre):
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    foreign = make_user(Role.COMMUNITY_CADRE, tree.community_b1a, name="外区干部")
    with pytest.raises(DomainError) as err:
        role_revoke(actor=foreign, assignment=worker.assignments.get())
    assert err.value.status == 404
    with pytest.raises(DomainError, match="自己"):
        role_revoke(actor=cadre, assignment=cadre.assignments.get())
    role_revoke(actor=cadre, assignment=worker.assignments.get())
    assert not worker.assignments.get().is_active


def test_department_create_and_update(tree):
    street = make_user(Role.STREET_CADRE, tree.street_a1, name="街道干部")
    d = department_create(
        actor=street, name="解放街道城管中队", level="street", area=tree.street_a1, phone="0573-1"
    )
    assert d.area_path == tree.street_a1.path
    with pytest.raises(DomainError, match="已有"):
        department_create(
            actor=street, name="解放街道城管中队", level="street", area=tree.street_a1
        )
    with pytest.raises(DomainError, match="服务区域必须是"):
        department_create(actor=street, name="某局", level="district", area=tree.street_a1)
    with pytest.raises(DomainError) as err:
        department_create(actor=street, name="某局", level="district", area=tree.district_a)
    assert err.value.status == 404
    department_update(actor=street, department=d, name="城管中队", is_active=False)
    d.refresh_from_db()
    assert (d.name, d.is_active, d.phone) == ("城管中队", False, "0573-1")
    worker = make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")
    with pytest.raises(DomainError):
        department_update(actor=worker, department=d, name="改名")
