"""The stored totals behind 积分参与率 and 入户率 (`AreaPopulation`,
`PointsMonth`, kept by database triggers): after every kind of write —
service, ORM, bulk insert, queryset update, delete, a COPY on PostgreSQL —
they equal a recount from the source rows and a hand count. Run on SQLite
and, with WANGGE_TEST_DATABASE_URL, on PostgreSQL (statement triggers over
transition tables there)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from wangge.areas.paths import STEP
from wangge.assessment import population
from wangge.assessment.indices import Period, month_period
from wangge.assessment.models import AreaPopulation, PointsMonth
from wangge.assessment.selectors import area_indices, ranking
from wangge.teams.tests.world import make_building, make_household, make_resident

pytestmark = pytest.mark.django_db


def stored() -> dict[str, tuple[int, int]]:
    return {
        p: (r, h)
        for p, r, h in AreaPopulation.objects.values_list("area_path", "residents", "households")
        if r or h
    }


def by_hand() -> dict[str, tuple[int, int]]:
    from wangge.people.models import Household, Resident

    # Every resident and household counted under each level of its path.
    out: dict[str, list[int]] = {}
    for i, model in enumerate((Resident, Household)):
        for path in model.objects.values_list("area_path", flat=True):
            for n in range(STEP, len(path) + 1, STEP):
                out.setdefault(path[:n], [0, 0])[i] += 1
    return {p: tuple(v) for p, v in out.items()}


def months() -> set[tuple]:
    return set(PointsMonth.objects.values_list("resident_id", "month", "area_path", "points"))


def assert_equals_recount() -> None:
    kept, kept_points = stored(), months()
    assert kept == by_hand()
    for path, depth in AreaPopulation.objects.values_list("area_path", "depth"):
        assert depth == len(path) // STEP
    population.recount()
    assert stored() == kept
    assert months() == kept_points


def test_triggers_are_installed():
    assert set(population.trigger_names(connection)) <= population.installed(connection)


def test_population_follows_every_kind_of_write(world):
    from wangge.people import services
    from wangge.people.models import Household, Resident

    t = world.tree
    b1 = make_building(t.grid_a1a_1, t.mg_a1a_1_1, name="A1幢")
    b2 = make_building(t.grid_a1a_2, None, name="B1幢")
    h1, h2 = make_household(b1, room="101"), make_household(b1, room="102")
    h3 = make_household(b2, room="101")
    r = [make_resident(h1, name=f"甲{i}") for i in range(3)]
    make_resident(h2, name="乙")
    make_resident(h3, name="丙")
    assert stored()[t.mg_a1a_1_1.path] == (4, 2)
    assert stored()[t.grid_a1a_2.path] == (1, 1)
    # Every level above holds the sum: the grid, the street, the city.
    assert stored()[t.grid_a1a_1.path] == (4, 2)
    assert stored()[t.street_a1.path] == stored()[t.city.path] == (5, 3)
    assert_equals_recount()

    # A building moved to another micro-grid: its households and residents
    # move with one UPDATE each (the service) — the totals follow.
    services.building_update(
        actor=world.grid_worker, building=b1, changes={"micro_grid": t.mg_a1a_1_2}
    )
    assert t.mg_a1a_1_1.path not in stored()
    assert stored()[t.mg_a1a_1_2.path] == (4, 2)
    assert_equals_recount()

    # Deletes, a bulk insert, a queryset update that changes nothing counted.
    services.resident_delete(actor=world.grid_worker, resident=r[0])
    Resident.objects.filter(pk=r[1].pk).delete()
    template = Resident.objects.get(pk=r[2].pk)
    bulk = []
    for i in range(5):
        x = Resident.objects.get(pk=template.pk)
        x.pk = None
        x.name = f"批量{i}"
        x.id_number_hash = f"bulk-{i}"
        x.household = h3
        x.area_path, x.grid_id, x.micro_grid_id = h3.area_path, h3.grid_id, h3.micro_grid_id
        bulk.append(x)
    Resident.objects.bulk_create(bulk)
    Resident.objects.filter(household=h3).update(name="改名")
    Household.objects.filter(pk=h2.pk).update(room="103")
    assert stored()[t.mg_a1a_1_2.path] == (2, 2)
    assert stored()[t.grid_a1a_2.path] == (6, 1)
    assert_equals_recount()

    # Nothing is left behind after the last one goes.
    Resident.objects.filter(household__in=[h1, h2, h3]).delete()
    Household.objects.filter(pk__in=[h1.pk, h2.pk, h3.pk]).delete()
    assert stored() == {}
    assert_equals_recount()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY: PostgreSQL")
def test_copy_on_postgresql(world):
    """The generator writes people with COPY: the statement trigger counts
    them, 40 rows in one statement."""
    from wangge.people.models import Resident

    t = world.tree
    h = make_household(make_building(t.grid_a1a_1, t.mg_a1a_1_1))
    x = make_resident(h, name="模板")
    fields = [
        f
        for f in Resident._meta.concrete_fields
        if f.attname not in ("id", "name", "id_number_hash")
    ]
    vals = list(Resident.objects.filter(pk=x.pk).values_list(*[f.attname for f in fields]).get())
    names = ", ".join(f'"{c}"' for c in [*(f.column for f in fields), "name", "id_number_hash"])
    connection.ensure_connection()
    with (
        connection.connection.cursor() as cur,
        cur.copy(f"COPY people_resident ({names}) FROM STDIN") as cp,
    ):
        for i in range(40):
            cp.write_row([*vals, f"复制{i}", f"copy-{i}"])
    assert stored()[t.mg_a1a_1_1.path] == (41, 1)
    assert_equals_recount()


def test_points_month_follows_the_ledger_and_the_resident(world):
    from wangge.points.models import EntryKind, PointsEntry

    t = world.tree
    b = make_building(t.grid_a1a_1, t.mg_a1a_1_1)
    a = make_resident(make_household(b, room="101"), name="甲")
    c = make_resident(make_household(b, room="102"), name="乙")
    seq = iter(range(1000))

    def entry(r, kind, amount, at):
        PointsEntry.objects.create(
            resident=r,
            grid_id=r.grid_id,
            district_id=r.district_id,
            area_path=t.grid_a1a_1.path,
            kind=kind,
            amount=amount,
            reason="测试",
            source=f"t:{next(seq)}",
            created_at=at,
        )

    # 2026-10-31 17:30 UTC is 1 November 01:30 in Shanghai: November.
    nov = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)
    oct_ = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)  # 23:00 local, still October
    entry(a, EntryKind.EARN, 5, nov)
    entry(a, EntryKind.EARN, 3, nov + timedelta(days=3))
    entry(a, EntryKind.EARN, 2, oct_)
    entry(c, EntryKind.CORRECTION, 10, nov)  # not earned by taking part
    assert months() == {
        (a.pk, date(2026, 11, 1), t.mg_a1a_1_1.path, 8),
        (a.pk, date(2026, 10, 1), t.mg_a1a_1_1.path, 2),
    }
    assert_equals_recount()
    # The resident moves: counted at their new place (like the hand count).
    from wangge.people import services

    services.building_update(
        actor=world.grid_worker, building=b, changes={"micro_grid": t.mg_a1a_1_2}
    )
    assert {p for _r, _m, p, _n in months()} == {t.mg_a1a_1_2.path}
    assert_equals_recount()


def test_points_index_whole_month_and_days_agree(world):
    """A month reads the stored month rows, other periods the ledger: both
    agree with a hand count, in the index and in the ranking."""
    from wangge.points.models import EntryKind, PointsEntry

    t = world.tree
    b = make_building(t.grid_a1a_1, t.mg_a1a_1_1)
    people = [make_resident(make_household(b, room=f"{i}01"), name=f"居民{i}") for i in range(4)]
    make_resident(make_household(make_building(t.grid_a1a_2, None)), name="另一网格")
    now = timezone.now()
    for i, (who, amount) in enumerate([(0, 5), (0, 3), (1, 4)]):
        PointsEntry.objects.create(
            resident=people[who],
            grid_id=people[who].grid_id,
            district_id=people[who].district_id,
            area_path=t.grid_a1a_1.path,
            kind=EntryKind.EARN,
            amount=amount,
            reason="测试",
            source=f"m:{i}",
            created_at=now,
        )
    today = timezone.localdate()
    month = month_period(today.year, today.month)
    for period in (month, Period(today, today)):
        data = area_indices(actor=world.dispatcher, area_id=t.grid_a1a_1.pk, period=period)
        raw = next(i for i in data["indices"] if i["code"] == "points")["raw"]
        assert raw == {"residents": 4, "participants": 2, "points": 12}
        data = area_indices(actor=world.dispatcher, area_id=t.street_a1.pk, period=period)
        raw = next(i for i in data["indices"] if i["code"] == "points")["raw"]
        assert raw == {"residents": 5, "participants": 2, "points": 12}
    rows = ranking(actor=world.dispatcher, area_id=t.street_a1.pk, level="grid", period=month)
    by_name = {r["name"]: r["values"]["points"] for r in rows["rows"]}
    assert by_name[t.grid_a1a_1.name] == 50.0
    assert by_name[t.grid_a1a_2.name] == 0.0


def test_bastion_many_equals_one_by_one(world):
    """All branches at once give what each branch computed alone gives."""
    from wangge.party.indices import bastion, bastion_many
    from wangge.party.models import HouseholdLink, PartyMember, PartyOrg
    from wangge.visits.services import visit_record

    w, t = world, world.tree
    committee = PartyOrg.objects.create(
        name="社区党委", kind=PartyOrg.Kind.COMMITTEE, area=t.community_a1a,
        area_path=t.community_a1a.path,
    )  # fmt: skip
    b1 = PartyOrg.objects.create(
        name="一支部", kind=PartyOrg.Kind.BRANCH, area=t.grid_a1a_1,
        area_path=t.grid_a1a_1.path, parent=committee,
    )  # fmt: skip
    b2 = PartyOrg.objects.create(
        name="二支部", kind=PartyOrg.Kind.BRANCH, area=t.grid_a1a_2,
        area_path=t.grid_a1a_2.path, parent=committee,
    )  # fmt: skip
    m1 = PartyMember.objects.create(
        org=b1, area_path=b1.area_path, name="党员一", user=w.grid_worker
    )
    PartyMember.objects.create(org=b2, area_path=b2.area_path, name="党员二", user=w.part_time)
    hh = [
        make_household(make_building(t.grid_a1a_1, t.mg_a1a_1_1), room=f"{i}01") for i in range(3)
    ]
    hh += [make_household(make_building(t.grid_a1a_2, None), room="101")]
    HouseholdLink.objects.create(
        member=m1, household=hh[0], area_path=hh[0].area_path, since=timezone.localdate()
    )
    now = timezone.now()
    for h in (hh[0], hh[1]):
        visit_record(actor=w.grid_worker, household_id=h.pk, visited_at=now)
    today = timezone.localdate()
    start, end = today.replace(day=1), today + timedelta(days=1)
    many = bastion_many([committee, b1, b2], start, end)
    for org in (committee, b1, b2):
        assert many[org.pk] == bastion(org, start, end)
    assert (many[committee.pk].members, many[committee.pk].households) == (2, 4)
    assert (many[b1.pk].households, many[b1.pk].linked_households) == (3, 1)
    assert many[b1.pk].visited_households == 2
    # With the stored households (what the assessment index passes): the same.
    from wangge.assessment.other_indices import households_under

    assert bastion_many([committee, b1, b2], start, end, households=households_under) == many
