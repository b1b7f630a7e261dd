"""`wangge serve`: the platform under granian (WSGI), static files by whitenoise."""

from __future__ import annotations

import os
import shutil
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "用 granian（WSGI）启动平台"

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("WANGGE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("WANGGE_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WANGGE_WORKERS", "2"))
        )
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args, host, port, workers, no_collectstatic, **options):
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        granian = shutil.which("granian") or os.path.join(
            os.path.dirname(sys.executable), "granian"
        )
        argv = [
            granian,
            "--interface",
            "wsgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            "4",
            "wangge.wsgi:application",
        ]
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings.demo")
        src = str(settings.BASE_DIR / "src")
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.stdout.write(f"网格 Wangge 正在运行：http://{host}:{port}/  （Ctrl+C 停止）")
        self.stdout.flush()
        os.execve(granian, argv, env)  # noqa: S606 - replaces this process with the server
