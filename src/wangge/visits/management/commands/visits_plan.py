"""`wangge manage visits_plan [--month 2026-11] [--area CODE]`: generate the
monthly visit plan and the coverage rollup now (the periodic task does it on
the 1st of each month)."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wangge.areas.models import Area
from wangge.visits.services import coverage_refresh, periods_of, plan_generate


class Command(BaseCommand):
    help = "生成月度走访计划和入户率汇总"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份，如 2026-11（默认本月）")
        parser.add_argument("--area", help="只生成该区域（区划/网格编码）")
        parser.add_argument(
            "--rebuild-coverage",
            action="store_true",
            help="先按走访记录重建已走访户集合（批量导入走访记录后使用）",
        )

    def handle(self, *args, **opts):
        month = timezone.localdate()
        if opts["month"]:
            try:
                month = date.fromisoformat(opts["month"] + "-01")
            except ValueError as exc:
                raise CommandError("月份格式应为 2026-11") from exc
        area = None
        if opts["area"]:
            area = Area.objects.filter(code=opts["area"]).first()
            if area is None:
                raise CommandError(f"区域 {opts['area']} 不存在")
        if opts["rebuild_coverage"]:
            for period in periods_of(month):
                coverage_refresh(period=period, area=area, rebuild=True)
        result = plan_generate(month=month, area=area)
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
