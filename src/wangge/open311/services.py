"""Writes for Open311: API keys for posting clients."""

from __future__ import annotations

from .models import ApiKey


def apikey_create(*, name: str, user) -> tuple[ApiKey, str]:
    """A new key for a posting client; the raw key is returned once."""
    raw = ApiKey.new_raw()
    key = ApiKey.objects.create(name=name, user=user, key_hash=ApiKey.hash(raw), prefix=raw[:8])
    return key, raw
