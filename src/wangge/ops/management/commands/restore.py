"""`wangge restore FILE [--force]`: replace the database with a backup made by
`wangge backup`, all or nothing, then check it against the manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.ops.backup import restore
from wangge.ops.commands import DATABASE_URL_HELP, domain_errors


class Command(BaseCommand):
    help = "从 wangge backup 的备份文件恢复数据库（覆盖现有数据）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件")
        parser.add_argument("--database-url", default="", help=DATABASE_URL_HELP)
        parser.add_argument("--force", action="store_true", help="目标数据库已有数据时仍然覆盖")

    def handle(self, *args, file, database_url, force, **options):
        with domain_errors():
            result = restore(src=Path(file), database_url=database_url or None, force=force)
        if result["mismatches"]:
            for m in result["mismatches"]:
                self.stderr.write(f"不一致：{m['table']} 备份 {m['expected']} 恢复后 {m['found']}")
            raise CommandError("恢复后的数据与备份清单不一致 [restore_mismatch]")
        checked = f"，{result['tables']} 张表与清单一致" if result["tables"] is not None else "（无清单，未校验）"
        self.stdout.write(f"已恢复：{file}{checked}")
