"""The write audit: every save and delete of every Wangge model becomes an
`AuditEvent` (who, when, from which address, what changed).

How it stays cheap:
- model signals (pre_save/post_save/post_delete) connected per audited model,
  so models left out (sessions, axes' counters, presence heartbeats, the
  audit tables themselves) keep Django's fast paths;
- an update reads the row's previous values with one SELECT by primary key
  (only the saved columns when `update_fields` is given);
- a write inside a transaction (every service that writes more than one row)
  inserts its event in that same transaction: committed with the change,
  rolled back with it (savepoints too), and a crash can never keep one
  without the other. No second commit (no second WAL flush) per request;
- a write in autocommit mode (a lone `save()` in a view) is already its own
  transaction: within a request its event waits and all such events are
  written with one INSERT when the response is ready (`AuditMiddleware`).

Bulk paths (the importer, the generator) do not write row by row through the
ORM signals: they run inside `batch()`, which records one event per batch
with its counts.

Not covered by the signals: `QuerySet.update()` / `bulk_create()` outside a
batch. The code base uses them only for derived columns (copied area paths
of the rows under a building that moves), counters (token last use, code
attempts) and the importer (inside `batch()`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.apps import apps
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

log = logging.getLogger("wangge.audit")

# Models never audited row by row, with the reason.
EXCLUDED_APPS = {
    "audit",  # the logs themselves (append-only)
    "sessions",  # session rows change on every request
    "axes",  # failure counters; failures and lockouts are audited as sign-in events
    "contenttypes",
    "admin",  # Django's admin LogEntry duplicates this log
    "django_tasks",
    "djhuey",
}
EXCLUDED_MODELS = {
    "worker.presenceday",  # the grid worker's heartbeat bitmap (once a minute)
    "cases.notificationoutbox",  # a delivery queue (like django_tasks); the move's event is the record
}
# Column values never copied into the log: secrets and ciphertexts. The log
# notes that they changed, not what they are.
REDACTED_SUFFIXES = ("_enc", "_hash", "password")
REDACTED = "***"
MAX_VALUE_CHARS = 300

enabled = True  # switched off only by bench/audit_overhead.py to measure the cost


@dataclass
class Context:
    """Who is writing: a request (its user is read at each write, so a
    sign-in's own writes name the user) or a named background job."""

    request: object | None = None
    label: str = ""
    ip: str | None = None
    actor_id: int | None = None
    actor_label: str = ""
    pending: list = field(default_factory=list)
    suppressed: int = 0
    closed: bool = False
    _fallback_path: str | None = None

    def actor(self) -> tuple[int | None, str]:
        user = getattr(self.request, "user", None) if self.request is not None else None
        if user is not None and getattr(user, "is_authenticated", False):
            return user.pk, user.get_username()[:150]
        return self.actor_id, self.actor_label

    def fallback_path(self) -> str:
        """For rows that have no area of their own (categories, users, …):
        the actor's area, so the audit stays scoped like everything else."""
        if self._fallback_path is None:
            self._fallback_path = ""
            user = getattr(self.request, "user", None) if self.request is not None else None
            if user is not None and getattr(user, "is_authenticated", False):
                from wangge.teams.scope import scope_for

                scope = scope_for(user)
                if scope.paths:
                    self._fallback_path = scope.paths[0]
                elif getattr(scope, "home_grid_path", None):
                    self._fallback_path = scope.home_grid_path
        return self._fallback_path


_context: ContextVar[Context | None] = ContextVar("wangge_audit_context", default=None)
_batch: ContextVar[list | None] = ContextVar("wangge_audit_batch", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Inside a transaction, the audit events of the writes made in the block
    are inserted together, in one statement, when the block ends (still in
    the writer's transaction). The case intake writes three rows this way:
    one audit INSERT instead of three round trips."""
    if _batch.get() is not None:
        yield
        return
    events: list = []
    token = _batch.set(events)
    try:
        yield
    finally:
        _batch.reset(token)
    if events:
        from .models import AuditEvent

        AuditEvent.objects.bulk_create(events)


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def request_label(request) -> str:
    return f"{request.method} {request.path}"[:200]


@contextmanager
def context(*, request=None, label: str = "", actor=None) -> Iterator[Context]:
    """Collect the events of one request (or job) and write them together at
    the end, in one INSERT."""
    ctx = Context(
        request=request,
        label=label or (request_label(request) if request is not None else ""),
        ip=client_ip(request),
    )
    if actor is not None:
        ctx.actor_id, ctx.actor_label = actor.pk, actor.get_username()[:150]
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)
        ctx.closed = True
        flush(ctx)


def flush(ctx: Context) -> None:
    if not ctx.pending:
        return
    from .models import AuditEvent

    rows, ctx.pending = ctx.pending, []
    AuditEvent.objects.bulk_create(rows)


@contextmanager
def batch(
    *, what: str, model: str = "", area_path: str = "", actor=None, request=None,
    actor_label: str = "",
) -> Iterator[dict]:
    """Run a bulk write (import, generation) without row-by-row events; on
    success record one event with the counts the caller puts in the dict.
    `actor_label` names a system actor (a command line run) when no user."""
    outer = _context.get()
    own = outer is None
    if own:
        ctx = Context(request=request, label=what, ip=client_ip(request))
        if actor is not None:
            ctx.actor_id, ctx.actor_label = actor.pk, actor.get_username()[:150]
        elif actor_label:
            ctx.actor_label = actor_label[:150]
        token = _context.set(ctx)
    else:
        ctx = outer
    ctx.suppressed += 1
    counts: dict = {}
    try:
        yield counts
    finally:
        ctx.suppressed -= 1
        if own:
            _context.reset(token)
    if actor is not None and ctx.actor()[0] is None:
        ctx.actor_id, ctx.actor_label = actor.pk, actor.get_username()[:150]
    _queue(
        ctx,
        kind="batch",
        model=model,
        object_id="",
        area_path=area_path,
        changes={"what": what, "counts": counts},
    )
    if own:
        flush(ctx)


def record(
    *, kind: str, model: str = "", object_id="", area_path: str = "", changes=None,
    request=None, actor=None, actor_label: str = "",
) -> None:
    """An event that is not a model save: sign-ins, lockouts, rate limits."""
    ctx = _context.get()
    if ctx is None or (request is not None and ctx.request is not request):
        ctx = Context(request=request, label=request_label(request) if request else "",
                      ip=client_ip(request))
    if actor is not None:
        ctx_actor = (actor.pk, actor.get_username()[:150])
    elif actor_label:
        ctx_actor = (None, actor_label[:150])
    else:
        ctx_actor = None
    _queue(ctx, kind=kind, model=model, object_id=str(object_id), area_path=area_path,
           changes=changes or {}, actor=ctx_actor)


def _queue(ctx: Context, *, kind, model, object_id, area_path, changes, actor=None) -> None:
    from .models import AuditEvent

    actor_id, label = actor if actor is not None else ctx.actor()
    event = AuditEvent(
        at=timezone.now(),
        kind=kind,
        actor_id=actor_id,
        actor_label=label,
        ip=ctx.ip,
        request=ctx.label,
        model=model,
        object_id=str(object_id)[:40],
        area_path=(area_path or ctx.fallback_path())[:60],
        changes=changes,
    )
    if transaction.get_connection().in_atomic_block:
        # Inside the writer's transaction: committed with the change, rolled
        # back with it (savepoints too), never one without the other.
        pending = _batch.get()
        if pending is not None:
            pending.append(event)
        else:
            event.save(force_insert=True)
    elif _context.get() is ctx and not ctx.closed:
        # An autocommitted write in a request: already its own transaction;
        # its event joins the request's one INSERT at the end.
        ctx.pending.append(event)
    else:
        AuditEvent.objects.bulk_create([event])


# --------------------------------------------------------------------------
# Model signals


def _plain(value):
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            digest = hashlib.sha256(value.encode()).hexdigest()[:16]
            return f"<{len(value)} 字符 sha256:{digest}>"
        return value
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} 字节>"
    if isinstance(value, list | tuple | dict):
        text = str(value)
        return value if len(text) <= MAX_VALUE_CHARS else _plain(text)
    return _plain(str(value))


def _columns(model) -> list[tuple[str, bool]]:
    cached = _COLUMNS.get(model)
    if cached is None:
        cached = [
            (f.attname, f.name.endswith(REDACTED_SUFFIXES) or f.attname.endswith(REDACTED_SUFFIXES))
            for f in model._meta.concrete_fields
        ]
        _COLUMNS[model] = cached
    return cached


_COLUMNS: dict = {}


def _values(instance, only=None) -> dict:
    out = {}
    for attname, redacted in _columns(type(instance)):
        if only is not None and attname not in only:
            continue
        value = getattr(instance, attname)
        out[attname] = REDACTED if (redacted and value not in (None, "")) else _plain(value)
    return out


def _area_path(instance) -> str:
    """The row's own area, else that of a parent already loaded (a case's
    event, a household's resident): no query."""
    path = getattr(instance, "area_path", None)
    if isinstance(path, str) and path:
        return path
    if instance._meta.label_lower == "areas.area":
        return instance.path or ""
    for f in _foreign_keys(type(instance)):
        if f.is_cached(instance):
            parent = f.get_cached_value(instance)
            path = getattr(parent, "area_path", None) or ""
            if isinstance(path, str) and path:
                return path
    return ""


def _foreign_keys(model) -> list:
    cached = _FKS.get(model)
    if cached is None:
        cached = [f for f in model._meta.concrete_fields if f.many_to_one]
        _FKS[model] = cached
    return cached


_FKS: dict = {}


def _active_context() -> Context | None:
    ctx = _context.get()
    if ctx is not None and ctx.suppressed:
        return None
    return ctx or Context()


def on_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not enabled or instance._state.adding or instance.pk is None:
        return
    ctx = _context.get()
    if ctx is not None and ctx.suppressed:
        return
    names = [a for a, _ in _columns(sender)]
    if update_fields is not None:
        wanted = {sender._meta.get_field(n).attname for n in update_fields}
        names = [n for n in names if n in wanted]
    before = sender._base_manager.using(kwargs.get("using")).filter(pk=instance.pk).values(*names).first()
    instance._audit_before = before


def on_post_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or not enabled:
        return
    ctx = _active_context()
    if ctx is None:
        return
    if created:
        changes = {"after": _values(instance)}
        kind = "create"
    else:
        before_raw = instance.__dict__.pop("_audit_before", None)
        if before_raw is None:
            kind, changes = "create", {"after": _values(instance)}
        else:
            after = _values(instance, only=set(before_raw))
            redacted = {a for a, r in _columns(sender) if r}
            before = {
                k: (REDACTED if k in redacted and v not in (None, "") else _plain(v))
                for k, v in before_raw.items()
            }
            changed = [k for k in after if _differs(before_raw[k], getattr(instance, k))]
            if not changed:
                return
            kind = "update"
            changes = {
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
            }
    _queue(ctx, kind=kind, model=sender._meta.label_lower, object_id=instance.pk,
           area_path=_area_path(instance), changes=changes)


def _differs(old, new) -> bool:
    return old != new and _plain(old) != _plain(new)


def on_post_delete(sender, instance, **kwargs):
    if not enabled:
        return
    ctx = _active_context()
    if ctx is None:
        return
    _queue(ctx, kind="delete", model=sender._meta.label_lower, object_id=instance.pk,
           area_path=_area_path(instance), changes={"before": _values(instance)})


def audited_models() -> list[type[models.Model]]:
    return [
        m for m in apps.get_models()
        if m._meta.app_label not in EXCLUDED_APPS
        and m._meta.label_lower not in EXCLUDED_MODELS
        and not m._meta.proxy
        and m._meta.managed
    ]


def connect() -> None:
    for model in audited_models():
        uid = f"wangge-audit-{model._meta.label_lower}"
        pre_save.connect(on_pre_save, sender=model, dispatch_uid=uid)
        post_save.connect(on_post_save, sender=model, dispatch_uid=uid)
        post_delete.connect(on_post_delete, sender=model, dispatch_uid=uid)


class AuditMiddleware:
    """Collects a request's audit events and writes them in one INSERT once
    the response is ready. Place right after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with context(request=request):
            return self.get_response(request)
