"""wangge manage assessment_rebuild: recompute the case rollup from the cases,
and the stored population / points totals from the people and the ledger
(after a bulk load, or to check the incremental ones)."""

import time

from django.core.management.base import BaseCommand

from wangge.assessment.population import recount
from wangge.assessment.rollups import rebuild


class Command(BaseCommand):
    help = "从工单重新计算考核汇总表，从人口和积分明细重新计算人口、积分汇总"

    def handle(self, *args, **opts):
        t = time.perf_counter()
        n = rebuild()
        self.stdout.write(f"汇总表已重建：{n} 行，用时 {time.perf_counter() - t:.1f} 秒")
        t = time.perf_counter()
        counts = recount()
        self.stdout.write(
            f"人口汇总 {counts.get('population_rows', 0)} 行、居民月度积分 "
            f"{counts.get('points_month_rows', 0)} 行，用时 {time.perf_counter() - t:.1f} 秒"
        )
