"""API errors and the spec's error envelope.

ApiError                 (root: every expected failure, rendered as {"success": false, "error": ...})
├── AuthError            401
├── NotFoundError        404 (also for another tenant's resources: never leak existence)
├── ConflictError        409 (invalid status change, version races)
└── UnprocessableError   422 (validation problems, each with its JSON path)
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": {"code": self.code, "message": self.message, "details": self.details},
        }


class AuthError(ApiError):
    status_code = 401
    code = "unauthorized"


class NotFoundError(ApiError):
    status_code = 404
    code = "not_found"


class ConflictError(ApiError):
    status_code = 409
    code = "conflict"


class UnprocessableError(ApiError):
    status_code = 422
    code = "validation_failed"
