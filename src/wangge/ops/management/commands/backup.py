"""`wangge backup --out FILE [--checksums]`: the whole database to one file
(PostgreSQL: pg_dump custom format; SQLite: online backup API), with a
manifest FILE.json of row counts (and checksums)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from wangge.ops.backup import backup
from wangge.ops.commands import DATABASE_URL_HELP, domain_errors


class Command(BaseCommand):
    help = "备份整个数据库到一个文件（PostgreSQL: pg_dump 自定义格式；SQLite: 在线备份）"

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="备份文件路径")
        parser.add_argument("--database-url", default="", help=DATABASE_URL_HELP)
        parser.add_argument("--checksums", action="store_true", help="清单中记录每张表的校验和（较慢）")

    def handle(self, *args, out, database_url, checksums, **options):
        with domain_errors():
            manifest = backup(out=Path(out), database_url=database_url or None, checksums=checksums)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"已备份（{manifest['engine']}）：{out}，{manifest['bytes'] / 1048576:.1f} MB，"
            f"{len(manifest['tables'])} 张表，{rows} 行；清单 {out}.json"
        )
