"""wangge import-cases FILE: import a 12345 hotline batch (CSV, XLSX, JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.errors import DomainError


class Command(BaseCommand):
    help = "导入 12345 热线工单（CSV / XLSX / JSON），按工单编号幂等"

    def add_arguments(self, parser):
        parser.add_argument("file", help="文件路径")
        parser.add_argument("--user", default="", help="以该用户名导入（默认：无录入人）")

    def handle(self, *args, file: str, user: str, **options):
        from wangge.accounts.models import User
        from wangge.cases.imports import import_hotline

        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户不存在：{user}")
        try:
            report = import_hotline(actor=actor, name=path.name, data=path.read_bytes())
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        out = report.as_dict()
        if out["errors"]:
            for e in out["errors"]:
                self.stderr.write(f"第 {e['row']} 行 {e['column']}：{e['message']}")
            raise CommandError(f"有 {len(out['errors'])} 处错误，未导入任何工单")
        self.stdout.write(f"新建 {out['created']} 件，已存在跳过 {out['skipped']} 件")
        if options.get("verbosity", 1) > 1:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
