from __future__ import annotations

from django.db import connection
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from .models import ApiToken


class SessionAuth(APIKeyCookie):
    """Django's session cookie, with CSRF checked for unsafe methods."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


_readers: tuple | None = None


def _token_with_user(key_hash: str):
    """`ApiToken.objects.active().select_related("user").filter(key_hash=…)
    .first()` in one hand-written query: every app request runs it, and the
    ORM spent more time compiling it than the database answering."""
    global _readers
    from django.contrib.auth import get_user_model

    from wangge.core.rawrows import Reader

    if _readers is None:
        user_model = get_user_model()
        tok, usr = Reader(ApiToken, "t"), Reader(user_model, "u")
        sql = (
            f"SELECT {tok.columns}, {usr.columns} FROM {ApiToken._meta.db_table} t"
            f" INNER JOIN {user_model._meta.db_table} u ON u.id = t.user_id"
            " WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
        )
        _readers = (tok, usr, sql)
    tok, usr, sql = _readers
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cur:
        cur.execute(sql, [key_hash, now])
        row = cur.fetchone()
    if row is None:
        return None
    token_row = tok.build(row[: len(tok)])
    user = usr.build(row[len(tok) :])
    ApiToken.user.field.set_cached_value(token_row, user)
    return token_row


def bearer_token(request, raw: str):
    """The active token (with its user) for a raw bearer token, looked up once
    per request: the rate limiter and the API's auth both ask."""
    key_hash = ApiToken.hash(raw)
    memo = getattr(request, "_bearer_token", None)
    if memo is None or memo[0] != key_hash:
        memo = (key_hash, _token_with_user(key_hash))
        request._bearer_token = memo
    return memo[1]


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        token_row = bearer_token(request, token)
        if token_row is None or not token_row.user.is_active:
            return None
        now = timezone.now()
        if token_row.last_used_at is None or (now - token_row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token_row.pk).update(last_used_at=now)
        request.user = token_row.user
        request.api_token = token_row
        return token_row.user
