"""wangge generate --scale street|district|city --seed N

Several cities into one database, one after the other (each its own city
root, generated at the benchmark's density per community):
wangge generate --scale city --city 330400,330600,330900"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wangge.core.errors import DomainError
from wangge.generator.run import SCALES, generate

LABELS = {
    "grids": "网格",
    "micro_grids": "微网格",
    "buildings": "楼栋",
    "households": "户",
    "residents": "居民",
    "organizations": "单位/商户",
}


class Command(BaseCommand):
    help = (
        "在真实区划之下生成网格、微网格、楼栋、户、居民、单位和网格团队（同一种子生成同一座城市）"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default="street",
            help="范围：community 一个村社区，street 一个镇街（默认，演示用），"
            "district 一个区县，city 全市（基准测试）",
        )
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument(
            "--city",
            default=settings.WANGGE_CITY_CODE,
            help="市代码，默认 330400；--scale city 时可写多个，逗号分隔（如 330400,330600,330900），"
            "依次生成到同一个数据库",
        )
        parser.add_argument("--street", help="镇街编码（9或12位），--scale street 时使用")
        parser.add_argument("--district", help="区县编码（6或12位），--scale district 时使用")
        parser.add_argument("--community", help="村社区编码（12位），--scale community 时使用")
        parser.add_argument("--replace", action="store_true", help="先清空该范围已生成的数据再生成")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, **o):
        code = {"street": o["street"], "district": o["district"], "community": o["community"]}.get(
            o["scale"]
        )
        cities = [c.strip() for c in (o["city"] or "").split(",") if c.strip()]
        if not cities:
            raise CommandError("请给出市代码，例如 --city 330400")
        if len(cities) > 1 and o["scale"] != "city":
            raise CommandError("多个市只能与 --scale city 一起使用")
        if len({c[:4] for c in cities}) != len(cities):
            raise CommandError("市代码重复：" + ",".join(cities))
        for city in cities:
            self._one(o, city, code)

    def _one(self, o, city: str, code: str | None) -> None:
        try:
            result = generate(
                scale=o["scale"],
                seed=o["seed"],
                city_code=city,
                code=code,
                replace=o["replace"],
                progress=not o["no_progress"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        parts = "，".join(f"{LABELS[k]} {v:,}" for k, v in result.counts.items())
        self.stdout.write(
            f"已生成 {result.scope.name}（{result.scope.code}，种子 {o['seed']}）：{parts}；"
            f"用时 {result.seconds:.1f} 秒"
        )
        if o["verbosity"] >= 2:
            steps = "，".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
            self.stdout.write(
                f"分段用时：{steps}（索引{'已' if result.deferred_indexes else '未'}延后重建）"
            )
