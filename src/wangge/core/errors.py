from __future__ import annotations


class DomainError(Exception):
    """A rule was broken: carries a machine code, a zh-Hans message, an HTTP
    status for the API and optional per-field details."""

    status = 400

    def __init__(self, code: str, message: str, *, status: int | None = None, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details

    def as_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.details is not None:
            out["errors"] = self.details
        return out


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
