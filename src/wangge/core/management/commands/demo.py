"""`wangge demo`: migrate, load Jiaxing's divisions, generate the demo
street, and create one demo account per role (idempotent: re-running reuses
what exists and resets the demo passwords)."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from wangge.accounts.models import User
from wangge.areas.models import Area, Level
from wangge.core.fastmigrate import migrate_fresh
from wangge.people.models import Resident
from wangge.teams.models import Department
from wangge.teams.roles import Role

DEMO_PASSWORD = "Wangge-demo-2026"


class DemoPasswordHasher(Argon2PasswordHasher):
    """Argon2 with light parameters, for the demo accounts' published
    password only: a hash with the standard ones takes ~0.4 s of CPU and
    100 MB (1–1.5 s of wall time on the shared 2-core machine), ~13 s for
    the 13 demo accounts. Django hashes the password again with the
    standard parameters at the account's first login (`must_update`), so
    nothing light stays once the demo is used."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


class Command(BaseCommand):
    help = "创建演示城市与演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--city", default="330400")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", default="street", choices=["street", "district", "city"])

    def handle(self, *args, city, seed, scale, **options):
        # A fresh SQLite database: its tables straight from the migrations'
        # final state (seconds, not ~35 s of CPU); otherwise the migrations.
        if not migrate_fresh():
            call_command("migrate", interactive=False, verbosity=0)
        if not Area.objects.filter(level=Level.CITY, code=f"{city}000000").exists():
            self.stdout.write("载入行政区划……")
            call_command("load_divisions", city=city)
        if not Resident.objects.exists():
            self.stdout.write(f"生成演示数据（{scale}）……")
            call_command("generate", scale=scale, seed=seed)
        hashers = list(settings.PASSWORD_HASHERS)
        if hashers and hashers[0].endswith(".Argon2PasswordHasher"):
            # Light hashes only where the standard argon2 hasher verifies
            # them (not under the test settings' MD5 hasher).
            hashers.insert(0, f"{__name__}.DemoPasswordHasher")
        with override_settings(PASSWORD_HASHERS=hashers):
            rows = self.demo_accounts()
        self.participation()
        self.assessment()
        # This month's visit plan (issue 5; the periodic task makes it on the 1st).
        call_command("visits_plan", stdout=io.StringIO())
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role_label, area_name in rows:
            self.stdout.write(f"  {username:<28} {role_label:<12} {area_name}")
        self.stdout.write("")
        self.stdout.write("管理后台 /admin/ · 接口文档 /api/v1/docs")

    def participation(self) -> None:
        """议事, 积分, 办事 on the demo grid (wangge.deliberation.demo)."""
        from wangge.deliberation.demo import participation_demo

        leader = User.objects.get(username="demo_grid_leader")
        grid = leader.assignments.get(role=Role.GRID_LEADER).area
        cadre = User.objects.get(username="demo_community_cadre")
        participation_demo(grid=grid, leader=leader, cadre=cadre)

    def assessment(self) -> None:
        """Six months of cases on the demo street and the data behind every
        index of the leaders' screen (wangge.assessment.demo)."""
        from wangge.assessment.demo import assessment_demo

        cadre = User.objects.get(username="demo_street_cadre")
        street = cadre.assignments.get(role=Role.STREET_CADRE).area
        result = assessment_demo(street=street)
        if result.cases:
            self.stdout.write(f"考核演示数据（{street.name}）：{result.summary()}")

    @transaction.atomic
    def demo_accounts(self) -> list[tuple[str, str, str]]:
        from wangge.accounts.services import resident_register, resident_verify, user_create_staff
        from wangge.teams.services import role_assign

        # The demo grid: the first basic grid that has residents.
        grid_id = (
            Resident.objects.filter(grid__grid_kind="basic")
            .order_by("grid__path")
            .values_list("grid_id", flat=True)
            .first()
        )
        if grid_id is None:
            raise SystemExit("没有可用的网格数据：请先运行 wangge generate")
        grid = Area.objects.get(pk=grid_id)
        micro_grid = grid.children.order_by("path").first() or grid
        community = grid.parent
        street = community.parent
        district = street.parent
        city = district.parent
        department = (
            Department.objects.filter(area=district).order_by("name").first()
            or Department.objects.filter(area=city).order_by("name").first()
        )
        plan = [
            ("demo_grid_leader", Role.GRID_LEADER, grid, None),
            ("demo_grid_worker", Role.GRID_WORKER, grid, None),
            ("demo_part_time_worker", Role.PART_TIME_WORKER, grid, None),
            ("demo_micro_grid_leader", Role.MICRO_GRID_LEADER, micro_grid, None),
            ("demo_grid_instructor", Role.GRID_INSTRUCTOR, grid, None),
            ("demo_grid_assistant", Role.GRID_ASSISTANT, grid, None),
            ("demo_community_cadre", Role.COMMUNITY_CADRE, community, None),
            ("demo_street_cadre", Role.STREET_CADRE, street, None),
            ("demo_dispatcher", Role.DISPATCHER, district, None),
            ("demo_department_staff", Role.DEPARTMENT_STAFF, district, department),
            ("demo_leader", Role.LEADER, city, None),
            ("demo_city_admin", Role.CITY_ADMIN, city, None),
        ]
        rows = []
        for i, (username, role, area, dept) in enumerate(plan):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create_staff(
                    username=username,
                    name=f"演示{Role(role).label}",
                    phone=f"1390000{i:04d}",
                    password=DEMO_PASSWORD,
                )
            else:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if not user.assignments.filter(role=role, area=area, is_active=True).exists():
                role_assign(actor=None, user=user, role=role, area=area, department=dept)
            label = Role(role).label + (f"（{dept.name}）" if dept else "")
            rows.append((username, label, area.name))

        phone = "13900009999"
        resident_user = User.objects.with_phone(phone).first()
        if resident_user is None:
            resident_user = resident_register(
                phone=phone, password=DEMO_PASSWORD, name="演示居民", grid=grid
            )
            resident = Resident.objects.filter(grid=grid).order_by("id").first()
            worker = User.objects.get(username="demo_grid_worker")
            resident_verify(actor=worker, user=resident_user, resident=resident)
        else:
            resident_user.set_password(DEMO_PASSWORD)
            resident_user.save(update_fields=["password"])
        rows.append((phone, "居民", grid.name))
        return rows
