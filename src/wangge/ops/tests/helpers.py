"""Child processes under the production settings, for the tests."""

from __future__ import annotations

import hashlib
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


def migrated_template(admin, env: dict, base_url: str) -> str:
    """A migrated empty database to copy (CREATE DATABASE … TEMPLATE takes a
    second; `migrate` takes 10-60 s on this machine), named after a hash of
    every migration file, built once and kept; older ones are dropped."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "wangge").glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    name = f"wangge_tpl_{digest.hexdigest()[:12]}"
    have = {r[0] for r in admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE 'wangge_tpl_%%'")}
    if name in have:
        return name
    building = f"{name}_{os.getpid()}"
    admin.execute(f'CREATE DATABASE "{building}"')
    try:
        mig = subprocess.run(
            [sys.executable, "-m", "wangge.cli", "manage", "migrate", "-v", "0"],
            env={**env, "DATABASE_URL": f"{base_url}/{building}"},
            cwd=ROOT, capture_output=True, text=True, timeout=900,  # a shared machine under load: 300 s was not enough
        )
        assert mig.returncode == 0, mig.stderr[-3000:]
        admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    except Exception:
        admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        if name not in {r[0] for r in admin.execute(
                "SELECT datname FROM pg_database WHERE datname = %s", [name])}:
            raise  # (else a parallel run built it first)
    for old in have:
        admin.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
    return name
