import datetime as dt

import pytest

from wangge.core.errors import DomainError
from wangge.party import selectors, services
from wangge.party.generate import generate_party
from wangge.party.models import DualRegistration, HouseholdLink, PartyMember, PartyOrg
from wangge.teams.tests.world import make_building, make_household, make_resident


@pytest.fixture
def cadre(tree, make_staff):
    return make_staff("community_cadre", tree.community_a1a)


@pytest.fixture
def committee(tree, cadre):
    return services.org_create(
        actor=cadre, area=tree.community_a1a, kind="committee", name="社区党委"
    )


@pytest.fixture
def branch(tree, cadre, committee):
    return services.org_create(
        actor=cadre, area=tree.grid_a1a_1, kind="branch", name="网格党支部", parent=committee
    )


def test_tree_rules(tree, cadre, committee, branch):
    group = services.org_create(
        actor=cadre, area=tree.mg_a1a_1_1, kind="group", name="1号楼党小组", parent=branch
    )
    assert group.area_path.startswith(branch.area_path)
    cases = [
        ({"area": tree.grid_a1a_1, "kind": "committee", "name": "x"}, "invalid_level"),
        ({"area": tree.grid_a1a_2, "kind": "branch", "name": "x"}, "parent_required"),
        (
            {"area": tree.grid_a1a_2, "kind": "branch", "name": "x", "parent": group},
            "invalid_parent",
        ),
        ({"area": tree.mg_a1a_1_2, "kind": "group", "name": "x", "parent": committee}, "ok"),
        (
            {"area": tree.grid_a1a_2, "kind": "cell", "name": "x", "parent": committee},
            "invalid_kind",
        ),
        ({"area": tree.grid_a1a_2, "kind": "branch", "name": " ", "parent": committee}, "required"),
    ]
    for kwargs, code in cases:
        if code == "ok":
            services.org_create(actor=cadre, **kwargs)
            continue
        with pytest.raises(DomainError) as err:
            services.org_create(actor=cadre, **kwargs)
        assert err.value.code == code, kwargs
        assert err.value.status == 422
    assert PartyOrg.objects.count() == 4


def test_branch_outside_its_parent_area(tree, make_staff):
    street = make_staff("street_cadre", tree.street_a1)
    a = services.org_create(actor=street, area=tree.community_a1a, kind="committee", name="甲党委")
    with pytest.raises(DomainError) as err:
        services.org_create(actor=street, area=tree.grid_a1b_1, kind="branch", name="乙", parent=a)
    assert err.value.code == "outside_parent" and "不在上级党组织的区域内" in err.value.message


def test_org_rights(tree, make_staff):
    worker = make_staff("grid_worker", tree.grid_a1a_1)
    with pytest.raises(DomainError) as err:
        services.org_create(actor=worker, area=tree.grid_a1a_1, kind="branch", name="x")
    assert err.value.status == 403


def test_members_from_residents_and_staff(tree, cadre, branch, committee, make_staff):
    hh = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    r = make_resident(hh, name="老党员")
    worker = make_staff("grid_worker", tree.grid_a1a_1, name="网格员党员")
    m1 = services.member_add(
        actor=cadre, org=branch, resident_id=r.pk, joined_on=dt.date(1980, 7, 1)
    )
    m2 = services.member_add(actor=worker, org=branch, user_id=worker.pk)
    assert (m1.name, m2.name) == ("老党员", "网格员党员")
    with pytest.raises(DomainError) as err:
        services.member_add(actor=cadre, org=branch, resident_id=r.pk)
    assert err.value.status == 409
    with pytest.raises(DomainError) as err:
        services.member_add(actor=cadre, org=committee, resident_id=r.pk)
    assert err.value.code == "invalid_org"
    other = make_resident(make_household(make_building(tree.grid_a1a_2)), name="别处居民")
    with pytest.raises(DomainError) as err:
        services.member_add(actor=cadre, org=branch, resident_id=other.pk)
    assert err.value.code == "invalid_resident"
    with pytest.raises(DomainError) as err:
        services.member_add(
            actor=cadre, org=branch, resident_id=r.pk, joined_on=dt.date(2999, 1, 1)
        )
    assert err.value.code == "invalid_date"
    assert PartyMember.objects.count() == 2


def test_household_links_and_coverage(tree, cadre, branch, settings):
    settings.WANGGE_PARTY_MAX_LINKS = 2
    b = make_building(tree.grid_a1a_1, tree.mg_a1a_1_1)
    hh = [make_household(b, room=f"{i}01") for i in range(1, 5)]
    m = services.member_add(
        actor=cadre, org=branch, resident_id=make_resident(hh[0], name="党员甲").pk
    )
    services.link_add(actor=cadre, member=m, household_id=hh[0].pk)
    with pytest.raises(DomainError) as err:
        services.link_add(actor=cadre, member=m, household_id=hh[0].pk)
    assert err.value.code == "duplicate_link"
    services.link_add(actor=cadre, member=m, household_id=hh[1].pk)
    with pytest.raises(DomainError) as err:
        services.link_add(actor=cadre, member=m, household_id=hh[2].pk)
    assert err.value.code == "too_many_links" and "最多联系 2 户" in err.value.message
    far = make_household(make_building(tree.grid_a1a_2))
    settings.WANGGE_PARTY_MAX_LINKS = 30
    with pytest.raises(DomainError) as err:
        services.link_add(actor=cadre, member=m, household_id=far.pk)
    assert err.value.code == "outside_org"
    assert HouseholdLink.objects.count() == 2
    cov = selectors.link_coverage(actor=cadre, area=tree.grid_a1a_1)
    assert cov == {"households": 4, "linked": 2, "rate": 0.5, "members": 1}


def test_dual_registration(tree, cadre, branch, make_staff):
    street = make_staff("street_cadre", tree.street_a1)
    agency = services.org_create(
        actor=street, area=tree.street_a1, kind="committee", name="街道机关党委"
    )
    agency_branch = services.org_create(
        actor=street, area=tree.community_a1b, kind="branch", name="机关第一支部", parent=agency
    )
    home = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    # An in-service member living in 芦席汇社区 whose branch is elsewhere.
    r = make_resident(home, name="在职党员")
    retired = make_resident(home, name="退休党员")
    m = services.member_add(
        actor=cadre, org=branch, resident_id=r.pk, in_service=True, workplace="区税务局"
    )
    m.org = agency_branch
    m.area_path = agency_branch.area_path
    m.save()
    old = services.member_add(actor=cadre, org=branch, resident_id=retired.pk)
    with pytest.raises(DomainError) as err:
        services.dual_register(actor=cadre, member=old, community=tree.community_a1a)
    assert err.value.code == "not_in_service"
    with pytest.raises(DomainError) as err:
        services.dual_register(actor=street, member=m, community=tree.community_a1b)
    assert err.value.code == "not_residence" and "居住地" in err.value.message
    with pytest.raises(DomainError) as err:
        services.dual_register(actor=cadre, member=m, community=tree.grid_a1a_1)
    assert err.value.code == "not_a_community"
    reg = services.dual_register(actor=cadre, member=m, community=tree.community_a1a)
    assert reg.area_path == tree.community_a1a.path
    with pytest.raises(DomainError) as err:
        services.dual_register(actor=cadre, member=m, community=tree.community_a1a)
    assert err.value.status == 409
    assert DualRegistration.objects.count() == 1
    # The residence community's cadre sees the member (by residence and registration).
    assert selectors.access_member(actor=cadre, member_id=m.pk) == m


def test_generate_party_is_separate_and_idempotent(tree):
    hh = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    r = make_resident(hh, name="党员居民")
    r.is_party_member = True
    r.save(update_fields=["is_party_member"])
    make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1), room="202")
    counts = generate_party(area=tree.street_a1, links=3)
    assert counts == {"committees": 2, "branches": 3, "groups": 0, "members": 1, "links": 2}
    assert generate_party(area=tree.street_a1, links=3) == {
        "committees": 0,
        "branches": 0,
        "groups": 0,
        "members": 0,
        "links": 0,
    }
    branch = PartyOrg.objects.get(area=tree.grid_a1a_1, kind="branch")
    assert branch.parent.area_id == tree.community_a1a.pk
