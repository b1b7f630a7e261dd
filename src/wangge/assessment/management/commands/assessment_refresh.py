"""wangge manage assessment_refresh [--period 2026-11|2026-Q4|2026]: recompute
the slow indices' stored totals (在线率, 入户率, 知晓率, 先锋指数, 堡垒指数,
积分参与率) — by default what the periodic task refreshes (this month,
quarter and year; the previous ones when due) — and list the stored periods."""

from django.core.management.base import BaseCommand, CommandError

from wangge.assessment.stored import key_period, refresh, refresh_due, status


class Command(BaseCommand):
    help = "重新计算在线率、入户率、知晓率、先锋指数、堡垒指数、积分参与率的月度、季度、年度汇总"

    def add_arguments(self, parser):
        parser.add_argument("--period", help="统计周期：月份 2026-11、季度 2026-Q4 或年份 2026")
        parser.add_argument("--status", action="store_true", help="只列出已存的统计周期")

    def handle(self, *args, **opts):
        if not opts["status"]:
            if opts["period"]:
                try:
                    key_period(opts["period"])
                except ValueError as exc:
                    raise CommandError(
                        "统计周期格式应为 2026-11（月）、2026-Q4（季度）或 2026（年）"
                    ) from exc
                done = [refresh(opts["period"])]
            else:
                done = refresh_due()
            for r in done:
                self.stdout.write(
                    f"{r['period']}：{r['areas']} 个区域，用时 {r['seconds']:.1f} 秒 "
                    + "（"
                    + "，".join(f"{k} {v:.1f}s" for k, v in r["sources"].items())
                    + "）"
                )
        for r in status():
            state = "有效" if r["fresh"] else "已过期"
            self.stdout.write(f"{r['period']}  计算于 {r['computed_at']}  {state}")
