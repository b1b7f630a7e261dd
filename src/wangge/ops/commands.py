"""What the ops management commands share."""

from __future__ import annotations

import contextlib

from django.core.management.base import CommandError

from wangge.core.errors import DomainError

DATABASE_URL_HELP = "默认：当前配置的数据库"


@contextlib.contextmanager
def domain_errors():
    """A DomainError ends the command with its zh-Hans message and code."""
    try:
        yield
    except DomainError as e:
        raise CommandError(f"{e.message} [{e.code}]") from e
