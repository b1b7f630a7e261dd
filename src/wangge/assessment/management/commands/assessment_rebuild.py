"""wangge manage assessment_rebuild: recompute the case rollup from the cases
(after a bulk load, or to check the incremental one)."""

import time

from django.core.management.base import BaseCommand

from wangge.assessment.rollups import rebuild


class Command(BaseCommand):
    help = "从工单重新计算考核汇总表"

    def handle(self, *args, **opts):
        t = time.perf_counter()
        n = rebuild()
        self.stdout.write(f"汇总表已重建：{n} 行，用时 {time.perf_counter() - t:.1f} 秒")
