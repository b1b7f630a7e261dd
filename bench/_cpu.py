"""CPU seconds of a Django connection's PostgreSQL backend, for the bench
scripts that report CPU beside wall time (the machine is shared: wall time
includes waiting for a core)."""

from __future__ import annotations

import os
from pathlib import Path


def server_cpu(connection) -> float | None:
    """User + system CPU seconds of this connection's PostgreSQL backend,
    read from /proc (the server runs on this machine); None for SQLite,
    which runs inside the client process."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
