"""`wangge backup` / `wangge restore`: the whole database to one file and back.

- PostgreSQL: `pg_dump --format=custom` (compressed, restorable table by
  table, consistent snapshot while the platform runs) and `pg_restore --clean
  --single-transaction` (all or nothing).
- SQLite: the online backup API (a consistent copy of a live WAL database)
  into a plain database file, and the same API back.

Beside the dump a manifest `<file>.json` records the engine, the applied
migrations and each table's row count (and, with `--checksums`, a checksum of
its rows); restore checks the restored database against it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import dj_database_url
from django.db import connections

from wangge.core.errors import DomainError

FORMAT = 1


def _settings_for(database_url: str | None, alias: str = "default") -> dict:
    if not database_url:
        return dict(connections[alias].settings_dict)
    if database_url.startswith("sqlite"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": database_url.split("sqlite:///", 1)[1]}
    return dj_database_url.parse(database_url)


def _engine(cfg: dict) -> str:
    return "sqlite" if cfg["ENGINE"].endswith("sqlite3") else "postgres"


def _pg_env(cfg: dict) -> tuple[list[str], dict]:
    """Connection arguments for pg_dump/pg_restore and the environment (password)."""
    args = ["--dbname", cfg["NAME"]]
    if cfg.get("HOST"):
        args += ["--host", cfg["HOST"]]
    if cfg.get("PORT"):
        args += ["--port", str(cfg["PORT"])]
    if cfg.get("USER"):
        args += ["--username", cfg["USER"]]
    env = dict(os.environ)
    if cfg.get("PASSWORD"):
        env["PGPASSWORD"] = cfg["PASSWORD"]
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise DomainError("backup_tool_missing", f"找不到 {name}（请安装 postgresql-client）")
    return path


def raw_connect(cfg: dict):
    """A DB-API connection outside Django's (for another database than default)."""
    if _engine(cfg) == "sqlite":
        return sqlite3.connect(cfg["NAME"])
    import psycopg

    return psycopg.connect(
        dbname=cfg["NAME"],
        host=cfg.get("HOST") or None,
        port=cfg.get("PORT") or None,
        user=cfg.get("USER") or None,
        password=cfg.get("PASSWORD") or None,
    )


def _tables(conn, engine: str) -> list[str]:
    cur = conn.cursor()
    if engine == "sqlite":
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    else:  # ordinary and partitioned tables (partitions are counted through their parent)
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "ORDER BY c.relname"
        )
    return [r[0] for r in cur.fetchall()]


def _norm(value):
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def fingerprint(conn, engine: str, *, checksums: bool) -> dict[str, dict]:
    """Rows per table and, with `checksums`, an order-independent checksum of
    the rows (sum of each row's SHA-256, mod 2^256)."""
    out = {}
    for table in _tables(conn, engine):
        quoted = '"' + table.replace('"', '""') + '"'
        if not checksums:
            cur = conn.cursor()
            cur.execute(f"SELECT count(*) FROM {quoted}")
            out[table] = {"rows": cur.fetchone()[0]}
            continue
        cur = conn.cursor(name=f"fp_{table}") if engine == "postgres" else conn.cursor()
        if engine == "postgres":
            cur.itersize = 5000
        if engine == "sqlite":
            # `+col`: the stored value, past the type converters Django's
            # connection registers (PARSE_DECLTYPES works on plain columns only).
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({quoted})")]
            select = ", ".join("+" + '"' + c.replace('"', '""') + '"' for c in cols)
        else:
            select = "*"
        cur.execute(f"SELECT {select} FROM {quoted}")
        total, rows = 0, 0
        for row in cur:
            digest = hashlib.sha256(repr(tuple(_norm(v) for v in row)).encode()).digest()
            total = (total + int.from_bytes(digest, "big")) % (1 << 256)
            rows += 1
        cur.close()
        out[table] = {"rows": rows, "sha256": f"{total:064x}"}
    if engine == "postgres":
        conn.rollback()  # end the read transaction the cursors opened
    return out


def _migrations(conn) -> dict[str, str]:
    cur = conn.cursor()
    cur.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(cur.fetchall())


def backup(*, out: Path, database_url: str | None = None, checksums: bool = False) -> dict:
    cfg = _settings_for(database_url)
    engine = _engine(cfg)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    if engine == "postgres":
        args, env = _pg_env(cfg)
        proc = subprocess.run(
            [_tool("pg_dump"), "--format=custom", "--compress=6", "--no-owner", "--no-privileges",
             "--file", str(tmp), *args],
            env=env, capture_output=True, text=True,
        )
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise DomainError("backup_failed", f"pg_dump 失败：{proc.stderr.strip()[-500:]}")
        src = raw_connect(cfg)
    else:
        # The live connection when it is Django's own (works for :memory: too).
        if database_url:
            src = sqlite3.connect(cfg["NAME"])
        else:
            connections["default"].ensure_connection()
            src = connections["default"].connection
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=4096)
            ok = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
        if ok != "ok":
            tmp.unlink(missing_ok=True)
            raise DomainError("backup_failed", f"备份文件校验失败：{ok}")
    try:
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "migrations": _migrations(src),
            "tables": fingerprint(src, engine, checksums=checksums),
        }
    finally:
        if engine == "postgres" or database_url:
            src.close()
    tmp.replace(out)
    manifest["bytes"] = out.stat().st_size
    Path(f"{out}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return manifest


def _has_tables(cfg: dict) -> bool:
    if _engine(cfg) == "sqlite" and not Path(cfg["NAME"]).exists():
        return False
    conn = raw_connect(cfg)
    try:
        return bool(_tables(conn, _engine(cfg)))
    finally:
        conn.close()


def restore(*, src: Path, database_url: str | None = None, force: bool = False) -> dict:
    """Replace the target database's content with the backup `src`; returns
    {"tables": n, "mismatches": [...]} after checking against the manifest."""
    src = Path(src)
    if not src.exists():
        raise DomainError("backup_not_found", f"备份文件不存在：{src}")
    manifest_path = Path(f"{src}.json")
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    cfg = _settings_for(database_url)
    engine = _engine(cfg)
    if manifest and manifest["engine"] != engine:
        raise DomainError(
            "backup_engine_mismatch",
            f"备份来自 {manifest['engine']}，目标数据库是 {engine}：不能直接恢复",
        )
    if _has_tables(cfg) and not force:
        raise DomainError(
            "restore_target_not_empty",
            "目标数据库已有数据表：恢复会覆盖全部数据，确认请加 --force",
        )
    connections.close_all()
    if engine == "postgres":
        args, env = _pg_env(cfg)
        proc = subprocess.run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", *args, str(src)],
            env=env, capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise DomainError("restore_failed", f"pg_restore 失败（数据库未改动）：{proc.stderr.strip()[-500:]}")
    else:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        if database_url or cfg["NAME"] != ":memory:":
            target = sqlite3.connect(cfg["NAME"])
        else:
            connections["default"].ensure_connection()
            target = connections["default"].connection
        try:
            source.backup(target, pages=4096)
        finally:
            source.close()
            if target is not getattr(connections["default"], "connection", None):
                target.close()
    mismatches = []
    if manifest:
        checksums = any("sha256" in t for t in manifest["tables"].values())
        conn = raw_connect(cfg) if (database_url or engine == "postgres") else connections["default"].connection
        try:
            now = fingerprint(conn, engine, checksums=checksums)
        finally:
            if conn is not getattr(connections["default"], "connection", None):
                conn.close()
        for table, expected in manifest["tables"].items():
            if now.get(table) != expected:
                mismatches.append({"table": table, "expected": expected, "found": now.get(table)})
    return {"tables": len(manifest["tables"]) if manifest else None, "mismatches": mismatches}
