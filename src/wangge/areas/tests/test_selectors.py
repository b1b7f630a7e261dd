import pytest

from wangge.accounts.services import resident_register
from wangge.areas import selectors
from wangge.core.errors import DomainError
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for
from wangge.teams.tests.world import make_building, make_household, make_resident, make_user


@pytest.fixture
def worker(tree):
    return make_user(Role.GRID_WORKER, tree.grid_a1a_1, name="网格员")


@pytest.fixture
def resident_user(tree):
    return resident_register(
        phone="13700001111", password="pass-Wangge-2026", name="居民", grid=tree.grid_a1a_1
    )


def test_access_area_inside_and_outside(tree, worker):
    assert selectors.access_area(actor=worker, area_id=tree.mg_a1a_1_2.pk) == tree.mg_a1a_1_2
    for other in (tree.grid_a1a_2, tree.community_a1a, tree.city, tree.mg_b1a_1_1):
        with pytest.raises(DomainError) as err:
            selectors.access_area(actor=worker, area_id=other.pk)
        assert err.value.status == 404
    with pytest.raises(DomainError):
        selectors.access_area(actor=worker, area_id=999_999)


def test_resident_sees_own_grid_and_above_only(tree, resident_user):
    for area in (tree.grid_a1a_1, tree.community_a1a, tree.street_a1, tree.district_a, tree.city):
        assert selectors.access_area(actor=resident_user, area_id=area.pk) == area
    for area in (tree.mg_a1a_1_1, tree.grid_a1a_2, tree.district_b):
        with pytest.raises(DomainError):
            selectors.access_area(actor=resident_user, area_id=area.pk)
    assert list(selectors.area_tops(actor=resident_user)) == [tree.grid_a1a_1]
    with pytest.raises(DomainError):
        selectors.area_children(actor=resident_user, area=tree.grid_a1a_1)


def test_tops_are_the_assigned_areas(tree):
    user = make_user(Role.GRID_LEADER, tree.grid_a1a_1, name="网格长")
    from wangge.teams.services import role_assign

    role_assign(actor=None, user=user, role=Role.GRID_LEADER, area=tree.grid_b1a_1)
    role_assign(
        actor=None, user=user, role=Role.GRID_ASSISTANT, area=tree.mg_a1a_1_1
    )  # inside the first
    assert list(selectors.area_tops(actor=user).order_by("path")) == [
        tree.grid_a1a_1,
        tree.grid_b1a_1,
    ]


def test_counts_use_one_query_each(tree, worker, django_assert_num_queries):
    building = make_building(tree.grid_a1a_1, tree.mg_a1a_1_1)
    for room in ("101", "102"):
        make_resident(make_household(building, room=room), name="居民")
    make_resident(make_household(make_building(tree.grid_a1a_2)), name="别处")
    with django_assert_num_queries(3):
        counts = selectors.area_counts(area=tree.grid_a1a_1)
    assert counts == {"children": 2, "households": 2, "residents": 2}
    assert selectors.area_counts(area=tree.community_a1a) == {
        "children": 2,
        "households": 3,
        "residents": 3,
    }


def test_breadcrumb_root_first_in_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = [a.name for a in selectors.area_breadcrumb(area=tree.mg_a1a_1_1)]
    assert names == ["嘉兴市", "南湖区", "解放街道", "芦席汇社区", "芦席汇社区第一网格"]


def test_search_is_scoped(tree):
    street = make_user(Role.STREET_CADRE, tree.street_a1, name="街道干部")
    found = {a.code for a in selectors.area_search(actor=street, q="1号微网格")}
    assert found == {"330402001001001001", "330402001002001001"}
    assert [a.name for a in selectors.area_search(actor=street, q="330402001001")][:2] == [
        "芦席汇社区",
        "芦席汇社区第一网格",
    ]
    assert selectors.area_search(actor=street, q="新城") == []


def test_features_depth_and_simplification(tree, worker, monkeypatch):
    scope_for(worker)
    features, simplified = selectors.area_features(actor=worker, area=tree.grid_a1a_1, depth=1)
    assert [f["properties"]["level"] for f in features] == ["grid", "micro_grid", "micro_grid"]
    assert not simplified and features[0]["geometry"]["type"] == "Polygon"
    features, _ = selectors.area_features(actor=worker, area=tree.grid_a1a_1, depth=0)
    assert len(features) == 1
    monkeypatch.setattr(selectors, "SIMPLIFY_ABOVE", 1)
    features, simplified = selectors.area_features(actor=worker, area=tree.grid_a1a_1, depth=1)
    assert simplified and len(features) == 3
    with pytest.raises(DomainError):
        selectors.area_features(actor=worker, area=tree.grid_a1a_1, depth=9)
