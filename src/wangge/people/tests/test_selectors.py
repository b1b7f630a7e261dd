import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from wangge.accounts.models import User
from wangge.audit.models import PersonalDataAccess
from wangge.core import crypto
from wangge.core.errors import DomainError, PermissionDenied
from wangge.people import selectors
from wangge.people.tests.factories import HouseholdFactory, ResidentFactory, id_number_for
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for


def names(page):
    return sorted(item["name"] for item in page.items)


@pytest.fixture
def resident_user(world):
    return User.objects.create_user(
        username="jumin", password="x", kind="resident", resident=world.head_a,
        resident_status="verified",
    )  # fmt: skip


# ---------------------------------------------------------------------- lists


def test_resident_list_is_scoped_to_the_subtree(make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    assert names(selectors.resident_list(actor=worker)) == ["张建国", "李秀英", "王芳"]
    street = make_staff(Role.STREET_CADRE, world.tree.street_a1)
    assert names(selectors.resident_list(actor=street)) == ["张建国", "李秀英", "王芳", "赵强"]
    micro = make_staff(Role.MICRO_GRID_LEADER, world.tree.mg_a1a_1_2)
    assert names(selectors.resident_list(actor=micro)) == ["王芳"]


def test_area_filter_inside_scope_narrows_and_outside_is_404(make_staff, world):
    street = make_staff(Role.STREET_CADRE, world.tree.street_a1)
    page = selectors.resident_list(actor=street, area_id=world.tree.community_a1b.pk)
    assert names(page) == ["赵强"]
    with pytest.raises(Http404):
        selectors.resident_list(actor=street, area_id=world.tree.district_b.pk)
    with pytest.raises(Http404):  # an ancestor of the actor's area is not theirs either
        selectors.resident_list(actor=street, area_id=world.tree.city.pk)


def test_name_party_and_age_filters(make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    assert names(selectors.resident_list(actor=worker, q="建国")) == ["张建国"]
    assert names(selectors.resident_list(actor=worker, party_member=True)) == ["张建国"]
    today = timezone.localdate()
    born = dt.date(today.year - 70, today.month, min(today.day, 28))
    ResidentFactory(
        household=world.household_a, name="七十岁", id_number=id_number_for(900, born=born)
    )
    ResidentFactory(
        household=world.household_a, name="刚满六十九",
        id_number=id_number_for(901, born=born + dt.timedelta(days=1)),
    )  # fmt: skip
    page = selectors.resident_list(actor=worker, age_min=70, age_max=70)
    assert "七十岁" in names(page) and "刚满六十九" not in names(page)
    page = selectors.resident_list(actor=worker, age_min=69, age_max=69)
    assert "刚满六十九" in names(page) and "七十岁" not in names(page)


def test_care_group_filter_only_where_care_is_visible(make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    page = selectors.resident_list(actor=worker, care_group="elderly_alone")
    assert names(page) == ["李秀英"]
    assert names(selectors.resident_list(actor=worker, care_group="困难家庭")) == []
    dispatcher = make_staff(Role.DISPATCHER, world.tree.city)
    with pytest.raises(PermissionDenied):
        selectors.resident_list(actor=dispatcher, care_group="elderly_alone")
    with pytest.raises(DomainError):
        selectors.resident_list(actor=worker, care_group="不存在的人群")


def test_pagination(make_staff, world):
    for _ in range(7):
        ResidentFactory(household=world.household_a2)
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    first = selectors.resident_list(actor=worker, page=1, page_size=4)
    third = selectors.resident_list(actor=worker, page=3, page_size=4)
    assert first.count == third.count == 10
    assert len(first.items) == 4 and len(third.items) == 2
    assert selectors.resident_list(actor=worker, page=9, page_size=4).items == []


def test_building_household_organization_lists_are_scoped(make_staff, world):
    cadre = make_staff(Role.COMMUNITY_CADRE, world.tree.community_a1a)
    assert {b["id"] for b in selectors.building_list(actor=cadre).items} == {
        world.building_a.pk,
        world.building_a2.pk,
    }
    assert {h["id"] for h in selectors.household_list(actor=cadre).items} == {
        world.household_a.pk,
        world.household_a2.pk,
    }
    assert [o["id"] for o in selectors.organization_list(actor=cadre).items] == [world.org_a.pk]
    page = selectors.household_list(actor=cadre, building_id=world.building_a2.pk)
    assert [h["id"] for h in page.items] == [world.household_a2.pk]
    with pytest.raises(Http404):
        selectors.household_list(actor=cadre, building_id=world.building_x.pk)


# ---------------------------------------------------------------- query counts


def _grow(world, n):
    for _ in range(n):
        h = HouseholdFactory(building=world.building_a)
        r = ResidentFactory(household=h)
        r.care_links.create(group=world.hardship)


@pytest.mark.parametrize("extra", [0, 15])
def test_resident_list_query_count_does_not_grow_with_rows(
    make_staff, world, django_assert_num_queries, extra
):
    _grow(world, extra)
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    scope_for(worker)  # computed once per request elsewhere
    # area look-up, count, rows (with household and grid joined), care groups
    with django_assert_num_queries(4):
        page = selectors.resident_list(actor=worker, area_id=world.tree.grid_a1a_1.pk)
    assert page.count == 3 + extra


@pytest.mark.parametrize("extra", [0, 15])
def test_other_lists_query_counts(make_staff, world, django_assert_num_queries, extra):
    _grow(world, extra)
    cadre = make_staff(Role.COMMUNITY_CADRE, world.tree.community_a1a)
    scope_for(cadre)
    with django_assert_num_queries(2):
        selectors.building_list(actor=cadre)
    with django_assert_num_queries(2):
        assert selectors.household_list(actor=cadre).count == 2 + extra
    with django_assert_num_queries(2):
        selectors.organization_list(actor=cadre)
    dispatcher = make_staff(Role.DISPATCHER, world.tree.city)
    scope_for(dispatcher)
    with django_assert_num_queries(2):  # no care groups query for a role that cannot see them
        selectors.resident_list(actor=dispatcher)


# -------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("role", "area", "sees_care"),
    [
        (Role.GRID_WORKER, "grid_a1a_1", True),
        (Role.DISPATCHER, "street_a1", False),
        (Role.LEADER, "city", False),
        (Role.COMMUNITY_CADRE, "community_a1a", True),
    ],
)
def test_masking_by_role(make_staff, world, role, area, sees_care):
    actor = make_staff(role, getattr(world.tree, area))
    page = selectors.resident_list(actor=actor, q="李秀英")
    (row,) = page.items
    clear_id = crypto.decrypt(world.spouse_a.id_number_enc)
    clear_phone = crypto.decrypt(world.spouse_a.phone_enc)
    # ID number and phone are masked for every role in lists and details
    assert row["id_number"] == clear_id[:6] + "********" + clear_id[-4:]
    assert row["phone"] == clear_phone[:3] + "****" + clear_phone[-4:]
    detail = selectors.resident_detail(actor=actor, resident=world.spouse_a)
    assert clear_id not in str(detail) and clear_phone not in str(detail)
    if sees_care:
        assert row["care_groups"] == ["孤寡老人"] and row["care_groups_masked"] is False
    else:
        assert row["care_groups"] is None and row["care_groups_masked"] is True


def test_care_groups_masked_even_when_empty(make_staff, world):
    dispatcher = make_staff(Role.DISPATCHER, world.tree.street_a1)
    row = selectors.resident_list(actor=dispatcher, q="张建国").items[0]
    assert row["care_groups"] is None  # not [], which would tell "in no care group"


def test_organization_contact_phone_masked_for_roles_without_unmask(make_staff, world):
    leader = make_staff(Role.LEADER, world.tree.city)
    admin = make_staff(Role.CITY_ADMIN, world.tree.city)
    phone = world.org_a.contact_phone
    assert selectors.organization_detail(actor=leader, organization=world.org_a)["contact_phone"] == phone[:3] + "****" + phone[-4:]  # fmt: skip
    assert selectors.organization_detail(actor=admin, organization=world.org_a)["contact_phone"] == phone  # fmt: skip


# -------------------------------------------------------------------- access


def test_access_functions_404_outside_scope(make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    assert selectors.access_resident(worker, world.head_a.pk) == world.head_a
    for fn, obj in [
        (selectors.access_building, world.building_x),
        (selectors.access_household, world.household_b),
        (selectors.access_resident, world.resident_x),
        (selectors.access_organization, world.org_x),
    ]:
        with pytest.raises(Http404):
            fn(worker, obj.pk)
    with pytest.raises(Http404):
        selectors.access_resident(worker, 10**9)


def test_resident_user_sees_only_their_household(resident_user, world):
    assert names(selectors.resident_list(actor=resident_user)) == ["张建国", "李秀英"]
    assert [h["id"] for h in selectors.household_list(actor=resident_user).items] == [world.household_a.pk]  # fmt: skip
    assert [b["id"] for b in selectors.building_list(actor=resident_user).items] == [world.building_a.pk]  # fmt: skip
    assert selectors.organization_list(actor=resident_user).items == []
    with pytest.raises(Http404):
        selectors.access_resident(resident_user, world.resident_a2.pk)
    row = selectors.resident_detail(actor=resident_user, resident=world.spouse_a)
    assert row["care_groups_masked"] is True


def test_unverified_resident_user_sees_nothing(world):
    user = User.objects.create_user(username="new", password="x", kind="resident", resident=world.head_a, resident_status="pending")  # fmt: skip
    assert selectors.resident_list(actor=user).count == 0


# ------------------------------------------------------------------ unmasking


def test_unmask_returns_clear_values_and_is_audited_every_time(make_staff, world, rf):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    request = rf.post("/", REMOTE_ADDR="10.1.2.3")
    for _ in range(2):
        out = selectors.resident_unmask(
            actor=worker,
            resident=world.head_a,
            fields=["id_number"],
            reason="入户核实",
            request=request,
        )
    assert out["id_number"] == crypto.decrypt(world.head_a.id_number_enc)
    assert out["phone"] is None
    rows = PersonalDataAccess.objects.filter(actor=worker)
    assert rows.count() == 2
    row = rows.first()
    assert (row.action, row.subject_type, row.subject_id, row.fields, row.reason, row.ip) == (
        "unmask", "resident", world.head_a.pk, "id_number", "入户核实", "10.1.2.3",
    )  # fmt: skip
    assert row.area_path == world.head_a.area_path


@pytest.mark.parametrize(
    ("role", "area"),
    [(Role.DISPATCHER, "street_a1"), (Role.LEADER, "city"), (Role.PART_TIME_WORKER, "grid_a1a_1")],
)
def test_unmask_refused_for_roles_without_the_right(make_staff, world, role, area):
    actor = make_staff(role, getattr(world.tree, area))
    with pytest.raises(PermissionDenied) as exc:
        selectors.resident_unmask(actor=actor, resident=world.head_a, fields=["phone"], reason="x")
    assert exc.value.status == 403 and "无权" in exc.value.message
    assert not PersonalDataAccess.objects.exists()


def test_unmask_needs_a_reason_and_known_fields(make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1)
    with pytest.raises(DomainError):
        selectors.resident_unmask(actor=worker, resident=world.head_a, fields=["phone"], reason=" ")
    with pytest.raises(DomainError):
        selectors.resident_unmask(actor=worker, resident=world.head_a, fields=["name"], reason="x")
    assert not PersonalDataAccess.objects.exists()
