import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.db.models import F

from wangge.accounts.models import User
from wangge.areas.locator import locator
from wangge.areas.models import Area
from wangge.core import crypto, masking
from wangge.core.errors import DomainError
from wangge.core.validators import (
    id_number_birth_date,
    id_number_sex,
    normalize_id_number,
    normalize_phone,
    normalize_uscc,
)
from wangge.generator.run import generate
from wangge.people.models import Building, Household, Organization, Resident, ResidentCareGroup
from wangge.teams.models import Department, RoleAssignment

from .conftest import small_community

pytestmark = pytest.mark.django_db


def snapshot(root_path):
    """Everything generated under a path, in a comparable form (ciphertexts
    carry a random nonce: compare their clear text)."""
    under = {"area_path__startswith": root_path}
    return {
        "areas": list(
            Area.objects.filter(path__startswith=root_path, level__in=["grid", "micro_grid"])
            .order_by("path")
            .values_list("path", "code", "name", "grid_kind", "dedicated_kind", "boundary")
        ),
        "buildings": list(
            Building.objects.filter(**under)
            .order_by("grid__code", "code")
            .values_list("code", "name", "address", "kind", "floors", "lng", "lat", "area_path")
        ),
        "households": list(
            Household.objects.filter(**under)
            .order_by("id")
            .values_list("building__code", "unit", "room", "size", "address", "area_path")
        ),
        "residents": [
            (*row[:-2], crypto.decrypt(row[-2]), crypto.decrypt(row[-1]))
            for row in Resident.objects.filter(**under)
            .order_by("id")
            .values_list(
                "name",
                "sex",
                "birth_date",
                "id_number_hash",
                "id_number_masked",
                "phone_hash",
                "relationship",
                "residence",
                "registered_address",
                "is_party_member",
                "area_path",
                "id_number_enc",
                "phone_enc",
            )
        ],
        "care": sorted(
            ResidentCareGroup.objects.filter(resident__area_path__startswith=root_path).values_list(
                "resident__id_number_hash", "group__code", "since"
            )
        ),
        "orgs": list(
            Organization.objects.filter(**under)
            .order_by("id")
            .values_list(
                "name", "uscc", "kind", "address", "contact_name", "employees", "lng", "lat"
            )
        ),
        "team": sorted(
            RoleAssignment.objects.filter(**under).values_list(
                "user__username",
                "user__name",
                "user__phone_hash",  # deterministic (the ciphertext is not)
                "role",
                "area__code",
                "department__name",
            ),
            key=str,
        ),
    }


@pytest.fixture
def community(jiaxing, jiaxing_plan):
    plan = small_community(jiaxing_plan)
    return Area.objects.get(code=plan.code), plan


def test_one_community_has_the_planned_shape(community):
    area, plan = community
    result = generate(scale="community", code=area.code, seed=1)
    assert result.scope == area
    grids = list(Area.objects.filter(parent=area).order_by("code"))
    assert [g.code for g in grids] == [g.code for g in plan.grids]
    assert all(len(g.code) == 15 and g.code.startswith(area.code) for g in grids)
    for g, gp in zip(grids, plan.grids, strict=True):
        assert g.grid_kind == gp.kind and g.path.startswith(area.path) and g.depth == 5
        micro = list(Area.objects.filter(parent=g))
        assert len(micro) == gp.micro_grids
        assert all(len(m.code) == 18 and m.code.startswith(g.code) for m in micro)
        if gp.kind == "dedicated":
            assert g.name.endswith("专属网格")
            assert Organization.objects.filter(grid=g, micro_grid=None, area_path=g.path).exists()
        else:
            assert g.name.startswith(area.name) and "网格" in g.name
    counts = result.counts
    assert counts["grids"] == len(plan.grids)
    assert counts["residents"] > 1000 and counts["households"] > 300
    assert 2.5 < counts["residents"] / counts["households"] < 3.4
    assert 12 < counts["households"] / counts["micro_grids"] < 30


def test_rows_carry_their_place_consistently(community):
    area, _ = community
    generate(scale="community", code=area.code, seed=1)
    micro = {m.pk: m for m in Area.objects.filter(path__startswith=area.path, level="micro_grid")}
    grids = {g.pk: g for g in Area.objects.filter(parent=area)}
    district_id = area.parent.parent_id
    for model in (Building, Household, Resident, Organization):
        rows = model.objects.filter(area_path__startswith=area.path)
        assert rows.exists()
        for grid_id, micro_id, path, d in rows.values_list(
            "grid_id", "micro_grid_id", "area_path", "district_id"
        ):
            assert d == district_id
            if micro_id is None:  # only in dedicated grids
                assert grids[grid_id].grid_kind == "dedicated" and path == grids[grid_id].path
            else:
                assert micro[micro_id].parent_id == grid_id and path == micro[micro_id].path
    # Households sit in their building's micro-grid; residents in their household's.
    assert not Household.objects.exclude(micro_grid_id=F("building__micro_grid_id")).exists()
    assert not Resident.objects.exclude(micro_grid_id=F("household__micro_grid_id")).exists()
    # Building codes: 5 digits, unique in the grid.
    codes = Counter(Building.objects.values_list("grid_id", "code"))
    assert max(codes.values()) == 1
    assert all(len(c) == 5 and c.isdigit() for _, c in codes)
    assert Household.objects.filter(size=0).count() == 0


def test_identity_numbers_phones_and_credit_codes_are_valid_and_unique(community):
    area, _ = community
    generate(scale="community", code=area.code, seed=1)
    ids = []
    for r in Resident.objects.all():
        value = r.decrypted_id_number()
        assert normalize_id_number(value) == value
        assert id_number_birth_date(value) == r.birth_date
        assert id_number_sex(value) == r.sex
        assert r.id_number_hash == crypto.keyed_hash(value)
        assert r.id_number_masked == masking.mask_id_number(value)
        ids.append(value)
        if r.phone_enc:
            phone = r.decrypted_phone()
            assert normalize_phone(phone) == phone and r.phone_masked == masking.mask_phone(phone)
            assert r.phone_hash == crypto.keyed_hash(phone)
        else:
            assert r.phone_hash == r.phone_masked == ""
    assert len(ids) == len(set(ids)) > 1000
    regions = Counter(v[:6] for v in ids)
    # Mostly the community's own district, some other Jiaxing codes, some migrants.
    assert regions[area.code[:6]] / len(ids) > 0.5
    assert sum(n for r, n in regions.items() if not r.startswith("3304")) / len(ids) > 0.05
    usccs = list(Organization.objects.values_list("uscc", flat=True))
    assert usccs and len(usccs) == len(set(usccs))
    assert all(normalize_uscc(u) == u for u in usccs)


def test_people_look_like_a_population(community):
    area, _ = community
    generate(scale="community", code=area.code, seed=1)
    residents = list(Resident.objects.values_list("birth_date", "is_party_member", "relationship"))
    n = len(residents)
    ref = dt.date(2025, 6, 30)
    ages = [(ref - b).days // 365 for b, _, _ in residents]
    assert min(ages) >= 0 and max(ages) <= 100
    assert 0.1 < sum(a < 15 for a in ages) / n < 0.25
    assert 0.1 < sum(a >= 60 for a in ages) / n < 0.3
    assert 0.03 < sum(p for _, p, _ in residents) / n < 0.12
    heads = Counter(rel for _, _, rel in residents)["head"]
    assert heads == Household.objects.count()
    # Care groups: the three built-in ones, elderly alone only for old people living alone.
    links = ResidentCareGroup.objects.select_related("resident__household", "group")
    assert {link.group.code for link in links} <= {"elderly_alone", "hardship", "disabled"}
    for link in links.filter(group__code="elderly_alone"):
        assert link.resident.household.size == 1
        assert (ref - link.resident.birth_date).days // 365 >= 65
    assert 0.005 < links.filter(group__code="disabled").count() / n < 0.05


def test_grid_teams_follow_the_one_plus_one_plus_one_plus_n_shape(community):
    area, plan = community
    generate(scale="community", code=area.code, seed=1)
    for g in Area.objects.filter(parent=area):
        roles = Counter(RoleAssignment.objects.filter(area=g).values_list("role", flat=True))
        assert roles["grid_leader"] == 1 and roles["grid_instructor"] == 1
        assert roles["grid_worker"] in (0, 1)
        assert 1 <= roles["part_time_worker"] <= 2
        for m in Area.objects.filter(parent=g):
            assert list(RoleAssignment.objects.filter(area=m).values_list("role", flat=True)) == [
                "micro_grid_leader"
            ]
    staff = User.objects.filter(assignments__area__path__startswith=area.path).distinct()
    assert staff.count() == RoleAssignment.objects.filter(area_path__startswith=area.path).count()
    assert all(u.kind == "staff" and u.is_staff and not u.has_usable_password() for u in staff)
    assert all(normalize_phone(u.phone) == u.phone for u in staff)
    assert all(len(u.name) >= 2 for u in staff)
    assert staff.filter(username=f"g{plan.grids[0].code}-leader").exists()
    # Departments and dispatchers for the district and the city.
    district = area.parent.parent
    assert Department.objects.filter(area=district, name__contains="公安").exists()
    assert Department.objects.filter(area=district.parent, name="嘉兴市公安局").exists()
    for a in (district, district.parent):
        assert RoleAssignment.objects.filter(area=a, role="dispatcher").count() == 1


def test_same_seed_same_rows_other_seed_other_rows(community):
    area, _ = community
    generate(scale="community", code=area.code, seed=7)
    first = snapshot(area.path)
    generate(scale="community", code=area.code, seed=7, replace=True)
    assert snapshot(area.path) == first
    generate(scale="community", code=area.code, seed=8, replace=True)
    other = snapshot(area.path)
    assert other["residents"] != first["residents"]
    assert other["areas"] != first["areas"]


def test_generating_again_is_refused_unless_replace(community):
    area, _ = community
    first = generate(scale="community", code=area.code, seed=1)
    with pytest.raises(DomainError) as err:
        generate(scale="community", code=area.code, seed=1)
    assert err.value.code == "scope_not_empty" and "--replace" in err.value.message
    before = schema(None)
    again = generate(scale="community", code=area.code, seed=1, replace=True)
    assert again.counts == first.counts
    assert Area.objects.filter(parent=area).count() == first.counts["grids"]
    # The wipe drops and restores foreign keys on PostgreSQL: all back, exactly.
    assert schema(None) == before


def test_a_second_scope_never_reuses_an_id_number(jiaxing, jiaxing_plan):
    # Two communities of one district: many residents share (region, birth
    # day, sex), so the second run must skip the numbers the first one took.
    a = small_community(jiaxing_plan, skip=0)
    b = small_community(jiaxing_plan, skip=1)
    generate(scale="community", code=a.code, seed=1)
    generate(scale="community", code=b.code, seed=1)
    hashes = list(Resident.objects.values_list("id_number_hash", flat=True))
    assert len(hashes) == len(set(hashes))
    phones = [u.phone for u in User.objects.exclude(phone_hash=None)]
    assert phones and len(phones) == len(set(phones))


def test_points_of_buildings_locate_to_their_micro_grid(community):
    area, _ = community
    generate(scale="community", code=area.code, seed=1)
    locator.reset()
    buildings = list(Building.objects.order_by("id")[:150])
    for b in buildings:
        chain = locator.locate(lng=b.lng, lat=b.lat)
        expected = b.micro_grid_id or b.grid_id
        assert chain[-1].pk == expected
        assert [a.level for a in chain][:4] == ["city", "district", "street", "community"]
    locator.reset()


def schema(tables):
    """Index and constraint definitions of these tables (None: all)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = "
                "current_schema() AND (%s::text[] IS NULL OR tablename = ANY(%s::text[]))",
                [tables, tables],
            )
            out = set(cur.fetchall())
            cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
                "AND (%s::text[] IS NULL OR conrelid::regclass::text = ANY(%s::text[]))",
                [tables, tables],
            )
            return out | set(cur.fetchall())
        cur.execute("SELECT tbl_name, name, sql FROM sqlite_master")
        return {row for row in cur.fetchall() if tables is None or row[0] in tables}


def test_dropped_indexes_come_back_exactly(community):
    area, _ = community
    tables = [
        m._meta.db_table for m in (Building, Household, Resident, ResidentCareGroup, Organization)
    ]
    before = schema(tables)
    result = generate(scale="community", code=area.code, seed=1, defer_indexes=True)
    assert result.deferred_indexes
    assert schema(tables) == before
    assert len(before) > 20
