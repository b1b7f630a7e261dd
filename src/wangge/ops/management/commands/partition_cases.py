"""`wangge partition-cases`: convert the large per-district tables to
PostgreSQL LIST partitions by district (wangge.ops.partitioning, docs/scale.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from wangge.ops.commands import domain_errors
from wangge.ops.partitioning import TABLES, partition_by_district


class Command(BaseCommand):
    help = "把工单等大表转换为按区县的 PostgreSQL 原生分区（LIST 分区，每区县一个分区）"

    def add_arguments(self, parser):
        parser.add_argument("--table", action="append", help=f"默认：{', '.join(TABLES)}")

    def handle(self, *args, table, **options):
        with domain_errors():
            reports = partition_by_district(table)
        for r in reports:
            if r.skipped:
                self.stdout.write(f"{r.table}：{r.skipped}，跳过")
                continue
            self.stdout.write(
                f"{r.table}：{r.rows} 行 → {r.partitions} 个区县分区 + 默认分区"
            )
            for fk in r.composite_fks:
                self.stdout.write(f"  外键改为（id, district_id）复合键：{fk}")
            for fk in r.dropped_fks:
                self.stdout.write(f"  外键约束已去掉（无 district_id 列，由应用保证）：{fk}")
