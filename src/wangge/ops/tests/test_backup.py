"""`wangge backup` / `wangge restore` round trips, on the backend under test:
every table comes back with the same rows (counts and checksums)."""

import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wangge.cases.tests.conftest import report, walk_to
from wangge.ops.backup import _settings_for, fingerprint, raw_connect


@pytest.fixture
def target(tmp_path):
    """An empty database of the same engine to restore into; dropped after."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    cfg = connection.settings_dict
    name = f"{cfg['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    admin = raw_connect({**cfg, "NAME": "postgres"})
    admin.autocommit = True
    admin.execute(f'CREATE DATABASE "{name}"')
    host = cfg.get("HOST") or "127.0.0.1"
    user = f"{cfg['USER']}@" if cfg.get("USER") else ""
    try:
        yield f"postgres://{user}{host}:{cfg.get('PORT') or 5432}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _fingerprint_of(url: str | None) -> dict:
    cfg = _settings_for(url)
    engine = "sqlite" if cfg["ENGINE"].endswith("sqlite3") else "postgres"
    if url is None and engine == "sqlite":
        connection.ensure_connection()
        return fingerprint(connection.connection, engine, checksums=True)
    conn = raw_connect(cfg)
    try:
        return fingerprint(conn, engine, checksums=True)
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(world, target, tmp_path, capsys):
    case = walk_to(world, report(world), "closed")
    walk_to(world, report(world, actor=world.resident2, description="路灯不亮，晚上很黑"), "dispatched")
    out = tmp_path / "wangge.dump"

    call_command("backup", out=str(out), checksums=True)
    manifest = json.loads((tmp_path / "wangge.dump.json").read_text())
    assert manifest["engine"] == connection.vendor.replace("postgresql", "postgres")
    assert manifest["tables"]["cases_case"]["rows"] == 2
    assert manifest["tables"]["cases_caseevent"]["rows"] >= 10
    assert manifest["migrations"]["cases"].startswith("00")
    assert "已备份" in capsys.readouterr().out

    call_command("restore", str(out), database_url=target)
    assert "与清单一致" in capsys.readouterr().out

    source, restored = _fingerprint_of(None), _fingerprint_of(target)
    assert restored == source
    assert len(source) > 30 and source["areas_area"]["rows"] > 10
    assert source["cases_case"] == manifest["tables"]["cases_case"]

    # The restored database is a working copy: the closed case is there.
    conn = raw_connect(_settings_for(target))
    cur = conn.cursor()
    cur.execute(f"SELECT status FROM cases_case WHERE id = {int(case.pk)}")
    assert cur.fetchone()[0] == "closed"
    conn.close()

    # A second restore over the data needs --force, and then succeeds.
    with pytest.raises(CommandError, match="restore_target_not_empty"):
        call_command("restore", str(out), database_url=target)
    call_command("restore", str(out), database_url=target, force=True)
    assert _fingerprint_of(target) == source


@pytest.mark.django_db
def test_restore_refuses_another_engine_and_a_missing_file(tmp_path):
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"")
    other = "postgres" if connection.vendor == "sqlite" else "sqlite"
    (tmp_path / "x.dump.json").write_text(json.dumps({"engine": other, "tables": {}}))
    with pytest.raises(CommandError, match="backup_engine_mismatch"):
        call_command("restore", str(dump), database_url=f"sqlite:///{tmp_path / 'y.sqlite3'}"
                     if connection.vendor == "sqlite" else None)
    with pytest.raises(CommandError, match="backup_not_found"):
        call_command("restore", str(tmp_path / "missing.dump"))
