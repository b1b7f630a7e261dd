"""Test settings: cheap hashing, a non-UTC zone is already the default
(Asia/Shanghai), SQLite unless WANGGE_TEST_DATABASE_URL points elsewhere."""

import os

from .base import *  # noqa: F403
from .base import database_from_url

_url = os.environ.get("WANGGE_TEST_DATABASE_URL", "sqlite:///:memory:")
if _url.startswith("sqlite"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA foreign_keys=ON;"},
            "TEST": {"NAME": None},
        }
    }
else:
    DATABASES = {"default": database_from_url(_url)}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WANGGE_DATA_KEYS = ["11" * 32, "22" * 32]
WANGGE_HASH_KEY = "33" * 32
WANGGE_LOCATOR_RECHECK_SECONDS = 0
WANGGE_DEMO = True

# Background tasks run in-process, at once.
HUEY = {"name": "wangge-test", "huey_class": "huey.MemoryHuey", "immediate": True}

# pytest-django's live server serves static files only when this exact name
# is in INSTALLED_APPS (not an AppConfig path): the browser tests load the
# front-end files through it. Same app, without the unused-builds filter.
INSTALLED_APPS = [  # noqa: F405
    "django.contrib.staticfiles" if app == "wangge.ops.staticfiles.StaticFilesConfig" else app
    for app in INSTALLED_APPS  # noqa: F405
]
