"""wangge rotate_keys: re-encrypt personal data with the current key and
recompute the keyed hashes (wangge.core.rotation)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from wangge.core.rotation import rotate_keys


class Command(BaseCommand):
    help = "用当前密钥重新加密全部个人信息（身份证号、电话），并重算检索哈希（密钥轮换后运行）"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="每批行数（默认 2000）")

    def handle(self, *args, **o):
        counts = rotate_keys(batch_size=o["batch_size"])
        parts = "，".join(f"{k} {v:,} 行" for k, v in counts.items())
        self.stdout.write(f"已用当前密钥重新加密：{parts}")
