"""Child processes under the production settings, for the tests."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
PG_SERVER = os.environ.get("WANGGE_TEST_POSTGRES", "postgres://127.0.0.1:5432/postgres")
REDIS = os.environ.get("WANGGE_TEST_REDIS", "redis://127.0.0.1:6379/13")


def production_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANGGE_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="wangge.settings.production",
        WANGGE_SECRET_KEY=secrets.token_urlsafe(64),
        WANGGE_DATA_KEYS=secrets.token_hex(32),
        WANGGE_HASH_KEY=secrets.token_hex(32),
        WANGGE_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        PYTHONPATH=str(ROOT / "src"),
    )
    env.update(extra)
    return env


def run_python(code: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def django_json(code: str, env: dict) -> dict:
    """Run `code` after django.setup(); it assigns `out`, printed as JSON."""
    script = f"import django, json\ndjango.setup()\n{code}\nprint(json.dumps(out, default=str))"
    proc = run_python(script, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wangge(*args: str, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wangge.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
