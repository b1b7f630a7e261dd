"""wangge manage assessment_refresh [--month YYYY-MM]: recompute the slow
indices' stored month totals (在线率, 入户率, 知晓率, 先锋指数, 堡垒指数,
积分参与率) — by default this month and the previous one, as the periodic
task does — and list the stored months."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from wangge.assessment.stored import refresh_due, refresh_month, status


class Command(BaseCommand):
    help = "重新计算在线率、入户率、知晓率、先锋指数、堡垒指数、积分参与率的月度汇总"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份 YYYY-MM（默认：本月和上月）")
        parser.add_argument("--status", action="store_true", help="只列出已存的月份")

    def handle(self, *args, **opts):
        if not opts["status"]:
            if opts["month"]:
                try:
                    y, m = (int(x) for x in opts["month"].split("-"))
                    month = date(y, m, 1)
                except ValueError as exc:
                    raise CommandError("月份格式应为 YYYY-MM，如 2026-11") from exc
                done = [refresh_month(month)]
            else:
                done = refresh_due()
            for r in done:
                self.stdout.write(
                    f"{r['month'][:7]}：{r['areas']} 个区域，用时 {r['seconds']:.1f} 秒 "
                    + "（"
                    + "，".join(f"{k} {v:.1f}s" for k, v in r["sources"].items())
                    + "）"
                )
        for r in status():
            state = "有效" if r["fresh"] else "已过期"
            self.stdout.write(f"{r['month'][:7]}  计算于 {r['computed_at']}  {state}")
