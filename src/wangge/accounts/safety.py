"""Login safety: the pieces django-axes and the session need.

- `lockout_key`: axes counts failures per account, whichever login name was
  typed (a user may log in with a username or a phone number), and per typed
  name when no account matches.
- `lockout_response`: a zh-Hans answer when axes locks someone out: JSON for
  the API, the login page with a message otherwise (HTTP 429).
- `IdleTimeoutMiddleware`: sessions end after `SESSION_COOKIE_AGE` seconds
  without a request (30 minutes). Rather than saving the session on every
  request, it refreshes the expiry at most once a minute."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render

from wangge.core.validators import normalize_phone

LOCKED_MESSAGE = "登录失败次数过多，账号已临时锁定，请 15 分钟后再试"
SESSION_TOUCH_KEY = "_wg_seen"
TOUCH_EVERY_SECONDS = 60


def login_label(typed: str) -> str:
    """A typed login name as the audit log and lockout table keep it: a
    phone number (residents log in with it) masked, with a short keyed hash
    so that repeated tries of one number can be told apart; a username as
    typed. No clear phone in the database, whatever was typed."""
    typed = str(typed or "").strip()
    try:
        phone = normalize_phone(typed) if typed else ""
    except ValidationError:
        phone = ""
    if not phone:
        return typed[:150]
    from wangge.core.crypto import keyed_hash
    from wangge.core.masking import mask_phone

    return f"{mask_phone(phone)}#{keyed_hash(phone)[:8]}"


def lockout_key(request, credentials) -> str:
    from .models import User

    raw = ""
    if credentials:
        raw = credentials.get("username") or ""
    elif request is not None:
        raw = request.POST.get("username", "")
    login = str(raw).strip()
    if not login:
        return ""
    user_id = User.objects.filter(username=login).values_list("pk", flat=True).first()
    if user_id is None:
        try:
            phone = normalize_phone(login)
        except ValidationError:
            phone = ""
        if phone:
            user_id = User.objects.with_phone(phone).values_list("pk", flat=True).first()
            login = phone
    return f"user:{user_id}" if user_id is not None else login_label(login)


def lockout_response(request, original_response=None, credentials=None):
    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    path = request.path
    if path.startswith("/api/"):
        return JsonResponse({"code": "locked_out", "message": LOCKED_MESSAGE}, status=status)
    if path.startswith("/m/"):
        template, context = "h5/login.html", {"mode": "password", "error": LOCKED_MESSAGE}
    else:
        template, context = "web/login.html", {"locked": LOCKED_MESSAGE}
    username = request.POST.get("username", "") if request.method == "POST" else ""
    context["username"] = username
    return render(request, template, context, status=status)


def mark_seen(sender, request, user, **kwargs) -> None:
    """At login the session is saved anyway: note the time, so the first
    requests after it need no second save."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_TOUCH_KEY] = int(time.time())


# Requests an open page makes by itself (heartbeats, live-feed polls) are not
# the user being active: they must not keep an idle session alive. Pages mark
# them with the X-Wangge-Background header; the worker's heartbeat by path.
PASSIVE_PATHS = frozenset({"/w/presence/"})
PASSIVE_HEADER = "HTTP_X_WANGGE_BACKGROUND"


class IdleTimeoutMiddleware:
    """Slide the session's expiry forward while the user is active. Place after
    SessionMiddleware and AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only logged-in sessions: a bearer-token request has a user but no
        # session, and must not get one.
        if session is None or not session.session_key or SESSION_KEY not in session:
            return response
        if request.path in PASSIVE_PATHS or request.META.get(PASSIVE_HEADER) == "1":
            return response
        now = int(time.time())
        seen = session.get(SESSION_TOUCH_KEY, 0)
        if now - seen >= TOUCH_EVERY_SECONDS:
            session[SESSION_TOUCH_KEY] = now  # marks the session modified: saved, expiry renewed
        return response
