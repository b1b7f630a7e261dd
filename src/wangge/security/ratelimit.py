"""Rate limits on the doors anyone can knock on: sign-in, one-time codes,
registration and public reporting. Counted per client address and per
account (the typed login name, or the signed-in resident), in fixed windows
in Django's cache (local memory by default; Redis when WANGGE_REDIS_URL is
set, so every server process shares the counts).

Over a limit the answer is HTTP 429 with a zh-Hans message and Retry-After:
JSON `{code: "rate_limited", message, details: {retry_after}}` under /api/,
a GeoReport error list under /open311/, a short page elsewhere. The first
refusal of each window is written to the audit log.

Staff are not limited on reporting (hotline operators and dispatchers enter
cases all day, under their own name); sign-in limits apply to everyone.
Axes' lockout (5 failed passwords → 15 minutes) works alongside: this layer
also counts successful and unknown-account attempts, and the per-address
limit stops one client from walking through many accounts.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse, JsonResponse

MESSAGE = "请求过于频繁，请 {wait}后再试"


@dataclass(frozen=True)
class Rule:
    name: str
    paths: re.Pattern
    per_ip: tuple[int, int]  # (requests, window seconds)
    per_account: tuple[int, int] | None
    staff_exempt: bool = False


def _paths(*patterns: str) -> re.Pattern:
    return re.compile("^(?:" + "|".join(patterns) + ")$")


DEFAULT_RULES = (
    Rule(
        "login",
        _paths(r"/accounts/login/", r"/admin/login/", r"/m/login/", r"/api/v1/auth/token"),
        per_ip=(60, 600),
        per_account=(20, 600),
    ),
    Rule("otp", _paths(r"/m/login/code/"), per_ip=(20, 600), per_account=(5, 600)),
    Rule(
        "register",
        _paths(r"/m/register/", r"/api/v1/auth/residents/register"),
        per_ip=(20, 3600),
        per_account=None,
    ),
    Rule(
        "report",
        _paths(r"/m/report/", r"/api/v1/cases/", r"/open311/v2/requests(?:\.json|\.xml)?"),
        per_ip=(60, 600),
        per_account=(20, 600),
        staff_exempt=True,
    ),
)


def rules() -> tuple[Rule, ...]:
    if getattr(settings, "WANGGE_RATE_LIMITS_OFF", False):
        return ()
    return getattr(settings, "WANGGE_RATE_LIMIT_RULES", DEFAULT_RULES)


def _cache():
    return caches[getattr(settings, "WANGGE_RATE_LIMIT_CACHE", "default")]


def hit(key: str, limit: int, window: int, now: float | None = None) -> tuple[bool, int]:
    """Count one request under `key`; (allowed, seconds until the window ends)."""
    now = time.time() if now is None else now
    slot = int(now // window)
    full = f"rl:{key}:{window}:{slot}"
    cache = _cache()
    cache.add(full, 0, timeout=window + 1)
    try:
        count = cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.set(full, 1, timeout=window + 1)
        count = 1
    retry = max(1, int((slot + 1) * window - now))
    return count <= limit, retry if count > limit else 0


def _typed_login(request) -> str:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        value = data.get("username") or data.get("phone") if isinstance(data, dict) else ""
    else:
        value = request.POST.get("username") or request.POST.get("phone")
    return str(value or "").strip().lower()[:150]


def _account(request, rule: Rule) -> str:
    user = getattr(request, "_rate_limit_user", None) or getattr(request, "user", None)
    if rule.name == "report":
        return f"u{user.pk}" if user is not None and user.is_authenticated else ""
    return _typed_login(request)


def _wait_text(seconds: int) -> str:
    if seconds >= 60:
        return f"{(seconds + 59) // 60} 分钟"
    return f"{seconds} 秒"


def too_many(request, retry_after: int) -> HttpResponse:
    message = MESSAGE.format(wait=_wait_text(retry_after))
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "rate_limited", "message": message, "details": {"retry_after": retry_after}},
            status=429,
        )
    elif request.path.startswith("/open311/"):
        response = JsonResponse([{"code": 429, "description": message}], status=429, safe=False)
    else:
        response = HttpResponse(
            '<!doctype html><html lang="zh-Hans"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>请求过于频繁</title><p style='margin:2em;font-size:1.1em'>{message}</p>"
            "<p style='margin:2em'><a href='javascript:history.back()'>返回</a></p></html>",
            status=429,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(retry_after)
    return response


def _user(request):
    """The session's user, or the bearer token's (the API authenticates
    tokens later, in the view; one look-up here for the limited paths)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        from wangge.accounts.auth import bearer_token

        row = bearer_token(request, header[7:].strip())
        if row is not None and row.user.is_active:
            request._rate_limit_user = row.user
            return row.user
    return user


def check(request) -> HttpResponse | None:
    """The 429 answer for a request over a limit, else None."""
    if request.method != "POST":
        return None
    for rule in rules():
        if not rule.paths.match(request.path):
            continue
        user = _user(request) if rule.name == "report" else getattr(request, "user", None)
        if rule.staff_exempt and user is not None and user.is_authenticated and (
            getattr(user, "kind", "") == "staff"
        ):
            return None
        ip = request.META.get("REMOTE_ADDR") or "-"
        ok, retry = hit(f"{rule.name}:ip:{ip}", *rule.per_ip)
        if ok and rule.per_account is not None:
            account = _account(request, rule)
            if account:
                ok, retry = hit(f"{rule.name}:acct:{account}", *rule.per_account)
        if not ok:
            _audit_once(request, rule, retry)
            return too_many(request, retry)
        return None
    return None


def _audit_once(request, rule: Rule, retry: int) -> None:
    ip = request.META.get("REMOTE_ADDR") or "-"
    if not _cache().add(f"rl-logged:{rule.name}:{ip}", 1, timeout=retry):
        return
    from wangge.accounts.safety import login_label
    from wangge.audit import recorder

    recorder.record(
        kind="rate_limited",
        request=request,
        actor_label=login_label(_typed_login(request)) if rule.name != "report" else "",
        changes={"rule": rule.name, "retry_after": retry},
    )


class RateLimitMiddleware:
    """Place after AuthenticationMiddleware (residents are counted by account)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = check(request)
        if refused is not None:
            return refused
        return self.get_response(request)
