"""Personal data at rest: AES-256-GCM with key versions, plus a keyed hash
(HMAC-SHA256) so an ID number or phone can be looked up without storing it
in clear. Ciphertext layout: 1 byte key index, 12 bytes nonce, ciphertext+tag,
base64 text so it fits a TextField on every database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"wangge:{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=8)
def _keys(keys_setting: tuple[str, ...]) -> tuple[AESGCM, ...]:
    raw = [bytes.fromhex(k) for k in keys_setting] or [_derive("data")]
    return tuple(AESGCM(k) for k in raw)


def _ciphers() -> tuple[AESGCM, ...]:
    return _keys(tuple(settings.WANGGE_DATA_KEYS))


@lru_cache(maxsize=4)
def _hash_key(setting: str) -> bytes:
    return bytes.fromhex(setting) if setting else _derive("hash")


def encrypt(value: str) -> str:
    if not value:
        return ""
    nonce = os.urandom(12)
    ct = _ciphers()[0].encrypt(nonce, value.encode(), None)
    return base64.b64encode(b"\x00" + nonce + ct).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    blob = base64.b64decode(token)
    index, nonce, ct = blob[0], blob[1:13], blob[13:]
    ciphers = _ciphers()
    # key index 0 is "the current key at encryption time"; after a rotation the
    # old key moves down the list, so try every key, current first.
    order = [ciphers[index]] if index < len(ciphers) else []
    order += [c for c in ciphers if c not in order]
    for cipher in order:
        try:
            return cipher.decrypt(nonce, ct, None).decode()
        except Exception:  # noqa: S112 - wrong key: try the next one
            continue
    raise ValueError("personal data could not be decrypted with any configured key")


def keyed_hash(value: str) -> str:
    """Stable, searchable, not reversible without the key."""
    if not value:
        return ""
    return hmac.new(
        _hash_key(settings.WANGGE_HASH_KEY), value.encode(), hashlib.sha256
    ).hexdigest()[:40]
