import pytest

from wangge.areas.models import Area, SiteState


@pytest.fixture(scope="package")
def jiaxing(django_db_setup, django_db_blocker):
    """The real Jiaxing divisions, loaded once for the package (2-3 s) and
    removed afterwards if this fixture loaded them."""
    from wangge.areas.divisions import divisions_load
    from wangge.areas.paths import subtree_q

    with django_db_blocker.unblock():
        existed = Area.objects.filter(code="330400000000").exists()
        city = divisions_load(city_code="330400").city
        yield city
        if not existed:
            for level in ("community", "street", "district", "city"):
                Area.objects.filter(subtree_q(city.path), level=level).delete()
            SiteState.objects.all().delete()


@pytest.fixture(scope="package")
def jiaxing_plan(jiaxing, django_db_blocker):
    from wangge.areas.paths import subtree_q
    from wangge.generator.plan import CommunityInfo, city_plan

    with django_db_blocker.unblock():
        # Jiaxing's own communities (other cities may be loaded too: test_cities).
        comms = Area.objects.filter(subtree_q(jiaxing.path), level="community").select_related(
            "parent__parent"
        )
        infos = [
            CommunityInfo(c.code, c.community_kind == "rural", c.parent.parent.code, c.parent.name)
            for c in comms
        ]
    return city_plan(infos, seed=1)


def small_community(plan, *, district="330402", dedicated=True, skip=0):
    """A community of `district` with a dedicated grid (or none), small."""
    found = [
        p
        for code, p in sorted(plan.items())
        if code.startswith(district)
        and any(g.kind == "dedicated" for g in p.grids) == dedicated
        and sum(g.micro_grids for g in p.grids) <= 90
        and len(p.grids) >= 2
    ]
    return found[skip]
