"""Departments (职能部门) of the city and its districts, the command centre
with its dispatcher, and one department staff user per department.
Few rows: written through the ORM, idempotently (get_or_create)."""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.teams.models import Department, RoleAssignment
from wangge.teams.roles import Role

from .names import names
from .orgs import short
from .people import REFERENCE_DATE, staff_mobile

# (short name, city-level name pattern, district-level name pattern)
DEPARTMENTS = [
    ("公安", "{city}公安局", "{city}公安局{d}分局"),
    ("综合执法", "{city}综合行政执法局", "{district}综合行政执法局"),
    ("市场监管", "{city}市场监督管理局", "{city}市场监督管理局{d}分局"),
    ("住建", "{city}住房和城乡建设局", "{district}住房和城乡建设局"),
    ("生态环境", "{city}生态环境局", "{city}生态环境局{d}分局"),
    ("交通运输", "{city}交通运输局", "{district}交通运输局"),
    ("民政", "{city}民政局", "{district}民政局"),
    ("卫生健康", "{city}卫生健康委员会", "{district}卫生健康局"),
    ("应急管理", "{city}应急管理局", "{district}应急管理局"),
    ("水利", "{city}水利局", "{district}水利局"),
    ("自然资源", "{city}自然资源和规划局", "{city}自然资源和规划局{d}分局"),
    ("人社", "{city}人力资源和社会保障局", "{district}人力资源和社会保障局"),
    ("教育", "{city}教育局", "{district}教育体育局"),
    ("信访", "{city}信访局", "{district}信访局"),
]
COMMAND_CENTRE = ("指挥中心", "{city}社会治理综合指挥中心", "{district}社会治理综合指挥中心")

# Staff phone number spaces (see people.staff_mobile), disjoint from the
# area-based numbers of grid teams (area id * 32 + slot).
_DEPT_PHONE_BASE = 1_000_000_000
_DISPATCHER_PHONE_BASE = 1_500_000_000


def _duty_phone(rng: random.Random) -> str:
    return f"0573-8{rng.randint(2000000, 9999999)}"


def departments_ensure(*, city: Area, districts: list[Area], seed: int) -> dict[int, list]:
    """Create what is missing; -> area id -> its departments (command
    centre last). Users: a dispatcher per area, a staff member per department."""
    out: dict[int, list[Department]] = {}
    for area in [city, *districts]:
        rng = random.Random(f"{seed}:departments:{area.code}")
        level = "city" if area.pk == city.pk else "district"
        fmt = {"city": city.name, "district": area.name, "d": short(area.name)}
        depts = []
        for i, (short_name, city_pat, district_pat) in enumerate([*DEPARTMENTS, COMMAND_CENTRE]):
            name = (city_pat if level == "city" else district_pat).format(**fmt)
            dept, _ = Department.objects.get_or_create(
                area=area,
                name=name,
                defaults={
                    "short_name": short_name,
                    "level": level,
                    "area_path": area.path,
                    "phone": _duty_phone(rng),
                },
            )
            depts.append(dept)
            if (short_name, city_pat, district_pat) == COMMAND_CENTRE:
                _staff(
                    rng,
                    f"dispatch-{area.code[:6]}",
                    Role.DISPATCHER,
                    area,
                    dept,
                    _DISPATCHER_PHONE_BASE + area.pk,
                )
            else:
                _staff(
                    rng,
                    f"dept-{area.code[:6]}-{i + 1:02d}",
                    Role.DEPARTMENT_STAFF,
                    area,
                    dept,
                    _DEPT_PHONE_BASE + dept.pk,
                )
        out[area.pk] = depts
    return out


def _staff(rng, username: str, role: str, area: Area, dept: Department, phone_n: int) -> User:
    birth_year = REFERENCE_DATE.year - rng.randint(25, 55)
    sex = "M" if rng.random() < 0.6 else "F"
    name = names.name(rng, sex, birth_year)
    user = User.objects.filter(username=username).first()
    if user is None:
        phone = staff_mobile(phone_n)
        while User.objects.with_phone(phone).exists():
            phone_n += 31 * 10**7
            phone = staff_mobile(phone_n)
        user = User.objects.create(
            username=username,
            password=make_password(None),
            kind=User.Kind.STAFF,
            is_staff=True,
            name=name,
            phone=phone,
        )
    RoleAssignment.objects.get_or_create(
        user=user,
        role=role,
        area=area,
        defaults={"area_path": area.path, "department": dept},
    )
    return user
