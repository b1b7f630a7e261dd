"""One JSON object per log line on stdout, for log shippers (journald,
Docker, Vector, Filebeat, Loki…): time, level, logger, message, the process
and, when Django logs a request, its method, path and status."""

from __future__ import annotations

import datetime as dt
import json
import logging

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            out["method"] = getattr(request, "method", "")
            out["path"] = request.path
        for key, value in vars(record).items():
            if key in _STANDARD or key in ("request", "server_time") or key in out:
                continue
            out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)
