"""wangge createuser USERNAME --name 张三 --phone 138… --role grid_worker --area <code>"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wangge.areas.models import Area, Level
from wangge.core.errors import DomainError
from wangge.teams.models import Department
from wangge.teams.roles import ROLE_CAPS, Role


class Command(BaseCommand):
    help = "创建工作人员账号并分配角色（可登录管理后台）。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")
        parser.add_argument("--name", required=True, help="姓名")
        parser.add_argument("--phone", required=True, help="手机号")
        parser.add_argument(
            "--role",
            required=True,
            help="角色：" + "，".join(f"{r.value}（{r.label}）" for r in Role),
        )
        parser.add_argument("--area", required=True, help="负责区域的编码（区划/网格编码）")
        parser.add_argument("--department", help="所属部门名称（职能部门人员必填）")
        parser.add_argument("--password", help="密码（不填则交互输入）")

    def handle(self, *args, **opts):
        from wangge.accounts.services import user_create_staff
        from wangge.teams.services import role_assign

        role = opts["role"]
        if role not in ROLE_CAPS:
            raise CommandError(
                f"未知角色“{role}”。可选：" + "，".join(f"{r.value}（{r.label}）" for r in Role)
            )
        area = Area.objects.filter(code=opts["area"]).first()
        if area is None:
            raise CommandError(f"找不到编码为“{opts['area']}”的区域")
        levels = ROLE_CAPS[role].levels
        if area.level not in levels:
            allowed = "、".join(str(Level(lv).label) for lv in levels)
            raise CommandError(
                f"“{Role(role).label}”只能分配在{allowed}层级，"
                f"“{area.name}”（{area.code}）是{Level(area.level).label}"
            )
        department = None
        if opts.get("department"):
            department = (
                Department.objects.filter(name=opts["department"], area_path__in=_above(area.path))
                .order_by("-area_path")
                .first()
            )
            if department is None:
                raise CommandError(f"“{area.name}”及其上级区域没有名为“{opts['department']}”的部门")
        password = opts.get("password")
        if not password:
            if not self._interactive():
                raise CommandError("请用 --password 指定密码")
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致")
        try:
            with transaction.atomic():
                user = user_create_staff(
                    username=opts["username"],
                    name=opts["name"],
                    phone=opts["phone"],
                    password=password,
                )
                role_assign(actor=None, user=user, role=role, area=area, department=department)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已创建 {user.username}（{user.name}）：{area.name} · {Role(role).label}"
            )
        )

    def _interactive(self) -> bool:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()


def _above(path: str) -> list[str]:
    from wangge.areas.paths import ancestor_paths

    return [*ancestor_paths(path), path]
