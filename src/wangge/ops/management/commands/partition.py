"""`wangge partition`: convert the large per-district tables to PostgreSQL
LIST partitions by district (wangge.ops.partitioning, docs/scale.md).

    wangge partition                                  # all: cases, deliveries, visits, points
    wangge partition --tables cases,deliveries        # some groups
    wangge partition --table some_table               # any table with district_id
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from wangge.ops.commands import domain_errors
from wangge.ops.partitioning import GROUPS, partition_by_district


class Command(BaseCommand):
    help = "把工单、事件、通知送达、走访、积分明细等大表转换为按区县的 PostgreSQL 原生分区（LIST 分区）"
    default_groups: list[str] = list(GROUPS)

    def add_arguments(self, parser):
        groups = "; ".join(g + "=" + ",".join(t) for g, t in GROUPS.items())
        parser.add_argument(
            "--tables",
            help=f"逗号分隔的表组或表名；默认：{','.join(self.default_groups)}（表组：{groups}）",
        )
        parser.add_argument("--table", action="append", default=[], help="另加一张带 district_id 的表")

    def handle(self, *args, tables=None, table=(), **options):
        names = [n.strip() for n in (tables or "").split(",") if n.strip()] + list(table)
        with domain_errors():
            reports = partition_by_district(names or self.default_groups)
        for r in reports:
            if r.skipped:
                self.stdout.write(f"{r.table}：{r.skipped}，跳过")
                continue
            self.stdout.write(f"{r.table}：{r.rows} 行 → {r.partitions} 个区县分区 + 默认分区")
            for fk in r.composite_fks:
                self.stdout.write(f"  外键改为（id, district_id）复合键：{fk}")
            for fk in r.dropped_fks:
                self.stdout.write(f"  外键约束已去掉（无 district_id 列，由应用保证）：{fk}")
            if r.triggers:
                self.stdout.write(f"  触发器已重建：{', '.join(r.triggers)}")
