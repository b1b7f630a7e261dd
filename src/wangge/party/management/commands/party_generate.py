from django.core.management.base import BaseCommand, CommandError

from wangge.areas.models import Area
from wangge.party.generate import generate_party


class Command(BaseCommand):
    help = "为已生成的区域建立党组织（每个社区党委、每个网格党支部）并从党员居民登记党员、联户"

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="区域编码（市、区县、镇街或社区）")
        parser.add_argument("--links", type=int, default=3, help="每名党员联系的户数")
        parser.add_argument("--groups", action="store_true", help="每个微网格建党小组")

    def handle(self, *args, **opts):
        area = Area.objects.filter(code=opts["area"]).first()
        if area is None:
            raise CommandError(f"未找到区域编码 {opts['area']}")
        if not 0 <= opts["links"] <= 30:
            raise CommandError("--links 应在 0 到 30 之间")
        counts = generate_party(area=area, links=opts["links"], groups=opts["groups"])
        self.stdout.write("，".join(f"{k} {v}" for k, v in counts.items()))
