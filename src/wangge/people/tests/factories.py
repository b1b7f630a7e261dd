"""factory_boy factories for base data. They write rows directly (fast) but
fill the placement columns and the encrypted/hashed/masked identity columns
exactly as the services do."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from wangge.areas.models import Area
from wangge.core import crypto
from wangge.core.idnumbers import make_id_number, make_uscc
from wangge.core.masking import mask_id_number, mask_phone
from wangge.core.validators import id_number_birth_date, id_number_sex
from wangge.people import rules
from wangge.people.models import Building, Household, Organization, Resident


def _district(grid: Area) -> Area:
    return Area.objects.get(path=grid.path[: rules.DISTRICT_PATH_LENGTH])


def id_number_for(n: int, *, region: str = "330402", born: dt.date | None = None) -> str:
    """A valid, distinct ID number for each n."""
    born = born or dt.date(1940, 1, 1) + dt.timedelta(days=(n * 211) % 29000)
    return make_id_number(region, born, n % 100, "M" if n % 2 else "F")


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    grid: Area = None  # type: ignore[assignment]  # required
    micro_grid = None
    district = factory.LazyAttribute(lambda o: _district(o.grid))
    area_path = factory.LazyAttribute(lambda o: (o.micro_grid or o.grid).path)
    code = factory.Sequence(lambda n: f"{n % 100000:05d}")
    name = factory.Sequence(lambda n: f"{n}幢")
    address = factory.Sequence(lambda n: f"嘉兴市南湖区测试路{n}号")
    kind = Building.Kind.RESIDENTIAL
    floors = 6


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    building: Building = None  # type: ignore[assignment]  # required
    district_id = factory.LazyAttribute(lambda o: o.building.district_id)
    grid_id = factory.LazyAttribute(lambda o: o.building.grid_id)
    micro_grid_id = factory.LazyAttribute(lambda o: o.building.micro_grid_id)
    area_path = factory.LazyAttribute(lambda o: o.building.area_path)
    unit = "1"
    room = factory.Sequence(lambda n: f"{101 + n}")
    size = 3
    address = factory.LazyAttribute(lambda o: f"{o.building.address}{o.unit}单元{o.room}室")


class ResidentFactory(DjangoModelFactory):
    class Meta:
        model = Resident
        exclude = ("id_number", "phone")

    household: Household = None  # type: ignore[assignment]  # required
    id_number = factory.Sequence(id_number_for)
    phone = factory.Sequence(lambda n: f"138{n % 10**8:08d}")
    district_id = factory.LazyAttribute(lambda o: o.household.district_id)
    grid_id = factory.LazyAttribute(lambda o: o.household.grid_id)
    micro_grid_id = factory.LazyAttribute(lambda o: o.household.micro_grid_id)
    area_path = factory.LazyAttribute(lambda o: o.household.area_path)
    name = factory.Sequence(lambda n: f"居民{n}")
    sex = factory.LazyAttribute(lambda o: id_number_sex(o.id_number))
    birth_date = factory.LazyAttribute(lambda o: id_number_birth_date(o.id_number))
    id_number_enc = factory.LazyAttribute(lambda o: crypto.encrypt(o.id_number))
    id_number_hash = factory.LazyAttribute(lambda o: crypto.keyed_hash(o.id_number))
    id_number_masked = factory.LazyAttribute(lambda o: mask_id_number(o.id_number))
    phone_enc = factory.LazyAttribute(lambda o: crypto.encrypt(o.phone))
    phone_hash = factory.LazyAttribute(lambda o: crypto.keyed_hash(o.phone))
    phone_masked = factory.LazyAttribute(lambda o: mask_phone(o.phone))
    relationship = Resident.Relationship.HEAD
    residence = Resident.Residence.REGISTERED


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    grid: Area = None  # type: ignore[assignment]  # required
    micro_grid = None
    district = factory.LazyAttribute(lambda o: _district(o.grid))
    area_path = factory.LazyAttribute(lambda o: (o.micro_grid or o.grid).path)
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    uscc = factory.Sequence(lambda n: make_uscc("330402", 10_000_000 + n))
    kind = Organization.Kind.ENTERPRISE
    address = factory.Sequence(lambda n: f"嘉兴市南湖区企业路{n}号")
    contact_name = "王经理"
    contact_phone = factory.Sequence(lambda n: f"139{n % 10**8:08d}")
