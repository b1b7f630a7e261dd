"""wangge open311-key NAME --user USERNAME: issue an API key for a posting client."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "为 Open311 提交客户端签发 API 密钥（只显示一次）"

    def add_arguments(self, parser):
        parser.add_argument("name", help="客户端名称")
        parser.add_argument("--user", required=True, help="服务账号用户名")

    def handle(self, *args, name: str, user: str, **options):
        from wangge.accounts.models import User
        from wangge.open311.services import apikey_create

        account = User.objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"用户不存在：{user}")
        _, raw = apikey_create(name=name, user=account)
        self.stdout.write(raw)
