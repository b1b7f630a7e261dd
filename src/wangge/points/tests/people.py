"""Test people for the participation apps (points, deliberation, civic):
households with verified resident users in the `tree` fixture's grids."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from wangge.accounts.models import User
from wangge.teams.tests.world import make_building, make_household, make_resident

_seq = itertools.count(1)


@dataclass
class Person:
    user: User
    resident: object
    household: object


def verified_user(resident, *, grid=None) -> User:
    n = next(_seq)
    return User.objects.create_user(
        username=f"res{n}-{resident.pk}",
        password="pass-Wangge-2026",
        kind="resident",
        name=resident.name,
        resident=resident,
        resident_status="verified",
        home_grid=grid or resident.grid,
    )


def household_with(
    grid, micro_grid=None, *, names=("张三",), building=None, birth=None
) -> list[Person]:
    """One household with a verified resident user per name."""
    building = building or make_building(grid, micro_grid, name=f"{next(_seq)}幢")
    household = make_household(building, room=f"{next(_seq)}")
    out = []
    for name in names:
        resident = make_resident(household, name=name)
        if birth is not None:
            resident.birth_date = birth
            resident.save(update_fields=["birth_date"])
        out.append(Person(verified_user(resident, grid=grid), resident, household))
    return out


def person(grid, micro_grid=None, *, name="张三") -> Person:
    return household_with(grid, micro_grid, names=(name,))[0]


CHILD_BIRTH = dt.date.today().replace(year=dt.date.today().year - 10)


def fund(p: Person, amount: int, *, reason: str = "测试初始积分"):
    """Give a resident points (a correction entry, as a cadre would)."""
    from wangge.points.models import EntryKind, PointsEntry

    return PointsEntry.objects.create(
        resident=p.resident,
        grid_id=p.resident.grid_id,
        district_id=p.resident.district_id,
        area_path=p.resident.area_path,
        kind=EntryKind.CORRECTION,
        amount=amount,
        reason=reason,
    )


def open_topic(
    grid, raised_by, *, title: str = "加装电梯", body: str = "是否同意", days: int = 3, **fields
):
    """A topic on `grid` open for a household yes/no vote from an hour ago for `days`."""
    from django.utils import timezone

    from wangge.deliberation.models import Topic

    now = timezone.now()
    return Topic.objects.create(
        area=grid,
        area_path=grid.path,
        title=title,
        body=body,
        status=Topic.Status.OPEN,
        raised_by=raised_by,
        vote_opens_at=now - dt.timedelta(hours=1),
        vote_closes_at=now + dt.timedelta(days=days),
        eligible=1,
        **fields,
    )
