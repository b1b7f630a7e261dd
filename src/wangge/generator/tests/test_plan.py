import pytest

from wangge.areas.models import Area
from wangge.generator.plan import CommunityInfo, apportion, city_plan


def test_apportion_is_exact_and_respects_the_minimum():
    out = apportion(100, [1, 2, 3, 0.5], minimum=5)
    assert sum(out) == 100 and min(out) >= 5
    assert out == apportion(100, [1, 2, 3, 0.5], minimum=5)
    assert out[2] > out[1] > out[0] > out[3]


@pytest.mark.django_db
def test_the_jiaxing_plan_hits_the_benchmark_totals(jiaxing):
    comms = Area.objects.filter(level="community").select_related("parent__parent")
    infos = [
        CommunityInfo(c.code, c.community_kind == "rural", c.parent.parent.code, c.parent.name)
        for c in comms
    ]
    plan = city_plan(infos, seed=1)
    grids = [g for p in plan.values() for g in p.grids]
    assert len(plan) == 1202
    assert len(grids) == 4365
    assert sum(g.micro_grids for g in grids) == 92_600
    assert all(p.grids and p.grids[0].kind == "basic" for p in plan.values())
    dedicated = [g for g in grids if g.kind == "dedicated"]
    assert len(dedicated) == round(4365 * 0.08)
    assert all(g.micro_grids == 0 and g.dedicated_kind for g in dedicated)
    assert {g.dedicated_kind for g in dedicated} == {
        "enterprise", "school", "hospital", "market", "agency", "office_tower"
    }  # fmt: skip
    sea = [g for g in grids if g.kind == "sea"]
    assert 3 <= len(sea) <= 10
    assert {g.code[:6] for g in sea} <= {"330482", "330424"}
    assert all(
        len(g.code) == 15 and g.code.startswith(p.code) for p in plan.values() for g in p.grids
    )
    # Same seed, same plan; another seed, another plan.
    assert [(g.code, g.kind, g.micro_grids) for g in grids] == [
        (g.code, g.kind, g.micro_grids) for p in city_plan(infos, seed=1).values() for g in p.grids
    ]
    other = [g for p in city_plan(infos, seed=2).values() for g in p.grids]
    assert len(other) == 4365
    assert [(g.code, g.kind) for g in grids] != [(g.code, g.kind) for g in other]
