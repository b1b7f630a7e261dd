import pytest
from shapely.geometry import box

from wangge.areas.geometry import apply_boundary, to_geojson
from wangge.areas.locator import Locator, locate, locate_leaf_id, locator
from wangge.areas.models import SiteState
from wangge.areas.services import BOUNDARY_VERSION, boundaries_changed


@pytest.fixture(autouse=True)
def fresh_locator():
    locator.reset()
    yield
    locator.reset()


def names(chain):
    return [a.name for a in chain]


def test_a_point_in_a_micro_grid_gives_the_chain_root_to_leaf(tree, django_assert_max_num_queries):
    # mg A1a-1-1 is lng 120–120.125, lat 30–30.5.
    assert locate_leaf_id(120.06, 30.2) == tree.mg_a1a_1_1.pk
    with django_assert_max_num_queries(4):  # version check (2) + the rows (1)
        chain = locate(lng=120.06, lat=30.2)
    assert [a.pk for a in chain] == [
        tree.city.pk,
        tree.district_a.pk,
        tree.street_a1.pk,
        tree.community_a1a.pk,
        tree.grid_a1a_1.pk,
        tree.mg_a1a_1_1.pk,
    ]
    assert [a.level for a in chain] == [
        "city",
        "district",
        "street",
        "community",
        "grid",
        "micro_grid",
    ]


def test_a_dedicated_grid_is_a_leaf(tree):
    chain = locate(lng=120.1, lat=30.7)
    assert chain[-1].pk == tree.grid_a1a_2.pk
    assert chain[-1].grid_kind == "dedicated"
    assert names(chain)[:2] == ["嘉兴市", "南湖区"]


def test_other_district(tree):
    assert locate(lng=120.8, lat=30.9)[-1].pk == tree.mg_b1a_1_1.pk


def test_outside_every_leaf_is_empty(tree):
    assert locate(lng=119.5, lat=30.5) == []
    assert locate_leaf_id(119.5, 30.5) is None
    assert locate(lng=120.5, lat=31.5) == []


def move(area, bounds, capture):
    apply_boundary(area, to_geojson(box(*bounds)))
    area.save()
    with capture(execute=True):
        boundaries_changed()


def test_a_point_in_a_sliver_goes_to_the_nearest_leaf_within_30_m(
    tree, django_capture_on_commit_callbacks
):
    # Open a 0.0001° (~10 m) gap at the east edge of mg A1a-1-2 (120.125–120.25).
    mg = tree.mg_a1a_1_2
    move(mg, (120.125, 30.0, 120.2499, 30.5), django_capture_on_commit_callbacks)
    assert locate(lng=120.24995, lat=30.2)[-1].pk == mg.pk
    # A wide gap (still inside the district): nothing, no leaf is near.
    move(mg, (120.125, 30.0, 120.2, 30.5), django_capture_on_commit_callbacks)
    assert locate(lng=120.24, lat=30.2) == []
    assert locate(lng=120.2003, lat=30.2)[-1].pk == mg.pk  # ~29 m east of it


def test_rebuilt_after_boundaries_change(tree, django_capture_on_commit_callbacks, settings):
    settings.WANGGE_LOCATOR_RECHECK_SECONDS = 3600  # only the first call checks
    own = Locator()
    assert own.locate_leaf_id(120.1, 30.2) == tree.mg_a1a_1_1.pk
    # Move the line between the two micro-grids of grid A1a-1 west.
    m1, m2 = tree.mg_a1a_1_1, tree.mg_a1a_1_2
    move(m1, (120.0, 30.0, 120.05, 30.5), django_capture_on_commit_callbacks)
    move(m2, (120.05, 30.0, 120.25, 30.5), django_capture_on_commit_callbacks)
    assert SiteState.objects.get(key=BOUNDARY_VERSION).value >= 1
    # Within the recheck interval the old index is still used …
    assert own.locate_leaf_id(120.1, 30.2) == m1.pk
    # … and the next check rebuilds it.
    settings.WANGGE_LOCATOR_RECHECK_SECONDS = 0
    assert own.locate_leaf_id(120.1, 30.2) == m2.pk
    assert own.locate(lng=120.1, lat=30.2)[-1].pk == m2.pk


def test_index_holds_only_leaves(tree):
    assert locator.size == 5  # four micro-grids and the dedicated grid
