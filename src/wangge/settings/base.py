"""Settings shared by every environment. Values come from environment variables
with safe defaults; the demo and test settings override what they must."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[3]  # the repository root
SRC_DIR = BASE_DIR / "src" / "wangge"
VAR_DIR = Path(os.environ.get("WANGGE_VAR_DIR", BASE_DIR / "var"))
NODE_MODULES = Path(os.environ.get("WANGGE_NODE_MODULES", BASE_DIR / "node_modules"))

SECRET_KEY = os.environ.get("WANGGE_SECRET_KEY", "insecure-demo-key-change-me-in-production")
DEBUG = os.environ.get("WANGGE_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("WANGGE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # staticfiles, collecting only the front-end builds the pages load (the
    # npm packages' other builds made every `wangge serve` compress ~55 MB:
    # 64 s on two cores before the server answered).
    "wangge.ops.staticfiles.StaticFilesConfig",
    "wangge.core",
    "wangge.accounts",
    "wangge.areas",
    "wangge.people",
    "wangge.teams",
    "wangge.audit",
    "wangge.web",
    "wangge.generator",
    "django_tasks",
    "huey.contrib.djhuey",
    "wangge.cases",
    "wangge.open311",
    "axes",
    "wangge.h5",
    "wangge.worker",
    "wangge.console",
    "wangge.notices",
    "wangge.emergency",
    "wangge.serviceteams",
    "wangge.party",
    "wangge.assessment",
    "wangge.ops",
    "wangge.deliberation",
    "wangge.points",
    "wangge.civic",
    "wangge.visits",
    "wangge.surveys",
    "wangge.staffing",
]

MIDDLEWARE = [
    "wangge.ops.health.HealthMiddleware",  # /healthz, /readyz: before host checks
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wangge.audit.recorder.AuditMiddleware",  # every write audited, one INSERT per request
    "wangge.security.ratelimit.RateLimitMiddleware",  # 429 on login, codes, reporting floods
    "django.contrib.messages.middleware.MessageMiddleware",
    "wangge.core.middleware.DomainErrorMiddleware",  # pages: DomainError → its status, not 500
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# SQLite page cache per connection (KB). In WAL mode a connection's cache is
# emptied when another one has written since its last read, so under intake
# it holds little (bench/_sqlite_memory.py: 2-4 MB of SQLite heap for four
# connections, the same with 2 MB as with 64 MB); a large cache helps reads
# between writes.
SQLITE_CACHE_KB = int(os.environ.get("WANGGE_SQLITE_CACHE_KB", "65536"))


def database_from_url(url: str) -> dict:
    """One place that turns a URL into Django's DATABASES entry, with the
    per-engine options Wangge relies on (SQLite: WAL + IMMEDIATE transactions)."""
    if url.startswith("sqlite:"):
        path = (
            url.split("sqlite:///", 1)[1]
            if "sqlite:///" in url
            else str(VAR_DIR / "wangge.sqlite3")
        )
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # Kept open across requests (per thread): a new connection runs
            # its PRAGMAs and starts with an empty 64 MB page cache, which
            # tripled the CPU of a small request under granian.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                    f"PRAGMA cache_size=-{SQLITE_CACHE_KB};"
                ),
            },
            "TEST": {"NAME": None},
        }
    cfg = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    cfg.setdefault("OPTIONS", {})
    return cfg


DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'wangge.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["wangge.accounts.backends.PhoneOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "wangge.security.passwords.MinimumLengthValidator",  # zh-Hans message
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
# Sessions end after 30 minutes without a request (the idle timeout slides
# the expiry forward: wangge.accounts.safety.IdleTimeoutMiddleware).
SESSION_COOKIE_AGE = int(os.environ.get("WANGGE_SESSION_SECONDS", 30 * 60))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# zh-Hans for everyone, whatever the browser asks for (no LocaleMiddleware):
# the users are Chinese officials and residents.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [SRC_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Front-end libraries come from npm at setup; only their built files are served.
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/alpinejs", NODE_MODULES / "alpinejs" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Personal data at rest: AES-256-GCM with versioned keys (the first one
# encrypts; all of them decrypt, so keys can rotate) and an HMAC key for the
# searchable hash. Values are 32 bytes, hex. Demo keys are derived from
# SECRET_KEY; production must set both.
WANGGE_DATA_KEYS = [k for k in os.environ.get("WANGGE_DATA_KEYS", "").split(",") if k]
WANGGE_HASH_KEY = os.environ.get("WANGGE_HASH_KEY", "")

# The city this deployment serves by default (a 6-digit GB/T 2260 code).
WANGGE_CITY_CODE = os.environ.get("WANGGE_CITY_CODE", "330400")
# How often (seconds) a process checks whether boundaries changed.
WANGGE_LOCATOR_RECHECK_SECONDS = float(os.environ.get("WANGGE_LOCATOR_RECHECK_SECONDS", "2"))
# Largest upload accepted by importers.
WANGGE_IMPORT_MAX_BYTES = int(os.environ.get("WANGGE_IMPORT_MAX_BYTES", 50 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "INFO")},
}

# Background tasks: the Django tasks API (django-tasks) on Huey. SQLite queue
# under var/ by default; Redis when WANGGE_REDIS_URL is set; immediate
# (run in-process, in-memory queue) under the test settings (settings/test.py).
if os.environ.get("WANGGE_REDIS_URL"):
    HUEY = {
        "name": "wangge",
        "huey_class": "huey.RedisHuey",
        "url": os.environ["WANGGE_REDIS_URL"],
        "immediate": False,
        "consumer": {"workers": int(os.environ.get("WANGGE_TASK_WORKERS", "4"))},
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # SqliteHuey opens its file at start-up
    HUEY = {
        "name": "wangge",
        "huey_class": "huey.SqliteHuey",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": int(os.environ.get("WANGGE_TASK_WORKERS", "2"))},
    }
TASKS = {"default": {"BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend"}}
# SMS for case notifications: a class with send(*, phone, text, case_id).
WANGGE_SMS_BACKEND = os.environ.get("WANGGE_SMS_BACKEND", "wangge.cases.notify.LogSmsBackend")

# Login safety (django-axes): 5 failed logins within 15 minutes lock the
# account for 15 minutes, for staff and residents, on the login pages and on
# POST /api/v1/auth/token. Counted per account, whichever login name was typed.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
MIDDLEWARE += [  # axes must come last
    "wangge.accounts.safety.IdleTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "wangge.accounts.safety.lockout_key"
AXES_LOCKOUT_CALLABLE = "wangge.accounts.safety.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Lockouts end by themselves after 15 minutes; to lift one sooner:
# `wangge manage axes_reset_username user:<id>` (or `axes_reset`). Axes'
# own admin pages are left out: they are not area-scoped.
AXES_ENABLE_ADMIN = False
# Per account, not per address: many residents share a carrier's NAT address,
# and one bad typist must not lock out a neighbourhood (axes' W006 assumes
# address-based counting).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
