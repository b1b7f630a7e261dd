"""wangge import --kind residents --file F --actor USERNAME [--area CODE] [--dry-run]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.core.errors import DomainError
from wangge.people.exporters import error_report_xlsx
from wangge.people.importers import import_file
from wangge.people.layouts import KINDS


def actor_by_username(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"用户“{username}”不存在或已停用")
    return user


def area_by_code(code: str | None) -> Area | None:
    if not code:
        return None
    area = Area.objects.filter(code=code, is_active=True).first()
    if area is None:
        raise CommandError(f"区域编码“{code}”不存在")
    return area


class Command(BaseCommand):
    help = "从 Excel (.xlsx) 或 CSV 文件导入楼栋、户、居民或单位；先逐行校验，全部通过才写入。"

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=KINDS, help="导入的数据类别")
        parser.add_argument("--file", required=True, help=".xlsx 或 .csv 文件")
        parser.add_argument("--actor", required=True, help="以哪个用户的身份和权限导入")
        parser.add_argument("--area", help="只允许导入该区域（编码）内的行")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--report-out", help="把错误报告另存为 .xlsx")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = actor_by_username(opts["actor"])
        area = area_by_code(opts["area"])
        try:
            report = import_file(
                actor=actor,
                kind=opts["kind"],
                name=path.name,
                data=path.read_bytes(),
                area=area,
                dry_run=opts["dry_run"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except Http404 as exc:
            raise CommandError("所选区域不存在或不在该用户的管辖范围内") from exc
        self.stdout.write(report.message)
        for error in report.errors:
            where = f"第{error.row}行" if error.row else "文件"
            column = f"【{error.column}】" if error.column else ""
            self.stdout.write(f"  {where}{column}{error.message}")
        if report.error_count > len(report.errors):
            self.stdout.write(f"  ……另有{report.error_count - len(report.errors)}处错误未列出")
        self.stdout.write(f"用时 {report.seconds:.1f} 秒")
        if opts["report_out"] and not report.ok:
            Path(opts["report_out"]).write_bytes(error_report_xlsx(report))
            self.stdout.write(f"错误报告已保存到 {opts['report_out']}")
        if not report.ok:
            raise CommandError("导入未完成：请修改文件后重新导入")
