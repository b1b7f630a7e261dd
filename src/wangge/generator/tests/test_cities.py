"""Several cities in one database (the 3× benchmark: bench/city3.py): each
real city is its own root of the area tree, generated at the benchmark's
density, and a street of the second city generates, scopes and locates like
one of the first."""

import pytest
from django.core.management import CommandError, call_command

from wangge.areas.divisions import divisions_load
from wangge.areas.locator import locator
from wangge.areas.models import Area
from wangge.areas.paths import subtree_q
from wangge.core import crypto
from wangge.core.errors import DomainError
from wangge.generator.run import generate
from wangge.people.models import Building, Household, Resident
from wangge.teams.models import RoleAssignment
from wangge.teams.scope import scope_for, scoped

from .conftest import small_community

pytestmark = pytest.mark.django_db

HUANIAO = "330922203"  # 花鸟乡, 嵊泗县, 舟山市: a street of two villages


@pytest.fixture(scope="module")
def zhoushan(jiaxing, django_db_blocker):
    """Zhoushan's real divisions beside Jiaxing's, loaded once for the module
    and removed afterwards."""
    with django_db_blocker.unblock():
        city = divisions_load(city_code="330900").city
        yield city
        for level in ("community", "street", "district", "city"):
            Area.objects.filter(subtree_q(city.path), level=level).delete()


def places(root_path):
    """What a seed decides about a place, apart from ID numbers and row ids
    (which depend on what the database held before)."""
    under = {"area_path__startswith": root_path}
    return {
        "areas": list(
            Area.objects.filter(path__startswith=root_path, level__in=["grid", "micro_grid"])
            .order_by("path")
            .values_list("path", "code", "name", "grid_kind", "boundary")
        ),
        "buildings": list(
            Building.objects.filter(**under)
            .order_by("area_path", "code")
            .values_list("code", "name", "address", "floors", "lng", "lat", "area_path")
        ),
        "households": list(
            Household.objects.filter(**under)
            .order_by("id")
            .values_list("unit", "room", "size", "address", "area_path")
        ),
        "residents": list(
            Resident.objects.filter(**under)
            .order_by("id")
            .values_list("name", "sex", "birth_date", "relationship", "registered_address")
        ),
    }


def test_a_second_city_is_a_root_of_its_own(jiaxing, zhoushan):
    assert zhoushan.parent_id is None and jiaxing.parent_id is None
    assert zhoushan.depth == jiaxing.depth and zhoushan.path != jiaxing.path
    streets = Area.objects.filter(subtree_q(zhoushan.path), level="street")
    assert streets.filter(code=HUANIAO + "000").exists()
    assert not Area.objects.filter(subtree_q(jiaxing.path), code__startswith="3309").exists()


def test_a_street_of_the_second_city_generates_and_scopes_to_it(jiaxing, jiaxing_plan, zhoushan):
    home = small_community(jiaxing_plan)
    generate(scale="community", code=home.code, seed=1)
    in_jiaxing = Resident.objects.filter(subtree_q(jiaxing.path, "area_path")).count()

    result = generate(scale="street", city_code="330900", code=HUANIAO, seed=1)
    street = result.scope
    assert street.code == HUANIAO + "000" and street.path.startswith(zhoushan.path)
    assert result.counts["grids"] >= 2 and result.counts["residents"] > 500
    residents = Resident.objects.filter(subtree_q(street.path, "area_path"))
    assert residents.count() == result.counts["residents"]
    # Rows carry the second city's places and addresses; the first city is untouched.
    district = Area.objects.get(pk=street.parent_id)
    assert set(residents.values_list("district_id", flat=True)) == {district.pk}
    assert district.code == "330922000000"
    local = residents.exclude(residence="migrant")
    assert local.exists() and all(
        a.startswith("浙江省舟山市嵊泗县花鸟乡")
        for a in local.values_list("registered_address", flat=True)
    )
    assert Resident.objects.filter(subtree_q(jiaxing.path, "area_path")).count() == in_jiaxing
    # ID numbers unique across both cities.
    hashes = list(Resident.objects.values_list("id_number_hash", flat=True))
    assert len(hashes) == len(set(hashes))

    # The generated grid worker of a Zhoushan grid sees that grid only.
    ra = (
        RoleAssignment.objects.filter(role="grid_worker", area_path__startswith=street.path)
        .select_related("user", "area")
        .first()
    )
    scope = scope_for(ra.user)
    assert scope.paths == (ra.area.path,)
    seen = scoped(Resident.objects.all(), ra.user)
    assert seen.count() == Resident.objects.filter(subtree_q(ra.area.path, "area_path")).count()
    assert seen.count() > 0
    assert not seen.filter(subtree_q(jiaxing.path, "area_path")).exists()

    # The locator (one index over every city) puts each building in its micro-grid.
    locator.reset()
    for b in Building.objects.filter(subtree_q(street.path, "area_path"), micro_grid__isnull=False)[
        :200
    ]:
        assert locator.locate_leaf_id(b.lng, b.lat) == b.micro_grid_id
    home_building = Building.objects.filter(
        subtree_q(jiaxing.path, "area_path"), micro_grid__isnull=False
    ).first()
    assert locator.locate_leaf_id(home_building.lng, home_building.lat) == (
        home_building.micro_grid_id
    )


def test_a_street_of_another_city_is_refused(jiaxing, zhoushan):
    with pytest.raises(DomainError) as err:
        generate(scale="street", city_code="330400", code=HUANIAO, seed=1)
    assert err.value.code == "unknown_scope" and "嘉兴市" in err.value.message


def test_the_second_city_comes_out_the_same_whatever_was_generated_before(
    jiaxing, jiaxing_plan, zhoushan
):
    street = generate(scale="street", city_code="330900", code=HUANIAO, seed=1).scope
    alone = places(street.path)
    numbers = {
        crypto.decrypt(t)
        for t in Resident.objects.filter(subtree_q(street.path, "area_path")).values_list(
            "id_number_enc", flat=True
        )
    }
    generate(scale="community", code=small_community(jiaxing_plan).code, seed=1)
    generate(scale="street", city_code="330900", code=HUANIAO, seed=1, replace=True)
    assert places(street.path) == alone
    again = {
        crypto.decrypt(t)
        for t in Resident.objects.filter(subtree_q(street.path, "area_path")).values_list(
            "id_number_enc", flat=True
        )
    }
    # Same people in the same places; their ID numbers are valid for the
    # same county and birth day (the sequence digits may move past numbers
    # the first city took).
    assert len(again) == len(numbers)
    assert sorted(n[:14] for n in again) == sorted(n[:14] for n in numbers)
    assert generate(scale="street", city_code="330900", code=HUANIAO, seed=2, replace=True)
    assert places(street.path)["residents"] != alone["residents"]


def test_the_command_takes_several_cities_for_the_city_scale_only(jiaxing):
    with pytest.raises(CommandError, match="多个市只能与 --scale city 一起使用"):
        call_command("generate", "--scale", "street", "--city", "330400,330900")
    with pytest.raises(CommandError, match="市代码重复"):
        call_command("generate", "--scale", "city", "--city", "330400,330400")
