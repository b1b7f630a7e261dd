"""Key rotation for personal data at rest (core.crypto).

Every `<name>_enc` column of every model is decrypted (with whichever
configured key opens it) and encrypted again with the current key, the
first of WANGGE_DATA_KEYS; a sibling `<name>_hash` column is recomputed
with the current WANGGE_HASH_KEY. Covered today: people.Resident (ID number,
phone), accounts.User (login phone), cases' callback phones, visits' carer
phones; a new `_enc` column is covered without being listed here.

Procedure (docs/security.md): put the new data key first and keep the old
one after it, set the new hash key, restart, run `wangge rotate_keys`, then
drop the old data key. Between the restart and the end of the run, look-ups
by hash (log-in by phone, ID number search) miss the rows not yet rotated:
run it in a maintenance window. Idempotent: a second run only re-encrypts.
One-time SMS codes in flight (5 minutes) are invalidated by a hash key
change; they are simply asked for again."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction

from wangge.audit import recorder

from . import crypto

SYSTEM_ACTOR = "系统（wangge rotate_keys）"


def encrypted_columns() -> list[tuple[type, list[tuple[str, str | None]]]]:
    """(model, [(enc column, hash column or None)]) for every model with
    encrypted columns."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = {f.attname for f in model._meta.concrete_fields}
        pairs = [
            (name, name[:-4] + "_hash" if name[:-4] + "_hash" in names else None)
            for name in sorted(names)
            if name.endswith("_enc")
        ]
        if pairs:
            found.append((model, pairs))
    return found


def _rotate_model(model, pairs, batch_size: int) -> int:
    fields = [f for pair in pairs for f in pair if f]
    done, last = 0, None
    while True:
        qs = model._default_manager.order_by("pk").only("pk", *fields)
        if last is not None:
            qs = qs.filter(pk__gt=last)
        rows = list(qs[:batch_size])
        if not rows:
            return done
        for row in rows:
            for enc, hashed in pairs:
                token = getattr(row, enc)
                if not token:
                    continue
                clear = crypto.decrypt(token)
                setattr(row, enc, crypto.encrypt(clear))
                if hashed:
                    setattr(row, hashed, crypto.keyed_hash(clear))
        with transaction.atomic():
            model._default_manager.bulk_update(rows, fields)
        done += len(rows)
        last = rows[-1].pk


def rotate_keys(*, batch_size: int = 2000, actor=None) -> dict[str, int]:
    """Re-encrypt every encrypted column with the current key and recompute
    the keyed hashes. Returns rows per model; one audit event for the run."""
    counts: dict[str, int] = {}
    with recorder.batch(
        what="个人信息密钥轮换", model="core.crypto", actor=actor,
        actor_label="" if actor is not None else SYSTEM_ACTOR,
    ) as audit:
        for model, pairs in encrypted_columns():
            counts[model._meta.label_lower] = _rotate_model(model, pairs, batch_size)
        audit.update(rows=counts, columns={
            m._meta.label_lower: [e for e, _ in p] for m, p in encrypted_columns()
        })
    return counts
