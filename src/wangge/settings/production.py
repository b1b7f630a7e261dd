"""Production settings: everything from environment variables, safe defaults,
and a refusal to start on an insecure configuration (docs/deploy.md).

    DJANGO_SETTINGS_MODULE=wangge.settings.production

Required: WANGGE_SECRET_KEY (≥ 50 characters, not the demo key),
WANGGE_DATA_KEYS and WANGGE_HASH_KEY (personal-data keys, hex), DATABASE_URL
(PostgreSQL), WANGGE_ALLOWED_HOSTS. Optional: WANGGE_REDIS_URL (Huey queue
and cache), WANGGE_REPLICA_URL (read replica for GET requests),
WANGGE_PGBOUNCER=1 (transaction pooling), WANGGE_TLS=1 (behind a TLS proxy),
WANGGE_LOG_FORMAT=json|plain, WANGGE_DEMO=1 (skip the key checks: demo only).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    DATABASE_URL,
    DATABASES,
    HUEY,
    LOGGING,
    MIDDLEWARE,
    VAR_DIR,
    database_from_url,
)


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError as e:
        raise ImproperlyConfigured(f"{name} 必须是整数 / must be an integer") from e


DEBUG = False  # never from the environment: a debug page leaks settings and personal data
WANGGE_DEMO = _flag("WANGGE_DEMO")


def insecure_secret_key(key: str) -> str:
    """Why a secret key is unfit for production, or '' when it is fine."""
    if not key:
        return "WANGGE_SECRET_KEY 未设置 / is not set"
    if key.startswith(("insecure", "django-insecure")) or "change-me" in key:
        return "WANGGE_SECRET_KEY 是演示用的默认值 / is the demo default"
    if len(key) < 50 or len(set(key)) < 5:
        return "WANGGE_SECRET_KEY 太短或太简单（至少 50 个字符）/ is too short or too simple (≥ 50 characters)"
    return ""


def _refuse(problems: list[str]) -> None:
    raise ImproperlyConfigured(
        "生产配置不安全，拒绝启动 / refusing to start with an insecure production configuration:\n  - "
        + "\n  - ".join(problems)
        + "\n生成密钥 / generate keys: python -c \"import secrets; print(secrets.token_urlsafe(64))\" "
        "(WANGGE_SECRET_KEY), python -c \"import secrets; print(secrets.token_hex(32))\" "
        "(WANGGE_DATA_KEYS, WANGGE_HASH_KEY). See docs/deploy.md."
    )


if not WANGGE_DEMO:
    _problems = [p for p in [insecure_secret_key(os.environ.get("WANGGE_SECRET_KEY", ""))] if p]
    for _name in ("WANGGE_DATA_KEYS", "WANGGE_HASH_KEY"):
        _values = [v for v in os.environ.get(_name, "").split(",") if v]
        if not _values:
            _problems.append(f"{_name} 未设置 / is not set (个人信息加密密钥 / personal-data key)")
        elif any(len(v) != 64 or not all(c in "0123456789abcdefABCDEF" for c in v) for v in _values):
            _problems.append(f"{_name} 必须是 64 位十六进制 / must be 64 hex digits (32 bytes)")
    if _problems:
        _refuse(_problems)

# -- hosts, cookies, TLS ------------------------------------------------------
# ALLOWED_HOSTS comes from WANGGE_ALLOWED_HOSTS (base); CSRF needs the scheme.
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("WANGGE_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
# Behind nginx (or any proxy) that terminates TLS and sets X-Forwarded-Proto.
WANGGE_TLS = _flag("WANGGE_TLS", "1")
if WANGGE_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _int("WANGGE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("WANGGE_HSTS_SUBDOMAINS")
    # The proxy redirects http → https; /healthz and /readyz are probed over http.
    SECURE_SSL_REDIRECT = _flag("WANGGE_SSL_REDIRECT")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
USE_X_FORWARDED_HOST = _flag("WANGGE_USE_X_FORWARDED_HOST")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# -- database -------------------------------------------------------------------
if DATABASE_URL.startswith("sqlite") and not WANGGE_DEMO and not _flag("WANGGE_ALLOW_SQLITE"):
    # SQLite is fine for one small site (WANGGE_ALLOW_SQLITE=1), but say so on purpose.
    _refuse(["DATABASE_URL 未指向 PostgreSQL / does not point at PostgreSQL "
             "(set WANGGE_ALLOW_SQLITE=1 to run one machine on SQLite)"])
WANGGE_PGBOUNCER = _flag("WANGGE_PGBOUNCER")


def _postgres_options(cfg: dict) -> dict:
    if cfg["ENGINE"].endswith("sqlite3"):
        return cfg
    if WANGGE_PGBOUNCER:
        # PgBouncer in transaction pooling mode: a server connection belongs to
        # this process only for one transaction, so no persistent connections
        # (PgBouncer keeps them), no server-side cursors (they outlive a
        # transaction), and no server-side prepared statements (Django's
        # psycopg 3 default: client-side binding, nothing prepared).
        cfg["CONN_MAX_AGE"] = 0
        cfg["CONN_HEALTH_CHECKS"] = False
        cfg["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        cfg["CONN_MAX_AGE"] = _int("WANGGE_DB_CONN_MAX_AGE", 60)
        cfg["CONN_HEALTH_CHECKS"] = True
    cfg["OPTIONS"].setdefault("connect_timeout", _int("WANGGE_DB_CONNECT_TIMEOUT", 5))
    # A runaway query must not hold a worker forever (milliseconds; 0 = off).
    timeout = _int("WANGGE_DB_STATEMENT_TIMEOUT_MS", 30000)
    if timeout and not WANGGE_PGBOUNCER:  # PgBouncer rejects startup options: set it on the role
        cfg["OPTIONS"].setdefault("options", f"-c statement_timeout={timeout}")
    return cfg


DATABASES["default"] = _postgres_options(DATABASES["default"])
# A streaming replica for reads of GET requests (wangge.ops.routers).
if os.environ.get("WANGGE_REPLICA_URL"):
    DATABASES["replica"] = _postgres_options(database_from_url(os.environ["WANGGE_REPLICA_URL"]))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["wangge.ops.routers.ReplicaRouter"]
    MIDDLEWARE = ["wangge.ops.routers.ReplicaPinMiddleware", *MIDDLEWARE]
WANGGE_REPLICA_PIN_SECONDS = _int("WANGGE_REPLICA_PIN_SECONDS", 5)

# -- queue and cache --------------------------------------------------------------
# Redis (WANGGE_REDIS_URL): the Huey queue for every web and consumer machine
# (base settings), and the cache. Without it: SQLite queue file under
# WANGGE_VAR_DIR (one machine only) and a per-process memory cache.
REDIS_URL = os.environ.get("WANGGE_REDIS_URL", "")
if REDIS_URL:
    HUEY["name"] = os.environ.get("WANGGE_QUEUE_NAME", "wangge")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("WANGGE_CACHE_URL", REDIS_URL),
            "KEY_PREFIX": os.environ.get("WANGGE_CACHE_PREFIX", "wangge"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# -- static files -------------------------------------------------------------------
# `wangge collectstatic` (or `wangge serve`) writes hashed, compressed files to
# STATIC_ROOT; whitenoise serves them with far-future cache headers, or nginx
# serves STATIC_ROOT directly (docs/deploy.md).
STATIC_ROOT = os.environ.get("WANGGE_STATIC_ROOT", str(VAR_DIR / "static"))
MEDIA_ROOT = os.environ.get("WANGGE_MEDIA_ROOT", str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MANIFEST_STRICT = False  # a file missing from the manifest keeps its plain name

# -- logs ---------------------------------------------------------------------------
# One JSON object a line on stdout: journald / Docker / Vector / Filebeat ship it.
if os.environ.get("WANGGE_LOG_FORMAT", "json") == "json":
    LOGGING["formatters"]["json"] = {"()": "wangge.ops.logs.JsonFormatter"}
    LOGGING["handlers"]["console"] = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
        "formatter": "json",
    }
LOGGING["loggers"] = {
    "django.request": {"level": "ERROR"},  # 4xx are normal traffic; errors are logged
    "huey": {"level": "INFO"},
}
