"""wangge load-divisions --city 330400: real districts, streets and
villages/communities of a city, with boundaries."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wangge.areas.divisions import divisions_load
from wangge.areas.models import Level
from wangge.core.errors import DomainError


class Command(BaseCommand):
    help = "从 china-division 载入一个市的区县、镇街、村社区（含边界），可重复运行"

    def add_arguments(self, parser):
        parser.add_argument(
            "--city",
            default=settings.WANGGE_CITY_CODE,
            help="市代码（6位，如 330400 嘉兴市；默认取 WANGGE_CITY_CODE）",
        )
        parser.add_argument("--seed", type=int, default=1, help="生成镇街、村社区边界的随机种子")

    def handle(self, *args, city: str, seed: int, **options):
        started = time.monotonic()
        try:
            result = divisions_load(city_code=city, seed=seed)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        labels = [
            (Level.CITY, "市"),
            (Level.DISTRICT, "区县"),
            (Level.STREET, "镇街"),
            (Level.COMMUNITY, "村社区"),
        ]
        parts = [
            f"{label} 新增{result.created.get(level, 0)} 更新{result.updated.get(level, 0)}"
            for level, label in labels
        ]
        self.stdout.write(
            f"{result.city.name}（{result.city.code}）区划已载入：{'；'.join(parts)}"
            f"（{time.monotonic() - started:.1f} 秒）"
        )
