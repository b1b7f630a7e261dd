"""Sign-in events in the audit log: successes, failures, lockouts, sign-outs.
The typed login name is kept (never the password; a typed phone number
masked, with a short keyed hash: accounts.safety.login_label)."""

from __future__ import annotations

from . import recorder


def on_login(sender, request, user, **kwargs) -> None:
    recorder.record(kind="login", request=request, actor=user, model="accounts.user",
                    object_id=user.pk)


def on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        recorder.record(kind="logout", request=request, actor=user, model="accounts.user",
                        object_id=user.pk)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from wangge.accounts.safety import login_label

    typed = login_label(str((credentials or {}).get("username") or ""))
    recorder.record(kind="login_failed", request=request, actor_label=typed,
                    changes={"login": typed})


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """`username` is axes' lockout key: `user:<id>` for an existing account
    (wangge.accounts.safety.lockout_key), else the typed name."""
    key = str(username or "")[:150]
    user = None
    if key.startswith("user:") and key[5:].isdigit():
        from wangge.accounts.models import User

        user = User.objects.filter(pk=int(key[5:])).first()
    if user is not None:
        recorder.record(kind="locked_out", request=request, actor=user,
                        model="accounts.user", object_id=user.pk, changes={"key": key})
    else:
        recorder.record(kind="locked_out", request=request, actor_label=key,
                        changes={"key": key})
