"""Throw-away PostgreSQL clusters for tests: a primary and a streaming
replica (pg_basebackup -R) in a temporary directory, on free loopback ports,
stopped and deleted afterwards. Uses the PostgreSQL 15 server binaries
(WANGGE_PG_BIN, default /usr/lib/postgresql/15/bin); as root, the servers
run as the `postgres` user."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("WANGGE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def unavailable() -> str:
    """Why clusters can't be made here, or ''."""
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"{PG_BIN / tool} not found (PostgreSQL server binaries)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the servers"
        if not shutil.which("runuser"):
            return "runuser not found"
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pair:
    """A primary and its streaming replica."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="wangge-pg-"))
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.started: list[Path] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        else:
            self._as = []

    def _run(self, *argv, timeout=180):
        proc = subprocess.run([*self._as, *map(str, argv)], capture_output=True, text=True,
                              timeout=timeout, cwd=self.dir)
        if proc.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
        return proc

    def _start(self, data: Path, port: int) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", data, "-l", self.dir / f"{data.name}.log", "-w", "-t", "120",
                  "-o", f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        self.started.append(data)

    def start(self) -> Pair:
        primary, replica = self.dir / "primary", self.dir / "replica"
        self._run(PG_BIN / "initdb", "-D", primary, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--no-instructions")
        with open(primary / "postgresql.conf", "a") as f:
            f.write("fsync = off\nfull_page_writes = off\n"
                    "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                    "shared_buffers = 32MB\n")
        self._start(primary, self.primary_port)
        self._run(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", self.primary_port, "-U", "postgres",
                  "-D", replica, "-R", "-X", "stream", "--no-sync", "-c", "fast")
        self._start(replica, self.replica_port)
        return self

    def url(self, which: str, db: str = "postgres") -> str:
        port = self.primary_port if which == "primary" else self.replica_port
        return f"postgres://postgres@127.0.0.1:{port}/{db}"

    def wait_replayed(self, timeout: float = 60) -> None:
        """Until the replica has replayed everything the primary wrote so far."""
        import psycopg

        with psycopg.connect(self.url("primary"), autocommit=True) as p:
            lsn = p.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
        end = time.monotonic() + timeout
        with psycopg.connect(self.url("replica"), autocommit=True) as r:
            while time.monotonic() < end:
                if r.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
                    return
                time.sleep(0.1)
        raise TimeoutError("the replica did not catch up")

    def stop(self) -> None:
        for data in reversed(self.started):
            with contextlib.suppress(Exception):  # best effort; the directory goes anyway
                self._run(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
