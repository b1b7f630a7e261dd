"""wangge export --kind residents --area CODE --actor USERNAME --out F [--clear --reason "…"]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from wangge.core.errors import DomainError
from wangge.people.exporters import export_start, write_csv, write_xlsx
from wangge.people.layouts import KINDS

from .import_data import actor_by_username, area_by_code


class Command(BaseCommand):
    help = "按导入模板的格式导出某区域的楼栋、户、居民或单位（.xlsx 或 .csv）；默认脱敏。"

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=KINDS, help="导出的数据类别")
        parser.add_argument("--area", required=True, help="区域编码")
        parser.add_argument("--actor", required=True, help="以哪个用户的身份和权限导出")
        parser.add_argument("--out", required=True, help="输出文件，扩展名 .xlsx 或 .csv")
        parser.add_argument(
            "--clear", action="store_true", help="导出身份证号和电话明文（记入审计）"
        )
        parser.add_argument("--reason", default="", help="导出明文的事由")

    def handle(self, *args, **opts):
        out = Path(opts["out"])
        if out.suffix.lower() not in (".xlsx", ".csv"):
            raise CommandError("输出文件的扩展名应为 .xlsx 或 .csv")
        actor = actor_by_username(opts["actor"])
        area = area_by_code(opts["area"])
        try:
            export = export_start(
                actor=actor, kind=opts["kind"], area=area, clear=opts["clear"],
                reason=opts["reason"],
            )  # fmt: skip
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except Http404 as exc:
            raise CommandError("所选区域不在该用户的管辖范围内") from exc
        with out.open("wb") as fh:
            (write_csv if out.suffix.lower() == ".csv" else write_xlsx)(export, fh)
        masked = "明文" if export.clear else "已脱敏"
        self.stdout.write(f"已导出{export.layout.title}{export.count}行（{masked}）到 {out}")
