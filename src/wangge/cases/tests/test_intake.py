"""Intake: routing, catalogue, anonymity, proxy, idempotency, duplicates, merge."""

from __future__ import annotations

import datetime as dt

import pytest

from wangge.cases.catalogue import MAJORS, MINORS
from wangge.cases.models import Case, CaseAttachment, CaseEvent, CaseReporter, Category
from wangge.cases.services import case_report, category_suggest, distance_m
from wangge.core.errors import DomainError

from .conftest import (
    IN_GRID_A1A_2,
    IN_MG_A1A_1_1,
    IN_MG_A1A_1_2,
    IN_MG_B1A_1_1,
    OUTSIDE_CITY,
    move,
    photo,
    report,
)


def test_default_catalogue_is_complete(db):
    majors = Category.objects.filter(parent__isnull=True)
    minors = Category.objects.filter(parent__isnull=False)
    assert majors.count() == len(MAJORS) and minors.count() == len(MINORS)
    for c in minors:
        assert len(c.code) == 4 and c.code[:2] == c.parent.code
        assert c.departments, c
    names = set(majors.values_list("name", flat=True))
    for needed in ("市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "公用设施"):
        assert needed in names
    minor_names = set(minors.values_list("name", flat=True))
    for module in ("作风监督", "扫黑除恶线索", "群防群治信息", "见义勇为"):
        assert module in minor_names
    # Anonymous reports only for clue categories.
    anon = set(minors.filter(anonymous_allowed=True).values_list("parent__code", flat=True))
    assert anon <= {"13", "14"}
    assert set(minors.values_list("handling", flat=True)) == {
        "immediate",
        "time_limited",
        "special",
        "undertaken",
        "proxy",
    }


def test_resident_report_routes_point_to_micro_grid(world):
    t = world.tree
    case = report(world, photos=[photo(), photo("b.jpg", None)])
    assert case.micro_grid == t.mg_a1a_1_1 and case.grid == t.grid_a1a_1
    assert case.community == t.community_a1a and case.street == t.street_a1
    assert case.district == t.district_a and case.area_path == t.mg_a1a_1_1.path
    assert case.level_area == t.mg_a1a_1_1
    assert case.source == "resident" and case.status == "reported"
    assert case.handling == "immediate"
    # 暴露垃圾 → 综合执法平台 (street) is preferred over the district bureau.
    assert case.department == world.dept_zfp
    assert CaseAttachment.objects.filter(case=case, kind="intake").count() == 2
    assert CaseReporter.objects.get(case=case).user == world.resident
    assert CaseEvent.objects.get(case=case).kind == "report"


def test_dedicated_grid_without_micro_grid(world):
    case = report(world, point=IN_GRID_A1A_2)
    assert case.grid == world.tree.grid_a1a_2 and case.micro_grid is None
    assert case.area_path == world.tree.grid_a1a_2.path


def test_route_by_chosen_area_when_no_point(world):
    t = world.tree
    case = report(world, point=None, area=t.community_a1b)
    assert case.community == t.community_a1b and case.grid is None
    assert case.area_path == t.community_a1b.path


def test_resident_without_point_or_area_uses_home_grid(world):
    case = report(world, point=None)
    assert case.grid == world.tree.grid_a1a_1 and case.micro_grid is None


def test_category_to_department_falls_back_to_district(world):
    case = report(world, category="0304", description="违章搭建")
    assert case.department == world.dept_zf  # 综合行政执法局 of district A, not B


def test_category_suggested_when_missing(world):
    case = report(world, category=None, description="楼下有人占道经营摆摊卖水果")
    assert case.category.code == "0401" and case.category_suggested
    assert [c.code for c in category_suggest(text="夜间施工噪声扰民")][:1] in (["0301"], ["0108"])
    fallback = report(world, category=None, description="说不清是什么的问题")
    assert fallback.category.code == "9901"


@pytest.mark.parametrize(
    "kw,code",
    [
        ({"point": OUTSIDE_CITY}, "outside_city"),
        ({"category": "9999"}, "unknown_category"),
        ({"category": "01"}, "unknown_category"),  # majors are not reportable
        ({"description": "   "}, "description_required"),
        ({"description": "长" * 2001}, "description_too_long"),
        ({"anonymous": True}, "anonymous_not_allowed"),
        ({"photos": [photo() for _ in range(10)]}, "too_many_photos"),
        ({"photos": [photo("假图.png", b"%PDF-1.4 not an image")]}, "not_an_image"),
        ({"point": (200, 30)}, "bad_point"),
    ],
)
def test_bad_input_changes_nothing(world, kw, code):
    before = (Case.objects.count(), CaseEvent.objects.count(), CaseAttachment.objects.count())
    with pytest.raises(DomainError) as exc:
        report(world, **kw)
    assert exc.value.code == code
    assert exc.value.message and not exc.value.message.isascii()
    after = (Case.objects.count(), CaseEvent.objects.count(), CaseAttachment.objects.count())
    assert before == after


def test_truncated_jpeg_is_not_an_image(world):
    from .conftest import png

    data = png(64, 64, fmt="JPEG")
    with pytest.raises(DomainError) as exc:
        report(world, photos=[photo("cut.jpg", data[: len(data) // 2])])
    assert exc.value.code == "not_an_image"


def test_photo_over_10_mb_is_refused(world):
    big = photo("big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(DomainError) as exc:
        report(world, photos=[big])
    assert exc.value.code == "photo_too_large"


def test_anonymous_clue(world):
    case = report(world, category="1302", anonymous=True, description="有人强买强卖")
    # 政法委 first, but the test city has none: 公安分局 is next in the list.
    assert case.anonymous and case.department == world.dept_ga
    assert CaseReporter.objects.get(case=case).anonymous


def test_grid_worker_found_on_visit_and_outside_scope(world):
    case = report(world, actor=world.grid_worker, found_on_visit=True)
    assert case.source == "visit" and case.created_by == world.grid_worker
    with pytest.raises(DomainError) as exc:
        report(world, actor=world.grid_worker, point=IN_MG_B1A_1_1)
    assert exc.value.code == "outside_scope" and exc.value.status == 404


def test_department_staff_cannot_report(world):
    with pytest.raises(DomainError) as exc:
        report(world, actor=world.zf_staff)
    assert exc.value.code == "not_allowed"


def test_proxy_report_for_a_resident(world):
    from wangge.people.models import Resident
    from wangge.teams.tests.world import make_building, make_household, make_resident

    b = make_building(world.tree.grid_a1a_1, world.tree.mg_a1a_1_1)
    r = make_resident(make_household(b), name="王奶奶", phone="13812345678")
    case = report(
        world,
        actor=world.grid_worker,
        category="1502",
        proxy_for=r,
        building=b,
        description="独居老人需要助餐服务",
    )
    assert case.source == "proxy" and case.handling == "proxy"
    assert case.on_behalf_of_id == r.pk and case.building_id == b.pk
    rep = CaseReporter.objects.get(case=case)
    assert rep.user is None and rep.name == "王奶奶" and rep.phone_enc
    assert rep.phone_masked == "138****5678"
    # A resident of another district is not the grid worker's to proxy for.
    other = Resident.objects.exclude(pk=r.pk).first()
    assert other is None or other.district_id != world.tree.district_a.pk


def test_idempotency_key(world):
    a, created_a = case_report(
        actor=world.resident,
        description="路灯不亮",
        category="0602",
        lng=IN_MG_A1A_1_1[0],
        lat=IN_MG_A1A_1_1[1],
        idempotency_key="phone-123",
    )
    b, created_b = case_report(
        actor=world.resident,
        description="路灯不亮",
        category="0602",
        lng=IN_MG_A1A_1_1[0],
        lat=IN_MG_A1A_1_1[1],
        idempotency_key="phone-123",
    )
    assert created_a and not created_b and a.pk == b.pk
    assert Case.objects.count() == 1
    # The same key from another user is another case.
    c, created_c = case_report(
        actor=world.resident2,
        description="路灯不亮",
        category="0602",
        area=world.tree.grid_a1a_1,
        idempotency_key="phone-123",
    )
    assert created_c and c.pk != a.pk


def test_duplicate_flag_within_100_m_and_7_days(world):
    first = report(world)
    lng, lat = IN_MG_A1A_1_1
    near = (lng + 0.0005, lat)  # about 48 m east
    far = (lng + 0.002, lat)  # about 190 m
    assert distance_m(lng, lat, *near) < 100 < distance_m(lng, lat, *far)
    dup = report(world, actor=world.resident2, point=near)
    assert dup.duplicate_of_id == first.pk
    assert report(world, actor=world.resident2, point=far).duplicate_of_id is None
    assert report(world, actor=world.resident2, point=near, category="0201").duplicate_of_id is None
    later = report(
        world, actor=world.resident2, point=near, at=first.created_at + dt.timedelta(days=8)
    )
    assert later.duplicate_of_id is None


def test_only_open_cases_count_as_duplicates(world):
    first = report(world)
    move(first, "void", world.dispatcher, reason="误报")
    lng, lat = IN_MG_A1A_1_1
    assert report(world, actor=world.resident2, point=(lng, lat + 0.0003)).duplicate_of_id is None


def test_merge_keeps_both_reporters_and_both_hear(world, django_capture_on_commit_callbacks):
    from wangge.cases.models import Notification

    first = report(world)
    lng, lat = IN_MG_A1A_1_1
    dup = report(world, actor=world.resident2, point=(lng + 0.0003, lat))
    assert dup.duplicate_of_id == first.pk
    with django_capture_on_commit_callbacks(execute=True):
        dup = move(dup, "merge", world.dispatcher)
    assert dup.status == "merged" and dup.merged_into_id == first.pk
    users = set(CaseReporter.objects.filter(case=first).values_list("user_id", flat=True))
    assert users == {world.resident.pk, world.resident2.pk}
    assert first.events.filter(kind="merge_in").exists()
    with django_capture_on_commit_callbacks(execute=True):
        move(first, "accept", world.dispatcher)
    got = set(
        Notification.objects.filter(case_id=first.pk, kind="accept").values_list(
            "user_id", flat=True
        )
    )
    assert got == {world.resident.pk, world.resident2.pk}


def test_merge_into_foreign_case_is_refused(world):
    foreign = report(world, actor=world.outsider, point=IN_MG_B1A_1_1)
    mine = report(world, point=IN_MG_A1A_1_2)
    with pytest.raises(DomainError) as exc:
        move(mine, "merge", world.dispatcher, target_id=foreign.pk)
    assert exc.value.code == "unknown_case"


def test_stale_version_is_a_conflict(world):
    case = report(world)
    move(case, "accept", world.dispatcher, version=1)
    with pytest.raises(DomainError) as exc:
        move(case, "void", world.grid_leader, version=1, reason="重复")
    assert exc.value.code == "stale" and exc.value.status == 409
    case.refresh_from_db()
    assert case.status == "accepted" and case.version == 2
