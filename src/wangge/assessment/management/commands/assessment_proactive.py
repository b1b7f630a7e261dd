"""wangge manage assessment_proactive [--rule hotspot ...]: run the proactive rules now."""

import json

from django.core.management.base import BaseCommand

from wangge.assessment.proactive import RULES, run_rules


class Command(BaseCommand):
    help = "运行未诉先办规则"

    def add_arguments(self, parser):
        parser.add_argument("--rule", action="append", choices=list(RULES))

    def handle(self, *args, **opts):
        out = run_rules(only=opts["rule"])
        self.stdout.write(json.dumps(out, ensure_ascii=False))
